import { describe, expect, it } from 'vitest';
import { decodeRegisters, encodeRegisters } from '../../../src/drivers/modbus/codec.js';
import { valueProblem } from '../../../src/drivers/modbus/plausibility.js';
import type { ModbusPointDef } from '../../../src/profiles/types.js';

const pressure: ModbusPointDef = { name: 'p', description: 'p', table: 'input', address: 0, type: 'float32', unit: 'bar', kind: 'analog', range: { min: 0, max: 25 } };

/** What the gateway decodes when a device serves `value` word-swapped. */
function readSwapped(value: number): number {
  const served = encodeRegisters({ ...pressure, order: 'CDAB' }, value);
  return decodeRegisters(pressure, served) as number;
}

describe('plausibility of decoded values', () => {
  it('accepts in-range values and zero', () => {
    expect(valueProblem(pressure, 4.5)).toBeUndefined();
    expect(valueProblem(pressure, 0)).toBeUndefined();
    expect(valueProblem(pressure, 'text')).toBeUndefined();
  });

  it('flags a word-swapped float with a round value as subnormal', () => {
    const wrong = readSwapped(4.5);
    expect(wrong).toBeCloseTo(2.316e-41, 44);
    expect(valueProblem(pressure, wrong)).toBe('implausible: 2.31607e-41 bar is a subnormal float (wrong word order?)');
  });

  it('flags a word-swapped float with busy mantissa bits as out of range', () => {
    const wrong = readSwapped(4.237);
    expect(valueProblem(pressure, wrong)).toMatch(/^out of range: |^implausible: /);
  });

  it('flags non-finite values', () => {
    expect(valueProblem(pressure, Number.NaN)).toBe('not a finite number: NaN');
  });
});
