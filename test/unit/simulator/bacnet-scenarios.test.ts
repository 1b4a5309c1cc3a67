import { afterEach, describe, expect, it } from 'vitest';
import { FLOOD_DETECTORS } from '../../../simulator/scenarios.js';
import { startSimulator, type SimulatorHandle } from '../../../simulator/simulator.js';
import { VirtualClock } from '../../../src/time/clock.js';

const SECOND_MS = 1000;
let sim: SimulatorHandle | undefined;

async function start(opts: { bacnet?: boolean } = {}): Promise<SimulatorHandle> {
  // Unit tests run in parallel: BACnet devices only on free ports of 127.0.0.1.
  sim = await startSimulator({
    clock: new VirtualClock(), seed: 5, controlPort: null,
    bacnet: opts.bacnet ? { firePanel: { address: '127.0.0.1', port: 0 }, elevatorGateway: { address: '127.0.0.1', basePort: 0 } } : undefined,
  });
  return sim;
}

afterEach(async () => {
  await sim?.stop();
  sim = undefined;
});

describe('fire-panel scenarios', () => {
  it('fire-alarm: the default detector and its zone go to alarm, linkages confirm; clearing resets', async () => {
    const s = await start();
    expect(s.startScenario('fire-alarm')).toMatchObject({ name: 'fire-alarm', device: 'fire-panel-1' });
    expect(s.values('fire-panel-1')).toMatchObject({ l2_d017: 'alarm', zone_06: 'alarm', linkage_fan_1_start: true });
    s.step(6 * SECOND_MS);
    expect(s.values('fire-panel-1').linkage_fan_1_feedback).toBe(true);
    expect(s.clearScenario('fire-alarm')).toBe(1);
    expect(s.values('fire-panel-1')).toMatchObject({ l2_d017: 'quiet', zone_06: 'quiet', linkage_fan_1_start: false });
  });

  it('acts on a given point, and refuses points that do not fit', async () => {
    const s = await start();
    s.startScenario('fire-alarm', 'fire-panel-1/l4_d060');
    s.startScenario('detector-fault', 'fire-panel-1/l1_d002');
    s.startScenario('valve-closed', 'fire-panel-1/valve_closed_7');
    expect(s.values('fire-panel-1')).toMatchObject({ l4_d060: 'alarm', zone_16: 'alarm', l1_d002: 'fault', valve_closed_7: true });
    expect(() => s.startScenario('fire-alarm', 'fire-panel-1/valve_closed_1')).toThrow('valve_closed_1 is not a detector');
    expect(() => s.startScenario('fire-alarm', 'fire-panel-1/l9_d999')).toThrow('fire-panel-1 has no point "l9_d999"');
    expect(() => s.startScenario('valve-closed', 'fire-panel-1/l1_d001')).toThrow('l1_d001 is not a supervisory input');
    expect(() => s.startScenario('fire-alarm', 'elevator-1')).toThrow('elevator-1 is not a fire panel');
    expect(() => s.startScenario('panel-silent', 'fire-panel-1/l1_d001')).toThrow('applies to the whole panel');
    expect(s.clearScenario('fire-alarm')).toBe(1);
    expect(s.values('fire-panel-1').l4_d060).toBe('quiet');
  });

  it('detector-flood: 30 fire alarms within a minute', async () => {
    const s = await start();
    s.startScenario('detector-flood');
    const inAlarm = (): number => FLOOD_DETECTORS.filter((d) => s.values('fire-panel-1')[d] === 'alarm').length;
    s.step(SECOND_MS);
    expect(inAlarm()).toBe(1);
    s.step(59 * SECOND_MS);
    expect(inAlarm()).toBe(30);
    s.clearScenario('detector-flood');
    expect(inAlarm()).toBe(0);
  });

  it('panel-silent shows in the device list and silences the served panel', async () => {
    const s = await start({ bacnet: true });
    const panel = (): { comm: string } | undefined => s.devices().find((d) => d.id === 'fire-panel-1');
    expect(panel()?.comm).toBe('normal');
    s.startScenario('panel-silent');
    expect(panel()?.comm).toBe('silent');
    s.clearScenario('panel-silent');
    expect(panel()?.comm).toBe('normal');
  });
});

describe('BACnet devices of the simulator', () => {
  it('serves the fire panel and two elevator cars, and runs trapped-passenger on a BACnet car', async () => {
    const s = await start({ bacnet: true });
    const endpoints = s.bacnetEndpoints();
    expect(endpoints.map((e) => [e.id, e.deviceInstance])).toEqual([['fire-panel-1', 2001], ['elevator-5', 3005], ['elevator-6', 3006]]);
    for (const e of endpoints) expect(e.port).toBeGreaterThan(0);
    expect(s.values('elevator-5')).toMatchObject({ fault_code: 'none', in_service: true, inspection_mode: false });
    s.startScenario('trapped-passenger', 'elevator-5');
    expect(s.values('elevator-5')).toMatchObject({ fault_code: 'passenger_trapped', in_service: false });
    s.step(25 * SECOND_MS);
    expect(s.values('elevator-5').alarm_button).toBe(true);
    expect(s.devices().filter((d) => d.link === 'bacnet').map((d) => d.id)).toEqual(['fire-panel-1', 'elevator-5', 'elevator-6']);
  });

  it('has no BACnet cars and serves nothing unless asked', async () => {
    const s = await start();
    expect(s.bacnetEndpoints()).toEqual([]);
    expect(() => s.values('elevator-5')).toThrow('no device "elevator-5"');
    expect(() => s.startScenario('trapped-passenger', 'elevator-5')).toThrow('no device "elevator-5"');
  });
});
