import { describe, expect, it } from 'vitest';
import { decodeRegisters } from '../../../src/drivers/modbus/codec.js';
import type { PointValue } from '../../../src/points/sample.js';
import { elevatorProfile } from '../../../src/profiles/elevator.js';
import { pumpProfile } from '../../../src/profiles/pump.js';
import { isBitTable, registerCount, type ModbusProfile } from '../../../src/profiles/types.js';
import { RegisterBank } from '../../../simulator/register-bank.js';
import { startSimulator } from '../../../simulator/simulator.js';
import { VirtualClock } from '../../../src/time/clock.js';

/** Reads every point back out of the bank with the gateway's decoder. */
function decodeAll(bank: RegisterBank, profile: ModbusProfile): Record<string, PointValue> {
  const out: Record<string, PointValue> = {};
  for (const def of profile.points) {
    const words = bank.read(def.table, def.address, isBitTable(def.table) ? 1 : registerCount(def.type));
    if (!words) throw new Error(`${def.name} not served`);
    out[def.name] = isBitTable(def.table) ? words[0] === 1 : decodeRegisters(def, words);
  }
  return out;
}

function expectSameValues(decoded: Record<string, PointValue>, values: Record<string, PointValue>, profile: ModbusProfile): void {
  for (const def of profile.points) {
    const want = values[def.name];
    const got = decoded[def.name];
    if (def.type === 'float32') expect(got as number, def.name).toBeCloseTo(want as number, 3);
    else expect(got, def.name).toEqual(want);
  }
}

const elevatorValues: Record<string, PointValue> = {
  floor: -2, direction: 'down', door_state: 'closed', mode: 'in_service', fault_code: 'passenger_trapped',
  alarm_button: true, passenger_trapped: true, in_door_zone: false, overload: false, leveling_error: false, safety_circuit_open: true,
  load: 37, run_count: 123_456_789, run_hours: 12_345.5, door_cycles: 70_000, speed: -1.75,
};

describe('register bank', () => {
  it('encodes elevator values so that the codec decodes them back, bit points packed in one register', () => {
    const bank = new RegisterBank(elevatorProfile);
    bank.refresh(elevatorValues);
    expect(bank.encodeErrors).toEqual([]);
    expectSameValues(decodeAll(bank, elevatorProfile), elevatorValues, elevatorProfile);
    // alarm_button (bit 0), passenger_trapped (bit 1) and safety_circuit_open (bit 5) share register 5.
    expect(bank.read('input', 5, 1)).toEqual([0b100011]);
    expect(bank.read('input', 0, 1)).toEqual([0xfffe]);
    // run_hours is CDAB: low word first.
    const [low, high] = bank.read('input', 9, 2) ?? [];
    const view = new DataView(new ArrayBuffer(4));
    view.setFloat32(0, 12_345.5);
    expect([high, low]).toEqual([view.getUint16(0), view.getUint16(2)]);
  });

  it('clears bits that went false on the next refresh', () => {
    const bank = new RegisterBank(elevatorProfile);
    bank.refresh(elevatorValues);
    bank.refresh({ ...elevatorValues, alarm_button: false, passenger_trapped: false, safety_circuit_open: false, in_door_zone: true });
    expect(bank.read('input', 5, 1)).toEqual([0b100]);
  });

  it('serves the span its profile covers and nothing outside', () => {
    const bank = new RegisterBank(pumpProfile);
    expect(bank.span('discrete')).toEqual({ start: 0, count: 3 });
    expect(bank.span('input')).toEqual({ start: 0, count: 19 });
    expect(bank.span('holding')).toEqual({ start: 0, count: 1 });
    expect(bank.span('coil')).toBeUndefined();
    expect(bank.read('input', 0, 19)).toHaveLength(19);
    expect(bank.read('input', 18, 2)).toBeUndefined();
    expect(bank.read('discrete', 3, 1)).toBeUndefined();
    expect(bank.read('coil', 0, 1)).toBeUndefined();
    expect(bank.read('input', 0, 0)).toBeUndefined();
  });

  it('serves float32 points in the other word order on request, leaving other types alone', () => {
    const bank = new RegisterBank(pumpProfile);
    const values = { discharge_pressure: 7.512, run_hours: 1234.25, start_count: 70_000 };
    bank.refresh(values);
    const normal = bank.read('input', 0, 18) ?? [];
    bank.refresh(values, { swapFloatWords: true });
    const swapped = bank.read('input', 0, 18) ?? [];
    expect(swapped.slice(0, 2)).toEqual([normal[1], normal[0]]);
    expect(swapped.slice(12, 18)).toEqual(normal.slice(12, 18));
    const def = pumpProfile.points.find((p) => p.name === 'discharge_pressure');
    if (!def) throw new Error('profile changed');
    expect(decodeRegisters({ ...def, order: 'CDAB' }, swapped.slice(0, 2))).toBe(7.512);
    expect(decodeRegisters(def, swapped.slice(0, 2))).not.toBeCloseTo(7.512, 1);
  });

  it('keeps the last registers of a value that does not fit and says which', () => {
    const bank = new RegisterBank(pumpProfile);
    bank.refresh({ motor_current: 12.3 });
    bank.refresh({ motor_current: -5 });
    expect(bank.encodeErrors).toHaveLength(1);
    expect(bank.encodeErrors[0]).toMatch(/^motor_current/);
    expect(bank.read('input', 6, 1)).toEqual([123]);
  });

  it('round-trips every simulated device over an hour of simulated time', async () => {
    const clock = new VirtualClock();
    const sim = await startSimulator({ clock, controlPort: null });
    try {
      for (let minute = 0; minute < 60; minute += 5) {
        sim.step(5 * 60_000);
        for (const device of sim.devices().filter((d) => d.type === 'elevator' || d.type === 'pump')) {
          const profile = device.type === 'elevator' ? elevatorProfile : pumpProfile;
          const bank = new RegisterBank(profile);
          bank.refresh(device.values);
          expect(bank.encodeErrors).toEqual([]);
          expectSameValues(decodeAll(bank, profile), device.values, profile);
        }
      }
    } finally {
      await sim.stop();
    }
  });
});
