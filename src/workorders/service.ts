import type { Clock } from '../time/clock.js';
import { nextStatus } from './lifecycle.js';
import type { WorkOrderChanges, WorkOrderStore } from './store.js';
import type { NewWorkOrder, WorkOrder, WorkOrderAction, WorkOrderEvent, WorkOrderFilter } from './types.js';

export type WorkOrderErrorCode = 'unknown-order' | 'illegal-transition' | 'missing-field' | 'version-conflict';

/** A refused request; the order is unchanged. `code` is for programs (the API maps it to a status). */
export class WorkOrderError extends Error {
  override readonly name = 'WorkOrderError';
  constructor(
    readonly code: WorkOrderErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface ActionInput {
  by: string;
  comment?: string | undefined;
  assignee?: string | undefined;
  contractor?: string | undefined;
  /** Resolution notes; required to complete. */
  resolution?: string | undefined;
  /** Refuse the action if the order changed since the caller read it. */
  expectedVersion?: number | undefined;
}

export interface Occurrence {
  /** The alarm (or rule) whose episode this is. */
  ref?: string | undefined;
  /** When the fault occurred, ms since epoch. */
  ts: number;
  detail?: Record<string, unknown> | undefined;
}

/** What changed: listeners get the order after the change and the event that recorded it. */
export type WorkOrderListener = (order: WorkOrder, event: WorkOrderEvent) => void;

/**
 * The work-order service: the lifecycle table, deduplication (one unfinished order per asset and fault
 * kind; a recurrence is appended to it), and an event for every change, each committed in one
 * transaction before any listener hears of it.
 */
export class WorkOrderService {
  private readonly listeners = new Set<WorkOrderListener>();

  constructor(
    private readonly store: WorkOrderStore,
    private readonly clock: Clock,
    private readonly onListenerError: (err: unknown) => void = () => undefined,
  ) {}

  subscribe(listener: WorkOrderListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Opens an order (assigned at once when it names an assignee or a contractor). */
  create(spec: NewWorkOrder, by: string): WorkOrder {
    const [order, event] = this.store.transaction(() => this.insert(spec, by, undefined));
    this.emit(order, event);
    return order;
  }

  /**
   * Deduplicating open: with a `faultKey`, an unfinished order of the same asset and fault kind takes the
   * occurrence instead of a new order being opened. `created` tells which happened. An occurrence whose
   * `ref` the order has recorded already (the same alarm episode, seen again after a restart) changes
   * nothing and tells no listener.
   */
  openOrAppend(spec: NewWorkOrder & { faultKey: string }, by: string, occurrence: Occurrence): { order: WorkOrder; created: boolean } {
    const [order, event, created] = this.store.transaction((): [WorkOrder, WorkOrderEvent | undefined, boolean] => {
      const existing = this.store.unfinishedFor(spec.asset, spec.faultKey);
      if (existing === undefined) return [...this.insert(spec, by, occurrence), true];
      if (occurrence.ref !== undefined && this.store.hasOccurrence(existing.id, occurrence.ref)) return [existing, undefined, false];
      const now = this.clock.now();
      this.store.update(existing.id, existing.version, { occurrences: existing.occurrences + 1, updatedAt: now });
      const e = this.record({ orderId: existing.id, kind: 'occurrence', by, ts: occurrence.ts, data: occurrenceData(occurrence) });
      return [this.require(existing.id), e, false];
    });
    if (event !== undefined) this.emit(order, event);
    return { order, created };
  }

  /** Moves an order through its lifecycle; refuses illegal transitions and missing fields with the reason. */
  act(id: number, action: WorkOrderAction, input: ActionInput): WorkOrder {
    const [order, event] = this.store.transaction((): [WorkOrder, WorkOrderEvent] => {
      const current = this.require(id);
      if (input.expectedVersion !== undefined && input.expectedVersion !== current.version) {
        throw new WorkOrderError('version-conflict', `${current.number} changed since version ${input.expectedVersion} (now ${current.version}); reload it`);
      }
      const check = nextStatus(current.status, action);
      if (!check.ok) throw new WorkOrderError('illegal-transition', `${current.number}: ${check.reason}`);
      const now = this.clock.now();
      const changes: WorkOrderChanges = { status: check.to, updatedAt: now, ...this.fieldsFor(current, action, input, now) };
      if (!this.store.update(id, current.version, changes)) throw new WorkOrderError('version-conflict', `${current.number} changed while being updated; retry`);
      const data: Record<string, unknown> = {};
      if (input.assignee !== undefined) data.assignee = input.assignee;
      if (input.contractor !== undefined) data.contractor = input.contractor;
      if (input.resolution !== undefined) data.resolution = input.resolution;
      const e = this.record({
        orderId: id,
        kind: action,
        from: current.status,
        to: check.to,
        by: input.by,
        ts: now,
        ...(input.comment !== undefined ? { comment: input.comment } : {}),
        ...(Object.keys(data).length > 0 ? { data } : {}),
      });
      return [this.require(id), e];
    });
    this.emit(order, event);
    return order;
  }

  /** The technician is on site (the SLA's response time stops); once per order. */
  recordArrival(id: number, by: string, at?: number): WorkOrder {
    return this.note(id, 'arrival', by, undefined, (current) => {
      if (current.arrivedAt !== undefined) throw new WorkOrderError('illegal-transition', `${current.number}: arrival was recorded already`);
      if (current.status === 'cancelled' || current.status === 'closed') throw new WorkOrderError('illegal-transition', `${current.number} is ${current.status}`);
      return { arrivedAt: at ?? this.clock.now() };
    });
  }

  comment(id: number, by: string, text: string): WorkOrder {
    if (text.trim() === '') throw new WorkOrderError('missing-field', 'a comment needs some text');
    return this.note(id, 'comment', by, text, () => ({}));
  }

  get(id: number): WorkOrder | undefined {
    return this.store.get(id);
  }

  list(filter: WorkOrderFilter = {}): WorkOrder[] {
    return this.store.list(filter);
  }

  events(id: number): WorkOrderEvent[] {
    return this.store.events(id);
  }

  private note(id: number, kind: 'arrival' | 'comment', by: string, comment: string | undefined, changes: (current: WorkOrder) => WorkOrderChanges): WorkOrder {
    const [order, event] = this.store.transaction((): [WorkOrder, WorkOrderEvent] => {
      const current = this.require(id);
      const now = this.clock.now();
      const c = changes(current);
      this.store.update(id, current.version, { ...c, updatedAt: now });
      const e = this.record({ orderId: id, kind, by, ts: now, ...(comment !== undefined ? { comment } : {}) });
      return [this.require(id), e];
    });
    this.emit(order, event);
    return order;
  }

  private insert(spec: NewWorkOrder, by: string, occurrence: Occurrence | undefined): [WorkOrder, WorkOrderEvent] {
    if (spec.title.trim() === '') throw new WorkOrderError('missing-field', 'a work order needs a title');
    const now = this.clock.now();
    const assigned = spec.assignee !== undefined || spec.contractor !== undefined;
    const id = this.store.insert(spec, assigned ? 'assigned' : 'open', now);
    const e = this.record({
      orderId: id,
      kind: 'created',
      to: assigned ? 'assigned' : 'open',
      by,
      ts: now,
      ...(occurrence !== undefined ? { data: occurrenceData(occurrence) } : {}),
    });
    return [this.require(id), e];
  }

  private fieldsFor(current: WorkOrder, action: WorkOrderAction, input: ActionInput, now: number): WorkOrderChanges {
    switch (action) {
      case 'assign':
        if (input.assignee === undefined && input.contractor === undefined) {
          throw new WorkOrderError('missing-field', `${current.number}: assign needs an assignee or a contractor`);
        }
        return { assignee: input.assignee ?? current.assignee, contractor: input.contractor ?? current.contractor };
      case 'start':
        return current.startedAt === undefined ? { startedAt: now } : {};
      case 'complete':
        if (input.resolution === undefined || input.resolution.trim() === '') {
          throw new WorkOrderError('missing-field', `${current.number}: complete needs resolution notes (what was found and done)`);
        }
        return { completedAt: now, resolution: input.resolution };
      case 'close':
        return { closedAt: now };
      case 'reopen':
        return { completedAt: undefined };
      case 'hold':
      case 'cancel':
        if (input.comment === undefined || input.comment.trim() === '') {
          throw new WorkOrderError('missing-field', `${current.number}: ${action} needs a reason (comment)`);
        }
        return {};
      case 'resume':
        return {};
    }
  }

  private record(e: Omit<WorkOrderEvent, 'seq'>): WorkOrderEvent {
    return { ...e, seq: this.store.appendEvent(e) };
  }

  private require(id: number): WorkOrder {
    const order = this.store.get(id);
    if (order === undefined) throw new WorkOrderError('unknown-order', `no work order ${id}`);
    return order;
  }

  private emit(order: WorkOrder, event: WorkOrderEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(order, event);
      } catch (err) {
        this.onListenerError(err);
      }
    }
  }
}

function occurrenceData(o: Occurrence): Record<string, unknown> {
  return { ...(o.ref !== undefined ? { ref: o.ref } : {}), ...(o.detail ?? {}) };
}
