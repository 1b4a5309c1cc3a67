import type { Clock } from '../../time/clock.js';
import { WorkOrderError } from '../service.js';
import type { WorkOrderStore } from '../store.js';
import type { WorkOrder, WorkOrderEvent } from '../types.js';

/**
 * Records the order's id in a CMMS (`externalRef`) with an `update` event in its history, in one
 * transaction. Setting the reference it already has changes nothing and records nothing.
 *
 * This belongs on WorkOrderService as `setExternalRef(id, externalRef, by)` (so that its listeners hear of
 * it); until it is there, it works on the store directly, and the caller gets the event to pass on. The
 * outbound webhooks are not told: the only writer is the CMMS that owns the reference.
 */
export function setExternalRef(
  store: WorkOrderStore,
  clock: Clock,
  id: number,
  externalRef: string,
  by: string,
): { order: WorkOrder; event: WorkOrderEvent | undefined } {
  const ref = externalRef.trim();
  if (ref === '') throw new WorkOrderError('missing-field', 'an external reference needs some text');
  return store.transaction(() => {
    const current = store.get(id);
    if (current === undefined) throw new WorkOrderError('unknown-order', `no work order ${id}`);
    if (current.externalRef === ref) return { order: current, event: undefined };
    const now = clock.now();
    if (!store.update(id, current.version, { externalRef: ref, updatedAt: now })) {
      throw new WorkOrderError('version-conflict', `${current.number} changed while being updated; retry`);
    }
    const data: Record<string, unknown> = { externalRef: ref };
    if (current.externalRef !== undefined) data.previous = current.externalRef;
    const e: Omit<WorkOrderEvent, 'seq'> = { orderId: id, kind: 'update', by, ts: now, data };
    const event: WorkOrderEvent = { ...e, seq: store.appendEvent(e) };
    const order = store.get(id);
    if (order === undefined) throw new WorkOrderError('unknown-order', `no work order ${id}`);
    return { order, event };
  });
}
