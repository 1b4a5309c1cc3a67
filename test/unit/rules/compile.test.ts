import { describe, expect, it } from 'vitest';
import type { DeviceConfig, EventRuleConfig, SiteConfig, ThresholdConfig } from '../../../src/config/schema.js';
import { findProfile } from '../../../src/profiles/index.js';
import type { DeviceProfile, MqttProfile } from '../../../src/profiles/types.js';
import { compileRules, RuleCompileError, type ProfileLookup } from '../../../src/rules/compile.js';

function device(overrides: Partial<DeviceConfig> & { id: string }): DeviceConfig {
  return {
    type: 'pump',
    profile: 'pump-vfd-v1',
    link: 'plant',
    unitId: 1,
    pollIntervalMs: 1000,
    staleAfterPolls: 3,
    commLossDelayMs: 10_000,
    enabled: true,
    thresholds: [],
    disableThresholds: [],
    topicVars: {},
    eventRules: [],
    ...overrides,
  };
}

function site(devices: DeviceConfig[]): SiteConfig {
  return { site: { id: 'hq', name: 'HQ', timezone: 'UTC' }, http: { host: '127.0.0.1', port: 8080 }, embeddedBroker: { host: '127.0.0.1', port: 0 }, links: [], devices, sinks: [] };
}

function compileErrors(config: SiteConfig, lookup: ProfileLookup = findProfile): readonly string[] {
  try {
    compileRules(config, lookup);
  } catch (err) {
    if (err instanceof RuleCompileError) return err.problems;
    throw err;
  }
  throw new Error('expected a RuleCompileError');
}

const extraThreshold: ThresholdConfig = { id: 'discharge_pressure_low', point: 'discharge_pressure', low: 2.5, deadband: 0.2, onDelayMs: 5000, priority: 'high', message: 'Discharge pressure low' };

describe('compileRules', () => {
  it("compiles the profile's thresholds per device, indexed by point id", () => {
    const rules = compileRules(site([device({ id: 'pump-1' })]), findProfile);
    expect(rules.thresholdCount).toBe(4);
    expect([...rules.thresholdsByPoint.keys()]).toEqual(['pump-1.fault', 'pump-1.motor_temperature', 'pump-1.bearing_temperature', 'pump-1.vibration']);
    expect(rules.thresholdsByPoint.get('pump-1.motor_temperature')).toEqual([
      {
        alarmId: 'pump-1:motor_temperature_high',
        device: 'pump-1',
        point: 'pump-1.motor_temperature',
        rule: 'motor_temperature_high',
        kind: 'threshold-high',
        priority: 'high',
        message: 'Motor winding temperature high',
        limit: 110,
        deadband: 5,
        onDelayMs: 10_000,
        offDelayMs: 0,
        lifeSafety: false,
      },
    ]);
  });

  it('adds one communication-loss rule per enabled device and nothing for disabled devices', () => {
    const rules = compileRules(
      site([device({ id: 'pump-1', name: 'Booster pump 1', commLossDelayMs: 30_000 }), device({ id: 'pump-2', enabled: false })]),
      findProfile,
    );
    expect([...rules.commLossByDevice.values()]).toEqual([
      { alarmId: 'pump-1:comm_loss', device: 'pump-1', rule: 'comm_loss', priority: 'high', message: 'Communication lost with Booster pump 1 (pump-1)', delayMs: 30_000, lifeSafety: false },
    ]);
    expect([...rules.thresholdsByPoint.keys()].every((p) => p.startsWith('pump-1.'))).toBe(true);
  });

  it('lets config thresholds override profile ones by id, add new ones, and disable others', () => {
    const override: ThresholdConfig = { id: 'vibration_high', point: 'vibration', high: 7.1, deadband: 0.5, priority: 'high', message: 'Vibration zone D (group 1)' };
    const rules = compileRules(
      site([device({ id: 'pump-2', thresholds: [override, extraThreshold], disableThresholds: ['bearing_temperature_high'] })]),
      findProfile,
    );
    const all = [...rules.thresholdsByPoint.values()].flat();
    expect(all.map((t) => t.rule)).toEqual(['fault', 'motor_temperature_high', 'vibration_high', 'discharge_pressure_low']);
    expect(rules.thresholdsByPoint.get('pump-2.vibration')).toEqual([
      expect.objectContaining({ limit: 7.1, deadband: 0.5, onDelayMs: 0, priority: 'high', message: 'Vibration zone D (group 1)' }),
    ]);
    expect(rules.thresholdsByPoint.get('pump-2.discharge_pressure')).toEqual([
      expect.objectContaining({ alarmId: 'pump-2:discharge_pressure_low', kind: 'threshold-low', limit: 2.5, deadband: 0.2, onDelayMs: 5000 }),
    ]);
    expect(rules.thresholdCount).toBe(4);
  });

  it('can disable a threshold the device config added', () => {
    const rules = compileRules(site([device({ id: 'pump-1', thresholds: [extraThreshold], disableThresholds: ['discharge_pressure_low'] })]), findProfile);
    expect(rules.thresholdsByPoint.has('pump-1.discharge_pressure')).toBe(false);
  });

  it('keeps several thresholds on one point together', () => {
    const warn: ThresholdConfig = { id: 'motor_temperature_warn', point: 'motor_temperature', high: 95, deadband: 5, priority: 'low', message: 'Motor warm' };
    const rules = compileRules(site([device({ id: 'pump-1', thresholds: [warn] })]), findProfile);
    expect(rules.thresholdsByPoint.get('pump-1.motor_temperature')?.map((t) => t.rule)).toEqual(['motor_temperature_high', 'motor_temperature_warn']);
  });

  it('names the device and the threshold in each error', () => {
    const typo: ThresholdConfig = { id: 'vibration_hi', point: 'vibraton', high: 5, priority: 'medium', message: 'Vibration' };
    expect(compileErrors(site([device({ id: 'pump-2', thresholds: [typo] })]))).toEqual([
      'devices[pump-2].thresholds[vibration_hi]: point "vibraton" is not in profile pump-vfd-v1',
    ]);
  });

  it('requires exactly one of high and low', () => {
    const both: ThresholdConfig = { id: 'band', point: 'flow', high: 400, low: 10, priority: 'low', message: 'Flow' };
    const neither: ThresholdConfig = { id: 'none', point: 'flow', priority: 'low', message: 'Flow' };
    expect(compileErrors(site([device({ id: 'pump-1', thresholds: [both, neither] })]))).toEqual([
      'devices[pump-1].thresholds[band]: has both high and low; a threshold has exactly one (use two thresholds for a band)',
      'devices[pump-1].thresholds[none]: needs a high or a low limit',
    ]);
  });

  it('collects every problem of every device in one error', () => {
    const onEnum: ThresholdConfig = { id: 'fault_code_high', point: 'fault_code', high: 0, priority: 'low', message: 'Fault' };
    const reserved: ThresholdConfig = { id: 'comm_loss', point: 'flow', low: 1, priority: 'low', message: 'x' };
    const negative: ThresholdConfig = { id: 'flow_low', point: 'flow', low: 1, deadband: -1, priority: 'low', message: 'x' };
    const problems = compileErrors(
      site([
        device({ id: 'pump-1', thresholds: [onEnum, reserved, negative, extraThreshold, extraThreshold], disableThresholds: ['vibration_hgh'] }),
        device({ id: 'pump-1' }),
        device({ id: 'pump-3', profile: 'pump-vfd-v9' }),
      ]),
    );
    expect(problems).toEqual([
      `devices[pump-1].thresholds[discharge_pressure_low]: defined twice in the device's thresholds`,
      `devices[pump-1].disableThresholds[vibration_hgh]: no threshold or alarm "vibration_hgh" in profile pump-vfd-v1 or in the device's thresholds or alarms`,
      'devices[pump-1].thresholds[fault_code_high]: point "fault_code" is an enum (its values are state names); a threshold needs a numeric or binary point',
      'devices[pump-1].thresholds[comm_loss]: the id "comm_loss" is reserved for the communication-loss alarm',
      'devices[pump-1].thresholds[flow_low]: deadband must be a finite number ≥ 0',
      'devices[pump-1]: device id used twice',
      'devices[pump-3]: profile "pump-vfd-v9" is not known',
    ]);
  });

  it('marks problems of profile thresholds as coming from the profile', () => {
    const base = findProfile('pump-vfd-v1');
    if (base === undefined) throw new Error('pump profile missing');
    const broken: DeviceProfile = { ...base, id: 'pump-broken', thresholds: [{ id: 'odd', point: 'flow', priority: 'low', message: 'x' }] };
    const lookup = (id: string): DeviceProfile | undefined => (id === broken.id ? broken : findProfile(id));
    expect(compileErrors(site([device({ id: 'pump-1', profile: 'pump-broken' })]), lookup)).toEqual([
      'devices[pump-1].thresholds[odd] (from profile pump-broken): needs a high or a low limit',
    ]);
    // Overriding the broken definition in the config is a fix.
    const fixed: ThresholdConfig = { id: 'odd', point: 'flow', low: 5, priority: 'low', message: 'Flow low' };
    expect(compileRules(site([device({ id: 'pump-1', profile: 'pump-broken', thresholds: [fixed] })]), lookup).thresholdCount).toBe(1);
  });
});

const SECOND_MS = 1000;
const MINUTE_MS = 60 * SECOND_MS;

function controller(id: string, overrides: Partial<DeviceConfig> = {}): DeviceConfig {
  return device({ id, type: 'access-controller', profile: 'access-controller-mqtt-v1', link: 'acs', unitId: undefined, topicVars: { controller: id }, ...overrides });
}

function door(id: string, parent: string | undefined, overrides: Partial<DeviceConfig> = {}): DeviceConfig {
  const doorDevice = device({ id, type: 'door', profile: 'door-mqtt-v1', link: 'acs', unitId: undefined, topicVars: { controller: parent ?? 'ctl-1', door: id }, ...overrides });
  if (parent !== undefined) doorDevice.parent = parent;
  return doorDevice;
}

const strictDenials: EventRuleConfig = { id: 'repeated_denials', event: 'access_denied', count: 3, windowMs: MINUTE_MS, priority: 'high', message: '3 refused badges within a minute' };
const tailgating: EventRuleConfig = { id: 'busy_door', event: 'access_granted', count: 100, windowMs: 10 * MINUTE_MS, priority: 'low', message: 'Door unusually busy' };

describe('compileRules: event rules', () => {
  it("compiles the door profile's event rules per device, next to its thresholds", () => {
    const rules = compileRules(site([controller('ctl-1'), door('door-1', 'ctl-1')]), findProfile);
    expect(rules.eventRuleCount).toBe(2);
    expect(rules.eventRulesByDevice.get('door-1')).toEqual([
      { alarmId: 'door-1:forced_open', device: 'door-1', rule: 'forced_open', event: 'door_forced', priority: 'high', message: 'Door forced open', count: 1, windowMs: 5 * MINUTE_MS, lifeSafety: false },
      { alarmId: 'door-1:repeated_denials', device: 'door-1', rule: 'repeated_denials', event: 'access_denied', priority: 'medium', message: '5 refused badges within 2 minutes', count: 5, windowMs: 2 * MINUTE_MS, lifeSafety: false },
    ]);
    expect(rules.thresholdsByPoint.get('door-1.open')?.map((t) => [t.rule, t.onDelayMs])).toEqual([['held_open_prealarm', 5 * SECOND_MS], ['held_open', 10 * SECOND_MS]]);
    // The controller's profile has no event rules, and a Modbus device none at all.
    expect(rules.eventRulesByDevice.has('ctl-1')).toBe(false);
    expect(compileRules(site([device({ id: 'pump-1' })]), findProfile)).toMatchObject({ eventRuleCount: 0, eventRulesByDevice: new Map() });
  });

  it('lets device event rules override profile ones by id and add new ones', () => {
    const rules = compileRules(site([door('door-1', undefined, { eventRules: [tailgating, strictDenials] })]), findProfile);
    expect(rules.eventRulesByDevice.get('door-1')?.map((r) => `${r.rule} ${r.count}/${r.windowMs}`)).toEqual([
      'forced_open 1/300000',
      'repeated_denials 3/60000',
      'busy_door 100/600000',
    ]);
    expect(rules.eventRuleCount).toBe(3);
  });

  it('disables event rules and thresholds through disableThresholds', () => {
    const rules = compileRules(
      site([door('door-1', undefined, { eventRules: [tailgating], disableThresholds: ['repeated_denials', 'busy_door', 'held_open_prealarm'] })]),
      findProfile,
    );
    expect(rules.eventRulesByDevice.get('door-1')?.map((r) => r.rule)).toEqual(['forced_open']);
    expect(rules.thresholdsByPoint.get('door-1.open')?.map((t) => t.rule)).toEqual(['held_open']);
    const none = compileRules(site([door('door-1', undefined, { disableThresholds: ['repeated_denials', 'forced_open'] })]), findProfile);
    expect(none.eventRulesByDevice.has('door-1')).toBe(false);
  });

  it('gives a device with a parent no communication-loss rule: its parent covers it', () => {
    const rules = compileRules(
      site([controller('ctl-1'), door('door-1', 'ctl-1'), door('door-2', 'ctl-1'), door('door-3', 'ctl-1', { enabled: false }), door('door-9', undefined)]),
      findProfile,
    );
    expect([...rules.commLossByDevice.keys()]).toEqual(['ctl-1', 'door-9']);
    expect([...rules.childrenByParent]).toEqual([['ctl-1', ['door-1', 'door-2']]]);
    // The doors keep their own thresholds and event rules.
    expect(rules.thresholdsByPoint.has('door-2.open')).toBe(true);
    expect(rules.eventRulesByDevice.has('door-2')).toBe(true);
  });

  it('names the device and the event rule in each error', () => {
    const typo: EventRuleConfig = { id: 'denials', event: 'acces_denied', count: 5, windowMs: 2 * MINUTE_MS, priority: 'medium', message: 'Denials' };
    expect(compileErrors(site([door('door-3', undefined, { eventRules: [typo] })]))).toEqual([
      'devices[door-3].eventRules[denials]: event "acces_denied" is not in profile door-mqtt-v1',
    ]);
  });

  it('collects every problem of event rules and parents', () => {
    const zeroCount: EventRuleConfig = { ...tailgating, id: 'zero', count: 0 };
    const hugeCount: EventRuleConfig = { ...tailgating, id: 'huge', count: 1_000_000 };
    const fractional: EventRuleConfig = { ...tailgating, id: 'half', count: 2.5 };
    const noWindow: EventRuleConfig = { ...tailgating, id: 'instant', windowMs: 0 };
    const reserved: EventRuleConfig = { ...tailgating, id: 'comm_loss' };
    const clash: EventRuleConfig = { ...tailgating, id: 'held_open' };
    const problems = compileErrors(
      site([
        door('door-1', 'ctl-9', { eventRules: [zeroCount, hugeCount, fractional, noWindow, reserved, clash, tailgating, tailgating], disableThresholds: ['forced_opn'] }),
        door('door-2', 'door-2'),
        device({ id: 'pump-1', eventRules: [{ ...tailgating, id: 'starts' }] }),
      ]),
    );
    expect(problems).toEqual([
      `devices[door-1].eventRules[busy_door]: defined twice in the device's eventRules`,
      'devices[door-1].eventRules[held_open]: the id "held_open" is also a threshold of this device; a rule id names one rule',
      `devices[door-1].disableThresholds[forced_opn]: no threshold, event rule or alarm "forced_opn" in profile door-mqtt-v1 or in the device's thresholds, eventRules or alarms`,
      'devices[door-1].eventRules[zero]: count must be a whole number ≥ 1',
      'devices[door-1].eventRules[huge]: count must be at most 10000 (the rule keeps the time of each counted event)',
      'devices[door-1].eventRules[half]: count must be a whole number ≥ 1',
      'devices[door-1].eventRules[instant]: windowMs must be a finite number > 0',
      'devices[door-1].eventRules[comm_loss]: the id "comm_loss" is reserved for the communication-loss alarm',
      'devices[door-1].parent: device "ctl-9" is not defined',
      'devices[door-2].parent: a device cannot be its own parent',
      'devices[pump-1].eventRules[starts]: event "access_granted" is not in profile pump-vfd-v1 (Modbus profiles have no events)',
    ]);
  });

  it('marks problems of profile event rules as coming from the profile', () => {
    const base = findProfile('door-mqtt-v1');
    if (base?.protocol !== 'mqtt') throw new Error('door profile missing');
    const broken: MqttProfile = { ...base, id: 'door-broken', eventRules: [{ id: 'odd', event: 'door_opened', count: 1, windowMs: MINUTE_MS, priority: 'low', message: 'x' }] };
    const lookup = (id: string): DeviceProfile | undefined => (id === broken.id ? broken : findProfile(id));
    expect(compileErrors(site([door('door-1', undefined, { profile: 'door-broken' })]), lookup)).toEqual([
      'devices[door-1].eventRules[odd] (from profile door-broken): event "door_opened" is not in profile door-broken',
    ]);
  });
});
