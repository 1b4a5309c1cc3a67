import type { AlarmPriority } from '../profiles/types.js';

/**
 * Work orders, as the property-management office works them (DOMAIN.md "Work orders"): the common core of
 * MaintainX, Maximo and Atlas. An order is about one asset; it comes from an alarm, a rule, a schedule or a
 * person, and every change of it is an event with who and when.
 */

export type WorkOrderStatus = 'open' | 'assigned' | 'in-progress' | 'on-hold' | 'completed' | 'closed' | 'cancelled';

export type WorkOrderType = 'corrective' | 'preventive' | 'inspection';

/** Where an order came from: an alarm episode, a maintenance rule, a planned-maintenance schedule, a person. */
export type WorkOrderSourceKind = 'alarm' | 'rule' | 'schedule' | 'manual' | 'cmms';

/** The actions that move an order through its lifecycle (lifecycle.ts has the table). */
export type WorkOrderAction = 'assign' | 'start' | 'hold' | 'resume' | 'complete' | 'close' | 'reopen' | 'cancel';

/** Everything recorded about an order besides status changes. */
export type WorkOrderNote = 'created' | 'occurrence' | 'comment' | 'arrival' | 'update';

export interface WorkOrder {
  id: number;
  /** Human-facing number, e.g. `WO-000042`. */
  number: string;
  site: string;
  /** The device (asset) id. */
  asset: string;
  location?: string;
  type: WorkOrderType;
  priority: AlarmPriority;
  title: string;
  description?: string;
  /** What went wrong (fault kind, rule message), for repeat-fault analysis. */
  cause?: string;
  /**
   * Deduplication key: one order that is not yet completed per asset and fault kind. A recurrence is
   * appended to it as an occurrence. Absent for orders that never deduplicate (manual ones).
   */
  faultKey?: string;
  source: { kind: WorkOrderSourceKind; ref?: string };
  status: WorkOrderStatus;
  assignee?: string;
  contractor?: string;
  /** When the work is due (from the template's SLA), ms since epoch. */
  dueAt?: number;
  /** When the technician arrived on site (SLA response), ms since epoch. */
  arrivedAt?: number;
  createdAt: number;
  updatedAt: number;
  startedAt?: number;
  completedAt?: number;
  closedAt?: number;
  resolution?: string;
  /** The order's id in a CMMS, when handed off. */
  externalRef?: string;
  /** Occurrences of the fault appended to this order, the first one included. */
  occurrences: number;
  /** Optimistic-concurrency version, +1 on every change. */
  version: number;
}

/** One row of an order's history: a status change, or a note (creation, occurrence, comment, arrival). */
export interface WorkOrderEvent {
  seq: number;
  orderId: number;
  kind: WorkOrderAction | WorkOrderNote;
  from?: WorkOrderStatus;
  to?: WorkOrderStatus;
  by: string;
  comment?: string;
  ts: number;
  /** Action data: assignee, alarm id of an occurrence, … */
  data?: Record<string, unknown>;
}

export interface NewWorkOrder {
  site: string;
  asset: string;
  location?: string | undefined;
  type: WorkOrderType;
  priority: AlarmPriority;
  title: string;
  description?: string | undefined;
  cause?: string | undefined;
  faultKey?: string | undefined;
  source: { kind: WorkOrderSourceKind; ref?: string | undefined };
  assignee?: string | undefined;
  contractor?: string | undefined;
  dueAt?: number | undefined;
  externalRef?: string | undefined;
}

export interface WorkOrderFilter {
  site?: string | undefined;
  asset?: string | undefined;
  status?: readonly WorkOrderStatus[] | undefined;
  type?: WorkOrderType | undefined;
  /** Due at or before this time. */
  dueBefore?: number | undefined;
  limit?: number | undefined;
}

/** Statuses in which an order still absorbs recurrences of its fault: the work is not done yet. */
export const UNFINISHED: readonly WorkOrderStatus[] = ['open', 'assigned', 'in-progress', 'on-hold'];
