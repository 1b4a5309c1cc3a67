import type { BuiltInEntry, EvidenceRuleConfig, MaintenanceConfig, MaintenanceScheduleConfig } from '../config/maintenance-schema.js';
import { isValidTimeZone } from '../notify/time-zone.js';
import type { AlarmPriority, EquipmentType, PointKind } from '../profiles/types.js';
import type { WorkOrderType } from '../workorders/types.js';
import { BUILT_IN_GROUPS, builtInIds, findBuiltIn } from './built-in.js';
import { parseAnchor, type CalendarRule } from './calendar.js';
import { firingsPerDay, parseCron } from './cron.js';

/** A device as maintenance sees it: what it is and which points its profile has. */
export interface MaintenanceDevice {
  id: string;
  type: EquipmentType;
  name?: string | undefined;
  location?: string | undefined;
  points: ReadonlyArray<{ name: string; kind: PointKind; unit?: string | undefined }>;
}

export interface OrderTemplate {
  type: Extract<WorkOrderType, 'preventive' | 'inspection'>;
  title: string;
  priority: AlarmPriority;
  description?: string | undefined;
  checklist: readonly string[];
  assignee?: string | undefined;
  contractor?: string | undefined;
  dueMinutes?: number | undefined;
}

export interface MeterTrigger {
  kind: 'meter';
  point: string;
  every: number;
  count: 'value' | 'rising-edges';
  from: 'completion' | 'order';
  maxPerHour?: number | undefined;
}

export interface CompiledEvidence {
  runningPoint: string;
  pressurePoint?: string | undefined;
  minRunMs: number;
  minPressure?: number | undefined;
  complete: boolean;
}

/** A schedule ready to run: trigger parsed, assets resolved, built-ins expanded. */
export interface CompiledSchedule {
  id: string;
  builtIn: boolean;
  trigger: { kind: 'calendar'; rule: CalendarRule } | MeterTrigger;
  assets: readonly MaintenanceDevice[];
  order: OrderTemplate;
  evidence?: CompiledEvidence | undefined;
}

export interface ScheduleIssue {
  /** Path from the config root, e.g. ['maintenance', 'schedules', 2, 'cron']. */
  segments: Array<string | number>;
  message: string;
}

const MINUTE_MS = 60_000;
/** Maintenance is not a minute job: more than this many firings a day is a mistake in the expression. */
const MAX_FIRINGS_PER_DAY = 24;

/**
 * Turns the `maintenance` section into runnable schedules, and says what is wrong with it: a cron that does
 * not parse, an anchor that is not a date, assets or points that do not exist, an unknown built-in id.
 * Both `validate` (through the semantic checks) and MaintenanceService use it, so they cannot disagree.
 */
export function compileSchedules(
  config: MaintenanceConfig | undefined,
  timeZone: string,
  devices: readonly MaintenanceDevice[],
): { schedules: CompiledSchedule[]; issues: ScheduleIssue[] } {
  const issues: ScheduleIssue[] = [];
  const schedules: CompiledSchedule[] = [];
  if (config === undefined) return { schedules, issues };
  const zone = isValidTimeZone(timeZone) ? timeZone : 'UTC';
  const byId = new Map(devices.map((d) => [d.id, d]));
  const seen = new Map<string, string>();
  const claim = (id: string, where: string, segments: Array<string | number>): boolean => {
    const other = seen.get(id);
    if (other !== undefined) {
      issues.push({ segments, message: `schedule id "${id}" is used twice (also ${other})` });
      return false;
    }
    seen.set(id, where);
    return true;
  };

  config.schedules.forEach((s, i) => {
    const at = ['maintenance', 'schedules', i];
    if (!claim(s.id, `maintenance.schedules[${i}]`, [...at, 'id'])) return;
    const compiled = compileOne(s, false, at, zone, byId, devices, issues);
    if (compiled !== undefined) schedules.push(compiled);
  });

  config.builtIn.forEach((entry, j) => {
    const at = ['maintenance', 'builtIn', j];
    const options = typeof entry === 'string' ? { id: entry } : entry;
    const ids = BUILT_IN_GROUPS[options.id] ?? [options.id];
    for (const id of ids) {
      const template = findBuiltIn(id);
      if (template === undefined) {
        issues.push({ segments: typeof entry === 'string' ? at : [...at, 'id'], message: `unknown built-in template "${options.id}" (known: ${builtInIds().join(', ')})` });
        return;
      }
      if (!claim(id, `maintenance.builtIn[${j}]`, typeof entry === 'string' ? at : [...at, 'id'])) continue;
      if (template.needsDevices !== undefined && options.devices === undefined) {
        issues.push({ segments: at, message: `built-in "${id}" needs devices: ${template.needsDevices}` });
        continue;
      }
      const s = applyOptions({ id, ...template.schedule }, options, at, issues);
      const compiled = compileOne(s, true, at, zone, byId, devices, issues);
      if (compiled === undefined) continue;
      if (template.evidence !== undefined) {
        const { runningPoint, pressurePoint } = template.evidence;
        const lacking = compiled.assets.filter((a) => ![runningPoint, pressurePoint].every((p) => p === undefined || a.points.some((q) => q.name === p)));
        if (lacking.length > 0) {
          issues.push({ segments: at, message: `built-in "${id}" reads ${runningPoint} and ${pressurePoint ?? ''} as evidence; ${lacking.map((a) => a.id).join(', ')} lack them (add an evidence rule naming their points)` });
          continue;
        }
        compiled.evidence = compileEvidence({ schedule: id, ...template.evidence });
      }
      schedules.push(compiled);
    }
  });

  config.evidence.forEach((rule, k) => {
    const at = ['maintenance', 'evidence', k];
    const target = schedules.find((s) => s.id === rule.schedule);
    if (target === undefined) {
      issues.push({ segments: [...at, 'schedule'], message: `no schedule or switched-on built-in "${rule.schedule}" (known: ${schedules.map((s) => s.id).join(', ') || 'none'})` });
      return;
    }
    if (target.trigger.kind !== 'calendar') {
      issues.push({ segments: [...at, 'schedule'], message: `"${rule.schedule}" is a meter schedule; evidence is attached to calendar orders (that week's test)` });
      return;
    }
    for (const asset of target.assets) {
      for (const [field, point] of [['runningPoint', rule.runningPoint], ['pressurePoint', rule.pressurePoint]] as const) {
        if (point !== undefined && !asset.points.some((p) => p.name === point)) {
          issues.push({ segments: [...at, field], message: `device "${asset.id}" has no point "${point}"` });
        }
      }
    }
    if (rule.minPressure !== undefined && rule.pressurePoint === undefined) issues.push({ segments: [...at, 'minPressure'], message: 'needs pressurePoint: the point whose peak must reach it' });
    target.evidence = compileEvidence(rule);
  });
  return { schedules, issues };
}

function applyOptions(
  s: MaintenanceScheduleConfig,
  options: Exclude<BuiltInEntry, string> | { id: string },
  at: Array<string | number>,
  issues: ScheduleIssue[],
): MaintenanceScheduleConfig {
  const o = options as Partial<Exclude<BuiltInEntry, string>>;
  const out: MaintenanceScheduleConfig = { ...s };
  if (o.devices !== undefined) out.assets = { devices: o.devices };
  if (o.cron !== undefined) {
    if (s.cron === undefined) issues.push({ segments: [...at, 'cron'], message: `built-in "${s.id}" runs every ${s.everyDays ?? '?'} days, not by cron; set start to move it` });
    else out.cron = o.cron;
  }
  if (o.start !== undefined) {
    if (s.everyDays === undefined) issues.push({ segments: [...at, 'start'], message: `built-in "${s.id}" runs by cron ("${s.cron ?? ''}"); set cron to move it` });
    else out.start = o.start;
  }
  if (o.assign !== undefined) out.assign = o.assign;
  if (o.dueMinutes !== undefined) out.dueMinutes = o.dueMinutes;
  return out;
}

function compileOne(
  s: MaintenanceScheduleConfig,
  builtIn: boolean,
  at: Array<string | number>,
  zone: string,
  byId: ReadonlyMap<string, MaintenanceDevice>,
  devices: readonly MaintenanceDevice[],
  issues: ScheduleIssue[],
): CompiledSchedule | undefined {
  const before = issues.length;
  const report = (field: string | undefined, message: string) => issues.push({ segments: field === undefined ? at : [...at, field], message });

  const assets = resolveAssets(s, at, byId, devices, issues);
  let trigger: CompiledSchedule['trigger'] | undefined;
  if (s.kind === 'calendar') {
    if (s.meter !== undefined) report('meter', 'only meter schedules take a meter');
    trigger = calendarTrigger(s, zone, report);
  } else {
    for (const field of ['cron', 'everyDays', 'start'] as const) if (s[field] !== undefined) report(field, 'a meter schedule is due by its meter, not by the calendar');
    if (s.floating) report('floating', 'only calendar schedules float');
    if (s.meter === undefined) report('meter', 'a meter schedule needs meter: { point, every }');
    else {
      trigger = { kind: 'meter', point: s.meter.point, every: s.meter.every, count: s.meter.count, from: s.meter.from, maxPerHour: s.meter.maxPerHour };
      checkMeterPoints(s.meter, assets, at, issues);
    }
  }
  if (issues.length > before || trigger === undefined) return undefined;
  return {
    id: s.id,
    builtIn,
    trigger,
    assets,
    order: {
      type: s.type,
      title: s.title,
      priority: s.priority ?? 'medium',
      description: s.description,
      checklist: s.checklist,
      assignee: s.assign?.assignee,
      contractor: s.assign?.contractor,
      dueMinutes: s.dueMinutes,
    },
  };
}

function calendarTrigger(s: MaintenanceScheduleConfig, zone: string, report: (field: string | undefined, message: string) => void): CompiledSchedule['trigger'] | undefined {
  if ((s.cron === undefined) === (s.everyDays === undefined)) {
    report(undefined, 'a calendar schedule needs exactly one of cron (fixed times) or everyDays with start');
    return undefined;
  }
  if (s.cron !== undefined) {
    if (s.floating) report('floating', 'a cron schedule is fixed; use everyDays with floating: true to count from the last completion');
    if (s.start !== undefined) report('start', 'a cron schedule takes no start (the expression says when)');
    const parsed = parseCron(s.cron);
    if (!parsed.ok) {
      report('cron', `does not parse: ${parsed.error}`);
      return undefined;
    }
    if (firingsPerDay(parsed.spec) > MAX_FIRINGS_PER_DAY) {
      report('cron', `"${s.cron}" fires ${firingsPerDay(parsed.spec)} times a day; a maintenance schedule fires at most hourly (give one minute, e.g. "0 9 * * 1")`);
      return undefined;
    }
    return { kind: 'calendar', rule: { kind: 'cron', spec: parsed.spec } };
  }
  if (s.start === undefined) {
    report('start', `everyDays needs start: the date and time the first order falls due (e.g. "2026-01-05T09:00")`);
    return undefined;
  }
  const anchor = parseAnchor(s.start, zone);
  if (anchor === undefined) {
    report('start', `"${s.start}" is not a date and time YYYY-MM-DDTHH:MM (or YYYY-MM-DD)`);
    return undefined;
  }
  const days = s.everyDays ?? 1;
  const rule: CalendarRule = s.floating ? { kind: 'floating', days, anchorDay: anchor.day, minuteOfDay: anchor.minuteOfDay } : { kind: 'every-days', days, anchorDay: anchor.day, minuteOfDay: anchor.minuteOfDay };
  return { kind: 'calendar', rule };
}

function resolveAssets(
  s: MaintenanceScheduleConfig,
  at: Array<string | number>,
  byId: ReadonlyMap<string, MaintenanceDevice>,
  devices: readonly MaintenanceDevice[],
  issues: ScheduleIssue[],
): MaintenanceDevice[] {
  const out = new Map<string, MaintenanceDevice>();
  if (s.assets.equipment === undefined && s.assets.devices === undefined) {
    issues.push({ segments: [...at, 'assets'], message: 'names no assets: give equipment types or device ids' });
    return [];
  }
  for (const type of s.assets.equipment ?? []) for (const d of devices) if (d.type === type) out.set(d.id, d);
  s.assets.devices?.forEach((id, k) => {
    const d = byId.get(id);
    if (d === undefined) issues.push({ segments: [...at, 'assets', 'devices', k], message: `device "${id}" is not defined (or not enabled)` });
    else out.set(d.id, d);
  });
  return [...out.values()];
}

function checkMeterPoints(meter: NonNullable<MaintenanceScheduleConfig['meter']>, assets: readonly MaintenanceDevice[], at: Array<string | number>, issues: ScheduleIssue[]): void {
  for (const asset of assets) {
    const point = asset.points.find((p) => p.name === meter.point);
    if (point === undefined) {
      const counters = asset.points.filter((p) => p.kind === 'counter').map((p) => p.name);
      issues.push({ segments: [...at, 'meter', 'point'], message: `device "${asset.id}" has no point "${meter.point}" (its counters: ${counters.join(', ') || 'none'})` });
    } else if (meter.count === 'value' && point.kind !== 'counter' && point.kind !== 'analog') {
      issues.push({ segments: [...at, 'meter', 'point'], message: `"${meter.point}" of device "${asset.id}" is ${point.kind}, not a counter; use count: rising-edges to count its starts` });
    } else if (meter.count === 'rising-edges' && point.kind !== 'binary') {
      issues.push({ segments: [...at, 'meter', 'count'], message: `rising-edges counts a binary point; "${meter.point}" of device "${asset.id}" is ${point.kind}` });
    }
  }
}

function compileEvidence(rule: EvidenceRuleConfig): CompiledEvidence {
  return {
    runningPoint: rule.runningPoint,
    pressurePoint: rule.pressurePoint,
    minRunMs: rule.minRunMinutes * MINUTE_MS,
    minPressure: rule.minPressure,
    complete: rule.complete,
  };
}
