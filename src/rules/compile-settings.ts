import type { AlarmDefSettings, PointKind } from '../profiles/types.js';
import type { CompiledAlarmDefinition } from './alarm-definition.js';
import { compileCondition, ExpressionError, type CompiledExpression } from './expr/compile.js';

/**
 * The per-alarm settings (AlarmDefSettings) shared by every kind of definition: checked and compiled in one
 * place, so that a threshold, an event rule and a condition alarm accept exactly the same settings.
 */

/** Settings as they enter a CompiledAlarmDefinition. */
export type CompiledSettings = Pick<CompiledAlarmDefinition, 'lifeSafety' | 'latched' | 'reAlarmMs' | 'rationale' | 'workOrder' | 'suppressWhen'>;

export interface SettingsProblem {
  field: string;
  message: string;
}

export interface SettingsResult {
  settings: CompiledSettings;
  /** The compiled `suppressWhen`, when there is one and it compiled. */
  suppression?: CompiledExpression;
  problems: SettingsProblem[];
}

/** Checks `def`'s settings; `onDelayMs` is the definition's on-delay (0 when the kind has none). */
export function compileSettings(def: AlarmDefSettings, onDelayMs: number, points: ReadonlyMap<string, PointKind>): SettingsResult {
  const problems: SettingsProblem[] = [];
  const lifeSafety = def.lifeSafety === true;
  if (lifeSafety && onDelayMs > 0) {
    problems.push({ field: 'onDelayMs', message: 'a life-safety alarm is never delayed: remove onDelayMs (or lifeSafety)' });
  }
  if (lifeSafety && def.suppressWhen !== undefined) {
    problems.push({ field: 'suppressWhen', message: 'a life-safety alarm is never suppressed: remove suppressWhen (or lifeSafety)' });
  }
  if (def.reAlarmMs !== undefined && !(Number.isFinite(def.reAlarmMs) && def.reAlarmMs > 0)) {
    problems.push({ field: 'reAlarmMs', message: 'must be a finite number > 0' });
  }
  const rationale = def.rationale;
  if (rationale !== undefined) {
    for (const key of ['cause', 'consequence', 'action'] as const) {
      if (typeof rationale[key] !== 'string' || rationale[key].trim() === '') problems.push({ field: `rationale.${key}`, message: 'must be a non-empty text' });
    }
  }
  if (def.workOrder !== undefined && def.workOrder.trim() === '') problems.push({ field: 'workOrder', message: 'must be a non-empty template id' });
  let suppression: CompiledExpression | undefined;
  if (def.suppressWhen !== undefined && !lifeSafety) {
    const compiled = compileConditionText(def.suppressWhen, points);
    if (typeof compiled === 'string') problems.push({ field: 'suppressWhen', message: compiled });
    else suppression = compiled;
  }
  const settings: CompiledSettings = {
    lifeSafety,
    latched: def.latched === true,
    ...(def.reAlarmMs === undefined ? {} : { reAlarmMs: def.reAlarmMs }),
    ...(rationale === undefined ? {} : { rationale }),
    ...(def.workOrder === undefined ? {} : { workOrder: def.workOrder }),
    ...(def.suppressWhen === undefined ? {} : { suppressWhen: def.suppressWhen }),
  };
  return { settings, ...(suppression === undefined ? {} : { suppression }), problems };
}

/** A condition compiled over the device's points, or the problem as text (with the column, 1-based). */
export function compileConditionText(source: string, points: ReadonlyMap<string, PointKind>): CompiledExpression | string {
  try {
    return compileCondition(source, points);
  } catch (err) {
    if (err instanceof ExpressionError) return `${err.reason} at column ${err.position + 1} of "${source}"`;
    throw err;
  }
}
