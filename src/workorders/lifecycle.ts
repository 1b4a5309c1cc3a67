import type { WorkOrderAction, WorkOrderStatus } from './types.js';

/**
 * The work-order lifecycle: open → assigned → in progress → (on hold) → completed → closed, cancelled
 * before work starts. The table is the whole rule; anything not in it is refused with the reason.
 *
 * - assign: open or assigned (a reassignment) → assigned; needs an assignee or a contractor.
 * - start: assigned → in-progress (the technician begins; an open order must be assigned first).
 * - hold / resume: in-progress ⇄ on-hold (waiting for parts, access, a contractor); hold needs a reason.
 * - complete: in-progress → completed; needs resolution notes.
 * - close: completed → closed (the office verified the work).
 * - reopen: completed → in-progress (the fix did not hold; rework before closing).
 * - cancel: open or assigned → cancelled (before work starts); needs a reason.
 */
const NEXT: Readonly<Record<WorkOrderAction, Partial<Record<WorkOrderStatus, WorkOrderStatus>>>> = {
  assign: { open: 'assigned', assigned: 'assigned' },
  start: { assigned: 'in-progress' },
  hold: { 'in-progress': 'on-hold' },
  resume: { 'on-hold': 'in-progress' },
  complete: { 'in-progress': 'completed' },
  close: { completed: 'closed' },
  reopen: { completed: 'in-progress' },
  cancel: { open: 'cancelled', assigned: 'cancelled' },
};

const WHY_NOT: Partial<Record<WorkOrderAction, string>> = {
  start: 'an order is started once it is assigned',
  cancel: 'an order can be cancelled only before work starts (open or assigned)',
  complete: 'only an order in progress can be completed',
  close: 'only a completed order can be closed',
  reopen: 'only a completed order can be reopened',
  hold: 'only an order in progress can be put on hold',
  resume: 'only an order on hold can be resumed',
  assign: 'an order is assigned while it is open or assigned',
};

export const WORK_ORDER_ACTIONS = Object.keys(NEXT) as WorkOrderAction[];

export type TransitionCheck = { ok: true; to: WorkOrderStatus } | { ok: false; reason: string };

/** Where `action` takes an order in `from`, or why it cannot. */
export function nextStatus(from: WorkOrderStatus, action: WorkOrderAction): TransitionCheck {
  const to = NEXT[action][from];
  if (to !== undefined) return { ok: true, to };
  return { ok: false, reason: `cannot ${action} an order that is ${from}: ${WHY_NOT[action] ?? 'not allowed'}` };
}

/** The actions allowed from a status, for the API and the UI. */
export function allowedActions(from: WorkOrderStatus): WorkOrderAction[] {
  return WORK_ORDER_ACTIONS.filter((a) => NEXT[a][from] !== undefined);
}
