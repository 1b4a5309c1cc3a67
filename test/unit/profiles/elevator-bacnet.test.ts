import { describe, expect, it } from 'vitest';
import { elevatorBacnetProfile, ELEVATOR_FAULT_STATES } from '../../../src/profiles/elevator-bacnet.js';
import { findProfile } from '../../../src/profiles/index.js';
import type { ConditionAlarmDef } from '../../../src/profiles/types.js';
import { compileCondition } from '../../../src/rules/expr/compile.js';

const points = new Map(elevatorBacnetProfile.points.map((p) => [p.name, p]));
const kinds = new Map(elevatorBacnetProfile.points.map((p) => [p.name, p.kind]));
const alarms = elevatorBacnetProfile.alarms ?? [];
const alarm = (id: string): ConditionAlarmDef | undefined => alarms.find((a) => a.id === id);

describe('elevator-bacnet-gw-v1 profile', () => {
  it('is registered as a BACnet elevator profile', () => {
    expect(findProfile('elevator-bacnet-gw-v1')).toBe(elevatorBacnetProfile);
    expect(elevatorBacnetProfile).toMatchObject({ protocol: 'bacnet', equipment: 'elevator' });
  });

  it('has every point DOMAIN.md asks for, each object once, units and ranges on numbers', () => {
    for (const name of ['floor', 'direction', 'door_state', 'in_service', 'inspection_mode', 'fire_service', 'load', 'trip_count', 'door_cycles', 'fault_code']) {
      expect(points.has(name), name).toBe(true);
    }
    const objects = elevatorBacnetProfile.points.map((p) => `${p.object.type}:${p.object.instance}`);
    expect(new Set(objects).size).toBe(objects.length);
    for (const p of elevatorBacnetProfile.points) {
      if (p.kind === 'analog' || p.kind === 'counter') {
        expect(p.unit, p.name).toBeTruthy();
        expect(p.range, p.name).toBeDefined();
      }
      expect(p.writable, p.name).toBeFalsy();
    }
  });

  it('numbers multi-state states 1..n as BACnet does, with the elevator faults of DOMAIN.md', () => {
    for (const p of elevatorBacnetProfile.points.filter((x) => x.object.type === 'multi-state-input')) {
      const numbers = Object.keys(p.states ?? {}).map(Number);
      expect(numbers, p.name).toEqual(numbers.map((_, i) => i + 1));
    }
    expect(Object.values(ELEVATOR_FAULT_STATES)).toEqual(
      expect.arrayContaining(['passenger_trapped', 'door_open_while_moving', 'leveling_error', 'overspeed', 'overrun_top', 'door_lock_circuit_open', 'unintended_movement', 'power_loss']),
    );
  });

  it('has alarms on existing points and states, with rationale, and a critical trapped passenger', () => {
    const ids = [...alarms.map((a) => a.id), ...elevatorBacnetProfile.thresholds.map((t) => t.id)];
    expect(new Set(ids).size).toBe(ids.length);
    for (const a of alarms) {
      expect(a.rationale?.action, a.id).toBeTruthy();
      if (a.kind !== 'state') continue;
      const p = points.get(a.point);
      expect(p, a.id).toBeDefined();
      for (const s of a.states) {
        if (p?.kind === 'binary') expect(typeof s, a.id).toBe('boolean');
        else expect(Object.values(p?.states ?? {}), a.id).toContain(s);
      }
    }
    expect(alarm('passenger_trapped')).toMatchObject({ point: 'fault_code', states: ['passenger_trapped'], priority: 'critical' });
    expect(elevatorBacnetProfile.thresholds[0]).toMatchObject({ id: 'overload', point: 'load', high: 100 });
  });

  it('suppresses what an inspection makes meaningless, never the faults that endanger people', () => {
    for (const id of ['drive_fault', 'safety_circuit_open', 'alarm_button', 'out_of_service', 'repeated_door_reopen']) expect(alarm(id)?.suppressWhen, id).toBe('inspection_mode');
    for (const id of ['passenger_trapped', 'unsafe_movement', 'power_loss', 'fire_service']) expect(alarm(id)?.suppressWhen, id).toBeUndefined();
    for (const a of [...alarms, ...elevatorBacnetProfile.thresholds]) if (a.suppressWhen) expect(() => compileCondition(a.suppressWhen ?? '', kinds), a.id).not.toThrow();
  });
});
