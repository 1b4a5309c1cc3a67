import type Database from 'better-sqlite3';
import type { AlarmPriority } from '../profiles/types.js';
import type { NewWorkOrder, WorkOrder, WorkOrderEvent, WorkOrderFilter, WorkOrderStatus, WorkOrderType, WorkOrderSourceKind } from './types.js';

interface OrderRow {
  id: number;
  site: string;
  asset: string;
  location: string | null;
  type: string;
  priority: string;
  title: string;
  description: string | null;
  cause: string | null;
  fault_key: string | null;
  source_kind: string;
  source_ref: string | null;
  status: string;
  assignee: string | null;
  contractor: string | null;
  due_at: number | null;
  arrived_at: number | null;
  created_at: number;
  updated_at: number;
  started_at: number | null;
  completed_at: number | null;
  closed_at: number | null;
  resolution: string | null;
  external_ref: string | null;
  occurrences: number;
  version: number;
}

interface EventRow {
  seq: number;
  order_id: number;
  kind: string;
  from_status: string | null;
  to_status: string | null;
  by: string;
  comment: string | null;
  ts: number;
  data: string | null;
}

/** The columns an update may set (camelCase → column). */
const COLUMNS = {
  status: 'status',
  assignee: 'assignee',
  contractor: 'contractor',
  dueAt: 'due_at',
  arrivedAt: 'arrived_at',
  startedAt: 'started_at',
  completedAt: 'completed_at',
  closedAt: 'closed_at',
  resolution: 'resolution',
  externalRef: 'external_ref',
  occurrences: 'occurrences',
  updatedAt: 'updated_at',
} as const;

export type WorkOrderChanges = Partial<Pick<WorkOrder, keyof typeof COLUMNS>>;

/**
 * Work orders on the gateway's SQLite database (WAL, synchronous FULL, set by whoever opened it). Plain
 * reads and writes; the rules (lifecycle, deduplication) are the service's. Every write that changes an
 * order also appends its event, in the caller's transaction.
 */
export class WorkOrderStore {
  constructor(private readonly db: Database.Database) {}

  /** Runs `fn` in one IMMEDIATE transaction: a read-then-write cannot interleave with another writer. */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  insert(order: NewWorkOrder, status: WorkOrderStatus, now: number): number {
    const info = this.db
      .prepare(
        `INSERT INTO work_order (site, asset, location, type, priority, title, description, cause, fault_key, source_kind, source_ref,
           status, assignee, contractor, due_at, created_at, updated_at, external_ref)
         VALUES (@site, @asset, @location, @type, @priority, @title, @description, @cause, @faultKey, @sourceKind, @sourceRef,
           @status, @assignee, @contractor, @dueAt, @now, @now, @externalRef)`,
      )
      .run({
        site: order.site,
        asset: order.asset,
        location: order.location ?? null,
        type: order.type,
        priority: order.priority,
        title: order.title,
        description: order.description ?? null,
        cause: order.cause ?? null,
        faultKey: order.faultKey ?? null,
        sourceKind: order.source.kind,
        sourceRef: order.source.ref ?? null,
        status,
        assignee: order.assignee ?? null,
        contractor: order.contractor ?? null,
        dueAt: order.dueAt ?? null,
        now,
        externalRef: order.externalRef ?? null,
      });
    return Number(info.lastInsertRowid);
  }

  /** Applies `changes` if the order is still at `version`; false when someone changed it in between. */
  update(id: number, version: number, changes: WorkOrderChanges): boolean {
    const sets = ['version = version + 1'];
    const params: Record<string, unknown> = { id, version };
    for (const [key, value] of Object.entries(changes)) {
      const column = COLUMNS[key as keyof typeof COLUMNS];
      sets.push(`${column} = @${key}`);
      params[key] = value ?? null;
    }
    return this.db.prepare(`UPDATE work_order SET ${sets.join(', ')} WHERE id = @id AND version = @version`).run(params).changes === 1;
  }

  appendEvent(e: Omit<WorkOrderEvent, 'seq'>): number {
    const info = this.db
      .prepare('INSERT INTO work_order_event (order_id, kind, from_status, to_status, by, comment, ts, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
      .run(e.orderId, e.kind, e.from ?? null, e.to ?? null, e.by, e.comment ?? null, e.ts, e.data === undefined ? null : JSON.stringify(e.data));
    return Number(info.lastInsertRowid);
  }

  /** Whether the order already recorded an occurrence (or its creation) for this source reference. */
  hasOccurrence(orderId: number, ref: string): boolean {
    return (
      this.db
        .prepare("SELECT 1 FROM work_order_event WHERE order_id = ? AND kind IN ('created', 'occurrence') AND json_extract(data, '$.ref') = ?")
        .get(orderId, ref) !== undefined
    );
  }

  get(id: number): WorkOrder | undefined {
    const row = this.db.prepare('SELECT * FROM work_order WHERE id = ?').get(id) as OrderRow | undefined;
    return row === undefined ? undefined : toOrder(row);
  }

  /** The unfinished order of an asset's fault kind, if there is one (at most one: a unique index says so). */
  unfinishedFor(asset: string, faultKey: string): WorkOrder | undefined {
    const row = this.db
      .prepare("SELECT * FROM work_order WHERE asset = ? AND fault_key = ? AND status IN ('open', 'assigned', 'in-progress', 'on-hold')")
      .get(asset, faultKey) as OrderRow | undefined;
    return row === undefined ? undefined : toOrder(row);
  }

  list(filter: WorkOrderFilter = {}): WorkOrder[] {
    const where: string[] = [];
    const params: Record<string, unknown> = {};
    if (filter.site !== undefined) {
      where.push('site = @site');
      params.site = filter.site;
    }
    if (filter.asset !== undefined) {
      where.push('asset = @asset');
      params.asset = filter.asset;
    }
    if (filter.type !== undefined) {
      where.push('type = @type');
      params.type = filter.type;
    }
    if (filter.dueBefore !== undefined) {
      where.push('due_at IS NOT NULL AND due_at <= @dueBefore');
      params.dueBefore = filter.dueBefore;
    }
    if (filter.status !== undefined && filter.status.length > 0) {
      where.push(`status IN (${filter.status.map((_, i) => `@s${i}`).join(', ')})`);
      filter.status.forEach((s, i) => (params[`s${i}`] = s));
    }
    params.limit = filter.limit ?? -1;
    const sql = `SELECT * FROM work_order ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT @limit`;
    return (this.db.prepare(sql).all(params) as OrderRow[]).map(toOrder);
  }

  events(orderId: number): WorkOrderEvent[] {
    return (this.db.prepare('SELECT * FROM work_order_event WHERE order_id = ? ORDER BY seq').all(orderId) as EventRow[]).map(toEvent);
  }

  /** Events of every order within [from, to], oldest first (reports and KPIs). */
  eventsBetween(from: number, to: number): WorkOrderEvent[] {
    return (this.db.prepare('SELECT * FROM work_order_event WHERE ts >= ? AND ts <= ? ORDER BY ts, seq').all(from, to) as EventRow[]).map(toEvent);
  }
}

export function orderNumber(id: number): string {
  return `WO-${String(id).padStart(6, '0')}`;
}

function toOrder(r: OrderRow): WorkOrder {
  const o: WorkOrder = {
    id: r.id,
    number: orderNumber(r.id),
    site: r.site,
    asset: r.asset,
    type: r.type as WorkOrderType,
    priority: r.priority as AlarmPriority,
    title: r.title,
    source: { kind: r.source_kind as WorkOrderSourceKind, ...(r.source_ref !== null ? { ref: r.source_ref } : {}) },
    status: r.status as WorkOrderStatus,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    occurrences: r.occurrences,
    version: r.version,
  };
  const optional: Array<[keyof WorkOrder, string | number | null]> = [
    ['location', r.location],
    ['description', r.description],
    ['cause', r.cause],
    ['faultKey', r.fault_key],
    ['assignee', r.assignee],
    ['contractor', r.contractor],
    ['dueAt', r.due_at],
    ['arrivedAt', r.arrived_at],
    ['startedAt', r.started_at],
    ['completedAt', r.completed_at],
    ['closedAt', r.closed_at],
    ['resolution', r.resolution],
    ['externalRef', r.external_ref],
  ];
  for (const [key, value] of optional) if (value !== null) (o as unknown as Record<string, unknown>)[key] = value;
  return o;
}

function toEvent(r: EventRow): WorkOrderEvent {
  const e: WorkOrderEvent = { seq: r.seq, orderId: r.order_id, kind: r.kind as WorkOrderEvent['kind'], by: r.by, ts: r.ts };
  if (r.from_status !== null) e.from = r.from_status as WorkOrderStatus;
  if (r.to_status !== null) e.to = r.to_status as WorkOrderStatus;
  if (r.comment !== null) e.comment = r.comment;
  if (r.data !== null) e.data = JSON.parse(r.data) as Record<string, unknown>;
  return e;
}
