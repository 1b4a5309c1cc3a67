import { afterEach, describe, expect, it } from 'vitest';
import { SCENARIO_NAMES } from '../../../simulator/scenarios.js';
import { startSimulator, type SimulatorHandle } from '../../../simulator/simulator.js';
import { VirtualClock } from '../../../src/time/clock.js';

const SECOND_MS = 1000;
const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
let sim: SimulatorHandle | undefined;

async function start(scenarios: Array<{ name: string; device?: string }> = []): Promise<SimulatorHandle> {
  sim = await startSimulator({ clock: new VirtualClock(), seed: 3, controlPort: null, scenarios });
  return sim;
}

/** Steps until `predicate` holds, failing after `limitMs` of simulated time. */
function stepUntil(s: SimulatorHandle, predicate: () => boolean, limitMs: number, stepMs = SECOND_MS): void {
  for (let t = 0; t < limitMs; t += stepMs) {
    if (predicate()) return;
    s.step(stepMs);
  }
  if (!predicate()) throw new Error(`condition not reached within ${limitMs} ms`);
}

afterEach(async () => {
  await sim?.stop();
  sim = undefined;
});

describe('fault scenarios', () => {
  it('lists every scenario with a default device', async () => {
    const s = await start();
    const { available, active } = s.scenarios();
    expect(available.map((a) => a.name)).toEqual([...SCENARIO_NAMES]);
    for (const a of available) expect(s.devices().some((d) => d.id === a.defaultDevice), a.name).toBe(true);
    expect(active).toEqual([]);
  });

  it('pump-overheat: motor temperature passes 110 degC, the motor trips; clearing resets the trip', async () => {
    const s = await start();
    s.startScenario('pump-overheat');
    const v = () => s.values('booster-1');
    stepUntil(s, () => (v().motor_temperature as number) > 110, 20 * MINUTE_MS);
    expect(v()).toMatchObject({ running: true, fault: false });
    stepUntil(s, () => v().fault === true, 20 * MINUTE_MS);
    expect(v()).toMatchObject({ running: false, fault: true, fault_code: 'motor_overtemperature', motor_current: 0 });
    expect(s.clearScenario('pump-overheat')).toBe(1);
    expect(v()).toMatchObject({ fault: false, fault_code: 'none', remote: true });
    s.step(30 * MINUTE_MS);
    expect(v().motor_temperature as number).toBeLessThan(110);
  });

  it('low-discharge-pressure: running with the discharge near suction pressure and no flow; clearing restores it', async () => {
    const s = await start();
    s.startScenario('low-discharge-pressure');
    const v = () => s.values('booster-2');
    stepUntil(s, () => v().running === true && v().frequency === 50, HOUR_MS);
    expect(v().discharge_pressure as number).toBeLessThan(1);
    expect(v().flow as number).toBeLessThan(0.5);
    expect(v().vibration as number).toBeGreaterThan(4.5);
    s.clearScenario('low-discharge-pressure', 'booster-2');
    s.step(SECOND_MS);
    stepUntil(s, () => v().running === true && v().frequency === 50, HOUR_MS);
    expect(v().discharge_pressure as number).toBeGreaterThan(3.5);
    expect(v().flow as number).toBeGreaterThan(5);
  });

  it('low-discharge-pressure refuses a pump that measures the system pressure', async () => {
    const s = await start();
    expect(() => s.startScenario('low-discharge-pressure', 'fire-pump-1')).toThrow(/system pressure/);
  });

  it('jockey-short-cycle: many jockey starts an hour; few once cleared', async () => {
    const s = await start();
    const starts = () => s.values('jockey-pump-1').start_count as number;
    s.startScenario('jockey-short-cycle');
    const before = starts();
    s.step(HOUR_MS);
    expect(starts() - before).toBeGreaterThan(12);
    s.clearScenario('jockey-short-cycle');
    const after = starts();
    s.step(HOUR_MS);
    expect(starts() - after).toBeLessThanOrEqual(1);
  });

  it('trapped-passenger: stopped between floors, trapped bit and fault code, alarm button after a while; cleared: back in service', async () => {
    const s = await start();
    s.step(2 * MINUTE_MS);
    s.startScenario('trapped-passenger');
    const v = () => s.values('elevator-2');
    expect(v()).toMatchObject({ passenger_trapped: true, fault_code: 'passenger_trapped', in_door_zone: false, speed: 0, door_state: 'closed', mode: 'out_of_service' });
    s.step(MINUTE_MS);
    expect(v()).toMatchObject({ passenger_trapped: true, alarm_button: true });
    s.clearScenario('trapped-passenger');
    expect(v()).toMatchObject({ passenger_trapped: false, alarm_button: false, fault_code: 'none', mode: 'in_service' });
    stepUntil(s, () => v().door_state === 'open', MINUTE_MS, 100);
    expect(v().in_door_zone).toBe(true);
  });

  it('leveling-fault: stopped outside the door zone; cleared: re-levels and opens', async () => {
    const s = await start();
    s.step(2 * MINUTE_MS);
    s.startScenario('leveling-fault');
    const v = () => s.values('elevator-3');
    s.step(10 * SECOND_MS);
    expect(v()).toMatchObject({ leveling_error: true, fault_code: 'leveling_error', in_door_zone: false, speed: 0 });
    expect(() => s.startScenario('trapped-passenger', 'elevator-3')).toThrow(/leveling-fault/);
    s.clearScenario('leveling-fault');
    stepUntil(s, () => v().door_state === 'open', MINUTE_MS, 100);
    expect(v()).toMatchObject({ leveling_error: false, in_door_zone: true });
  });

  it('communication scenarios change how a device answers, not its values', async () => {
    const s = await start([{ name: 'no-answer' }, { name: 'modbus-exception', device: 'elevator-4' }, { name: 'swapped-float', device: 'sump-1' }]);
    const comm = (id: string) => s.devices().find((d) => d.id === id);
    expect(comm('elevator-4')).toMatchObject({ comm: 'no-answer' });
    expect(comm('sump-1')).toMatchObject({ comm: 'normal', swappedFloat: true });
    s.clearScenario('no-answer');
    expect(comm('elevator-4')).toMatchObject({ comm: 'exception' });
    s.clearScenario('modbus-exception');
    expect(comm('elevator-4')).toMatchObject({ comm: 'normal' });
    expect(s.scenarios().active).toEqual([expect.objectContaining({ name: 'swapped-float', device: 'sump-1' })]);
  });

  it('starts idempotently, clears per device or for all devices, and names what is wrong', async () => {
    const s = await start();
    s.startScenario('no-answer', 'booster-1');
    s.startScenario('no-answer', 'booster-1');
    s.startScenario('no-answer', 'booster-2');
    expect(s.scenarios().active).toHaveLength(2);
    expect(s.clearScenario('no-answer', 'booster-2')).toBe(1);
    expect(s.clearScenario('no-answer')).toBe(1);
    expect(s.clearScenario('no-answer')).toBe(0);
    expect(() => s.startScenario('meteor-strike')).toThrow(expect.objectContaining({ kind: 'unknown-scenario' }));
    expect(() => s.startScenario('no-answer', 'lift-9')).toThrow(expect.objectContaining({ kind: 'unknown-device' }));
    expect(() => s.startScenario('trapped-passenger', 'sump-1')).toThrow(expect.objectContaining({ kind: 'wrong-device' }));
    expect(() => s.startScenario('jockey-short-cycle', 'fire-pump-1')).toThrow(expect.objectContaining({ kind: 'wrong-device' }));
  });
});
