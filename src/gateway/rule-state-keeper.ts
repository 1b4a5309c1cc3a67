import type { AlarmStore } from '../alarms/lifecycle/sqlite-store.js';
import type { Logger } from '../log.js';
import type { RuleEngine } from '../rules/engine.js';
import type { Clock, TimerHandle } from '../time/clock.js';

const DOCUMENT_KEY = 'rule-engine-state';

/**
 * Keeps the rule engine's state (pending on/off delays, event and repeat windows, active episodes) in the
 * store, so a restart — even `kill -9` — resumes a pending delay with its remaining time instead of
 * starting it over, and clears an alarm whose condition ended while the gateway was down.
 *
 * The engine says when its state changed (never per sample); the snapshot is written at most every
 * `debounceMs`, and once more at stop. A crash loses at most the changes of that last interval: a delay
 * started in it starts again from the next sample, which is the behaviour without persistence.
 */
export class RuleStateKeeper {
  private timer: TimerHandle | undefined;
  private writes = 0;
  private lastError: string | null = null;

  constructor(
    /** The running engine (a rule reload replaces it). */
    private readonly engineNow: () => RuleEngine,
    private readonly store: AlarmStore,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly debounceMs = 250,
  ) {}

  /** Applies the saved state to a fresh engine (before any sample); deadlines that passed fire now. */
  restore(): void {
    const saved = this.store.getDocument(DOCUMENT_KEY);
    if (saved === undefined) return;
    const report = this.engineNow().restoreState(saved);
    this.logger.info(
      { restored: report.restored, removedRules: report.unknownAlarmIds.length, rejected: report.rejected.length },
      'rule state restored from the store',
    );
    for (const r of report.rejected) this.logger.warn({ alarmId: r.alarmId, reason: r.reason }, 'saved rule state not applied');
  }

  /** The engine's state changed: write it soon. */
  changed(): void {
    if (this.timer !== undefined) return;
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.write();
    }, this.debounceMs);
  }

  /** Writes what is pending now (shutdown). */
  flush(): void {
    if (this.timer === undefined) return;
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.write();
  }

  status(): { writes: number; lastError: string | null } {
    return { writes: this.writes, lastError: this.lastError };
  }

  private write(): void {
    try {
      this.store.putDocument(DOCUMENT_KEY, this.engineNow().snapshotState());
      this.writes++;
      this.lastError = null;
    } catch (err) {
      this.lastError = err instanceof Error ? err.message : String(err);
      this.logger.error({ err }, 'rule state could not be written to the store');
    }
  }
}
