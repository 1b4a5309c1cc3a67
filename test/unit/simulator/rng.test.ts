import { describe, expect, it } from 'vitest';
import { Rng } from '../../../simulator/rng.js';

const draw = (rng: Rng, n: number): number[] => Array.from({ length: n }, () => rng.next());

describe('Rng', () => {
  it('gives the same sequence for the same seed and another for another seed', () => {
    expect(draw(new Rng(42), 50)).toEqual(draw(new Rng(42), 50));
    expect(draw(new Rng(42), 50)).not.toEqual(draw(new Rng(43), 50));
  });

  it('stays within its ranges', () => {
    const rng = new Rng(1);
    for (let i = 0; i < 10_000; i++) {
      const u = rng.next();
      expect(u).toBeGreaterThanOrEqual(0);
      expect(u).toBeLessThan(1);
      const k = rng.int(-2, 3);
      expect(Number.isInteger(k) && k >= -2 && k <= 3).toBe(true);
    }
  });

  it('is roughly uniform and its normal has mean 0 and spread 1', () => {
    const rng = new Rng(9);
    const n = 20_000;
    const uniform = draw(rng, n);
    expect(uniform.reduce((a, b) => a + b, 0) / n).toBeCloseTo(0.5, 1);
    const normals = Array.from({ length: n }, () => rng.normal());
    const mean = normals.reduce((a, b) => a + b, 0) / n;
    const variance = normals.reduce((a, b) => a + (b - mean) ** 2, 0) / n;
    expect(mean).toBeCloseTo(0, 1);
    expect(variance).toBeCloseTo(1, 1);
  });

  it('forks independent streams that depend on the seed and label only, not on draws so far', () => {
    const a = new Rng(5);
    const b = new Rng(5);
    draw(b, 100);
    expect(draw(a.fork('elevator-1'), 10)).toEqual(draw(b.fork('elevator-1'), 10));
    expect(draw(a.fork('elevator-1'), 10)).not.toEqual(draw(a.fork('elevator-2'), 10));
    expect(draw(new Rng(6).fork('elevator-1'), 10)).not.toEqual(draw(a.fork('elevator-1'), 10));
  });
});
