import type { DeviceConfig, SiteConfig } from '../config/schema.js';
import { pointId } from '../points/sample.js';
import type { AlarmDefSettings, ConditionAlarmDef, DeviceProfile, EventRuleDef, PointKind, ThresholdDef } from '../profiles/types.js';
import type { CompiledAlarmDefinition } from './alarm-definition.js';
import { COMM_LOSS_PRIORITY, COMM_LOSS_RULE_ID, type CompiledCommLoss } from './comm-loss.js';
import { compileConditionAlarm } from './compile-conditions.js';
import { compileSettings, type CompiledSettings } from './compile-settings.js';
import type { CompiledConditionAlarm, CompiledSuppression } from './condition-alarm.js';
import { MAX_EVENT_RULE_COUNT, type CompiledEventRule } from './event-rule.js';
import { inputIds } from './compile-conditions.js';
import { ProblemList, type RuleProblem, type RuleSection } from './rule-problem.js';
import type { CompiledThreshold } from './threshold.js';

export type { RuleProblem, RuleSection } from './rule-problem.js';

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
 * - condition alarms (`alarms`: discrete states, rates, expressions, repeats) the same way: the profile's,
 *   replaced whole or added to by the device's `alarms`;
 * - an id names one rule of a device: a threshold, an event rule and a condition alarm cannot share it;
 * - `disableThresholds` and its clearer alias `disableAlarms` then remove ids, of any kind (an unknown id
 *   is an error, since a typo would leave on an alarm someone meant to switch off);
 * - every definition's ISA-18.2 settings (AlarmDefSettings) are checked the same way whatever its kind
 *   (compile-settings.ts): a life-safety alarm takes no on-delay and no suppressWhen; a suppressWhen is
 *   compiled over the device's points;
 * - one communication-loss rule, `<device>:comm_loss`, after `commLossDelayMs`, unless the device has a
 *   `parent` (a door of a door controller): it is reached through its parent, whose communication alarm
 *   covers it, so a dead controller raises one alarm and not one per door.
 * Disabled devices get no rules at all (`checkDeviceRules` still checks them, for `validate`).
 *
 * Each problem is also returned structured (RuleProblem), so that the config loader can point at the line.
 */

export type ProfileLookup = (profileId: string) => DeviceProfile | undefined;

export interface CompiledRuleSet {
  /** The thresholds of each point, keyed by point id (`<device>.<point>`), in definition order. */
  thresholdsByPoint: ReadonlyMap<string, readonly CompiledThreshold[]>;
  /** The communication-loss rule of each enabled device without a parent, keyed by device id. */
  commLossByDevice: ReadonlyMap<string, CompiledCommLoss>;
  /** The event rules of each enabled device that has any, keyed by device id, in definition order. */
  eventRulesByDevice: ReadonlyMap<string, readonly CompiledEventRule[]>;
  /** The condition alarms (state, rate, expression, repeat) of each enabled device that has any. */
  conditionAlarmsByDevice: ReadonlyMap<string, readonly CompiledConditionAlarm[]>;
  /** The suppressWhen conditions of each enabled device that has any. */
  suppressionsByDevice: ReadonlyMap<string, readonly CompiledSuppression[]>;
  /** Every alarm id the rules can emit (communication loss included): settings and descriptive data. */
  alarmDefinitions: ReadonlyMap<string, CompiledAlarmDefinition>;
  /** Enabled devices with a parent, keyed by the parent's id: when the parent goes offline, so do they. */
  childrenByParent: ReadonlyMap<string, readonly string[]>;
  thresholdCount: number;
  eventRuleCount: number;
  conditionAlarmCount: number;
}

export class RuleCompileError extends Error {
  /** Each problem as one line naming the device and the rule. */
  readonly problems: readonly string[];
  /** The same problems, located for the config loader. */
  readonly issues: readonly RuleProblem[];

  constructor(issues: readonly RuleProblem[]) {
    const problems = issues.map((i) => i.text);
    super(`${problems.length} problem(s) in alarm rules:\n- ${problems.join('\n- ')}`);
    this.name = 'RuleCompileError';
    this.problems = problems;
    this.issues = issues;
  }
}

/** The compiled rules of one device. */
export interface DeviceRules {
  thresholds: CompiledThreshold[];
  eventRules: CompiledEventRule[];
  conditionAlarms: CompiledConditionAlarm[];
  suppressions: CompiledSuppression[];
  definitions: CompiledAlarmDefinition[];
}

/** Compiles the rules of every enabled device; throws a RuleCompileError listing every problem found. */
export function compileRules(config: SiteConfig, lookupProfile: ProfileLookup): CompiledRuleSet {
  const problems = new ProblemList();
  const thresholdsByPoint = new Map<string, CompiledThreshold[]>();
  const commLossByDevice = new Map<string, CompiledCommLoss>();
  const eventRulesByDevice = new Map<string, CompiledEventRule[]>();
  const conditionAlarmsByDevice = new Map<string, CompiledConditionAlarm[]>();
  const suppressionsByDevice = new Map<string, CompiledSuppression[]>();
  const alarmDefinitions = new Map<string, CompiledAlarmDefinition>();
  const childrenByParent = new Map<string, string[]>();
  const knownDevices = new Set(config.devices.map((d) => d.id));
  const seenDevices = new Set<string>();
  let thresholdCount = 0;
  let eventRuleCount = 0;
  let conditionAlarmCount = 0;

  for (const device of config.devices) {
    if (seenDevices.has(device.id)) {
      problems.device(device, 'device id used twice');
      continue;
    }
    seenDevices.add(device.id);
    if (!device.enabled) continue;
    const profile = lookupProfile(device.profile);
    if (profile === undefined) {
      problems.device(device, `profile "${device.profile}" is not known`);
      continue;
    }
    const rules = compileDevice(device, profile, problems);
    for (const threshold of rules.thresholds) {
      appendTo(thresholdsByPoint, threshold.point, threshold);
      thresholdCount++;
    }
    if (rules.eventRules.length > 0) {
      eventRulesByDevice.set(device.id, rules.eventRules);
      eventRuleCount += rules.eventRules.length;
    }
    if (rules.conditionAlarms.length > 0) {
      conditionAlarmsByDevice.set(device.id, rules.conditionAlarms);
      conditionAlarmCount += rules.conditionAlarms.length;
    }
    if (rules.suppressions.length > 0) suppressionsByDevice.set(device.id, rules.suppressions);
    for (const definition of rules.definitions) alarmDefinitions.set(definition.alarmId, definition);
    if (!isNonNegative(device.commLossDelayMs)) {
      problems.device(device, 'must be a finite number ≥ 0', 'commLossDelayMs');
    }
    if (device.parent !== undefined) {
      // The config loader checks parents too; compiled configs do not always come through it (tests, tools).
      if (device.parent === device.id) problems.device(device, 'a device cannot be its own parent', 'parent');
      else if (!knownDevices.has(device.parent)) problems.device(device, `device "${device.parent}" is not defined`, 'parent');
      else appendTo(childrenByParent, device.parent, device.id);
      continue; // no communication-loss rule of its own
    }
    const commLoss: CompiledCommLoss = {
      alarmId: `${device.id}:${COMM_LOSS_RULE_ID}`,
      device: device.id,
      rule: COMM_LOSS_RULE_ID,
      priority: COMM_LOSS_PRIORITY,
      message: `Communication lost with ${deviceLabel(device)}`,
      delayMs: device.commLossDelayMs,
      lifeSafety: false,
    };
    commLossByDevice.set(device.id, commLoss);
    alarmDefinitions.set(commLoss.alarmId, {
      alarmId: commLoss.alarmId,
      device: device.id,
      rule: commLoss.rule,
      kind: 'comm-loss',
      priority: commLoss.priority,
      message: commLoss.message,
      lifeSafety: false,
      latched: false,
    });
  }

  if (problems.items.length > 0) throw new RuleCompileError(problems.items);
  return {
    thresholdsByPoint,
    commLossByDevice,
    eventRulesByDevice,
    conditionAlarmsByDevice,
    suppressionsByDevice,
    alarmDefinitions,
    childrenByParent,
    thresholdCount,
    eventRuleCount,
    conditionAlarmCount,
  };
}

/**
 * The problems of one device's rules (thresholds, event rules, condition alarms, settings, disable lists),
 * whether or not the device is enabled: what `facility-gw validate` reports for it.
 */
export function checkDeviceRules(device: DeviceConfig, profile: DeviceProfile): RuleProblem[] {
  const problems = new ProblemList();
  compileDevice(device, profile, problems);
  return problems.items;
}

interface Sourced<T> {
  def: T;
  /** Where the definition came from, for error messages. */
  fromProfile: boolean;
}

/** The device's effective rules, validated; problems are appended to `problems`. */
function compileDevice(device: DeviceConfig, profile: DeviceProfile, problems: ProblemList): DeviceRules {
  const thresholdDefs = mergeById('thresholds', profile.thresholds, device.thresholds, device, profile, problems);
  const profileEventRules = profile.protocol === 'mqtt' ? profile.eventRules : [];
  const eventRuleDefs = mergeById('eventRules', profileEventRules, device.eventRules, device, profile, problems);
  const alarmDefs = mergeById('alarms', profile.alarms ?? [], (device.alarms ?? []) as ConditionAlarmDef[], device, profile, problems);
  for (const [id, { fromProfile }] of eventRuleDefs) {
    if (!thresholdDefs.has(id)) continue;
    problems.rule(device, 'eventRules', id, `the id "${id}" is also a threshold of this device; a rule id names one rule`, sourceOf(fromProfile, profile));
    eventRuleDefs.delete(id);
  }
  for (const [id, { fromProfile }] of alarmDefs) {
    const other = thresholdDefs.has(id) ? 'a threshold' : eventRuleDefs.has(id) ? 'an event rule' : undefined;
    if (other === undefined) continue;
    problems.rule(device, 'alarms', id, `the id "${id}" is also ${other} of this device; a rule id names one rule`, sourceOf(fromProfile, profile));
    alarmDefs.delete(id);
  }
  const disableLists: Array<['disableThresholds' | 'disableAlarms', readonly string[]]> = [
    ['disableThresholds', device.disableThresholds],
    ['disableAlarms', device.disableAlarms ?? []],
  ];
  for (const [section, ids] of disableLists) {
    for (const id of ids) {
      const disabledThreshold = thresholdDefs.delete(id);
      const disabledEventRule = eventRuleDefs.delete(id);
      const disabledAlarm = alarmDefs.delete(id);
      if (!disabledThreshold && !disabledEventRule && !disabledAlarm && !alreadyDisabled(device, section, id)) {
        problems.rule(device, section, id, unknownRuleToDisable(id, profile));
      }
    }
  }

  const points = pointKinds(profile);
  const out: DeviceRules = { thresholds: [], eventRules: [], conditionAlarms: [], suppressions: [], definitions: [] };
  /** Checks the settings; returns them, or undefined after reporting problems. */
  const settingsOf = (section: RuleSection, def: AlarmDefSettings & { id: string }, onDelayMs: number, fromProfile: boolean): CompiledSettings | undefined => {
    const result = compileSettings(def, onDelayMs, points);
    for (const problem of result.problems) problems.rule(device, section, def.id, problem.message, { field: problem.field, ...sourceOf(fromProfile, profile) });
    if (result.problems.length > 0) return undefined;
    if (result.suppression !== undefined) {
      out.suppressions.push({ alarmId: `${device.id}:${def.id}`, device: device.id, condition: result.suppression, inputs: inputIds(result.suppression, device.id) });
    }
    return result.settings;
  };

  for (const { def, fromProfile } of thresholdDefs.values()) {
    const problem = thresholdProblem(def, profile);
    if (problem !== undefined) {
      problems.rule(device, 'thresholds', def.id, problem, sourceOf(fromProfile, profile));
      continue;
    }
    const settings = settingsOf('thresholds', def, def.onDelayMs ?? 0, fromProfile);
    if (settings === undefined) continue;
    const isHigh = def.high !== undefined;
    const threshold: CompiledThreshold = {
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
      ...annotations(settings),
    };
    out.thresholds.push(threshold);
    out.definitions.push(definition(threshold, settings, threshold.point));
  }

  for (const { def, fromProfile } of eventRuleDefs.values()) {
    const problem = eventRuleProblem(def, profile);
    if (problem !== undefined) {
      problems.rule(device, 'eventRules', def.id, problem, sourceOf(fromProfile, profile));
      continue;
    }
    const settings = settingsOf('eventRules', def, 0, fromProfile);
    if (settings === undefined) continue;
    const rule: CompiledEventRule = {
      alarmId: `${device.id}:${def.id}`,
      device: device.id,
      rule: def.id,
      event: def.event,
      priority: def.priority,
      message: def.message,
      count: def.count,
      windowMs: def.windowMs,
      ...annotations(settings),
    };
    out.eventRules.push(rule);
    out.definitions.push(definition({ ...rule, kind: 'event-count' }, settings));
  }

  for (const { def, fromProfile } of alarmDefs.values()) {
    if (def.id === COMM_LOSS_RULE_ID) {
      problems.rule(device, 'alarms', def.id, `the id "${COMM_LOSS_RULE_ID}" is reserved for the communication-loss alarm`, sourceOf(fromProfile, profile));
      continue;
    }
    const compiled = compileConditionAlarm(def, { alarmId: `${device.id}:${def.id}`, device: device.id, rule: def.id, lifeSafety: false }, profile, points);
    if (!('kind' in compiled)) {
      problems.rule(device, 'alarms', def.id, compiled.message, { ...(compiled.field === undefined ? {} : { field: compiled.field }), ...sourceOf(fromProfile, profile) });
      continue;
    }
    const settings = settingsOf('alarms', def, compiled.onDelayMs, fromProfile);
    if (settings === undefined) continue;
    const alarm: CompiledConditionAlarm = { ...compiled, ...annotations(settings) };
    out.conditionAlarms.push(alarm);
    out.definitions.push(definition(alarm, settings, alarm.kind === 'state' || alarm.kind === 'rate' ? alarm.point : undefined));
  }
  return out;
}

function sourceOf(fromProfile: boolean, profile: DeviceProfile): { profile?: DeviceProfile } {
  return fromProfile ? { profile } : {};
}

function annotations(settings: CompiledSettings): Pick<CompiledSettings, 'lifeSafety' | 'rationale'> {
  return { lifeSafety: settings.lifeSafety, ...(settings.rationale === undefined ? {} : { rationale: settings.rationale }) };
}

function definition(
  rule: Pick<CompiledAlarmDefinition, 'alarmId' | 'device' | 'rule' | 'kind' | 'priority' | 'message'>,
  settings: CompiledSettings,
  point?: string,
): CompiledAlarmDefinition {
  return {
    alarmId: rule.alarmId,
    device: rule.device,
    rule: rule.rule,
    kind: rule.kind,
    priority: rule.priority,
    message: rule.message,
    ...(point === undefined ? {} : { point }),
    ...settings,
  };
}

function pointKinds(profile: DeviceProfile): Map<string, PointKind> {
  const points: Array<{ name: string; kind: PointKind }> = profile.points;
  return new Map(points.map((p) => [p.name, p.kind]));
}

/** An id listed in both disable lists, or twice in one, is not unknown the second time. */
function alreadyDisabled(device: DeviceConfig, section: 'disableThresholds' | 'disableAlarms', id: string): boolean {
  const earlier = section === 'disableThresholds' ? [] : device.disableThresholds;
  const own = section === 'disableThresholds' ? device.disableThresholds : (device.disableAlarms ?? []);
  return earlier.includes(id) || own.indexOf(id) !== own.lastIndexOf(id);
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
  problems: ProblemList,
): Map<string, Sourced<T>> {
  const merged = new Map<string, Sourced<T>>();
  for (const def of fromProfile) {
    if (merged.has(def.id)) problems.rule(device, section, def.id, 'defined twice in the profile', { profile });
    merged.set(def.id, { def, fromProfile: true });
  }
  const deviceIds = new Set<string>();
  for (const def of fromDevice) {
    if (deviceIds.has(def.id)) problems.rule(device, section, def.id, `defined twice in the device's ${section}`);
    deviceIds.add(def.id);
    merged.set(def.id, { def, fromProfile: false });
  }
  return merged;
}

function unknownRuleToDisable(id: string, profile: DeviceProfile): string {
  switch (profile.protocol) {
    case 'modbus':
    case 'bacnet':
      return `no threshold or alarm "${id}" in profile ${profile.id} or in the device's thresholds or alarms`;
    case 'mqtt':
      return `no threshold, event rule or alarm "${id}" in profile ${profile.id} or in the device's thresholds, eventRules or alarms`;
  }
}

/** What is wrong with one threshold definition, or undefined when it is sound. */
function thresholdProblem(def: ThresholdDef, profile: DeviceProfile): string | undefined {
  if (def.id === COMM_LOSS_RULE_ID) return `the id "${COMM_LOSS_RULE_ID}" is reserved for the communication-loss alarm`;
  const points: Array<{ name: string; kind: PointKind }> = profile.points;
  const point = points.find((p) => p.name === def.point);
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
    case 'bacnet':
      return `event "${def.event}" is not in profile ${profile.id} (BACnet profiles have no events)`;
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

function appendTo<T>(map: Map<string, T[]>, key: string, item: T): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [item]);
  else list.push(item);
}

function deviceLabel(device: DeviceConfig): string {
  return device.name === undefined || device.name === '' ? device.id : `${device.name} (${device.id})`;
}
