import type { ScenarioName } from '../../simulator/scenarios.js';
import type { WorkOrderAction } from '../workorders/types.js';

/**
 * The vocabulary of a scripted month: faults started and cleared through the simulator's scenarios, and
 * what the technicians do with the orders, each at a local time of a day of the month (day 1 is the first
 * day simulated). Orders do not exist when the script is written, so a step names the order by what it is
 * about: the asset and fault kind of a corrective order, or the asset and schedule of a planned one (the
 * newest such order at the step's time).
 */

/** Day of the simulated month (1-based) and local wall-clock time `HH:MM` in the site's zone. */
export interface When {
  day: number;
  time: string;
}

export type OrderRef = { asset: string; fault: string } | { asset: string; schedule: string };

export type ScriptStep =
  | { at: When; kind: 'fault'; action: 'start' | 'clear'; scenario: ScenarioName; device: string }
  | { at: When; kind: 'arrive'; order: OrderRef; by: string }
  | { at: When; kind: 'order'; order: OrderRef; action: WorkOrderAction; by: string; resolution?: string; comment?: string; assignee?: string };

export function at(day: number, time: string): When {
  return { day, time };
}

/** A fault from `from` until `to` (the cause removed: a passenger released, a trip reset). */
export function fault(scenario: ScenarioName, device: string, from: When, to: When): ScriptStep[] {
  return [
    { at: from, kind: 'fault', action: 'start', scenario, device },
    { at: to, kind: 'fault', action: 'clear', scenario, device },
  ];
}

export interface Visit {
  by: string;
  /** The office assigns the order to `by` first (planned orders come unassigned). */
  assign?: When;
  arrive: When;
  /** Default: the arrival. */
  start?: When;
  /** Work stopped (waiting for parts) and taken up again. */
  hold?: { at: When; reason: string; resume: When };
  complete: When;
  resolution: string;
  /** The office closes the order after checking it; omitted: left completed. */
  close?: When;
}

/** A technician's visit: on site, work started, (held,) completed with what was done, closed by the office. */
export function visit(order: OrderRef, v: Visit): ScriptStep[] {
  const steps: ScriptStep[] = [];
  if (v.assign !== undefined) steps.push({ at: v.assign, kind: 'order', order, action: 'assign', by: OFFICE, assignee: v.by });
  steps.push(
    { at: v.arrive, kind: 'arrive', order, by: v.by },
    { at: v.start ?? v.arrive, kind: 'order', order, action: 'start', by: v.by },
  );
  if (v.hold !== undefined) {
    steps.push({ at: v.hold.at, kind: 'order', order, action: 'hold', by: v.by, comment: v.hold.reason });
    steps.push({ at: v.hold.resume, kind: 'order', order, action: 'resume', by: v.by });
  }
  steps.push({ at: v.complete, kind: 'order', order, action: 'complete', by: v.by, resolution: v.resolution });
  if (v.close !== undefined) steps.push({ at: v.close, kind: 'order', order, action: 'close', by: OFFICE });
  return steps;
}

/** An order that is the same incident as another: cancelled by the office before work starts. */
export function cancelAsDuplicate(order: OrderRef, when: When, reason: string): ScriptStep {
  return { at: when, kind: 'order', order, action: 'cancel', by: OFFICE, comment: reason };
}

export const OFFICE = 'property office';

/** `HH:MM` → minutes after midnight; undefined when malformed. */
export function minuteOfDay(time: string): number | undefined {
  const m = /^(\d{2}):(\d{2})$/.exec(time);
  if (m === null) return undefined;
  const h = Number(m[1]);
  const min = Number(m[2]);
  return h < 24 && min < 60 ? h * 60 + min : undefined;
}

export function describeWhen(w: When): string {
  return `day ${w.day} ${w.time}`;
}

export function describeRef(ref: OrderRef): string {
  return 'fault' in ref ? `${ref.asset}/${ref.fault}` : `${ref.asset}/${ref.schedule}`;
}
