import type { Database, Statement } from 'better-sqlite3';
import type { Notification } from '../../notify/message.js';
import type { AlarmInfo, DeliveryStatus, OutboxEntry, PlannedDelivery, Recipient } from './types.js';

export type EscalationStatus = 'running' | 'acknowledged' | 'silenced' | 'exhausted' | 'resolved';

export interface StoredEscalation {
  policyId: string;
  /** 0-based level whose pushes went out last. */
  level: number;
  repeatsDone: number;
  status: EscalationStatus;
  /** When the next level fires (status running). */
  nextDueAt?: number;
}

export interface RouteDecision {
  policies: string[];
  channels: string[];
}

export interface StoredEpisode {
  key: string;
  alarmId: string;
  site: string;
  openedAt: number;
  cycle: number;
  ackedAt?: number;
  resolvedAt?: number;
  info: AlarmInfo;
  route: RouteDecision;
  escalations: StoredEscalation[];
}

interface OutboxRow {
  id: number;
  delivery_key: string;
  episode_key: string;
  alarm_id: string;
  site: string;
  group_key: string;
  channel: string;
  recipient_key: string;
  recipient_id: string;
  recipient_name: string;
  recipient_kind: string;
  address: string | null;
  life_safety: number;
  notification: string;
  status: string;
  attempts: number;
  last_error: string | null;
  created_at: number;
}

interface EpisodeRow {
  episode_key: string;
  alarm_id: string;
  site: string;
  opened_at: number;
  cycle: number;
  acked_at: number | null;
  resolved_at: number | null;
  info: string;
  route: string;
}

interface EscalationRow {
  episode_key: string;
  policy_id: string;
  level: number;
  repeats_done: number;
  status: string;
  next_due_at: number | null;
}

/** A recipient an episode has pushed to over one channel (the resolve message goes to each). */
export interface NotifiedRecipient {
  recipient: Recipient;
  channel: string;
  address?: string;
  /** The most advanced status of its pushes: sent beats pending beats folded beats failed. */
  status: DeliveryStatus;
}

/**
 * The notifier's durable state on the alarm store's database (run NOTIFY_MIGRATIONS first). Synchronous
 * like the alarm store: when a method returns, its write is committed (WAL, synchronous FULL as the alarm
 * store opens it).
 */
export class NotifyStore {
  private readonly insertOutbox: Statement;
  private readonly markStmt: Statement;
  private readonly attemptStmt: Statement;
  private readonly upsertEscalationStmt: Statement;
  private readonly hasEpisodeStmt: Statement;
  private readonly insertEpisodeStmt: Statement;
  private readonly inTransaction: (fn: () => unknown) => unknown;

  constructor(private readonly db: Database) {
    const table = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'notify_outbox'").get();
    if (table === undefined) throw new Error('notification tables missing: run migrate(db, [...MIGRATIONS, ...NOTIFY_MIGRATIONS]) first');
    this.insertOutbox = db.prepare(
      `INSERT OR IGNORE INTO notify_outbox (delivery_key, episode_key, alarm_id, site, group_key, channel, recipient_key, recipient_id, recipient_name,
         recipient_kind, address, kind, life_safety, notification, status, attempts, created_at, updated_at)
       VALUES (@deliveryKey, @episodeKey, @alarmId, @site, @groupKey, @channel, @recipientKey, @recipientId, @recipientName,
         @recipientKind, @address, @kind, @lifeSafety, @notification, 'pending', 0, @now, @now)`,
    );
    this.markStmt = db.prepare('UPDATE notify_outbox SET status = ?, attempts = MAX(attempts, ?), last_error = ?, updated_at = ? WHERE id = ?');
    this.attemptStmt = db.prepare('UPDATE notify_outbox SET attempts = MAX(attempts, ?), last_error = ?, updated_at = ? WHERE id = ?');
    this.hasEpisodeStmt = db.prepare('SELECT 1 FROM notify_episode WHERE episode_key = ?');
    this.insertEpisodeStmt = db.prepare('INSERT INTO notify_episode (episode_key, alarm_id, site, opened_at, cycle, info, route) VALUES (?, ?, ?, ?, ?, ?, ?)');
    this.inTransaction = db.transaction((fn: () => unknown) => fn());
    this.upsertEscalationStmt = db.prepare(
      `INSERT INTO notify_escalation (episode_key, policy_id, level, repeats_done, status, next_due_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (episode_key, policy_id) DO UPDATE SET level = excluded.level, repeats_done = excluded.repeats_done,
         status = excluded.status, next_due_at = excluded.next_due_at`,
    );
  }

  /** Runs `fn` in one transaction (one fsync for everything it writes); nested calls join the outer one. */
  transaction<T>(fn: () => T): T {
    return this.inTransaction(fn) as T;
  }

  hasEpisode(key: string): boolean {
    return this.hasEpisodeStmt.get(key) !== undefined;
  }

  insertEpisode(e: Omit<StoredEpisode, 'escalations'>): void {
    this.insertEpisodeStmt.run(e.key, e.alarmId, e.site, e.openedAt, e.cycle, JSON.stringify(e.info), JSON.stringify(e.route));
  }

  setCycle(key: string, cycle: number): void {
    this.db.prepare('UPDATE notify_episode SET cycle = ?, acked_at = NULL WHERE episode_key = ?').run(cycle, key);
  }

  setAcknowledged(key: string, at: number): void {
    this.db.prepare('UPDATE notify_episode SET acked_at = ? WHERE episode_key = ?').run(at, key);
  }

  setResolved(key: string, at: number): void {
    this.db.prepare('UPDATE notify_episode SET resolved_at = ? WHERE episode_key = ?').run(at, key);
    this.db.prepare("UPDATE notify_escalation SET status = 'resolved', next_due_at = NULL WHERE episode_key = ?").run(key);
  }

  saveEscalation(episodeKey: string, e: StoredEscalation): void {
    this.upsertEscalationStmt.run(episodeKey, e.policyId, e.level, e.repeatsDone, e.status, e.nextDueAt ?? null);
  }

  /** Episodes not resolved yet, with their escalations, oldest first. */
  openEpisodes(): StoredEpisode[] {
    const rows = this.db.prepare('SELECT * FROM notify_episode WHERE resolved_at IS NULL ORDER BY opened_at, episode_key').all() as EpisodeRow[];
    const escalations = this.db.prepare('SELECT * FROM notify_escalation WHERE episode_key = ? ORDER BY policy_id');
    return rows.map((r) => {
      const e: StoredEpisode = {
        key: r.episode_key,
        alarmId: r.alarm_id,
        site: r.site,
        openedAt: r.opened_at,
        cycle: r.cycle,
        info: JSON.parse(r.info) as AlarmInfo,
        route: JSON.parse(r.route) as RouteDecision,
        escalations: (escalations.all(r.episode_key) as EscalationRow[]).map((x) => {
          const s: StoredEscalation = { policyId: x.policy_id, level: x.level, repeatsDone: x.repeats_done, status: x.status as EscalationStatus };
          if (x.next_due_at !== null) s.nextDueAt = x.next_due_at;
          return s;
        }),
      };
      if (r.acked_at !== null) e.ackedAt = r.acked_at;
      return e;
    });
  }

  /** Records planned pushes as pending; returns those that were new (a known delivery key is skipped). */
  addDeliveries(planned: readonly PlannedDelivery[], now: number): OutboxEntry[] {
    const added: OutboxEntry[] = [];
    for (const p of planned) {
      const info = this.insertOutbox.run({
        deliveryKey: p.deliveryKey,
        episodeKey: p.episodeKey,
        alarmId: p.alarmId,
        site: p.site,
        groupKey: p.groupKey,
        channel: p.channel,
        recipientKey: p.recipient.key,
        recipientId: p.recipient.id,
        recipientName: p.recipient.name,
        recipientKind: p.recipient.kind,
        address: p.address ?? null,
        kind: p.notification.kind,
        lifeSafety: p.lifeSafety ? 1 : 0,
        notification: JSON.stringify(p.notification),
        now,
      });
      if (info.changes === 1) added.push({ ...p, id: Number(info.lastInsertRowid), status: 'pending', attempts: 0, createdAt: now });
    }
    return added;
  }

  /** Final outcome of a push. */
  mark(id: number, status: Exclude<DeliveryStatus, 'pending'>, attempts: number, error: string | undefined, now: number): void {
    this.markStmt.run(status, attempts, error ?? null, now, id);
  }

  /** A failed attempt that will be retried. */
  recordAttempt(id: number, attempts: number, error: string | undefined, now: number): void {
    this.attemptStmt.run(attempts, error ?? null, now, id);
  }

  /** Pushes recorded but not delivered yet (for example when the process died), oldest first. */
  pending(): OutboxEntry[] {
    return (this.db.prepare("SELECT * FROM notify_outbox WHERE status = 'pending' ORDER BY life_safety DESC, id").all() as OutboxRow[]).map(toEntry);
  }

  /** Every push of an episode, oldest first. */
  deliveriesOf(episodeKey: string): OutboxEntry[] {
    return (this.db.prepare('SELECT * FROM notify_outbox WHERE episode_key = ? ORDER BY id').all(episodeKey) as OutboxRow[]).map(toEntry);
  }

  /** Every recipient and channel an episode pushed to (resolve messages aside). */
  notified(episodeKey: string): NotifiedRecipient[] {
    const rank: Record<DeliveryStatus, number> = { sent: 3, pending: 2, folded: 1, failed: 0 };
    const out = new Map<string, NotifiedRecipient>();
    for (const e of this.deliveriesOf(episodeKey)) {
      if (e.notification.kind === 'resolve') continue;
      const k = `${e.recipient.key}|${e.channel}`;
      const seen = out.get(k);
      if (seen && rank[seen.status] >= rank[e.status]) continue;
      const n: NotifiedRecipient = { recipient: e.recipient, channel: e.channel, status: e.status };
      if (e.address !== undefined) n.address = e.address;
      out.set(k, n);
    }
    return [...out.values()];
  }

  /** Counts of pushes by status. */
  counts(): Record<DeliveryStatus, number> {
    const out: Record<DeliveryStatus, number> = { pending: 0, sent: 0, failed: 0, folded: 0 };
    for (const r of this.db.prepare('SELECT status, COUNT(*) AS n FROM notify_outbox GROUP BY status').all() as Array<{ status: DeliveryStatus; n: number }>) {
      out[r.status] = r.n;
    }
    return out;
  }

  /** Deletes resolved episodes (and their pushes) resolved before `before`; returns how many. */
  prune(before: number): number {
    return this.transaction(() => {
      const keys = (this.db.prepare('SELECT episode_key FROM notify_episode WHERE resolved_at IS NOT NULL AND resolved_at < ?').all(before) as Array<{ episode_key: string }>).map(
        (r) => r.episode_key,
      );
      const stmts = ['notify_outbox', 'notify_escalation', 'notify_episode'].map((t) => this.db.prepare(`DELETE FROM ${t} WHERE episode_key = ?`));
      for (const k of keys) for (const s of stmts) s.run(k);
      return keys.length;
    });
  }
}

function toEntry(r: OutboxRow): OutboxEntry {
  const e: OutboxEntry = {
    id: r.id,
    deliveryKey: r.delivery_key,
    episodeKey: r.episode_key,
    alarmId: r.alarm_id,
    site: r.site,
    groupKey: r.group_key,
    channel: r.channel,
    recipient: { key: r.recipient_key, id: r.recipient_id, name: r.recipient_name, kind: r.recipient_kind === 'channel' ? 'channel' : 'person' },
    lifeSafety: r.life_safety === 1,
    notification: JSON.parse(r.notification) as Notification,
    status: r.status as DeliveryStatus,
    attempts: r.attempts,
    createdAt: r.created_at,
  };
  if (r.address !== null) e.address = r.address;
  if (r.last_error !== null) e.lastError = r.last_error;
  return e;
}
