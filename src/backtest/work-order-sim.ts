import type { AlarmEvent } from '../alarms/events.js';
import type { WorkOrderTemplate } from '../config/workorders-schema.js';
import type { EquipmentType } from '../profiles/types.js';
import type { CompiledAlarmDefinition } from '../rules/alarm-definition.js';
import { templateForDefinition } from '../workorders/alarm-coupling.js';

/**
 * The work orders a run's alarms would have opened, by the live coupling's rules (src/workorders/
 * alarm-coupling.ts): a raise whose definition has a template (its own `workOrder`, else the first template
 * whose `match` fits, `templateForDefinition`) opens an order, unless the asset already has an unfinished
 * order of the same fault kind (the rule id), to which the raise is appended as an occurrence.
 *
 * Nobody completes orders in a back-test, so completion is simulated: an order is finished `repairMs` after
 * the last of its alarms cleared, provided none raised again in between (a raise before that is a
 * recurrence and appends). An order still unfinished at the end has `completedAt: null`.
 */

export interface SimulatedWorkOrder {
  asset: string;
  faultKey: string;
  template: string;
  /** The alarm whose raise opened it. */
  alarmId: string;
  openedAt: number;
  /** Raises appended after the opening one. */
  occurrences: number[];
  completedAt: number | null;
}

export interface WorkOrderSimOptions {
  definitions: ReadonlyMap<string, CompiledAlarmDefinition>;
  templates: readonly WorkOrderTemplate[];
  equipmentOf: (device: string) => EquipmentType | undefined;
  repairMs: number;
  /** End of the replay: an order whose simulated completion falls after it stays unfinished. */
  endMs: number;
}

interface OpenOrder {
  order: SimulatedWorkOrder;
  active: Set<string>;
  /** When the last alarm cleared plus the repair time; undefined while an alarm is active. */
  completesAt: number | undefined;
}

/** Orders in the order they were opened. `events` must be in emission order. */
export function simulateWorkOrders(events: readonly AlarmEvent[], options: WorkOrderSimOptions): SimulatedWorkOrder[] {
  const templateById = new Map(options.templates.map((t) => [t.id, t]));
  const orders: SimulatedWorkOrder[] = [];
  const open = new Map<string, OpenOrder>();
  for (const event of events) {
    const def = options.definitions.get(event.alarmId);
    if (def === undefined) continue;
    const key = `${def.device}\u0000${def.rule}`;
    let current = open.get(key);
    if (current !== undefined && current.completesAt !== undefined && event.ts >= current.completesAt) {
      current.order.completedAt = current.completesAt;
      open.delete(key);
      current = undefined;
    }
    if (event.type === 'clear') {
      if (current === undefined) continue;
      current.active.delete(event.alarmId);
      if (current.active.size === 0) current.completesAt = event.ts + options.repairMs;
      continue;
    }
    if (current !== undefined) {
      current.order.occurrences.push(event.ts);
      current.active.add(event.alarmId);
      current.completesAt = undefined;
      continue;
    }
    const template = templateForDefinition(def, options.templates, options.equipmentOf(def.device), templateById);
    if (template === undefined) continue;
    const order: SimulatedWorkOrder = { asset: def.device, faultKey: def.rule, template: template.id, alarmId: event.alarmId, openedAt: event.ts, occurrences: [], completedAt: null };
    orders.push(order);
    open.set(key, { order, active: new Set([event.alarmId]), completesAt: undefined });
  }
  for (const { order, completesAt } of open.values()) {
    if (completesAt !== undefined && completesAt <= options.endMs) order.completedAt = completesAt;
  }
  return orders;
}
