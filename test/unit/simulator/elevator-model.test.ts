import { describe, expect, it } from 'vitest';
import { demoBuilding } from '../../../simulator/demo-building.js';
import { ElevatorModel, type ElevatorSpec } from '../../../simulator/models/elevator.js';
import { Rng } from '../../../simulator/rng.js';

const STEP_MS = 100;
const START_MS = Date.UTC(2026, 0, 1); // 08:00 in Shanghai: morning up-peak
const MINUTE_MS = 60_000;

function car(id = 'elevator-1', seed = 3, busy = true): ElevatorModel {
  const spec = demoBuilding().elevators.find((e) => e.id === id) as ElevatorSpec;
  const traffic = busy ? () => ({ callsPerMinute: 3, fromEntranceShare: 0.5, toEntranceShare: 0.3 }) : spec.traffic;
  return new ElevatorModel({ ...spec, traffic }, { rng: new Rng(seed).fork(id) });
}

type Values = ReturnType<ElevatorModel['values']>;

/** Steps the car for `durationMs`, returning the values after every step. */
function run(model: ElevatorModel, durationMs: number, startMs = START_MS): Values[] {
  const trace: Values[] = [];
  for (let t = STEP_MS; t <= durationMs; t += STEP_MS) {
    model.step(STEP_MS, startMs + t);
    trace.push(model.values());
  }
  return trace;
}

describe('elevator model', () => {
  it('travels between floors at a realistic speed, doors cycle and counters grow over simulated minutes', () => {
    const model = car();
    const before = model.values();
    const trace = run(model, 15 * MINUTE_MS);
    const after = model.values();

    const floors = new Set(trace.map((v) => v.floor));
    expect(floors.size).toBeGreaterThan(4);
    const doorStates = new Set(trace.map((v) => v.door_state));
    for (const s of ['closed', 'opening', 'open', 'closing']) expect(doorStates.has(s)).toBe(true);
    const speeds = trace.map((v) => Math.abs(v.speed as number));
    expect(Math.max(...speeds)).toBeGreaterThan(2);
    expect(Math.max(...speeds)).toBeLessThanOrEqual(2.5);
    expect(new Set(trace.map((v) => v.direction))).toEqual(new Set(['up', 'down', 'stopped']));

    expect(after.run_count as number).toBeGreaterThan((before.run_count as number) + 10);
    expect(after.door_cycles as number).toBeGreaterThan((before.door_cycles as number) + 10);
    expect(after.run_hours as number).toBeGreaterThan(before.run_hours as number);
    expect(trace.some((v) => (v.load as number) > 0)).toBe(true);
    expect(trace.every((v) => v.mode === 'in_service' && v.fault_code === 'none')).toBe(true);
  });

  it('keeps its invariants: doors open only in the door zone and at a standstill; direction follows speed', () => {
    const trace = run(car('elevator-2', 11), 20 * MINUTE_MS);
    for (const v of trace) {
      if (v.door_state !== 'closed') {
        expect(v.in_door_zone).toBe(true);
        expect(v.speed).toBe(0);
      }
      const speed = v.speed as number;
      expect(v.direction).toBe(speed > 0 ? 'up' : speed < 0 ? 'down' : 'stopped');
      expect(v.floor).not.toBe(0);
    }
  });

  it('accumulates run hours only while moving', () => {
    const model = car();
    let movingMs = 0;
    const start = model.values().run_hours as number;
    for (let t = STEP_MS; t <= 10 * MINUTE_MS; t += STEP_MS) {
      model.step(STEP_MS, START_MS + t);
      if (model.values().speed !== 0) movingMs += STEP_MS;
    }
    const gainedMs = ((model.values().run_hours as number) - start) * 3_600_000;
    // Arrival steps move the car and end at speed 0: they count in the model but not in this tally.
    expect(gainedMs).toBeGreaterThanOrEqual(movingMs);
    expect(gainedMs).toBeLessThan(movingMs * 1.2);
  });

  it('serves the basement levels of the car-park lift', () => {
    const trace = run(car('elevator-4', 5), 30 * MINUTE_MS);
    expect(trace.some((v) => (v.floor as number) < 0)).toBe(true);
    expect(Math.min(...trace.map((v) => v.floor as number))).toBeGreaterThanOrEqual(-2);
  });

  it('stays quiet at night with the building traffic pattern', () => {
    const night = Date.UTC(2026, 0, 1, 19); // 03:00 local
    const model = car('elevator-1', 3, false);
    const before = model.values().run_count as number;
    run(model, 10 * MINUTE_MS, night);
    expect((model.values().run_count as number) - before).toBeLessThan(6);
  });

  it('is deterministic from its seed', () => {
    expect(run(car('elevator-1', 8), 5 * MINUTE_MS)).toEqual(run(car('elevator-1', 8), 5 * MINUTE_MS));
    expect(run(car('elevator-1', 8), 5 * MINUTE_MS)).not.toEqual(run(car('elevator-1', 9), 5 * MINUTE_MS));
  });

  it('traps a passenger between floors, presses the alarm after a while, and recovers when cleared', () => {
    const model = car();
    run(model, 2 * MINUTE_MS);
    model.startFault('trapped-passenger');
    model.step(STEP_MS, START_MS + 2 * MINUTE_MS);
    const trapped = model.values();
    expect(trapped).toMatchObject({ passenger_trapped: true, fault_code: 'passenger_trapped', in_door_zone: false, speed: 0, door_state: 'closed', alarm_button: false });
    expect(trapped.load as number).toBeGreaterThan(0);
    const later = run(model, MINUTE_MS, START_MS + 2 * MINUTE_MS).at(-1);
    expect(later).toMatchObject({ passenger_trapped: true, alarm_button: true, floor: trapped.floor });

    model.clearFault('trapped-passenger');
    const rescue = run(model, MINUTE_MS, START_MS + 3 * MINUTE_MS);
    expect(rescue[0]).toMatchObject({ passenger_trapped: false, fault_code: 'none', alarm_button: false, mode: 'in_service' });
    expect(rescue.some((v) => v.door_state === 'open' && v.in_door_zone === true)).toBe(true);
  });

  it('stops outside the door zone on a leveling fault and re-levels when cleared', () => {
    const model = car('elevator-3', 4);
    run(model, 3 * MINUTE_MS);
    model.startFault('leveling-fault');
    const faulted = run(model, 30_000, START_MS + 3 * MINUTE_MS);
    for (const v of faulted) {
      expect(v).toMatchObject({ leveling_error: true, fault_code: 'leveling_error', in_door_zone: false, speed: 0, door_state: 'closed' });
    }
    model.clearFault('leveling-fault');
    const after = run(model, 20_000, START_MS + 4 * MINUTE_MS);
    expect(after[0]).toMatchObject({ leveling_error: false, fault_code: 'none' });
    expect(after.some((v) => v.door_state === 'open' && v.in_door_zone === true)).toBe(true);
  });
});
