import type { CmmsOutboundConfig } from '../../config/cmms-schema.js';
import type { WorkOrder, WorkOrderEvent } from '../types.js';

/** The webhook body: what happened (the event) and the order as it stands after it. */
export interface WorkOrderWebhook {
  /** Same as the Idempotency-Key header: `<order number>:<event seq>`. */
  id: string;
  /** `work-order.<event kind>`, e.g. `work-order.complete`. */
  type: string;
  site: string;
  event: WorkOrderEvent;
  order: WorkOrder;
}

/**
 * Stable per event: the order number and the event's sequence number in the append-only history. Every
 * attempt, and a resend after a restart, carries the same key, so the CMMS can drop duplicates.
 */
export function idempotencyKey(order: WorkOrder, event: WorkOrderEvent): string {
  return `${order.number}:${event.seq}`;
}

export function webhookBody(order: WorkOrder, event: WorkOrderEvent): WorkOrderWebhook {
  return { id: idempotencyKey(order, event), type: `work-order.${event.kind}`, site: order.site, event, order };
}

/** Who the inbound CMMS records changes as; `echoInbound: false` keeps its own changes from being sent back. */
export function cmmsActor(name: string): string {
  return `cmms:${name}`;
}

/** Whether `target` wants this event: its event-kind and order-type filters, and the echo rule. */
export function wants(target: Pick<CmmsOutboundConfig, 'events' | 'types' | 'echoInbound'>, order: WorkOrder, event: WorkOrderEvent, inboundActor: string | undefined): boolean {
  if (target.events !== undefined && !(target.events as readonly string[]).includes(event.kind)) return false;
  if (target.types !== undefined && !target.types.includes(order.type)) return false;
  if (!target.echoInbound && inboundActor !== undefined && event.by === inboundActor) return false;
  return true;
}
