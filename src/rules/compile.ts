import type { DeviceConfig, SiteConfig } from '../config/schema.js';
import { pointId } from '../points/sample.js';
import type { DeviceProfile, EventRuleDef, ThresholdDef } from '../profiles/types.js';
import { COMM_LOSS_PRIORITY, COMM_LOSS_RULE_ID, type CompiledCommLoss } from './comm-loss.js';
import { MAX_EVENT_RULE_COUNT, type CompiledEventRule } from './event-rule.js';
import type { CompiledThreshold } from './threshold.js';

/**
 * The rule compiler: turns the site config and the device profiles into rules indexed by what they read
 * (a point, or a device's events), once at start-up (and on a config reload). Every problem is collected
 * and reported together, each naming the device and the rule, so a config is fixed in one pass.
 *
 * Per enabled device:
 * - the profile's thresholds, in profile order;
 * - a config threshold with the id of a profile threshold replaces it whole (the schema asks for a full
 *   definition, and merging field by field could turn a high limit into a band nobody wrote); other config
 *   thresholds are added after the profile's;
 * - event rules (MQTT profiles; Modbus profiles have no events) the same way: the profile's, replaced whole
 *   or added to by the device's `eventRules`;
 * - an id names one rule of a device: a threshold and an event rule cannot share it;
 * - `disableThresholds` then removes ids, of thresholds or of event rules (an unknown id is an error,
 *   since a typo would leave on an alarm someone meant to switch off);
 * - one communication-loss rule, `<device>:comm_loss`, after `commLossDelayMs`, unless the device has a
 *   `parent` (a door of a door controller): it is reached through its parent, whose communication alarm
 *   covers it, so a dead controller raises one alarm and not one per door.
 * Disabled devices get no rules at all.
 */

export type ProfileLookup = (profileId: string) => DeviceProfile | undefined;

export interface CompiledRuleSet {
  /** The thresholds of each point, keyed by point id (`<device>.<point>`), in definition order. */
  thresholdsByPoint: ReadonlyMap<string, readonly CompiledThreshold[]>;
  /** The communication-loss rule of each enabled device without a parent, keyed by device id. */
  commLossByDevice: ReadonlyMap<string, CompiledCommLoss>;
  /** The event rules of each enabled device that has any, keyed by device id, in definition order. */
  eventRulesByDevice: ReadonlyMap<string, readonly CompiledEventRule[]>;
  /** Enabled devices with a parent, keyed by the parent's id: when the parent goes offline, so do they. */
  childrenByParent: ReadonlyMap<string, readonly string[]>;
  thresholdCount: number;
  eventRuleCount: number;
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
  const eventRulesByDevice = new Map<string, CompiledEventRule[]>();
  const childrenByParent = new Map<string, string[]>();
  const knownDevices = new Set(config.devices.map((d) => d.id));
  const seenDevices = new Set<string>();
  let thresholdCount = 0;
  let eventRuleCount = 0;

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
    const { thresholds, eventRules } = compileDevice(device, profile, problems);
    for (const threshold of thresholds) {
      appendTo(thresholdsByPoint, threshold.point, threshold);
      thresholdCount++;
    }
    if (eventRules.length > 0) {
      eventRulesByDevice.set(device.id, eventRules);
      eventRuleCount += eventRules.length;
    }
    if (!isNonNegative(device.commLossDelayMs)) {
      problems.push(`devices[${device.id}].commLossDelayMs: must be a finite number ≥ 0`);
    }
    if (device.parent !== undefined) {
      // The config loader checks parents too; compiled configs do not always come through it (tests, tools).
      if (device.parent === device.id) problems.push(`devices[${device.id}].parent: a device cannot be its own parent`);
      else if (!knownDevices.has(device.parent)) problems.push(`devices[${device.id}].parent: device "${device.parent}" is not defined`);
      else appendTo(childrenByParent, device.parent, device.id);
      continue; // no communication-loss rule of its own
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
  return { thresholdsByPoint, commLossByDevice, eventRulesByDevice, childrenByParent, thresholdCount, eventRuleCount };
}

type RuleSection = 'thresholds' | 'eventRules';

interface Sourced<T> {
  def: T;
  /** Where the definition came from, for error messages. */
  fromProfile: boolean;
}

/** The device's effective rules, validated; problems are appended to `problems`. */
function compileDevice(
  device: DeviceConfig,
  profile: DeviceProfile,
  problems: string[],
): { thresholds: CompiledThreshold[]; eventRules: CompiledEventRule[] } {
  const thresholdDefs = mergeById('thresholds', profile.thresholds, device.thresholds, device, profile, problems);
  const profileEventRules = profile.protocol === 'mqtt' ? profile.eventRules : [];
  const eventRuleDefs = mergeById('eventRules', profileEventRules, device.eventRules, device, profile, problems);
  for (const [id, { fromProfile }] of eventRuleDefs) {
    if (!thresholdDefs.has(id)) continue;
    problems.push(`${rulePath(device, 'eventRules', id, fromProfile ? profile : undefined)}: the id "${id}" is also a threshold of this device; a rule id names one rule`);
    eventRuleDefs.delete(id);
  }
  for (const id of device.disableThresholds) {
    const disabledThreshold = thresholdDefs.delete(id);
    const disabledEventRule = eventRuleDefs.delete(id);
    if (!disabledThreshold && !disabledEventRule) problems.push(`devices[${device.id}].disableThresholds[${id}]: ${unknownRuleToDisable(id, profile)}`);
  }

  const thresholds: CompiledThreshold[] = [];
  for (const { def, fromProfile } of thresholdDefs.values()) {
    const problem = thresholdProblem(def, profile);
    if (problem !== undefined) {
      problems.push(`${rulePath(device, 'thresholds', def.id, fromProfile ? profile : undefined)}: ${problem}`);
      continue;
    }
    const isHigh = def.high !== undefined;
    thresholds.push({
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

  const eventRules: CompiledEventRule[] = [];
  for (const { def, fromProfile } of eventRuleDefs.values()) {
    const problem = eventRuleProblem(def, profile);
    if (problem !== undefined) {
      problems.push(`${rulePath(device, 'eventRules', def.id, fromProfile ? profile : undefined)}: ${problem}`);
      continue;
    }
    eventRules.push({
      alarmId: `${device.id}:${def.id}`,
      device: device.id,
      rule: def.id,
      event: def.event,
      priority: def.priority,
      message: def.message,
      count: def.count,
      windowMs: def.windowMs,
    });
  }
  return { thresholds, eventRules };
}

/**
 * The profile's definitions, each replaced whole by a device definition with its id, then the device's
 * other definitions in their order. Ids defined twice on one side are reported.
 */
function mergeById<T extends { id: string }>(
  section: RuleSection,
  fromProfile: readonly T[],
  fromDevice: readonly T[],
  device: DeviceConfig,
  profile: DeviceProfile,
  problems: string[],
): Map<string, Sourced<T>> {
  const merged = new Map<string, Sourced<T>>();
  for (const def of fromProfile) {
    if (merged.has(def.id)) problems.push(`${rulePath(device, section, def.id, profile)}: defined twice in the profile`);
    merged.set(def.id, { def, fromProfile: true });
  }
  const deviceIds = new Set<string>();
  for (const def of fromDevice) {
    if (deviceIds.has(def.id)) problems.push(`${rulePath(device, section, def.id)}: defined twice in the device's ${section}`);
    deviceIds.add(def.id);
    merged.set(def.id, { def, fromProfile: false });
  }
  return merged;
}

function unknownRuleToDisable(id: string, profile: DeviceProfile): string {
  switch (profile.protocol) {
    case 'modbus':
    case 'bacnet':
      return `no threshold "${id}" in profile ${profile.id} or in the device's thresholds`;
    case 'mqtt':
      return `no threshold or event rule "${id}" in profile ${profile.id} or in the device's thresholds or eventRules`;
  }
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

/** What is wrong with one event rule definition, or undefined when it is sound. */
function eventRuleProblem(def: EventRuleDef, profile: DeviceProfile): string | undefined {
  if (def.id === COMM_LOSS_RULE_ID) return `the id "${COMM_LOSS_RULE_ID}" is reserved for the communication-loss alarm`;
  switch (profile.protocol) {
    case 'modbus':
      return `event "${def.event}" is not in profile ${profile.id} (Modbus profiles have no events)`;
    case 'mqtt':
      if (!profile.events.some((e) => e.name === def.event)) return `event "${def.event}" is not in profile ${profile.id}`;
      break;
  }
  if (!Number.isInteger(def.count) || def.count < 1) return 'count must be a whole number ≥ 1';
  if (def.count > MAX_EVENT_RULE_COUNT) return `count must be at most ${MAX_EVENT_RULE_COUNT} (the rule keeps the time of each counted event)`;
  if (!Number.isFinite(def.windowMs) || def.windowMs <= 0) return 'windowMs must be a finite number > 0';
  return undefined;
}

function isNonNegative(value: number | undefined): boolean {
  return value === undefined || (Number.isFinite(value) && value >= 0);
}

function rulePath(device: DeviceConfig, section: RuleSection, ruleId: string, fromProfile?: DeviceProfile): string {
  const path = `devices[${device.id}].${section}[${ruleId}]`;
  return fromProfile === undefined ? path : `${path} (from profile ${fromProfile.id})`;
}

function appendTo<T>(map: Map<string, T[]>, key: string, item: T): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [item]);
  else list.push(item);
}

function deviceLabel(device: DeviceConfig): string {
  return device.name === undefined || device.name === '' ? device.id : `${device.name} (${device.id})`;
}
