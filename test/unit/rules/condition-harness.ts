import type { AlarmEvent } from '../../../src/alarms/events.js';
import type { DeviceConfig, SiteConfig } from '../../../src/config/schema.js';
import { silentLogger } from '../../../src/log.js';
import type { PointValue, Quality } from '../../../src/points/sample.js';
import type { ConditionAlarmDef, ModbusProfile } from '../../../src/profiles/types.js';
import { compileRules, RuleCompileError, type CompiledRuleSet } from '../../../src/rules/compile.js';
import { RuleEngine } from '../../../src/rules/engine.js';
import { VirtualClock } from '../../../src/time/clock.js';

/** A booster pump set with an operating mode: points of every kind the condition alarms read. */
export function boosterProfile(alarms: ConditionAlarmDef[] = []): ModbusProfile {
  return {
    id: 'booster-test-v1',
    protocol: 'modbus',
    equipment: 'pump',
    description: 'Booster set for rule tests',
    points: [
      { name: 'pressure', description: 'Discharge pressure', table: 'input', address: 0, type: 'float32', unit: 'bar', kind: 'analog' },
      { name: 'level', description: 'Tank level', table: 'input', address: 2, type: 'float32', unit: 'm', kind: 'analog' },
      { name: 'running', description: 'Running', table: 'discrete', address: 0, type: 'bool', kind: 'binary' },
      { name: 'mode', description: 'Operating mode', table: 'input', address: 4, type: 'enum', kind: 'enum', states: { 0: 'auto', 1: 'manual', 2: 'maintenance' } },
      { name: 'fault_code', description: 'Fault code', table: 'input', address: 5, type: 'enum', kind: 'enum', states: { 0: 'ok', 3: 'overcurrent', 7: 'dry_run' } },
    ],
    thresholds: [{ id: 'pressure_high', point: 'pressure', high: 8, priority: 'medium', message: 'Pressure high' }],
    alarms,
  };
}

export function boosterDevice(overrides: Partial<DeviceConfig> = {}): DeviceConfig {
  return {
    id: 'bp-1', type: 'pump', profile: 'booster-test-v1', link: 'plant', unitId: 1, pollIntervalMs: 1000, staleAfterPolls: 3,
    commLossDelayMs: 10_000, enabled: true, thresholds: [], disableThresholds: [], topicVars: {}, eventRules: [], ...overrides,
  };
}

export function siteWith(devices: DeviceConfig[]): SiteConfig {
  return { site: { id: 'hq', name: 'HQ', timezone: 'UTC' }, http: { host: '127.0.0.1', port: 8080 }, embeddedBroker: { host: '127.0.0.1', port: 0 }, links: [], devices, sinks: [] };
}

export function compileBooster(alarms: ConditionAlarmDef[], device: Partial<DeviceConfig> = {}): CompiledRuleSet {
  const profile = boosterProfile(alarms);
  return compileRules(siteWith([boosterDevice(device)]), (id) => (id === profile.id ? profile : undefined));
}

export function boosterErrors(alarms: ConditionAlarmDef[], device: Partial<DeviceConfig> = {}): readonly string[] {
  try {
    compileBooster(alarms, device);
  } catch (err) {
    if (err instanceof RuleCompileError) return err.problems;
    throw err;
  }
  throw new Error('expected a RuleCompileError');
}

/** An engine on a virtual clock over one booster set; `sample` feeds a point of bp-1 stamped now. */
export function boosterEngine(alarms: ConditionAlarmDef[], device: Partial<DeviceConfig> = {}, clock = new VirtualClock()) {
  const rules = compileBooster(alarms, device);
  const events: AlarmEvent[] = [];
  const suppressions: Array<[string, boolean, string]> = [];
  let stateChanges = 0;
  const engine = new RuleEngine({
    site: 'hq',
    rules,
    clock,
    logger: silentLogger(),
    onAlarm: (e) => events.push(e),
    onSuppression: (alarmId, suppressed, reason) => suppressions.push([alarmId, suppressed, reason]),
    onStateChange: () => {
      stateChanges++;
    },
  });
  const sample = (point: string, value: PointValue | null, quality: Quality = 'good'): void =>
    engine.onSample({ point: `bp-1.${point}`, value, ts: clock.now(), quality });
  const summary = (): string[] => events.map((e) => `${e.type} ${e.rule}`);
  return { clock, rules, engine, events, suppressions, sample, summary, stateChanges: () => stateChanges };
}
