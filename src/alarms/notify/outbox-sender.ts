import type { Logger } from '../../log.js';
import type { ConfiguredChannel } from '../../notify/channel-factory.js';
import { Dispatcher, type ChannelStats, type DeliveryEvent, type RetryPolicy } from '../../notify/dispatcher.js';
import type { Notification } from '../../notify/message.js';
import type { Clock } from '../../time/clock.js';
import { composeGroup } from './compose.js';
import type { NotifyStore } from './notify-store.js';
import type { OutboxEntry } from './types.js';

export interface OutboxSenderOptions {
  clock: Clock;
  logger: Logger;
  store: NotifyStore;
  channels: readonly ConfiguredChannel[];
  retry?: Partial<RetryPolicy>;
  /** Told the moment a push is handed to its channel's queue (benchmarks, tests). */
  onHandOff?: (entries: readonly OutboxEntry[]) => void;
}

/**
 * Hands stored pushes to the dispatcher and writes each outcome back to the outbox: sent, failed (out of
 * attempts or not retryable), folded into a rate-limit summary. A push stays pending until then, so a
 * restart sends it again; one delivered is never sent again.
 */
export class OutboxSender {
  private readonly dispatcher: Dispatcher;
  private readonly entriesOf = new WeakMap<Notification, readonly OutboxEntry[]>();
  private readonly channelNames: Set<string>;
  private groupedPushes = 0;
  private groupedEntries = 0;

  constructor(private readonly options: OutboxSenderOptions) {
    const dispatcherOptions: ConstructorParameters<typeof Dispatcher>[0] = {
      clock: options.clock,
      logger: options.logger,
      onDelivery: (e) => this.onDelivery(e),
    };
    if (options.retry) dispatcherOptions.retry = options.retry;
    this.dispatcher = new Dispatcher(dispatcherOptions);
    for (const c of options.channels) this.dispatcher.add(c.channel, c.setup);
    this.channelNames = new Set(options.channels.map((c) => c.channel.name));
  }

  /** Sends one stored push. */
  send(entry: OutboxEntry): void {
    this.handOff(entry.notification, [entry]);
  }

  /** Sends stored pushes of one group to one recipient on one channel as a single push. */
  sendGroup(label: string, entries: readonly OutboxEntry[]): void {
    const first = entries[0];
    if (!first) return;
    if (entries.length === 1) {
      this.send(first);
      return;
    }
    this.groupedPushes++;
    this.groupedEntries += entries.length;
    const group = composeGroup(label, entries.map((e) => e.notification), this.options.clock.now());
    this.handOff(group, entries);
  }

  channelStats(): Record<string, ChannelStats> {
    return this.dispatcher.stats();
  }

  /** Group pushes sent and the pushes they stood for. */
  groupingStats(): { groupPushes: number; grouped: number } {
    return { groupPushes: this.groupedPushes, grouped: this.groupedEntries };
  }

  idle(): Promise<void> {
    return this.dispatcher.idle();
  }

  close(): Promise<void> {
    return this.dispatcher.close();
  }

  private handOff(n: Notification, entries: readonly OutboxEntry[]): void {
    const first = entries[0];
    if (!first) return;
    if (!this.channelNames.has(first.channel)) {
      // The channel was removed from the config since this push was stored.
      const now = this.options.clock.now();
      for (const e of entries) this.options.store.mark(e.id, 'failed', e.attempts, `channel "${e.channel}" is not configured`, now);
      this.options.logger.error({ channel: first.channel, key: n.key, recipient: n.recipient, outcome: 'failed' }, 'notification channel not configured');
      return;
    }
    this.entriesOf.set(n, entries);
    this.options.onHandOff?.(entries);
    this.dispatcher.dispatch(n, [first.channel]);
  }

  private onDelivery(event: DeliveryEvent): void {
    const entries = this.entriesOf.get(event.notification);
    if (!entries) return; // a rate-limit summary: its folded pushes were marked when folded
    const now = this.options.clock.now();
    const { store } = this.options;
    switch (event.outcome) {
      case 'sent':
      case 'failed':
      case 'folded':
        store.transaction(() => {
          for (const e of entries) store.mark(e.id, event.outcome as 'sent' | 'failed' | 'folded', event.attempt, event.error, now);
        });
        return;
      case 'retry':
        for (const e of entries) store.recordAttempt(e.id, event.attempt, event.error, now);
        return;
      case 'held':
        return;
    }
  }
}
