import type { AlarmEvent } from '../alarms/events.js';
import type { Logger } from '../log.js';
import type { RecordedEntry } from '../recording/format.js';
import type { CompiledRuleSet } from '../rules/compile.js';
import { RuleEngine } from '../rules/engine.js';
import { VirtualClock } from '../time/clock.js';

/**
 * One rule set replayed over history: a RuleEngine, exactly as the gateway runs it, on a VirtualClock that
 * is moved to each entry's ts before the entry is fed. Delays, off-delays and event windows therefore fire
 * at the same virtual moments as they did live: a timer due at or before an entry's ts fires before that
 * entry is judged, as it would have on the live clock. An entry older than the clock (a late batch) is fed
 * at the clock's time, as the live engine received it after what came before.
 */
export class RuleReplay {
  readonly clock: VirtualClock;
  readonly engine: RuleEngine;
  /** Every raise and clear, in emission order. */
  readonly events: AlarmEvent[] = [];
  private fed = 0;

  constructor(ctx: { site: string; rules: CompiledRuleSet; startMs: number; logger: Logger }) {
    this.clock = new VirtualClock(ctx.startMs);
    this.engine = new RuleEngine({
      site: ctx.site,
      rules: ctx.rules,
      clock: this.clock,
      logger: ctx.logger,
      onAlarm: (event) => this.events.push(event),
    });
  }

  /** Samples, status changes and events fed so far. */
  get entriesFed(): number {
    return this.fed;
  }

  feed(entries: readonly RecordedEntry[]): void {
    const clock = this.clock;
    const engine = this.engine;
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i];
      if (entry === undefined) continue;
      if (!('kind' in entry)) {
        if (entry.ts > clock.now()) clock.advanceSync(entry.ts - clock.now());
        engine.onSample(entry);
      } else if (entry.kind === 'status') {
        if (entry.status.ts > clock.now()) clock.advanceSync(entry.status.ts - clock.now());
        engine.onDeviceStatus(entry.status);
      } else {
        if (entry.event.ts > clock.now()) clock.advanceSync(entry.event.ts - clock.now());
        engine.onEvent(entry.event);
      }
    }
    this.fed += entries.length;
  }

  /** Moves the clock to `endMs` (delays due before it fire) and stops the engine. */
  finish(endMs: number): void {
    if (endMs > this.clock.now()) this.clock.advanceSync(endMs - this.clock.now());
    this.engine.stop();
  }
}
