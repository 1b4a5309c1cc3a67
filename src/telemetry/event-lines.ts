import type { AlarmEvent } from '../alarms/events.js';
import type { DeviceEvent } from '../points/device-event.js';
import type { WorkOrder, WorkOrderEvent } from '../workorders/types.js';
import { encodeLine, type FieldInput } from './line-protocol.js';

/**
 * Alarm transitions and device events as their own measurements, so a dashboard can show them beside the
 * values they explain. Tags stay low-cardinality (site, device, rule or event, priority, and the device's
 * equipment type, so a fire dashboard can pick the fire panels' alarms); what varies per occurrence
 * (message, badge, value) is a field.
 *
 * - `alarm`: fields `state` ("raise" | "clear"), `kind`, `message`, `value`, `limit`, `point`. A field keeps
 *   one type per measurement in InfluxDB (a line of another type is refused), so `value` is always a float
 *   (a binary point's true/false as 1/0) and a text value goes to `value_text`.
 * - `device_event`: field `count` = 1 (so `sum("count")` counts events) and one field per attribute.
 */
export function alarmEventLine(event: AlarmEvent, equipment?: string): string | undefined {
  const fields: FieldInput[] = [
    good('state', event.type),
    good('kind', event.kind),
    good('message', event.message),
  ];
  if (event.point !== undefined) fields.push(good('point', event.point));
  if (typeof event.value === 'number') fields.push(good('value', event.value));
  else if (typeof event.value === 'boolean') fields.push(good('value', event.value ? 1 : 0));
  else if (typeof event.value === 'string') fields.push(good('value_text', event.value));
  if (event.limit !== undefined) fields.push(good('limit', event.limit));
  return encodeLine({
    measurement: 'alarm',
    tags: { site: event.site, device: event.device, rule: event.rule, priority: event.priority, ...(equipment !== undefined ? { equipment } : {}) },
    ts: event.ts,
    fields,
  });
}

export function deviceEventLine(site: string, event: DeviceEvent): string | undefined {
  const fields: FieldInput[] = [good('count', 1)];
  for (const [name, value] of Object.entries(event.attributes)) {
    // `count` is ours; an attribute of that name would make the field's meaning ambiguous.
    if (name !== 'count') fields.push(good(name, value));
  }
  return encodeLine({ measurement: 'device_event', tags: { site, device: event.device, event: event.event }, ts: event.ts, fields });
}

/**
 * `work_order`: one line per work-order event (created, assign, start, complete, occurrence, …), tags site,
 * asset, equipment, order number (a series per order: orders are few, and "open orders now" needs the last
 * status of each), type, priority, event; fields `status` (after the event), `by`, and on completion the
 * figures the maintenance dashboards average: `repair_minutes` (created → completed), `response_minutes`
 * (created → technician on site, when recorded) and `late` (1 when completed after its due time).
 */
export function workOrderEventLine(order: WorkOrder, event: WorkOrderEvent, equipment?: string): string | undefined {
  const fields: FieldInput[] = [good('status', order.status), good('by', event.by), good('occurrences', order.occurrences)];
  if (event.kind === 'complete' && order.completedAt !== undefined) {
    fields.push(good('repair_minutes', (order.completedAt - order.createdAt) / 60_000));
    if (order.arrivedAt !== undefined) fields.push(good('response_minutes', (order.arrivedAt - order.createdAt) / 60_000));
    if (order.dueAt !== undefined) fields.push(good('late', order.completedAt > order.dueAt ? 1 : 0));
  }
  if (event.kind === 'arrival' && order.arrivedAt !== undefined) fields.push(good('response_minutes', (order.arrivedAt - order.createdAt) / 60_000));
  return encodeLine({
    measurement: 'work_order',
    tags: { site: order.site, asset: order.asset, number: order.number, type: order.type, priority: order.priority, event: event.kind, ...(equipment !== undefined ? { equipment } : {}) },
    ts: event.ts,
    fields,
  });
}

function good(name: string, value: FieldInput['value']): FieldInput {
  return { name, value, quality: 'good' };
}
