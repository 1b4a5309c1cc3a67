import type { SlaTarget, WorkOrderTemplate } from '../config/workorders-schema.js';
import type { WorkOrder, WorkOrderEvent } from './types.js';

const MINUTE_MS = 60_000;

export type SlaKind = 'response' | 'resolution';
export const SLA_KINDS: readonly SlaKind[] = ['response', 'resolution'];

/** One SLA target of an order, with where it came from (shown in reports, so a figure can be traced). */
export interface SlaDeadline {
  kind: SlaKind;
  /** When the clock started: the fault (the alarm's raise), else the order's creation. ms since epoch. */
  startedAt: number;
  deadline: number;
  /** The target as a duration; for a due time set on the order, the time from the start to it. */
  targetMinutes: number;
  /** `template:<id>`, `sla[<index>]` (the site table) or `order.dueAt`. */
  source: string;
}

/**
 * When an order's SLA clocks start: at the fault. An alarm opens its order with an occurrence reference
 * `<alarmId>@<raisedAt>` on the `created` event (alarm-coupling.ts), and the template's due time is counted
 * from that same raise; any other order starts at its creation.
 */
export function slaStartOf(order: Pick<WorkOrder, 'createdAt'>, created: WorkOrderEvent | undefined): number {
  const raisedAt = episodeTimeOf(created?.data?.ref);
  return raisedAt !== undefined && raisedAt <= order.createdAt ? raisedAt : order.createdAt;
}

/** The raise time of an episode key `<alarmId>@<raisedAt>`; undefined for anything else. */
export function episodeTimeOf(ref: unknown): number | undefined {
  if (typeof ref !== 'string') return undefined;
  const at = ref.lastIndexOf('@');
  if (at < 0) return undefined;
  const text = ref.slice(at + 1);
  if (!/^\d+$/.test(text)) return undefined;
  return Number(text);
}

/** The template an alarm opened the order with (alarm-coupling.ts records its id on the `created` event). */
export function templateIdOf(created: WorkOrderEvent | undefined): string | undefined {
  const id = created?.data?.template;
  return typeof id === 'string' ? id : undefined;
}

/**
 * The most specific row of the SLA table that matches the order and gives `field`: the row with the most
 * criteria (priority, fault kind, type) that all hold; among equally specific rows, the first. A row
 * without criteria matches every order (the site default).
 */
export function matchSlaRow(
  table: readonly SlaTarget[],
  order: Pick<WorkOrder, 'priority' | 'faultKey' | 'type'>,
  field: 'responseMinutes' | 'resolutionMinutes',
): { row: SlaTarget; index: number } | undefined {
  let best: { row: SlaTarget; index: number; score: number } | undefined;
  table.forEach((row, index) => {
    if (row[field] === undefined) return;
    if (row.priority !== undefined && row.priority !== order.priority) return;
    if (row.faultKind !== undefined && row.faultKind !== order.faultKey) return;
    if (row.type !== undefined && row.type !== order.type) return;
    const score = Number(row.priority !== undefined) + Number(row.faultKind !== undefined) + Number(row.type !== undefined);
    if (best === undefined || score > best.score) best = { row, index, score };
  });
  return best === undefined ? undefined : { row: best.row, index: best.index };
}

export interface SlaTargetContext {
  templates: ReadonlyMap<string, WorkOrderTemplate>;
  table: readonly SlaTarget[];
}

/**
 * An order's SLA deadlines. Response: the template's `responseMinutes`, else the table's. Resolution: the
 * order's own due time (`dueAt`, from its template or set by whoever opened it), else the table's
 * `resolutionMinutes`. A kind without any target has no clock.
 */
export function deadlinesOf(order: WorkOrder, created: WorkOrderEvent | undefined, context: SlaTargetContext): SlaDeadline[] {
  const startedAt = slaStartOf(order, created);
  const templateId = templateIdOf(created);
  const template = templateId === undefined ? undefined : context.templates.get(templateId);
  const out: SlaDeadline[] = [];

  if (template?.responseMinutes !== undefined) {
    out.push({ kind: 'response', startedAt, deadline: startedAt + template.responseMinutes * MINUTE_MS, targetMinutes: template.responseMinutes, source: `template:${template.id}` });
  } else {
    const m = matchSlaRow(context.table, order, 'responseMinutes');
    const minutes = m?.row.responseMinutes;
    if (m !== undefined && minutes !== undefined) {
      out.push({ kind: 'response', startedAt, deadline: startedAt + minutes * MINUTE_MS, targetMinutes: minutes, source: `sla[${m.index}]` });
    }
  }

  if (order.dueAt !== undefined) {
    out.push({ kind: 'resolution', startedAt, deadline: order.dueAt, targetMinutes: Math.round((order.dueAt - startedAt) / MINUTE_MS), source: 'order.dueAt' });
  } else {
    const m = matchSlaRow(context.table, order, 'resolutionMinutes');
    const minutes = m?.row.resolutionMinutes;
    if (m !== undefined && minutes !== undefined) {
      out.push({ kind: 'resolution', startedAt, deadline: startedAt + minutes * MINUTE_MS, targetMinutes: minutes, source: `sla[${m.index}]` });
    }
  }
  return out;
}

/**
 * When a clock stopped, from the order as it is: response when the technician was on site (`arrivedAt`;
 * work started or completed without an arrival recorded proves presence by then), resolution when the work
 * was completed.
 */
export function doneAtOf(order: Pick<WorkOrder, 'arrivedAt' | 'startedAt' | 'completedAt'>, kind: SlaKind): number | undefined {
  if (kind === 'resolution') return order.completedAt;
  const candidates = [order.arrivedAt, order.startedAt, order.completedAt].filter((t): t is number => t !== undefined);
  return candidates.length === 0 ? undefined : Math.min(...candidates);
}
