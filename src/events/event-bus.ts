import type { Logger } from 'pino';

type Listener<T> = (payload: T) => void;

/**
 * A typed event bus between modules. Each listener runs inside its own try/catch, so one failing module
 * cannot stop the others; listeners are registered under an owner and removed together when it stops.
 */
export class EventBus<Events extends Record<string, unknown>> {
  private readonly listeners = new Map<keyof Events, Array<{ owner: string; fn: Listener<never> }>>();

  constructor(private readonly logger: Logger) {}

  on<K extends keyof Events>(event: K, owner: string, fn: Listener<Events[K]>): void {
    const list = this.listeners.get(event) ?? [];
    list.push({ owner, fn: fn });
    this.listeners.set(event, list);
  }

  removeOwner(owner: string): void {
    for (const [event, list] of this.listeners) {
      this.listeners.set(
        event,
        list.filter((l) => l.owner !== owner),
      );
    }
  }

  emit<K extends keyof Events>(event: K, payload: Events[K]): void {
    const list = this.listeners.get(event);
    if (!list) return;
    for (const { owner, fn } of list) {
      try {
        (fn as Listener<Events[K]>)(payload);
      } catch (err) {
        this.logger.error({ err, event: String(event), owner }, 'event listener failed');
      }
    }
  }
}
