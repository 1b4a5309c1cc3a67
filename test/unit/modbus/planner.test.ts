import { describe, expect, it } from 'vitest';
import { minimalBlockCount, planReads, type PlanLimits } from '../../../src/drivers/modbus/planner.js';
import { elevatorProfile } from '../../../src/profiles/elevator.js';
import { pumpProfile } from '../../../src/profiles/pump.js';
import type { DataType, ModbusPointDef, RegisterTable } from '../../../src/profiles/types.js';

const DEFAULTS: PlanLimits = { maxGapRegisters: 8, maxRegistersPerRead: 125, maxBitsPerRead: 2000 };

function at(address: number, type: DataType = 'uint16', table: RegisterTable = 'input', extra: Partial<ModbusPointDef> = {}): ModbusPointDef {
  return { name: `${table}_${address}_${type}_${extra.bit ?? ''}`, description: '', table, address, type, kind: 'analog', ...extra };
}

function shape(points: ModbusPointDef[], limits: PlanLimits = DEFAULTS): string[] {
  return planReads(points, limits).map((b) => `${b.table} ${b.start}+${b.count}`);
}

describe('planReads', () => {
  it('merges ranges whose gap is at most maxGapRegisters', () => {
    // uint16 at 0 ends at 1; the next starts at 10: a gap of 9 unused registers.
    const points = [at(0), at(10)];
    expect(shape(points, { ...DEFAULTS, maxGapRegisters: 8 })).toEqual(['input 0+1', 'input 10+1']);
    expect(shape(points, { ...DEFAULTS, maxGapRegisters: 9 })).toEqual(['input 0+11']);
  });

  it('merges adjacent ranges even with no gap allowed, and sorts by address', () => {
    expect(shape([at(2, 'float32'), at(0, 'float32'), at(4)], { ...DEFAULTS, maxGapRegisters: 0 })).toEqual(['input 0+5']);
  });

  it('gives each point its offset in the block', () => {
    const [block] = planReads([at(12, 'float64'), at(10), at(18, 'uint32')], DEFAULTS);
    expect(block?.start).toBe(10);
    expect(block?.count).toBe(10);
    expect(block?.points.map((p) => [p.def.address, p.offset])).toEqual([
      [10, 0],
      [12, 2],
      [18, 8],
    ]);
  });

  it('never reads more than 125 registers, even if configured higher', () => {
    const points = Array.from({ length: 130 }, (_, i) => at(i));
    expect(shape(points)).toEqual(['input 0+125', 'input 125+5']);
    expect(shape(points, { ...DEFAULTS, maxRegistersPerRead: 500 })).toEqual(['input 0+125', 'input 125+5']);
    expect(shape(points, { ...DEFAULTS, maxRegistersPerRead: 100 })).toEqual(['input 0+100', 'input 100+30']);
  });

  it('does not split a multi-register value at the limit', () => {
    const points = [...Array.from({ length: 124 }, (_, i) => at(i)), at(124, 'float32')];
    expect(shape(points)).toEqual(['input 0+124', 'input 124+2']);
  });

  it('reads at most 2000 coils or discrete inputs at once', () => {
    const coils = Array.from({ length: 2500 }, (_, i) => at(i, 'bool', 'coil'));
    expect(shape(coils)).toEqual(['coil 0+2000', 'coil 2000+500']);
    expect(shape(coils, { ...DEFAULTS, maxBitsPerRead: 1000 })).toEqual(['coil 0+1000', 'coil 1000+1000', 'coil 2000+500']);
    expect(shape([at(0, 'bool', 'discrete'), at(5, 'bool', 'discrete'), at(20, 'bool', 'discrete')])).toEqual([
      'discrete 0+6',
      'discrete 20+1',
    ]);
  });

  it('keeps points that share registers in one block', () => {
    const bits = [0, 1, 2, 3].map((bit) => at(5, 'bit', 'input', { bit }));
    const blocks = planReads([...bits, at(5, 'uint16')], { ...DEFAULTS, maxGapRegisters: 0 });
    expect(blocks).toHaveLength(1);
    expect(blocks[0]?.count).toBe(1);
    expect(blocks[0]?.points.every((p) => p.offset === 0)).toBe(true);
    // A float32 and a uint16 over its low word must share a block even when the limit is 2.
    expect(shape([at(0, 'float32'), at(1)], { ...DEFAULTS, maxRegistersPerRead: 2 })).toEqual(['input 0+2']);
    expect(() => planReads([at(0, 'float32'), at(1, 'float32')], { ...DEFAULTS, maxRegistersPerRead: 2 })).toThrow(/overlapping/);
  });

  it('plans each table separately, bits first', () => {
    expect(shape([at(0, 'uint16', 'holding'), at(0), at(0, 'bool', 'discrete'), at(0, 'bool', 'coil')])).toEqual([
      'coil 0+1',
      'discrete 0+1',
      'input 0+1',
      'holding 0+1',
    ]);
  });

  it('rejects addresses outside the Modbus address space', () => {
    expect(() => planReads([at(65535, 'float32')], DEFAULTS)).toThrow(/outside the Modbus address space/);
    expect(() => planReads([at(-1)], DEFAULTS)).toThrow(/outside/);
    expect(planReads([at(65535)], DEFAULTS)).toHaveLength(1);
  });

  it('returns nothing for no points', () => {
    expect(planReads([], DEFAULTS)).toEqual([]);
    expect(minimalBlockCount([], DEFAULTS)).toBe(0);
  });
});

describe('built-in profiles', () => {
  it('reads the elevator map in one block', () => {
    expect(shape(elevatorProfile.points)).toEqual(['input 0+14']);
    expect(minimalBlockCount(elevatorProfile.points, DEFAULTS)).toBe(1);
  });

  it('reads the pump map in three blocks: discrete inputs, input registers, holding register', () => {
    expect(shape(pumpProfile.points)).toEqual(['discrete 0+3', 'input 0+19', 'holding 0+1']);
    expect(minimalBlockCount(pumpProfile.points, DEFAULTS)).toBe(3);
  });

  it('splits the pump map when reads are limited to 8 registers', () => {
    const limits = { ...DEFAULTS, maxRegistersPerRead: 8 };
    // 0-7 (three float32 + two uint16), 8-11, 12-15 (float64), 16-18: the float64 cannot straddle a block.
    expect(shape(pumpProfile.points, limits)).toEqual(['discrete 0+3', 'input 0+8', 'input 8+8', 'input 16+3', 'holding 0+1']);
    expect(minimalBlockCount(pumpProfile.points, limits)).toBe(5);
  });
});

describe('minimalBlockCount', () => {
  /** Deterministic pseudo-random numbers (mulberry32), so a failure can be replayed. */
  function random(seed: number): () => number {
    let a = seed;
    return () => {
      a = (a + 0x6d2b79f5) | 0;
      let t = Math.imul(a ^ (a >>> 15), 1 | a);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  it('equals the number of blocks planned, over many random maps', () => {
    const types: DataType[] = ['uint16', 'int16', 'float32', 'uint32', 'float64', 'bit'];
    let skipped = 0;
    for (let seed = 1; seed <= 300; seed++) {
      const next = random(seed);
      const limits: PlanLimits = {
        maxGapRegisters: Math.floor(next() * 12),
        maxRegistersPerRead: 4 + Math.floor(next() * 60),
        maxBitsPerRead: 1 + Math.floor(next() * 40),
      };
      const points: ModbusPointDef[] = [];
      const count = 1 + Math.floor(next() * 60);
      for (let i = 0; i < count; i++) {
        const table: RegisterTable = next() < 0.25 ? 'coil' : 'holding';
        const type = table === 'coil' ? 'bool' : (types[Math.floor(next() * types.length)] ?? 'uint16');
        points.push(at(Math.floor(next() * 300), type, table, type === 'bit' ? { bit: Math.floor(next() * 16) } : {}));
      }
      let planned: number;
      try {
        planned = planReads(points, limits).length;
      } catch {
        skipped++;
        continue; // overlapping points longer than the limit: not plannable by design
      }
      expect(minimalBlockCount(points, limits), `seed ${seed}`).toBe(planned);
    }
    expect(skipped).toBeLessThan(30);
  });

  it('is smaller than one request per point when points are close', () => {
    const points = Array.from({ length: 40 }, (_, i) => at(i * 3));
    expect(minimalBlockCount(points, DEFAULTS)).toBe(1);
    expect(minimalBlockCount(points, { ...DEFAULTS, maxGapRegisters: 1 })).toBe(40);
  });
});
