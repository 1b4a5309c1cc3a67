import type Database from 'better-sqlite3';

export interface PlanRow {
  scheduleId: string;
  asset: string;
  lastDueAt?: number | undefined;
  completedAt?: number | undefined;
  baseline?: number | undefined;
  openOrder?: number | undefined;
}

export type CounterMode = 'value' | 'rising-edges';

export interface CounterRow {
  point: string;
  mode: CounterMode;
  total: number;
  lastRaw?: number | undefined;
  lastChangeTs?: number | undefined;
  resets: number;
}

/** One order a schedule opened, with what compliance is measured against. */
export interface PlannedOrderRecord {
  orderId: number;
  scheduleId: string;
  asset: string;
  trigger: 'calendar' | 'meter';
  /** When the period fell due (meter: when the counter reached its due reading). */
  dueAt: number;
  /** Calendar: the period's nominal interval; "on time" = completed by dueAt + 10% of it. */
  intervalMs?: number | undefined;
  meterPoint?: string | undefined;
  meterEvery?: number | undefined;
  meterDue?: number | undefined;
  openedAt: number;
  /** How long after the period fell due the order was opened (the gateway was not running). */
  lateMs: number;
}

export interface EvidenceRow {
  scheduleId: string;
  asset: string;
  runStart: number;
  durationMs: number;
  peak?: number | undefined;
  orderId?: number | undefined;
}

interface PlanDb {
  schedule_id: string;
  asset: string;
  last_due_at: number | null;
  completed_at: number | null;
  baseline: number | null;
  open_order: number | null;
}

interface CounterDb {
  point: string;
  mode: string;
  total: number;
  last_raw: number | null;
  last_change_ts: number | null;
  resets: number;
}

interface OrderDb {
  order_id: number;
  schedule_id: string;
  asset: string;
  trigger: string;
  due_at: number;
  interval_ms: number | null;
  meter_point: string | null;
  meter_every: number | null;
  meter_due: number | null;
  opened_at: number;
  late_ms: number;
}

const opt = <T>(v: T | null): T | undefined => (v === null ? undefined : v);

/** Planned-maintenance state on the gateway's SQLite database (tables of MAINTENANCE_MIGRATIONS). */
export class MaintenanceStore {
  private readonly upsertPlan: Database.Statement;
  private readonly upsertCounter: Database.Statement;

  constructor(private readonly db: Database.Database) {
    this.upsertPlan = db.prepare(
      `INSERT INTO maintenance_plan (schedule_id, asset, last_due_at, completed_at, baseline, open_order, updated_at)
       VALUES (@scheduleId, @asset, @lastDueAt, @completedAt, @baseline, @openOrder, @now)
       ON CONFLICT (schedule_id, asset) DO UPDATE SET last_due_at = excluded.last_due_at, completed_at = excluded.completed_at,
         baseline = excluded.baseline, open_order = excluded.open_order, updated_at = excluded.updated_at`,
    );
    this.upsertCounter = db.prepare(
      `INSERT INTO maintenance_counter (point, mode, total, last_raw, last_change_ts, resets, updated_at)
       VALUES (@point, @mode, @total, @lastRaw, @lastChangeTs, @resets, @now)
       ON CONFLICT (point, mode) DO UPDATE SET total = excluded.total, last_raw = excluded.last_raw,
         last_change_ts = excluded.last_change_ts, resets = excluded.resets, updated_at = excluded.updated_at`,
    );
  }

  /** Runs `fn` in one IMMEDIATE transaction (nested calls become savepoints). */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  plans(): PlanRow[] {
    return (this.db.prepare('SELECT * FROM maintenance_plan').all() as PlanDb[]).map((r) => ({
      scheduleId: r.schedule_id,
      asset: r.asset,
      lastDueAt: opt(r.last_due_at),
      completedAt: opt(r.completed_at),
      baseline: opt(r.baseline),
      openOrder: opt(r.open_order),
    }));
  }

  savePlan(p: PlanRow, now: number): void {
    this.upsertPlan.run({
      scheduleId: p.scheduleId,
      asset: p.asset,
      lastDueAt: p.lastDueAt ?? null,
      completedAt: p.completedAt ?? null,
      baseline: p.baseline ?? null,
      openOrder: p.openOrder ?? null,
      now,
    });
  }

  counters(): CounterRow[] {
    return (this.db.prepare('SELECT * FROM maintenance_counter').all() as CounterDb[]).map((r) => ({
      point: r.point,
      mode: r.mode as CounterMode,
      total: r.total,
      lastRaw: opt(r.last_raw),
      lastChangeTs: opt(r.last_change_ts),
      resets: r.resets,
    }));
  }

  saveCounter(c: CounterRow, now: number): void {
    this.upsertCounter.run({ point: c.point, mode: c.mode, total: c.total, lastRaw: c.lastRaw ?? null, lastChangeTs: c.lastChangeTs ?? null, resets: c.resets, now });
  }

  /** The order opened for a schedule, asset and period, if there is one. */
  orderForPeriod(scheduleId: string, asset: string, dueAt: number): number | undefined {
    const row = this.db.prepare('SELECT order_id FROM maintenance_order WHERE schedule_id = ? AND asset = ? AND due_at = ?').get(scheduleId, asset, dueAt) as { order_id: number } | undefined;
    return row?.order_id;
  }

  setEvidenceOrder(scheduleId: string, asset: string, runStart: number, orderId: number): void {
    this.db.prepare('UPDATE maintenance_evidence SET order_id = ? WHERE schedule_id = ? AND asset = ? AND run_start = ?').run(orderId, scheduleId, asset, runStart);
  }

  recordOrder(r: PlannedOrderRecord): void {
    this.db
      .prepare(
        `INSERT INTO maintenance_order (order_id, schedule_id, asset, trigger, due_at, interval_ms, meter_point, meter_every, meter_due, opened_at, late_ms)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(r.orderId, r.scheduleId, r.asset, r.trigger, r.dueAt, r.intervalMs ?? null, r.meterPoint ?? null, r.meterEvery ?? null, r.meterDue ?? null, r.openedAt, r.lateMs);
  }

  plannedOrder(orderId: number): PlannedOrderRecord | undefined {
    const row = this.db.prepare('SELECT * FROM maintenance_order WHERE order_id = ?').get(orderId) as OrderDb | undefined;
    return row === undefined ? undefined : toRecord(row);
  }

  /** Orders of a schedule and asset, newest period first. */
  ordersOf(scheduleId: string, asset: string, limit = 10): PlannedOrderRecord[] {
    return (this.db.prepare('SELECT * FROM maintenance_order WHERE schedule_id = ? AND asset = ? ORDER BY due_at DESC LIMIT ?').all(scheduleId, asset, limit) as OrderDb[]).map(toRecord);
  }

  /** Orders whose period fell due within [from, to], oldest first: the input of PM-compliance KPIs. */
  plannedOrders(from: number, to: number): PlannedOrderRecord[] {
    return (this.db.prepare('SELECT * FROM maintenance_order WHERE due_at >= ? AND due_at <= ? ORDER BY due_at, order_id').all(from, to) as OrderDb[]).map(toRecord);
  }

  /** Records a run; false when it was recorded already (the same run seen twice). */
  recordEvidence(e: EvidenceRow, now: number): boolean {
    const info = this.db
      .prepare(
        `INSERT INTO maintenance_evidence (schedule_id, asset, run_start, duration_ms, peak, order_id, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT DO NOTHING`,
      )
      .run(e.scheduleId, e.asset, e.runStart, e.durationMs, e.peak ?? null, e.orderId ?? null, now);
    return info.changes === 1;
  }

  evidence(scheduleId: string, asset: string): EvidenceRow[] {
    const rows = this.db.prepare('SELECT * FROM maintenance_evidence WHERE schedule_id = ? AND asset = ? ORDER BY run_start').all(scheduleId, asset) as Array<{
      schedule_id: string;
      asset: string;
      run_start: number;
      duration_ms: number;
      peak: number | null;
      order_id: number | null;
    }>;
    return rows.map((r) => ({ scheduleId: r.schedule_id, asset: r.asset, runStart: r.run_start, durationMs: r.duration_ms, peak: opt(r.peak), orderId: opt(r.order_id) }));
  }
}

function toRecord(r: OrderDb): PlannedOrderRecord {
  return {
    orderId: r.order_id,
    scheduleId: r.schedule_id,
    asset: r.asset,
    trigger: r.trigger as 'calendar' | 'meter',
    dueAt: r.due_at,
    intervalMs: opt(r.interval_ms),
    meterPoint: opt(r.meter_point),
    meterEvery: opt(r.meter_every),
    meterDue: opt(r.meter_due),
    openedAt: r.opened_at,
    lateMs: r.late_ms,
  };
}

/** Planned-maintenance compliance of one order: completed within 10% of its interval after it fell due. */
export function completedOnTime(record: PlannedOrderRecord, completedAt: number | undefined): boolean | undefined {
  if (completedAt === undefined) return undefined;
  if (record.intervalMs === undefined) return undefined;
  return completedAt <= record.dueAt + record.intervalMs * 0.1;
}
