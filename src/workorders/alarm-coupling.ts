import type { AlarmService } from '../alarms/alarm-service.js';
import { episodeKey } from '../alarms/episode.js';
import { isAlarmLifecycleError } from '../alarms/lifecycle/errors.js';
import type { TransitionRecord } from '../alarms/lifecycle/types.js';
import type { WorkOrderTemplate } from '../config/workorders-schema.js';
import type { Logger } from '../log.js';
import type { EquipmentType } from '../profiles/types.js';
import type { CompiledAlarmDefinition } from '../rules/alarm-definition.js';
import type { Clock } from '../time/clock.js';
import { AutoCloseOnNormal } from './auto-close.js';
import type { WorkOrderService } from './service.js';
import type { WorkOrder, WorkOrderEvent } from './types.js';

const DEFAULT_OOS_HOURS = 12;

export interface AssetInfo {
  type: EquipmentType;
  name?: string | undefined;
  location?: string | undefined;
}

export interface AlarmWorkOrdersOptions {
  orders: WorkOrderService;
  alarms: AlarmService;
  templates: readonly WorkOrderTemplate[];
  definitions: ReadonlyMap<string, CompiledAlarmDefinition>;
  assets: ReadonlyMap<string, AssetInfo>;
  site: string;
  clock: Clock;
  logger: Logger;
}

/**
 * Couples alarms and work orders, both ways:
 * - an alarm episode whose definition has a work-order template (named by the alarm, or matched by the
 *   template) opens an order, or appends an occurrence to the asset's unfinished order of the same fault
 *   kind; the order stays open when the alarm clears, until a technician confirms the repair;
 * - an order in progress takes its asset's alarms out of service (time-boxed; never fire or life-safety
 *   alarms), and gives them back when the work stops (completed, on hold, cancelled).
 * After a restart, `start()` opens what an alarm raised just before the crash did not get yet; the episode
 * key on every occurrence makes that idempotent, so nothing is opened or appended twice.
 */
export class AlarmWorkOrders {
  private readonly templateById: ReadonlyMap<string, WorkOrderTemplate>;
  private opened = 0;
  private appended = 0;

  private readonly autoClose: AutoCloseOnNormal;

  constructor(private readonly options: AlarmWorkOrdersOptions) {
    this.templateById = new Map(options.templates.map((t) => [t.id, t]));
    this.autoClose = new AutoCloseOnNormal({ orders: options.orders, alarms: options.alarms, templateFor: (id) => this.templateFor(id), clock: options.clock, logger: options.logger });
  }

  stop(): void {
    this.autoClose.stop();
  }

  start(): void {
    this.options.alarms.subscribe((t) => {
      this.onTransition(t);
      this.autoClose.onTransition(t);
    });
    this.options.orders.subscribe((order, event) => {
      this.onOrderEvent(order, event);
      this.autoClose.onOrderEvent(order, event);
    });
    this.autoClose.start();
    for (const snapshot of this.options.alarms.list()) {
      if (snapshot.state === 'unack-active' || snapshot.state === 'ack-active') this.openFor(snapshot.alarmId);
    }
  }

  /** The template an alarm opens orders with: its own `workOrder`, else the first template that matches it. */
  templateFor(alarmId: string): WorkOrderTemplate | undefined {
    const def = this.options.definitions.get(alarmId);
    if (def === undefined) return undefined;
    return templateForDefinition(def, this.options.templates, this.options.assets.get(def.device)?.type, this.templateById);
  }

  stats(): { opened: number; appended: number } {
    return { opened: this.opened, appended: this.appended };
  }

  private onTransition(t: TransitionRecord): void {
    // A new episode: the alarm went active from normal or from returned-unacknowledged.
    if (t.action !== 'raise' || t.to !== 'unack-active' || t.from === 'unack-active' || t.from === 'ack-active') return;
    this.openFor(t.alarmId);
  }

  private openFor(alarmId: string): void {
    const template = this.templateFor(alarmId);
    const def = this.options.definitions.get(alarmId);
    const snapshot = this.options.alarms.get(alarmId);
    const key = snapshot === undefined ? undefined : episodeKey(snapshot);
    if (template === undefined || def === undefined || snapshot === undefined || key === undefined) return;
    const asset = this.options.assets.get(def.device);
    const equipment = asset?.type;
    const assignment = (equipment !== undefined ? template.assignByEquipment?.[equipment] : undefined) ?? template.assign;
    const raisedAt = snapshot.raisedAt ?? this.options.clock.now();
    const message = snapshot.message ?? def.message;
    const title = (template.title ?? '{message}')
      .replaceAll('{device}', def.device)
      .replaceAll('{deviceName}', asset?.name ?? def.device)
      .replaceAll('{message}', message);
    try {
      const { created, order } = this.options.orders.openOrAppend(
        {
          site: this.options.site,
          asset: def.device,
          location: asset?.location,
          type: template.type,
          priority: template.priority ?? def.priority,
          title,
          description: describe(template, def),
          cause: def.rule,
          faultKey: def.rule,
          source: { kind: 'alarm', ref: alarmId },
          assignee: assignment?.assignee,
          contractor: assignment?.contractor,
          dueAt: template.resolutionMinutes !== undefined ? raisedAt + template.resolutionMinutes * 60_000 : undefined,
        },
        'alarm',
        { ref: key, ts: raisedAt, detail: { alarmId, template: template.id } },
      );
      if (created) this.opened++;
      else this.appended++;
      this.options.logger.info({ alarmId, order: order.number, created }, created ? 'work order opened by alarm' : 'alarm occurrence added to work order');
    } catch (err) {
      this.options.logger.error({ err, alarmId }, 'could not open a work order for the alarm');
    }
  }

  private onOrderEvent(order: WorkOrder, event: WorkOrderEvent): void {
    const template = order.source.kind === 'alarm' && order.source.ref !== undefined ? this.templateFor(order.source.ref) : undefined;
    if (template?.outOfServiceWhileWorking === false) return;
    if (event.kind === 'start' || event.kind === 'resume' || event.kind === 'reopen') this.takeOutOfService(order, template?.outOfServiceMaxHours ?? DEFAULT_OOS_HOURS);
    if (event.kind === 'complete' || event.kind === 'hold' || event.kind === 'cancel') this.returnToService(order);
  }

  /** The asset's alarms, while someone works on it: never fire or life-safety ones, never past `hours`. */
  private takeOutOfService(order: WorkOrder, hours: number): void {
    for (const def of this.alarmsOf(order.asset)) {
      if (def.lifeSafety) continue;
      const snapshot = this.options.alarms.get(def.alarmId);
      if (snapshot?.outOfService !== undefined) continue;
      this.guard(def.alarmId, () => this.options.alarms.removeFromService(def.alarmId, order.number, hours, `${order.number} in progress: ${order.title}`));
    }
  }

  /** Only what this order took out of service comes back; another order's or an operator's stays. */
  private returnToService(order: WorkOrder): void {
    for (const def of this.alarmsOf(order.asset)) {
      if (this.options.alarms.get(def.alarmId)?.outOfService?.by !== order.number) continue;
      this.guard(def.alarmId, () => this.options.alarms.returnToService(def.alarmId, order.number, `${order.number} ${order.status}`));
    }
  }

  /** Read from the definitions each time: a rule reload changes them in place. */
  private alarmsOf(asset: string): CompiledAlarmDefinition[] {
    return [...this.options.definitions.values()].filter((d) => d.device === asset);
  }

  private guard(alarmId: string, fn: () => unknown): void {
    try {
      fn();
    } catch (err) {
      if (!isAlarmLifecycleError(err)) throw err;
      this.options.logger.warn({ alarmId, reason: err.message }, 'work order could not change the alarm’s service state');
    }
  }
}

/**
 * The template an alarm definition opens orders with: its own `workOrder`, else the first template whose
 * `match` fits it. Pure, so that the back-test (src/backtest) decides exactly as the live coupling does.
 */
export function templateForDefinition(
  def: CompiledAlarmDefinition,
  templates: readonly WorkOrderTemplate[],
  equipment: EquipmentType | undefined,
  templateById: ReadonlyMap<string, WorkOrderTemplate> = new Map(templates.map((t) => [t.id, t])),
): WorkOrderTemplate | undefined {
  if (def.workOrder !== undefined) return templateById.get(def.workOrder);
  return templates.find((t) => {
    const m = t.match;
    if (m === undefined) return false;
    return (
      (m.rules === undefined || m.rules.includes(def.rule)) &&
      (m.equipment === undefined || (equipment !== undefined && m.equipment.includes(equipment))) &&
      (m.devices === undefined || m.devices.includes(def.device)) &&
      (m.priorities === undefined || m.priorities.includes(def.priority))
    );
  });
}

function describe(template: WorkOrderTemplate, def: CompiledAlarmDefinition): string | undefined {
  const parts: string[] = [];
  if (template.description !== undefined) parts.push(template.description);
  if (def.rationale !== undefined) {
    parts.push(`Cause: ${def.rationale.cause}`, `Consequence: ${def.rationale.consequence}`, `Action: ${def.rationale.action}`);
  }
  if (template.checklist.length > 0) parts.push(['Checklist:', ...template.checklist.map((c) => `- [ ] ${c}`)].join('\n'));
  return parts.length > 0 ? parts.join('\n\n') : undefined;
}
