import { describe, expect, it } from 'vitest';
import { decodeBit, decodeRegisters, encodeRegisters } from '../../../src/drivers/modbus/codec.js';
import type { PointValue } from '../../../src/points/sample.js';
import { elevatorProfile } from '../../../src/profiles/elevator.js';
import { pumpProfile } from '../../../src/profiles/pump.js';
import type { ByteOrder, DataType, ModbusPointDef } from '../../../src/profiles/types.js';

const ORDERS: readonly ByteOrder[] = ['ABCD', 'CDAB', 'BADC', 'DCBA'];

function point(type: DataType, extra: Partial<ModbusPointDef> = {}): ModbusPointDef {
  return { name: 'p', description: 'test point', table: 'holding', address: 0, type, kind: 'analog', ...extra };
}

/**
 * Wire registers worked out by hand from the big-endian bytes of each value (Python struct.pack('>…')),
 * then laid out per order: CDAB reverses the 16-bit words, BADC swaps the bytes in each word, DCBA reverses
 * all bytes.
 */
const WIRE: ReadonlyArray<{ type: DataType; value: number; wire: Record<ByteOrder, number[]> }> = [
  {
    // 123.456 as float32 = 0x42F6E979
    type: 'float32',
    value: 123.456,
    wire: { ABCD: [0x42f6, 0xe979], CDAB: [0xe979, 0x42f6], BADC: [0xf642, 0x79e9], DCBA: [0x79e9, 0xf642] },
  },
  {
    // -2.5 as float32 = 0xC0200000
    type: 'float32',
    value: -2.5,
    wire: { ABCD: [0xc020, 0x0000], CDAB: [0x0000, 0xc020], BADC: [0x20c0, 0x0000], DCBA: [0x0000, 0x20c0] },
  },
  {
    // 123.456 as float64 = 0x405EDD2F1A9FBE77
    type: 'float64',
    value: 123.456,
    wire: {
      ABCD: [0x405e, 0xdd2f, 0x1a9f, 0xbe77],
      CDAB: [0xbe77, 0x1a9f, 0xdd2f, 0x405e],
      BADC: [0x5e40, 0x2fdd, 0x9f1a, 0x77be],
      DCBA: [0x77be, 0x9f1a, 0x2fdd, 0x5e40],
    },
  },
  {
    // -1.5 as float64 = 0xBFF8000000000000
    type: 'float64',
    value: -1.5,
    wire: {
      ABCD: [0xbff8, 0, 0, 0],
      CDAB: [0, 0, 0, 0xbff8],
      BADC: [0xf8bf, 0, 0, 0],
      DCBA: [0, 0, 0, 0xf8bf],
    },
  },
  {
    // -123456 as int32 = 0xFFFE1DC0
    type: 'int32',
    value: -123456,
    wire: { ABCD: [0xfffe, 0x1dc0], CDAB: [0x1dc0, 0xfffe], BADC: [0xfeff, 0xc01d], DCBA: [0xc01d, 0xfeff] },
  },
  {
    // 3 000 000 000 as uint32 = 0xB2D05E00
    type: 'uint32',
    value: 3_000_000_000,
    wire: { ABCD: [0xb2d0, 0x5e00], CDAB: [0x5e00, 0xb2d0], BADC: [0xd0b2, 0x005e], DCBA: [0x005e, 0xd0b2] },
  },
  {
    // -1234 as int16 = 0xFB2E; one word: only BADC and DCBA swap its bytes
    type: 'int16',
    value: -1234,
    wire: { ABCD: [0xfb2e], CDAB: [0xfb2e], BADC: [0x2efb], DCBA: [0x2efb] },
  },
  {
    type: 'uint16',
    value: 0x1234,
    wire: { ABCD: [0x1234], CDAB: [0x1234], BADC: [0x3412], DCBA: [0x3412] },
  },
];

describe('codec: wire layouts', () => {
  for (const { type, value, wire } of WIRE) {
    for (const order of ORDERS) {
      it(`${type} ${value} in ${order}`, () => {
        const def = point(type, { order });
        expect(encodeRegisters(def, value)).toEqual(wire[order]);
        expect(decodeRegisters(def, wire[order])).toBe(value);
      });
    }
  }

  it('defaults to ABCD', () => {
    expect(decodeRegisters(point('float32'), [0x42f6, 0xe979])).toBe(123.456);
  });

  it('reads a float32 served in the wrong word order as a huge or tiny number', () => {
    const wrong = decodeRegisters(point('float32', { order: 'ABCD' }), [0xe979, 0x42f6]);
    expect(Math.abs(wrong as number)).toBeGreaterThan(1e20);
  });
});

describe('codec: every type in every order round-trips', () => {
  const samples: ReadonlyArray<{ type: DataType; values: PointValue[] }> = [
    { type: 'int16', values: [-32768, -1, 0, 1, 32767] },
    { type: 'uint16', values: [0, 1, 0x8000, 65535] },
    { type: 'int32', values: [-2147483648, -70000, 0, 70000, 2147483647] },
    { type: 'uint32', values: [0, 65536, 4294967295] },
    { type: 'float32', values: [0, -0.5, 1.1, 3.4e38, -273.15] },
    { type: 'float64', values: [0, Math.PI, -1e-300, 1.7976931348623157e308] },
  ];
  for (const { type, values } of samples) {
    for (const order of ORDERS) {
      it(`${type} ${order}`, () => {
        const def = point(type, { order });
        for (const value of values) expect(decodeRegisters(def, encodeRegisters(def, value))).toBe(value);
      });
    }
  }

  it('bit points in every order', () => {
    for (const order of ORDERS) {
      for (let bit = 0; bit < 16; bit++) {
        const def = point('bit', { order, bit, kind: 'binary' });
        const registers = encodeRegisters(def, true);
        expect(decodeRegisters(def, registers)).toBe(true);
        expect(decodeRegisters({ ...def, bit: (bit + 1) % 16 }, registers)).toBe(false);
      }
    }
  });
});

describe('codec: scale and offset', () => {
  it('removes float noise from scaled integers', () => {
    expect(decodeRegisters(point('uint16', { scale: 0.1 }), [234])).toBe(23.4);
    expect(decodeRegisters(point('uint16', { scale: 0.01 }), [4999])).toBe(49.99);
    expect(decodeRegisters(point('int16', { scale: 0.1 }), [encodeRegisters(point('int16'), -155)[0] ?? 0])).toBe(-15.5);
    expect(decodeRegisters(point('int16', { scale: 0.01 }), [0xfc18])).toBe(-10); // -1000 · 0.01
  });

  it('applies the offset after the scale', () => {
    const def = point('int16', { scale: 0.1, offset: -40 });
    expect(decodeRegisters(def, [634])).toBe(23.4);
    expect(encodeRegisters(def, 23.4)).toEqual([634]);
    expect(decodeRegisters(point('uint16', { offset: 0.5 }), [2])).toBe(2.5);
  });

  it('scales floats without noise', () => {
    const def = point('float32', { scale: 0.1 });
    expect(decodeRegisters(def, encodeRegisters(def, 23.4))).toBe(23.4);
    const f64 = point('float64', { scale: 1000, offset: 1 });
    expect(decodeRegisters(f64, encodeRegisters(f64, 2.5))).toBe(2.5);
  });

  it('rounds to the nearest raw integer when encoding, halves away from zero', () => {
    expect(encodeRegisters(point('uint16', { scale: 0.1 }), 23.44)).toEqual([234]);
    expect(encodeRegisters(point('uint16', { scale: 0.01 }), 0.29)).toEqual([29]);
    expect(encodeRegisters(point('int16', { scale: 0.5 }), 1.25)).toEqual([3]);
    expect(encodeRegisters(point('int16', { scale: 0.5 }), -1.25)).toEqual([0xfffd]); // -3
  });

  it('keeps NaN and infinities so the driver can flag them', () => {
    expect(decodeRegisters(point('float32'), [0x7fc0, 0x0000])).toBeNaN();
    expect(decodeRegisters(point('float32'), [0x7f80, 0x0000])).toBe(Number.POSITIVE_INFINITY);
    expect(encodeRegisters(point('float32'), Number.NaN)).toEqual([0x7fc0, 0x0000]);
  });
});

describe('codec: enum, bit and bool', () => {
  const direction = point('enum', { kind: 'enum', states: { 0: 'stopped', 1: 'up', 2: 'down' } });

  it('names enum states and flags unknown ones', () => {
    expect(decodeRegisters(direction, [1])).toBe('up');
    expect(decodeRegisters(direction, [7])).toBe('unknown_7');
    expect(decodeRegisters(point('enum', { kind: 'enum' }), [0])).toBe('unknown_0');
  });

  it('encodes an enum from a state name, a number or unknown_<n>', () => {
    expect(encodeRegisters(direction, 'down')).toEqual([2]);
    expect(encodeRegisters(direction, 1)).toEqual([1]);
    expect(encodeRegisters(direction, 'unknown_9')).toEqual([9]);
    expect(() => encodeRegisters(direction, 'sideways')).toThrow(/not a state/);
    expect(() => encodeRegisters(direction, 70000)).toThrow(/does not fit enum/);
  });

  it('reads one bit of a register', () => {
    const status = 0b10_0110;
    const expected = [false, true, true, false, false, true, false];
    expected.forEach((value, bit) => expect(decodeRegisters(point('bit', { bit, kind: 'binary' }), [status])).toBe(value));
    expect(decodeRegisters(point('bit', { bit: 15, kind: 'binary' }), [0x8000])).toBe(true);
    expect(encodeRegisters(point('bit', { bit: 5, kind: 'binary' }), true)).toEqual([0x20]);
    expect(encodeRegisters(point('bit', { bit: 5, kind: 'binary' }), false)).toEqual([0]);
  });

  it('rejects a bit index outside 0..15', () => {
    expect(() => decodeRegisters(point('bit', { bit: 16, kind: 'binary' }), [1])).toThrow(/bit index 16/);
  });

  it('decodes coils and discrete inputs as booleans', () => {
    expect(decodeBit(point('bool', { table: 'coil', kind: 'binary' }), true)).toBe(true);
    expect(decodeBit(point('bool', { table: 'discrete', kind: 'binary' }), false)).toBe(false);
  });

  it('reads a bool held in a register as non-zero', () => {
    expect(decodeRegisters(point('bool', { kind: 'binary' }), [0])).toBe(false);
    expect(decodeRegisters(point('bool', { kind: 'binary' }), [2])).toBe(true);
    expect(encodeRegisters(point('bool', { kind: 'binary' }), true)).toEqual([1]);
  });
});

describe('codec: errors', () => {
  it('needs exactly the registers of the type', () => {
    expect(() => decodeRegisters(point('float32'), [1])).toThrow(/needs 2 register\(s\), got 1/);
    expect(() => decodeRegisters(point('uint16'), [1, 2])).toThrow(/needs 1/);
  });

  it('refuses values that do not fit the type', () => {
    expect(() => encodeRegisters(point('int16'), 40000)).toThrow(/40000 does not fit int16/);
    expect(() => encodeRegisters(point('uint16'), -1)).toThrow(/does not fit uint16/);
    expect(() => encodeRegisters(point('uint16', { scale: 0.01 }), 700)).toThrow(/raw 70000/);
    expect(() => encodeRegisters(point('uint32'), 2 ** 32)).toThrow(/does not fit uint32/);
    expect(() => encodeRegisters(point('int32'), Number.NaN)).toThrow(/does not fit int32/);
    expect(() => encodeRegisters(point('float32'), 1e39)).toThrow(/does not fit float32/);
    expect(() => encodeRegisters(point('uint16'), 'high')).toThrow(/expects a number/);
    expect(() => encodeRegisters(point('bit', { bit: 0 }), 2)).toThrow(/expects a boolean/);
  });
});

describe('codec: built-in profiles', () => {
  it('round-trips a mid-range value of every point', () => {
    for (const def of [...elevatorProfile.points, ...pumpProfile.points]) {
      if (def.table === 'coil' || def.table === 'discrete') continue;
      let value: PointValue;
      if (def.type === 'enum') value = Object.values(def.states ?? {})[1] ?? 'unknown_1';
      else if (def.type === 'bit' || def.type === 'bool') value = true;
      else value = def.range === undefined ? 1 : Math.round((def.range.min + def.range.max) / 2);
      expect(decodeRegisters(def, encodeRegisters(def, value)), def.name).toBe(value);
    }
  });
});
