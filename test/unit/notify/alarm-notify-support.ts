import Database from 'better-sqlite3';
import { AlarmNotifier, type AlarmNotifierOptions } from '../../../src/alarms/notify/alarm-notifier.js';
import { NOTIFY_MIGRATIONS } from '../../../src/alarms/notify/migrations.js';
import { NotifyStore } from '../../../src/alarms/notify/notify-store.js';
import type { AlarmInfo } from '../../../src/alarms/notify/types.js';
import { AlarmLifecycle } from '../../../src/alarms/lifecycle/manager.js';
import { restoreLifecycle, type AlarmStore } from '../../../src/alarms/lifecycle/sqlite-store.js';
import { MIGRATIONS, migrate } from '../../../src/alarms/lifecycle/migrations.js';
import type { TransitionRecord } from '../../../src/alarms/lifecycle/types.js';
import type { AlarmEvent } from '../../../src/alarms/events.js';
import { withDefaults } from '../../../src/config/alarm-management-schema.js';
import { NotificationsSchema, type NotificationsConfig } from '../../../src/config/notifications-schema.js';
import { silentLogger, type Logger } from '../../../src/log.js';
import { NotifyError, type Channel } from '../../../src/notify/channels/channel.js';
import type { ConfiguredChannel } from '../../../src/notify/channel-factory.js';
import type { Notification } from '../../../src/notify/message.js';
import type { VirtualClock } from '../../../src/time/clock.js';

/** A channel that records what it was given, when (virtual time), and can fail on demand. */
export class RecordingChannel implements Channel {
  readonly sent: Array<Notification & { at: number }> = [];
  failWith: ((n: Notification) => NotifyError | undefined) | undefined;
  /** true: every send hangs forever (a process killed while the push was in flight). */
  hang = false;
  constructor(
    readonly name: string,
    private readonly clock: VirtualClock,
  ) {}

  send(n: Notification): Promise<void> {
    if (this.hang) return new Promise<void>(() => undefined);
    const err = this.failWith?.(n);
    if (err) return Promise.reject(err);
    this.sent.push({ ...n, at: this.clock.now() });
    return Promise.resolve();
  }

  /** Pushes to one recipient (`person:<id>` or `channel:<id>`). */
  to(recipient: string): Array<Notification & { at: number }> {
    return this.sent.filter((n) => n.recipient === recipient);
  }
}

export function failing(name: string, status = 500): NotifyError {
  return new NotifyError(`${name}: HTTP ${status}`, name, status >= 500, status);
}

/** A database with the alarm store's and the notifier's tables (a file path survives close/reopen). */
export function openDb(path = ':memory:'): Database.Database {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  migrate(db, [...MIGRATIONS, ...NOTIFY_MIGRATIONS]);
  return db;
}

export function notificationsConfig(section: unknown): NotificationsConfig {
  return withDefaults(NotificationsSchema, section as NotificationsConfig);
}

export function alarm(id: string, over: Partial<AlarmInfo> = {}): AlarmInfo {
  const device = id.split(':')[0] ?? id;
  return {
    alarmId: id,
    site: 'hq',
    device,
    deviceType: 'pump',
    priority: 'high',
    message: `${id} fault`,
    lifeSafety: false,
    rationale: { cause: 'Motor overheated', consequence: 'Pump trips; no water upstairs', action: 'Check the fan and the load' },
    ...over,
  };
}

export interface Harness {
  clock: VirtualClock;
  db: Database.Database;
  store: NotifyStore;
  lifecycle: AlarmLifecycle;
  notifier: AlarmNotifier;
  records: TransitionRecord[];
  raise(id: string): void;
  clear(id: string): void;
}

/** A lifecycle feeding a notifier, as the gateway wires them (the alarm store left out: the notifier's own store is what is tested). */
export function harness(options: {
  clock: VirtualClock;
  /** The database of the notifier's store: `alarmStore.database` when an alarm store is given. */
  db: Database.Database;
  /** Persists and restores the lifecycle, as the gateway does. */
  alarmStore?: AlarmStore;
  config: NotificationsConfig;
  channels: readonly Channel[] | readonly ConfiguredChannel[];
  alarms: readonly AlarmInfo[];
  timeZone?: string;
  logger?: Logger;
  extra?: Partial<AlarmNotifierOptions>;
}): Harness {
  const { clock, db } = options;
  const infos = new Map(options.alarms.map((a) => [a.alarmId, a]));
  const lifecycle = new AlarmLifecycle({ clock, maxShelveMs: 8 * 3_600_000, onError: (err) => { throw err; } });
  for (const a of options.alarms) lifecycle.define(a.alarmId, { lifeSafety: a.lifeSafety });
  if (options.alarmStore) restoreLifecycle(lifecycle, options.alarmStore);
  const store = new NotifyStore(db);
  const channels = options.channels.map((c) => ('channel' in c ? c : { channel: c, setup: {} }));
  const notifier = new AlarmNotifier({
    clock,
    logger: options.logger ?? silentLogger(),
    config: options.config,
    timeZone: options.timeZone ?? 'UTC',
    store,
    channels,
    alarmInfo: (id) => infos.get(id),
    ackLinkFor: (alarmId, episodeKey, r) => `https://gw.example.org/ack/${encodeURIComponent(episodeKey)}?to=${r.id}`,
    alarmState: (id) => lifecycle.get(id)?.state,
    activeAlarms: () => lifecycle.list({ state: 'unack-active', annunciated: true }),
    ...options.extra,
  });
  notifier.start();
  const records: TransitionRecord[] = [];
  lifecycle.subscribe((r) => {
    records.push(r);
    notifier.handle(r);
  });
  const event = (type: 'raise' | 'clear', id: string): AlarmEvent => {
    const info = infos.get(id);
    if (!info) throw new Error(`test alarm ${id} not defined`);
    return { type, alarmId: id, site: info.site, device: info.device, rule: 'r', kind: 'state', priority: info.priority, message: info.message, conditionSince: clock.now(), ts: clock.now(), lifeSafety: info.lifeSafety };
  };
  return {
    clock,
    db,
    store,
    lifecycle,
    notifier,
    records,
    raise: (id) => lifecycle.onRaise(event('raise', id)),
    clear: (id) => lifecycle.onClear(event('clear', id)),
  };
}
