import { toLocalMs } from '../notify/time-zone.js';
import type { CalendarRule } from './calendar.js';
import type { ObservedRun } from './run-watch.js';
import type { CompiledEvidence, CompiledSchedule, MaintenanceDevice } from './schedules.js';

const MINUTE_MS = 60_000;

/** `2026-03-29 09:00 Europe/Berlin`: a time as the office reads it. */
export function formatLocal(ts: number, timeZone: string): string {
  return `${new Date(toLocalMs(ts, timeZone)).toISOString().slice(0, 16).replace('T', ' ')} ${timeZone}`;
}

/** `3 d 4 h`, `5 min 30 s`: a duration for people. */
export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (d > 0) return h > 0 ? `${d} d ${h} h` : `${d} d`;
  if (h > 0) return m > 0 ? `${h} h ${m} min` : `${h} h`;
  if (m > 0) return sec > 0 ? `${m} min ${sec} s` : `${m} min`;
  return `${sec} s`;
}

export function describeRule(rule: CalendarRule): string {
  switch (rule.kind) {
    case 'cron':
      return `cron "${rule.spec.expression}"`;
    case 'every-days':
      return `every ${rule.days} days`;
    case 'floating':
      return `${rule.days} days after the last completion`;
  }
}

export function describeTrigger(schedule: CompiledSchedule): string {
  const t = schedule.trigger;
  if (t.kind === 'calendar') return describeRule(t.rule);
  return t.count === 'rising-edges' ? `every ${t.every} starts of ${t.point}` : `every ${t.every} of ${t.point}`;
}

export function orderTitle(schedule: CompiledSchedule, asset: MaintenanceDevice): string {
  return schedule.order.title
    .replaceAll('{device}', asset.id)
    .replaceAll('{deviceName}', asset.name ?? asset.id)
    .replaceAll('{schedule}', schedule.id);
}

/** The order's description: the template's text, why it was opened (and how late), the checklist. */
export function orderDescription(schedule: CompiledSchedule, why: string, late: string | undefined): string {
  const parts: string[] = [];
  if (schedule.order.description !== undefined) parts.push(schedule.order.description);
  parts.push(`Planned maintenance "${schedule.id}" (${describeTrigger(schedule)}): ${why}.`);
  if (late !== undefined) parts.push(late);
  if (schedule.order.checklist.length > 0) parts.push(['Checklist:', ...schedule.order.checklist.map((c) => `- [ ] ${c}`)].join('\n'));
  return parts.join('\n\n');
}

export function evidenceComment(run: ObservedRun, evidence: CompiledEvidence, timeZone: string): string {
  const peak = evidence.pressurePoint === undefined ? '' : run.peak === undefined ? `, no good ${evidence.pressurePoint} reading during the run` : `, peak ${evidence.pressurePoint} ${round(run.peak)}`;
  const rule = [`at least ${formatDuration(evidence.minRunMs)}`, ...(evidence.minPressure !== undefined ? [`${evidence.pressurePoint ?? 'pressure'} ≥ ${evidence.minPressure}`] : [])].join(', ');
  return `Test run seen in telemetry: started ${formatLocal(run.start, timeZone)}, ran ${formatDuration(run.durationMs)}${peak} (evidence rule: ${rule}).`;
}

function round(v: number): number {
  return Math.round(v * 100) / 100;
}

export const LATE_NOTE_MIN_MS = 5 * MINUTE_MS;
