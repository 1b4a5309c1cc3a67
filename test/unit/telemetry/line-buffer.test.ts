import { describe, expect, it } from 'vitest';
import { MemoryLineBuffer } from '../../../src/telemetry/line-buffer.js';

function fill(buffer: MemoryLineBuffer, from: number, to: number): void {
  for (let i = from; i < to; i++) buffer.push(`l${i}`);
}

function names(from: number, to: number): string[] {
  return Array.from({ length: to - from }, (_, k) => `l${from + k}`);
}

describe('MemoryLineBuffer', () => {
  it('hands lines back oldest first, in batches of at most max', () => {
    const buffer = new MemoryLineBuffer(10);
    fill(buffer, 0, 5);
    expect(buffer.take(3)).toEqual(names(0, 3));
    expect(buffer.length).toBe(2);
    fill(buffer, 5, 7);
    expect(buffer.take(10)).toEqual(names(3, 7));
    expect(buffer.length).toBe(0);
    expect(buffer.take(10)).toEqual([]);
  });

  it('keeps FIFO order across many chunks', () => {
    const buffer = new MemoryLineBuffer(100_000);
    fill(buffer, 0, 5000);
    const out: string[] = [];
    while (buffer.length > 0) out.push(...buffer.take(777));
    expect(out).toEqual(names(0, 5000));
  });

  it('never holds more than its capacity: drops the oldest and counts them', () => {
    const buffer = new MemoryLineBuffer(1000);
    fill(buffer, 0, 3500);
    expect(buffer.length).toBe(1000);
    expect(buffer.dropped).toBe(2500);
    expect(buffer.take(5000)).toEqual(names(2500, 3500));
  });

  it('drops correctly when reading and writing interleave', () => {
    const buffer = new MemoryLineBuffer(1500);
    fill(buffer, 0, 1200);
    expect(buffer.take(100)).toEqual(names(0, 100));
    fill(buffer, 1200, 2000); // 1100 + 800 = 1900 → 400 dropped
    expect(buffer.dropped).toBe(400);
    expect(buffer.length).toBe(1500);
    expect(buffer.take(2000)).toEqual(names(500, 2000));
  });

  it('counts drops cumulatively and clear() does not count as dropping', () => {
    const buffer = new MemoryLineBuffer(2);
    fill(buffer, 0, 5);
    expect(buffer.dropped).toBe(3);
    expect(buffer.clear()).toBe(2);
    expect(buffer.length).toBe(0);
    expect(buffer.dropped).toBe(3);
    fill(buffer, 5, 6);
    expect(buffer.take(5)).toEqual(['l5']);
  });

  it('takes nothing for a non-positive max', () => {
    const buffer = new MemoryLineBuffer(5);
    fill(buffer, 0, 2);
    expect(buffer.take(0)).toEqual([]);
    expect(buffer.take(-3)).toEqual([]);
    expect(buffer.length).toBe(2);
  });

  it('at close counts every line it held as lost, taken and unacknowledged ones too, and later pushes as dropped', async () => {
    const buffer = new MemoryLineBuffer(10);
    fill(buffer, 0, 6);
    buffer.take(2);
    buffer.ack();
    buffer.take(3); // in flight
    expect(await buffer.close()).toBe(4);
    fill(buffer, 6, 8);
    expect(buffer.dropped).toBe(2);
    expect(buffer.spoolStatus()).toMatchObject({ spoolLines: null, spoolError: null });
  });

  it('rejects a capacity below one', () => {
    expect(() => new MemoryLineBuffer(0)).toThrow(RangeError);
  });

  it('pushes in constant time however full it is', () => {
    const buffer = new MemoryLineBuffer(200_000);
    fill(buffer, 0, 200_000);
    const started = performance.now();
    fill(buffer, 200_000, 400_000); // every push also drops one
    const elapsedMs = performance.now() - started;
    expect(buffer.dropped).toBe(200_000);
    expect(elapsedMs).toBeLessThan(500);
  });
});
