import { describe, expect, it } from 'vitest';
import { SerialQueue } from '../../../src/drivers/modbus/serial-queue.js';
import { VirtualClock } from '../../../src/time/clock.js';

const REQUEST_MS = 100;

describe('SerialQueue', () => {
  it('runs one task at a time, in order, and reports depth', async () => {
    const clock = new VirtualClock();
    const queue = new SerialQueue({ clock });
    let running = 0;
    let maxRunning = 0;
    const order: number[] = [];
    const task = (n: number) => async () => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      await clock.sleep(REQUEST_MS);
      order.push(n);
      running--;
      return n * 10;
    };
    const results = [1, 2, 3, 4].map((n) => queue.run(task(n)));
    expect(queue.depth).toBe(3);
    expect(queue.busy).toBe(true);
    await clock.advance(REQUEST_MS);
    expect(order).toEqual([1]);
    expect(queue.depth).toBe(2);
    await clock.advance(3 * REQUEST_MS);
    expect(await Promise.all(results)).toEqual([10, 20, 30, 40]);
    expect(order).toEqual([1, 2, 3, 4]);
    expect(maxRunning).toBe(1);
    expect(queue.depth).toBe(0);
    expect(queue.busy).toBe(false);
  });

  it('passes a failure to its caller and carries on with the next task', async () => {
    const clock = new VirtualClock();
    const queue = new SerialQueue({ clock });
    const failing = queue.run(() => Promise.reject(new Error('timeout after 1000 ms')));
    const throwing = queue.run(() => {
      throw new Error('thrown synchronously');
    });
    const next = queue.run(() => Promise.resolve('ok'));
    await expect(failing).rejects.toThrow('timeout after 1000 ms');
    await expect(throwing).rejects.toThrow('thrown synchronously');
    await expect(next).resolves.toBe('ok');
  });

  it('pauses between requests by interRequestDelayMs on the clock', async () => {
    const clock = new VirtualClock();
    const delayMs = 50;
    const queue = new SerialQueue({ clock, interRequestDelayMs: delayMs });
    const startedAt: number[] = [];
    const task = async () => {
      startedAt.push(clock.now());
      await clock.sleep(REQUEST_MS);
    };
    const t0 = clock.now();
    const all = Promise.all([queue.run(task), queue.run(task), queue.run(task)]);
    await clock.advance(1000);
    await all;
    expect(startedAt.map((t) => t - t0)).toEqual([0, REQUEST_MS + delayMs, 2 * (REQUEST_MS + delayMs)]);
  });

  it('does not pause a request that comes after a quiet spell', async () => {
    const clock = new VirtualClock();
    const queue = new SerialQueue({ clock, interRequestDelayMs: 50 });
    await queue.run(() => Promise.resolve());
    await clock.advance(200);
    const t0 = clock.now();
    let startedAt = -1;
    await queue.run(() => {
      startedAt = clock.now();
      return Promise.resolve();
    });
    expect(startedAt).toBe(t0);
  });

  it('clear() rejects the waiting tasks but lets the running one finish', async () => {
    const clock = new VirtualClock();
    const queue = new SerialQueue({ clock });
    const running = queue.run(async () => {
      await clock.sleep(REQUEST_MS);
      return 'done';
    });
    const waiting = queue.run(() => Promise.resolve('never'));
    queue.clear(new Error('driver stopped'));
    expect(queue.depth).toBe(0);
    await expect(waiting).rejects.toThrow('driver stopped');
    await clock.advance(REQUEST_MS);
    await expect(running).resolves.toBe('done');
  });
});
