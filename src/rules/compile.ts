import type { DeviceConfig, SiteConfig } from '../config/schema.js';
import { pointId } from '../points/sample.js';
import type { DeviceProfile, ThresholdDef } from '../profiles/types.js';
import { COMM_LOSS_PRIORITY, COMM_LOSS_RULE_ID, type CompiledCommLoss } from './comm-loss.js';
import type { CompiledThreshold } from './threshold.js';

/**
 * The rule compiler: turns the site config and the device profiles into rules indexed by the point they
 * read, once at start-up (and on a config reload). Every problem is collected and reported together, each
 * naming the device and the threshold, so a config is fixed in one pass.
 *
 * Per enabled device:
 * - the profile's thresholds, in profile order;
 * - a config threshold with the id of a profile threshold replaces it whole (the schema asks for a full
 *   definition, and merging field by field could turn a high limit into a band nobody wrote); other config
 *   thresholds are added after the profile's;
 * - `disableThresholds` then removes ids (it may name a profile or a config threshold; an unknown id is an
 *   error, since a typo would leave on an alarm someone meant to switch off);
 * - one communication-loss rule, `<device>:comm_loss`, after `commLossDelayMs`.
 * Disabled devices get no rules at all.
 */

export type ProfileLookup = (profileId: string) => DeviceProfile | undefined;

export interface CompiledRuleSet {
  /** The thresholds of each point, keyed by point id (`<device>.<point>`), in definition order. */
  thresholdsByPoint: ReadonlyMap<string, readonly CompiledThreshold[]>;
  /** The communication-loss rule of each enabled device, keyed by device id. */
  commLossByDevice: ReadonlyMap<string, CompiledCommLoss>;
  thresholdCount: number;
}

export class RuleCompileError extends Error {
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(`${problems.length} problem(s) in alarm rules:\n- ${problems.join('\n- ')}`);
    this.name = 'RuleCompileError';
    this.problems = problems;
  }
}

/** Compiles the rules of every enabled device; throws a RuleCompileError listing every problem found. */
export function compileRules(config: SiteConfig, lookupProfile: ProfileLookup): CompiledRuleSet {
  const problems: string[] = [];
  const thresholdsByPoint = new Map<string, CompiledThreshold[]>();
  const commLossByDevice = new Map<string, CompiledCommLoss>();
  const seenDevices = new Set<string>();
  let thresholdCount = 0;

  for (const device of config.devices) {
    if (seenDevices.has(device.id)) {
      problems.push(`devices[${device.id}]: device id used twice`);
      continue;
    }
    seenDevices.add(device.id);
    if (!device.enabled) continue;
    const profile = lookupProfile(device.profile);
    if (profile === undefined) {
      problems.push(`devices[${device.id}]: profile "${device.profile}" is not known`);
      continue;
    }
    for (const threshold of compileDevice(device, profile, problems)) {
      let list = thresholdsByPoint.get(threshold.point);
      if (list === undefined) {
        list = [];
        thresholdsByPoint.set(threshold.point, list);
      }
      list.push(threshold);
      thresholdCount++;
    }
    if (!isNonNegative(device.commLossDelayMs)) {
      problems.push(`devices[${device.id}].commLossDelayMs: must be a finite number ≥ 0`);
    }
    commLossByDevice.set(device.id, {
      alarmId: `${device.id}:${COMM_LOSS_RULE_ID}`,
      device: device.id,
      rule: COMM_LOSS_RULE_ID,
      priority: COMM_LOSS_PRIORITY,
      message: `Communication lost with ${deviceLabel(device)}`,
      delayMs: device.commLossDelayMs,
    });
  }

  if (problems.length > 0) throw new RuleCompileError(problems);
  return { thresholdsByPoint, commLossByDevice, thresholdCount };
}

interface SourcedThreshold {
  def: ThresholdDef;
  /** Where the definition came from, for error messages. */
  fromProfile: boolean;
}

/** The device's effective thresholds, validated; problems are appended to `problems`. */
function compileDevice(device: DeviceConfig, profile: DeviceProfile, problems: string[]): CompiledThreshold[] {
  const merged = new Map<string, SourcedThreshold>();
  for (const def of profile.thresholds) {
    if (merged.has(def.id)) problems.push(`${thresholdPath(device, def.id, profile)}: defined twice in the profile`);
    merged.set(def.id, { def, fromProfile: true });
  }
  const configIds = new Set<string>();
  for (const def of device.thresholds) {
    if (configIds.has(def.id)) problems.push(`${thresholdPath(device, def.id)}: defined twice in the device's thresholds`);
    configIds.add(def.id);
    merged.set(def.id, { def, fromProfile: false });
  }
  for (const id of device.disableThresholds) {
    if (!merged.delete(id)) {
      problems.push(`devices[${device.id}].disableThresholds[${id}]: no threshold "${id}" in profile ${profile.id} or in the device's thresholds`);
    }
  }

  const compiled: CompiledThreshold[] = [];
  for (const { def, fromProfile } of merged.values()) {
    const path = thresholdPath(device, def.id, fromProfile ? profile : undefined);
    const problem = thresholdProblem(def, profile);
    if (problem !== undefined) {
      problems.push(`${path}: ${problem}`);
      continue;
    }
    const isHigh = def.high !== undefined;
    compiled.push({
      alarmId: `${device.id}:${def.id}`,
      device: device.id,
      point: pointId(device.id, def.point),
      rule: def.id,
      kind: isHigh ? 'threshold-high' : 'threshold-low',
      priority: def.priority,
      message: def.message,
      // thresholdProblem checked that exactly one of the two is a finite number.
      limit: (isHigh ? def.high : def.low) ?? Number.NaN,
      deadband: def.deadband ?? 0,
      onDelayMs: def.onDelayMs ?? 0,
      offDelayMs: def.offDelayMs ?? 0,
    });
  }
  return compiled;
}

/** What is wrong with one threshold definition, or undefined when it is sound. */
function thresholdProblem(def: ThresholdDef, profile: DeviceProfile): string | undefined {
  if (def.id === COMM_LOSS_RULE_ID) return `the id "${COMM_LOSS_RULE_ID}" is reserved for the communication-loss alarm`;
  const point = profile.points.find((p) => p.name === def.point);
  if (point === undefined) return `point "${def.point}" is not in profile ${profile.id}`;
  if (point.kind === 'enum') return `point "${def.point}" is an enum (its values are state names); a threshold needs a numeric or binary point`;
  if (def.high !== undefined && def.low !== undefined) return 'has both high and low; a threshold has exactly one (use two thresholds for a band)';
  if (def.high === undefined && def.low === undefined) return 'needs a high or a low limit';
  if (def.high !== undefined && !Number.isFinite(def.high)) return 'high must be a finite number';
  if (def.low !== undefined && !Number.isFinite(def.low)) return 'low must be a finite number';
  if (!isNonNegative(def.deadband)) return 'deadband must be a finite number ≥ 0';
  if (!isNonNegative(def.onDelayMs)) return 'onDelayMs must be a finite number ≥ 0';
  if (!isNonNegative(def.offDelayMs)) return 'offDelayMs must be a finite number ≥ 0';
  return undefined;
}

function isNonNegative(value: number | undefined): boolean {
  return value === undefined || (Number.isFinite(value) && value >= 0);
}

function thresholdPath(device: DeviceConfig, thresholdId: string, fromProfile?: DeviceProfile): string {
  const path = `devices[${device.id}].thresholds[${thresholdId}]`;
  return fromProfile === undefined ? path : `${path} (from profile ${fromProfile.id})`;
}

function deviceLabel(device: DeviceConfig): string {
  return device.name === undefined || device.name === '' ? device.id : `${device.name} (${device.id})`;
}
