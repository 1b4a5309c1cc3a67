import type { ConditionAlarmDef, DeviceProfile, PointDefBase, ThresholdDef } from '../profiles/types.js';
import type { SiteConfig } from './schema.js';
import type { SemanticIssue } from './semantic-checks.js';

/**
 * Rules that are valid but useless: they can never raise, or once raised can never clear, given the range
 * of the point they watch. Not errors — a site may mean it (a latched trip flag) — so `validate` keeps
 * quiet and `rules check` warns.
 */
export function ruleWarnings(config: SiteConfig, findProfile: (id: string) => DeviceProfile | undefined): SemanticIssue[] {
  const out: SemanticIssue[] = [];
  config.devices.forEach((device, i) => {
    const profile = findProfile(device.profile);
    if (profile === undefined) return;
    const points = new Map<string, PointDefBase>(profile.points.map((p) => [p.name, p]));
    const disabled = new Set([...device.disableThresholds, ...(device.disableAlarms ?? [])]);
    const own = new Set([...device.thresholds.map((t) => t.id), ...(device.alarms ?? []).map((a) => a.id)]);
    device.thresholds.forEach((t, j) => {
      if (disabled.has(t.id)) return;
      const problem = thresholdProblem(t, points.get(t.point));
      if (problem) out.push({ segments: ['devices', i, 'thresholds', j], message: `threshold "${t.id}" ${problem}` });
    });
    (device.alarms ?? []).forEach((a, j) => {
      if (disabled.has(a.id)) return;
      const problem = conditionProblem(a, points);
      if (problem) out.push({ segments: ['devices', i, 'alarms', j], message: `alarm "${a.id}" ${problem}` });
    });
    for (const t of profile.thresholds) {
      if (disabled.has(t.id) || own.has(t.id)) continue;
      const problem = thresholdProblem(t, points.get(t.point));
      if (problem) out.push({ segments: ['devices', i, 'profile'], message: `profile ${profile.id} threshold "${t.id}" ${problem}` });
    }
  });
  return out;
}

/** The values a point can take: its range, or 0..1 for a binary point (booleans count 1/0). */
function span(point: PointDefBase | undefined): { min: number; max: number } | undefined {
  if (point === undefined) return undefined;
  if (point.kind === 'binary') return { min: 0, max: 1 };
  return point.range;
}

function thresholdProblem(t: Pick<ThresholdDef, 'high' | 'low' | 'deadband' | 'point'>, point: PointDefBase | undefined): string | undefined {
  const range = span(point);
  if (range === undefined) return undefined;
  const deadband = t.deadband ?? 0;
  if (t.high !== undefined) {
    if (t.high >= range.max) return `can never raise: it raises above ${t.high}, and ${t.point} never goes above ${range.max}`;
    if (t.high - deadband <= range.min) return `can never clear: it clears below ${t.high} − ${deadband} = ${t.high - deadband}, and ${t.point} never goes below ${range.min}`;
  }
  if (t.low !== undefined) {
    if (t.low <= range.min) return `can never raise: it raises below ${t.low}, and ${t.point} never goes below ${range.min}`;
    if (t.low + deadband >= range.max) return `can never clear: it clears above ${t.low} + ${deadband} = ${t.low + deadband}, and ${t.point} never goes above ${range.max}`;
  }
  return undefined;
}

function conditionProblem(a: ConditionAlarmDef, points: ReadonlyMap<string, PointDefBase>): string | undefined {
  if (a.kind !== 'state') return undefined;
  const point = points.get(a.point);
  if (point === undefined) return undefined;
  const all = point.kind === 'binary' ? ['true', 'false'] : Object.values(point.states ?? {});
  if (all.length === 0) return undefined;
  const listed = new Set(a.states.map((s) => (typeof s === 'number' ? (point.states?.[s] ?? String(s)) : String(s))));
  if (all.every((s) => listed.has(s))) return `can never clear: it lists every state of ${a.point} (${all.join(', ')})`;
  return undefined;
}
