import { expect } from 'vitest';
import type { DeviceConfig } from '../../src/config/schema.js';
import type { DeviceStatusEvent, LinkHealth } from '../../src/drivers/driver.js';
import type { PointValue, Sample } from '../../src/points/sample.js';
import { elevatorProfile } from '../../src/profiles/elevator.js';
import { pumpProfile } from '../../src/profiles/pump.js';
import type { ModbusProfile } from '../../src/profiles/types.js';

/**
 * What test/support/pymodbus_server.py (TCP) and pymodbus_rtu_server.py (RTU) serve, as engineering values:
 * unit 1 is the elevator map, unit 2 the pump map, encoded independently with Python's struct module.
 */
export const ELEVATOR_EXPECTED: Record<string, PointValue> = {
  floor: -2,
  direction: 'up',
  door_state: 'open',
  mode: 'in_service',
  fault_code: 'none',
  alarm_button: false,
  passenger_trapped: true,
  in_door_zone: true,
  overload: false,
  leveling_error: false,
  safety_circuit_open: false,
  load: 45,
  run_count: 123_456,
  run_hours: 5321.5, // float32 in CDAB
  door_cycles: 200_000,
  speed: -1.25,
};

export const PUMP_EXPECTED: Record<string, PointValue> = {
  running: true,
  fault: false,
  remote: true,
  discharge_pressure: 6.5,
  suction_pressure: 1.25,
  flow: 42.5,
  motor_current: 12.3,
  frequency: 49.99,
  motor_temperature: -5.4,
  bearing_temperature: 48.2,
  vibration: 2.1,
  level: 3.45,
  run_hours: 1234.5, // float64
  start_count: 321,
  fault_code: 'dry_run',
};

/** Link settings shared by the TCP and RTU interop tests: short timeouts, no retries, quick back-off. */
export function interopLinkTiming(timeoutMs: number) {
  return {
    timeoutMs,
    retries: 0,
    maxGapRegisters: 8,
    maxRegistersPerRead: 125,
    maxBitsPerRead: 2000,
    interRequestDelayMs: 0,
    backoffInitialMs: 1000,
    backoffMaxMs: 4000,
  };
}

/** A device of the given profile on `link`, polled every `pollIntervalMs`. */
export function interopDevice(
  link: string,
  id: string,
  unitId: number,
  profile: ModbusProfile,
  pollIntervalMs: number,
): { config: DeviceConfig; profile: ModbusProfile } {
  const config: DeviceConfig = {
    id,
    type: profile.equipment,
    profile: profile.id,
    link,
    unitId,
    pollIntervalMs,
    staleAfterPolls: 3,
    commLossDelayMs: 10_000,
    enabled: true,
    thresholds: [],
    disableThresholds: [],
    topicVars: {},
    eventRules: [],
  };
  return { config, profile };
}

/**
 * Asserts the last batches of `lift-1` (unit 1) and `pump-1` (unit 2) carry exactly what the server serves,
 * and that the pump's holding register (not served) came back as Modbus exception 2.
 */
export function expectServedValues(batchesOf: (device: string) => Sample[][]): void {
  const lift = batchesOf('lift-1').at(-1) ?? [];
  expect(lift).toHaveLength(elevatorProfile.points.length);
  for (const sample of lift) {
    const name = sample.point.slice('lift-1.'.length);
    expect(sample, sample.point).toMatchObject({ value: ELEVATOR_EXPECTED[name], quality: 'good' });
  }
  const pump = batchesOf('pump-1').at(-1) ?? [];
  expect(pump).toHaveLength(pumpProfile.points.length);
  for (const sample of pump) {
    const name = sample.point.slice('pump-1.'.length);
    if (name === 'pressure_setpoint') continue;
    expect(sample, sample.point).toMatchObject({ value: PUMP_EXPECTED[name], quality: 'good' });
  }
  expect(pump.find((s) => s.point === 'pump-1.pressure_setpoint')).toMatchObject({
    value: null,
    quality: 'bad',
    error: 'Modbus exception 2 (illegal data address) from unit 2 reading holding 0+1',
  });
}

export interface InteropRun {
  batchesOf: (device: string) => Sample[][];
  statuses: readonly DeviceStatusEvent[];
  /** Link health taken at the end of the run, before stop(). */
  health: LinkHealth;
  settleMs: number;
  pollMs: number;
  timeoutMs: number;
}

/**
 * Asserts what an interop run with `lift-1` (unit 1), `pump-1` (unit 2) and the unserved `ghost-1` shows:
 * the served values, one offline event and bad samples for the ghost, and the ghost backed off so that the
 * elevator keeps (nearly) every slot of its schedule — each probe of the silent unit holds the bus for one
 * timeout, which can cost the elevator at most one slot.
 */
export function expectSilentUnitContained(run: InteropRun): void {
  const { batchesOf, statuses, health, timeoutMs } = run;
  expectServedValues(batchesOf);
  const timeout = `timeout after ${timeoutMs} ms`;
  const ghost = batchesOf('ghost-1')[0] ?? [];
  expect(ghost).toHaveLength(pumpProfile.points.length);
  expect(ghost.every((s) => s.quality === 'bad' && s.error === timeout)).toBe(true);

  expect(statuses.filter((s) => s.device === 'lift-1').map((s) => s.online)).toEqual([true]);
  expect(statuses.filter((s) => s.device === 'pump-1').map((s) => s.online)).toEqual([true]);
  expect(statuses.filter((s) => s.device === 'ghost-1')).toEqual([{ device: 'ghost-1', online: false, ts: expect.any(Number) as number, error: timeout }]);

  expect(batchesOf('lift-1').length).toBeGreaterThanOrEqual(run.settleMs / run.pollMs - 2);
  const byDevice = new Map(health.devices.map((d) => [d.device, d]));
  const ghostRequests = byDevice.get('ghost-1')?.requests ?? 0;
  expect(ghostRequests).toBeLessThanOrEqual(3);
  expect(byDevice.get('lift-1')).toMatchObject({ state: 'online', errors: 0 });
  expect(byDevice.get('lift-1')?.overruns).toBeLessThanOrEqual(ghostRequests);
  expect(byDevice.get('pump-1')).toMatchObject({ state: 'degraded' });
  expect(byDevice.get('ghost-1')).toMatchObject({ state: 'offline', lastError: timeout });
}
