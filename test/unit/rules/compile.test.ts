import { describe, expect, it } from 'vitest';
import type { DeviceConfig, SiteConfig, ThresholdConfig } from '../../../src/config/schema.js';
import { findProfile } from '../../../src/profiles/index.js';
import type { DeviceProfile } from '../../../src/profiles/types.js';
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
      },
    ]);
  });

  it('adds one communication-loss rule per enabled device and nothing for disabled devices', () => {
    const rules = compileRules(
      site([device({ id: 'pump-1', name: 'Booster pump 1', commLossDelayMs: 30_000 }), device({ id: 'pump-2', enabled: false })]),
      findProfile,
    );
    expect([...rules.commLossByDevice.values()]).toEqual([
      { alarmId: 'pump-1:comm_loss', device: 'pump-1', rule: 'comm_loss', priority: 'high', message: 'Communication lost with Booster pump 1 (pump-1)', delayMs: 30_000 },
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
      `devices[pump-1].disableThresholds[vibration_hgh]: no threshold "vibration_hgh" in profile pump-vfd-v1 or in the device's thresholds`,
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
