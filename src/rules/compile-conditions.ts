import { pointId, type PointValue } from '../points/sample.js';
import type { ConditionAlarmDef, DeviceProfile, PointDefBase, PointKind } from '../profiles/types.js';
import type { CompiledConditionAlarm } from './condition-alarm.js';
import { compileConditionText } from './compile-settings.js';
import type { CompiledExpression } from './expr/compile.js';
import { MAX_WINDOW_COUNT } from './sliding-window.js';

/**
 * Compiles one condition alarm (`alarms` in a profile or a device's config) of one device: the condition
 * only; ids, merging and the per-alarm settings are compile.ts's and compile-settings.ts's.
 */

export interface ConditionProblem {
  field?: string;
  message: string;
}

export interface ConditionCommon {
  alarmId: string;
  device: string;
  rule: string;
  lifeSafety: boolean;
  rationale?: CompiledConditionAlarm['rationale'];
}

export function compileConditionAlarm(
  def: ConditionAlarmDef,
  common: ConditionCommon,
  profile: DeviceProfile,
  points: ReadonlyMap<string, PointKind>,
): CompiledConditionAlarm | ConditionProblem {
  const delayProblem = delaysProblem(def);
  if (delayProblem !== undefined) return delayProblem;
  const base = { ...common, priority: def.priority, message: def.message, onDelayMs: def.onDelayMs ?? 0, offDelayMs: def.offDelayMs ?? 0 };
  switch (def.kind) {
    case 'state': {
      const point = profile.points.find((p) => p.name === def.point);
      if (point === undefined) return { field: 'point', message: `point "${def.point}" is not in profile ${profile.id}` };
      const states = stateValues(def.states, point, common, profile);
      if (typeof states === 'string') return { field: 'states', message: states };
      return { ...base, kind: 'state', point: pointId(common.device, def.point), states, binary: point.kind === 'binary' };
    }
    case 'rate': {
      const point = profile.points.find((p) => p.name === def.point);
      if (point === undefined) return { field: 'point', message: `point "${def.point}" is not in profile ${profile.id}` };
      if (point.kind !== 'analog' && point.kind !== 'counter') {
        return { field: 'point', message: `point "${def.point}" is ${point.kind}; a rate of change needs an analog or counter point` };
      }
      if (def.risePerMinute === undefined && def.fallPerMinute === undefined) return { message: 'needs risePerMinute, fallPerMinute or both' };
      for (const field of ['risePerMinute', 'fallPerMinute'] as const) {
        const rate = def[field];
        if (rate !== undefined && !(Number.isFinite(rate) && rate > 0)) return { field, message: 'must be a finite number > 0 (a fall is given as a positive rate too)' };
      }
      if (!(Number.isFinite(def.windowMs) && def.windowMs > 0)) return { field: 'windowMs', message: 'must be a finite number > 0' };
      return {
        ...base,
        kind: 'rate',
        point: pointId(common.device, def.point),
        ...(def.risePerMinute === undefined ? {} : { risePerMinute: def.risePerMinute }),
        ...(def.fallPerMinute === undefined ? {} : { fallPerMinute: def.fallPerMinute }),
        windowMs: def.windowMs,
      };
    }
    case 'expression': {
      const condition = compileConditionText(def.when, points);
      if (typeof condition === 'string') return { field: 'when', message: condition };
      return { ...base, kind: 'expression', condition, inputs: inputIds(condition, common.device) };
    }
    case 'repeat': {
      if (!Number.isInteger(def.count) || def.count < 1) return { field: 'count', message: 'must be a whole number ≥ 1' };
      if (def.count > MAX_WINDOW_COUNT) return { field: 'count', message: `must be at most ${MAX_WINDOW_COUNT} (the rule keeps the time of each counted occurrence)` };
      if (!(Number.isFinite(def.windowMs) && def.windowMs > 0)) return { field: 'windowMs', message: 'must be a finite number > 0' };
      const condition = compileConditionText(def.when, points);
      if (typeof condition === 'string') return { field: 'when', message: condition };
      return { ...base, kind: 'repeat', condition, inputs: inputIds(condition, common.device), count: def.count, windowMs: def.windowMs };
    }
    default:
      return { field: 'kind', message: `unknown kind "${String((def as { kind: unknown }).kind)}" (state, rate, expression or repeat)` };
  }
}

export function inputIds(condition: CompiledExpression, device: string): string[] {
  return [...condition.inputs].map((name) => pointId(device, name));
}

function delaysProblem(def: ConditionAlarmDef): ConditionProblem | undefined {
  for (const field of ['onDelayMs', 'offDelayMs'] as const) {
    const value = def[field];
    if (value !== undefined && !(Number.isFinite(value) && value >= 0)) return { field, message: 'must be a finite number ≥ 0' };
  }
  return undefined;
}

/**
 * The values a state alarm matches, as drivers deliver them: for an enum point its state names (a raw
 * number is looked up, and kept too in case a driver delivers numbers); for a binary point booleans.
 */
function stateValues(states: readonly PointValue[], point: PointDefBase, common: ConditionCommon, profile: DeviceProfile): PointValue[] | string {
  if (!Array.isArray(states) || states.length === 0) return 'needs at least one state';
  switch (point.kind) {
    case 'binary': {
      const out: PointValue[] = [];
      for (const state of states) {
        if (typeof state === 'boolean') out.push(state);
        else if (state === 0 || state === 1) out.push(state === 1);
        else return `point "${point.name}" is binary: its states are true and false, not ${JSON.stringify(state)}`;
      }
      return out;
    }
    case 'enum': {
      const known = point.states;
      const out = new Set<PointValue>();
      for (const state of states) {
        if (known === undefined) {
          // Without a states table the driver delivers the raw value as text.
          if (typeof state === 'boolean') return `point "${point.name}" is an enum: ${JSON.stringify(state)} is not a state`;
          out.add(String(state));
          continue;
        }
        if (typeof state === 'number' && Number.isInteger(state) && known[state] !== undefined) {
          out.add(known[state]);
          out.add(state);
          continue;
        }
        const entry = Object.entries(known).find(([, name]) => name === state);
        if (entry === undefined) {
          const list = Object.entries(known).map(([raw, name]) => `${name} (${raw})`).join(', ');
          return `device ${common.device}, alarm ${common.rule}: ${JSON.stringify(state)} is not a state of point "${point.name}" in profile ${profile.id} (known: ${list})`;
        }
        out.add(entry[1]);
        out.add(Number(entry[0]));
      }
      return [...out];
    }
    case 'analog':
    case 'counter':
      return `point "${point.name}" is ${point.kind}; a state alarm needs an enum or binary point (use a threshold)`;
  }
}
