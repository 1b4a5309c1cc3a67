import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AlarmEvent } from '../../../src/alarms/events.js';
import type { DeviceConfig, SiteConfig } from '../../../src/config/schema.js';
import type { DriverContext } from '../../../src/drivers/driver.js';
import { Gateway } from '../../../src/gateway/gateway.js';
import { silentLogger } from '../../../src/log.js';
import type { ThresholdDef } from '../../../src/profiles/types.js';
import { VirtualClock } from '../../../src/time/clock.js';

const T0 = Date.parse('2026-11-28T01:00:00Z');
const S = 1000;

function pump(thresholds: ThresholdDef[] = [], disable: string[] = []): DeviceConfig {
  return {
    id: 'pump-1', type: 'pump', profile: 'pump-vfd-v1', link: 'plant', unitId: 1, pollIntervalMs: 1000, staleAfterPolls: 3, commLossDelayMs: 10_000, enabled: true,
    thresholds, eventRules: [], disableThresholds: disable, topicVars: {},
  };
}

function site(device: DeviceConfig, httpPort = 8080): SiteConfig {
  // No links: no driver runs; the test hands samples to the gateway the way a driver does.
  return { site: { id: 'tower', name: 'Tower', timezone: 'UTC' }, http: { host: '127.0.0.1', port: httpPort }, embeddedBroker: { host: '127.0.0.1', port: 0 }, links: [], devices: [device], sinks: [] };
}

const limit = (id: string, point: string, high: number, onDelayMs: number): ThresholdDef => ({ id, point, high, deadband: 0, onDelayMs, priority: 'medium', message: `${point} above ${high}` });

describe('rule reload', () => {
  let clock: VirtualClock;
  let gateway: Gateway;
  let events: AlarmEvent[];

  const feed = (values: Record<string, number>) =>
    (gateway as unknown as { driverContext: DriverContext }).driverContext.onSamples(
      Object.entries(values).map(([point, value]) => ({ point: `pump-1.${point}`, value, ts: clock.now(), quality: 'good' as const })),
    );
  const raised = (alarmId: string) => events.filter((e) => e.alarmId === alarmId && e.type === 'raise');
  const cleared = (alarmId: string) => events.filter((e) => e.alarmId === alarmId && e.type === 'clear');

  beforeEach(async () => {
    clock = new VirtualClock(T0);
    gateway = new Gateway({ config: site(pump([limit('flow_high', 'flow', 400, 0)])), clock, logger: silentLogger() });
    events = [];
    gateway.events.on('alarm', 'test', (e) => events.push(e));
    await gateway.start();
  });
  afterEach(async () => gateway.stop());

  it('keeps the state of unchanged rules: a pending on-delay runs on from where it was', async () => {
    feed({ motor_temperature: 120, bearing_temperature: 60 });
    await clock.advance(6 * S);
    const report = gateway.reloadRules(site(pump([limit('flow_high', 'flow', 400, 0), limit('level_high', 'level', 9, 0)])));
    expect(report).toMatchObject({ applied: true, added: ['pump-1:level_high'], changed: [], removed: [], restartRequired: [] });
    expect(report.unchanged).toBeGreaterThan(3);
    await clock.advance(4 * S);
    expect(raised('pump-1:motor_temperature_high')).toMatchObject([{ ts: T0 + 10 * S }]);
  });

  it('judges changed and added rules against the current values at once; a changed rule that no longer holds clears', async () => {
    feed({ bearing_temperature: 70, flow: 450, level: 5 });
    expect(raised('pump-1:flow_high')).toHaveLength(1);
    const report = gateway.reloadRules(
      site(pump([limit('flow_high', 'flow', 480, 0), limit('bearing_temperature_high', 'bearing_temperature', 60, 0), limit('level_high', 'level', 4, 0)])),
    );
    expect(report.changed).toEqual(['pump-1:bearing_temperature_high', 'pump-1:flow_high']);
    expect(raised('pump-1:bearing_temperature_high')).toHaveLength(1);
    expect(raised('pump-1:level_high')).toHaveLength(1);
    expect(cleared('pump-1:flow_high')).toMatchObject([{ message: expect.stringMatching(/rule changed/) as unknown }]);
    expect(gateway.alarmService.get('pump-1:flow_high')?.conditionActive).toBe(false);
    // A changed rule that still holds raises no second time.
    feed({ flow: 490 });
    const again = gateway.reloadRules(site(pump([limit('flow_high', 'flow', 470, 0), limit('bearing_temperature_high', 'bearing_temperature', 60, 0), limit('level_high', 'level', 4, 0)])));
    expect(again.changed).toEqual(['pump-1:flow_high']);
    expect(raised('pump-1:flow_high')).toHaveLength(2);
    expect(gateway.alarmService.health().unmatchedEvents).toBe(0);
  });

  it('clears the alarm of a removed rule with the reason "rule removed"', () => {
    feed({ flow: 450 });
    const report = gateway.reloadRules(site(pump([])));
    expect(report.removed).toEqual(['pump-1:flow_high']);
    expect(cleared('pump-1:flow_high')).toMatchObject([{ message: expect.stringMatching(/rule removed/) as unknown }]);
    expect(gateway.alarms.get('pump-1:flow_high')).toBeUndefined();
    // Disabling a profile rule is a removal too.
    feed({ vibration: 6 });
    expect(gateway.reloadRules(site(pump([], ['vibration_high']))).removed).toEqual(['pump-1:vibration_high']);
  });

  it('refuses an invalid rule set whole and keeps the running rules', async () => {
    const report = gateway.reloadRules(site(pump([limit('flow_high', 'flow', 100, 0), limit('oops', 'flwo', 1, 0)])));
    expect(report.applied).toBe(false);
    expect(report.errors.join('\n')).toMatch(/flwo/);
    feed({ flow: 300 });
    expect(raised('pump-1:flow_high'), 'the old limit (400) still applies').toHaveLength(0);
    feed({ flow: 410 });
    expect(raised('pump-1:flow_high')).toHaveLength(1);
    expect(gateway.lastRuleReload()?.applied).toBe(false);
  });

  it('reports settings that need a restart and applies the rules anyway', () => {
    const report = gateway.reloadRules(site(pump([limit('flow_high', 'flow', 300, 0)]), 9090));
    expect(report).toMatchObject({ applied: true, changed: ['pump-1:flow_high'], restartRequired: ['http'] });
    const moved = { ...pump([limit('flow_high', 'flow', 300, 0)]), unitId: 7 };
    expect(gateway.reloadRules(site(moved)).restartRequired).toEqual(['devices[pump-1]']);
  });
});
