import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { AlarmManagementConfig } from '../config/alarm-management-schema.js';
import type { Logger } from '../log.js';
import type { Clock } from '../time/clock.js';
import { ChatterDetector, type ChatteringAlarm } from './chatter.js';
import type { AlarmEvent } from './events.js';
import { computeAlarmKpis, DEFAULT_FLOOD_RULE, type AlarmKpis } from './kpis.js';
import { AlarmLifecycle } from './lifecycle/manager.js';
import type { Migration } from './lifecycle/migrations.js';
import { AlarmStore, restoreLifecycle, type HistoryQuery, type StoredTransition } from './lifecycle/sqlite-store.js';
import type { AlarmListFilter, AlarmSettings, AlarmSnapshot, AlarmState, TransitionListener, TransitionRecord } from './lifecycle/types.js';

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;

export interface AlarmServiceOptions {
  clock: Clock;
  logger: Logger;
  settings: AlarmManagementConfig;
  /** SQLite file (its directory is created), or `:memory:`. */
  storePath: string;
  /** Migrations of every part sharing the database, in version order. */
  migrations?: readonly Migration[];
  /** The per-alarm settings of the configured alarms (latched, re-alarm, life safety), by alarm id. */
  definitions?: ReadonlyMap<string, AlarmSettings>;
  /** The site an alarm belongs to when its snapshot does not say (alarms never raised yet). */
  site: string;
}

/** How many managed alarms are in each state and under each overlay, for /health and /metrics. */
export interface AlarmStateCounts {
  byState: Record<AlarmState, number>;
  shelved: number;
  suppressed: number;
  outOfService: number;
}

export interface AlarmServiceHealth {
  /** A transition could not be written to the store: the alarm state on disk is behind memory. */
  storeError: string | null;
  listenerErrors: number;
  unmatchedEvents: number;
}

/**
 * Managed alarms: the rule engine's raise and clear events become ISA-18.2 alarms with acknowledgement,
 * shelving, suppression and out-of-service, kept in SQLite so a restart (even `kill -9`) resumes them.
 * Every transition is committed to the store before anyone else hears of it (see `persistLifecycle`), so an
 * operator's action returns only once it is on disk, and the notifier never announces what was not saved.
 */
export class AlarmService {
  readonly store: AlarmStore;
  readonly lifecycle: AlarmLifecycle;
  private readonly logger: Logger;
  private storeError: string | null = null;
  private listenerErrors = 0;
  private unsubscribeStore: (() => void) | undefined;
  private readonly chatter: ChatterDetector;

  constructor(private readonly options: AlarmServiceOptions) {
    this.logger = options.logger;
    if (options.storePath !== ':memory:') mkdirSync(dirname(options.storePath), { recursive: true });
    this.store = AlarmStore.open(options.storePath, options.migrations);
    this.lifecycle = new AlarmLifecycle({
      clock: options.clock,
      maxShelveMs: options.settings.maxShelveMinutes * MINUTE_MS,
      maxOutOfServiceMs: options.settings.maxOutOfServiceHours * HOUR_MS,
      settingsFor: (event) => (event.lifeSafety === true ? { lifeSafety: true } : undefined),
      onError: (err) => this.onListenerError(err),
    });
    for (const [alarmId, d] of options.definitions ?? []) this.define(alarmId, d);
    const { cycles, windowSeconds } = options.settings.chatter;
    this.chatter = new ChatterDetector({
      cycles,
      windowMs: windowSeconds * 1000,
      clock: options.clock,
      onChange: (c) => {
        if (c.type === 'start') this.logger.warn({ alarmId: c.alarmId, cycles: c.cycles }, 'alarm is chattering');
        else this.logger.info({ alarmId: c.alarmId, peakCycles: c.peakCycles, since: c.since }, 'alarm stopped chattering');
      },
      onError: (err) => this.onListenerError(err),
    });
  }

  /** Registers (or updates, after a rule reload) the ISA-18.2 settings of an alarm. */
  define(alarmId: string, d: AlarmSettings): void {
    this.lifecycle.define(alarmId, { latched: d.latched === true, lifeSafety: d.lifeSafety === true, ...(d.reAlarmMs !== undefined ? { reAlarmMs: d.reAlarmMs } : {}) });
  }

  /** Subscribes the store first and rebuilds the alarms kept in it; deadlines that passed fire now. */
  start(): void {
    this.unsubscribeStore = restoreLifecycle(this.lifecycle, this.store);
    this.lifecycle.subscribe((t) => {
      if (t.action === 'raise' || t.action === 'clear') this.chatter.record(t.alarmId, t.action, t.ts);
    });
    const restored = this.lifecycle.list();
    if (restored.length > 0) this.logger.info({ alarms: restored.length }, 'alarm states restored from the store');
  }

  /** Listens to every transition after the store has committed it. */
  subscribe(listener: TransitionListener): () => void {
    return this.lifecycle.subscribe(listener);
  }

  /** A raise or clear from the rules (or from a device). Never throws: the rule loop must go on. */
  onAlarmEvent(event: AlarmEvent): void {
    try {
      if (event.type === 'raise') this.lifecycle.onRaise(event);
      else this.lifecycle.onClear(event);
    } catch (err) {
      this.onListenerError(err);
    }
  }

  // ---- operator actions: each throws AlarmLifecycleError with the reason when refused ----

  acknowledge(alarmId: string, by: string, comment?: string): AlarmSnapshot {
    this.lifecycle.acknowledge(alarmId, by, comment);
    return this.require(alarmId);
  }

  shelve(alarmId: string, by: string, minutes: number, comment?: string): AlarmSnapshot {
    this.lifecycle.shelve(alarmId, by, minutes * MINUTE_MS, comment);
    return this.require(alarmId);
  }

  unshelve(alarmId: string, by: string, comment?: string): AlarmSnapshot {
    this.lifecycle.unshelve(alarmId, by, comment);
    return this.require(alarmId);
  }

  removeFromService(alarmId: string, by: string, hours: number, comment?: string): AlarmSnapshot {
    this.lifecycle.removeFromService(alarmId, by, this.options.clock.now() + hours * HOUR_MS, comment);
    return this.require(alarmId);
  }

  returnToService(alarmId: string, by: string, comment?: string): AlarmSnapshot {
    this.lifecycle.returnToService(alarmId, by, comment);
    return this.require(alarmId);
  }

  reset(alarmId: string, by: string, comment?: string): AlarmSnapshot {
    this.lifecycle.reset(alarmId, by, comment);
    return this.require(alarmId);
  }

  comment(alarmId: string, by: string, text: string): AlarmSnapshot {
    this.lifecycle.comment(alarmId, by, text);
    return this.require(alarmId);
  }

  /** Suppression by design (the rules' `suppressWhen`); a life-safety alarm is never suppressed. */
  setSuppressed(alarmId: string, suppressed: boolean, reason: string): void {
    try {
      this.lifecycle.setSuppressed(alarmId, suppressed, reason);
    } catch (err) {
      this.logger.warn({ err, alarmId }, 'suppression refused');
    }
  }

  // ---- queries ----

  get(alarmId: string): AlarmSnapshot | undefined {
    return this.lifecycle.get(alarmId);
  }

  list(filter: AlarmListFilter = {}): AlarmSnapshot[] {
    return this.lifecycle.list(filter);
  }

  history(query: HistoryQuery): StoredTransition[] {
    return this.store.history(query);
  }

  counts(): AlarmStateCounts {
    const counts: AlarmStateCounts = { byState: { normal: 0, 'unack-active': 0, 'ack-active': 0, 'rtn-unack': 0 }, shelved: 0, suppressed: 0, outOfService: 0 };
    for (const a of this.lifecycle.list({ skipQuiet: false })) {
      counts.byState[a.state]++;
      if (a.shelved !== undefined) counts.shelved++;
      if (a.suppressed !== undefined) counts.suppressed++;
      if (a.outOfService !== undefined) counts.outOfService++;
    }
    return counts;
  }

  /** Alarms chattering now (≥ the configured raise/clear cycles within the window). */
  chattering(): ChatteringAlarm[] {
    return this.chatter.chattering();
  }

  /**
   * The ISA-18.2 measures of a period, from the audit log (kpis.ts defines each). The log is read from a
   * flood window before `from`, so a flood running at `from` is seen as one.
   */
  kpis(from: number, to: number): AlarmKpis {
    const transitions = this.store.history({ from: from - DEFAULT_FLOOD_RULE.windowMs, to });
    const { cycles, windowSeconds } = this.options.settings.chatter;
    return computeAlarmKpis({
      transitions,
      snapshots: this.store.loadAll(),
      from,
      to,
      siteOf: (alarmId) => this.lifecycle.get(alarmId)?.site ?? this.options.site,
      sites: [this.options.site],
      chatter: { cycles, windowMs: windowSeconds * 1000 },
    });
  }

  health(): AlarmServiceHealth {
    return { storeError: this.storeError, listenerErrors: this.listenerErrors, unmatchedEvents: this.lifecycle.unmatched() };
  }

  stop(): void {
    this.chatter.stop();
    this.lifecycle.stop();
    this.unsubscribeStore?.();
    this.store.close();
  }

  private require(alarmId: string): AlarmSnapshot {
    const snapshot = this.lifecycle.get(alarmId);
    if (snapshot === undefined) throw new Error(`alarm ${alarmId} vanished`);
    return snapshot;
  }

  private onListenerError(err: unknown): void {
    this.listenerErrors++;
    if (isStoreFailure(err)) this.storeError = err instanceof Error ? err.message : String(err);
    this.logger.error({ err }, 'alarm transition listener failed');
  }
}

/** better-sqlite3 throws SqliteError (disk full, I/O error, locked database). */
function isStoreFailure(err: unknown): boolean {
  return err instanceof Error && err.name === 'SqliteError';
}

export type { TransitionRecord };
