import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/log.js';
import type { Lane } from '../../../src/telemetry/line-buffer.js';
import { SPOOL_RETRY_INTERVAL_MS, SpoolQueue, WRITE_DELAY_MS, type SpoolQueueOptions } from '../../../src/telemetry/spool/spool-queue.js';
import { VirtualClock } from '../../../src/time/clock.js';
import { DAY_MS, faultyFs, lines, T0, tempDir } from './spool-fixtures.js';

let cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

async function spoolDir(): Promise<string> {
  const { dir, remove } = await tempDir();
  cleanup.push(remove);
  return dir;
}

function newQueue(dir: string, clock: VirtualClock, overrides: Partial<SpoolQueueOptions> = {}): SpoolQueue {
  const queue = new SpoolQueue({
    dir,
    capacity: 10_000,
    maxBytes: 1024 * 1024 * 1024,
    maxAgeMs: 7 * DAY_MS,
    fsync: 'interval',
    fsyncIntervalMs: 1000,
    clock,
    logger: silentLogger(),
    ...overrides,
  });
  cleanup.push(() => queue.close());
  return queue;
}

function push(queue: SpoolQueue, from: number, to: number): void {
  for (const line of lines(from, to)) queue.push(line);
}

/** Lets the write timer fire and waits for the disk. */
async function settle(queue: SpoolQueue, clock: VirtualClock): Promise<void> {
  await clock.advance(WRITE_DELAY_MS);
  await queue.idle();
}

/** Takes and acknowledges batches of the lane until it is empty. */
async function drainLane(queue: SpoolQueue, lane: Lane, batch = 64): Promise<string[]> {
  const out: string[] = [];
  for (;;) {
    const taken = await queue.take(batch, lane);
    if (taken.length === 0) return out;
    out.push(...taken);
    queue.ack();
  }
}

describe('SpoolQueue', () => {
  it('writes every pushed line to disk soon after, hands lines out in order and lets them go once acknowledged', async () => {
    const clock = new VirtualClock(T0);
    const queue = newQueue(await spoolDir(), clock);
    push(queue, 0, 100);
    expect(queue.spoolStatus().linesSpooled).toBe(0); // push never waits for the disk
    await settle(queue, clock);
    expect(queue.spoolStatus()).toMatchObject({ linesSpooled: 100, spoolLines: 100, spoolError: null });
    expect(await queue.take(30, 'live')).toEqual(lines(0, 30));
    expect(queue.spoolStatus().spoolLines).toBe(100); // taken, not yet acknowledged
    queue.ack();
    expect(queue.spoolStatus().spoolLines).toBe(70);
    expect(queue.length).toBe(70);
  });

  it('after a restart, replays from the first unacknowledged line as backlog', async () => {
    const clock = new VirtualClock(T0);
    const dir = await spoolDir();
    const first = newQueue(dir, clock);
    push(first, 0, 100);
    await settle(first, clock);
    await first.take(40, 'live');
    first.ack();
    await first.take(20, 'live'); // in flight when the gateway stops: not acknowledged
    expect(await first.close()).toBe(0);
    expect(first.length).toBe(60);

    const second = newQueue(dir, clock);
    await second.idle();
    expect(second.backlogLength).toBe(60);
    push(second, 1000, 1010); // new lines are live, after the recovered ones
    expect(await drainLane(second, 'backlog')).toEqual(lines(40, 100));
    expect(await drainLane(second, 'live')).toEqual(lines(1000, 1010));
  });

  it('keeps only `capacity` lines in memory and reads the rest back from disk, in order', async () => {
    const clock = new VirtualClock(T0);
    const queue = newQueue(await spoolDir(), clock, { capacity: 50 });
    for (let i = 0; i < 500; i += 25) {
      push(queue, i, i + 25);
      await settle(queue, clock);
    }
    queue.moveToBacklog();
    expect(await drainLane(queue, 'backlog', 64)).toEqual(lines(0, 500));
    expect(queue.dropped).toBe(0);
    await queue.idle();
    expect(queue.spoolStatus()).toMatchObject({ spoolLines: 0, spoolBytes: expect.any(Number) as unknown });
  });

  it('past maxBytes drops the oldest segments and counts their unsent lines', async () => {
    const clock = new VirtualClock(T0);
    const queue = newQueue(await spoolDir(), clock, { capacity: 100, maxBytes: 3 * 4096, segmentBytes: 4096 });
    for (let i = 0; i < 2000; i += 50) {
      push(queue, i, i + 50);
      await settle(queue, clock);
    }
    const status = queue.spoolStatus();
    expect(status.spoolBytes).toBeLessThanOrEqual(3 * 4096);
    expect(status.spoolDroppedLines).toBeGreaterThan(0);
    expect(queue.dropped).toBe(status.spoolDroppedLines);
    const delivered = await drainLane(queue, 'live');
    expect(delivered).toEqual(lines(2000 - delivered.length, 2000)); // the newest, in order
    expect(delivered.length + queue.dropped).toBe(2000);
  });

  it('drops and counts lines older than maxAgeMs even while nothing new is written', async () => {
    const clock = new VirtualClock(T0);
    const queue = newQueue(await spoolDir(), clock, { maxAgeMs: DAY_MS });
    push(queue, 0, 100);
    await settle(queue, clock);
    await clock.advance(DAY_MS / 2);
    await queue.idle();
    expect(queue.dropped).toBe(0);
    await clock.advance(DAY_MS / 2 + 60_000);
    await queue.idle();
    expect(queue.spoolStatus()).toMatchObject({ spoolDroppedLines: 100, spoolLines: 0, spoolBytes: 0 });
    expect(queue.dropped).toBe(100);
    expect(await queue.take(10, 'live')).toEqual([]);
  });

  it('with an unwritable directory: reports the error, keeps lines in memory (bounded, drops counted) and goes on', async () => {
    const clock = new VirtualClock(T0);
    const base = await spoolDir();
    const file = join(base, 'not-a-directory');
    await writeFile(file, 'x');
    const queue = newQueue(join(file, 'sink'), clock, { capacity: 100 });
    push(queue, 0, 150);
    await settle(queue, clock);
    expect(queue.spoolStatus()).toMatchObject({ spoolError: expect.stringMatching(/^cannot open the spool: .*(ENOTDIR|EEXIST)/) as unknown, linesSpooled: 0 });
    expect(queue.dropped).toBe(50);
    expect(await drainLane(queue, 'live')).toEqual(lines(50, 150));
    push(queue, 150, 160);
    expect(await queue.close()).toBe(10); // nothing of it on disk
  });

  it('when the disk fills up: holds lines in memory, reports it, and spools them once there is room again', async () => {
    const clock = new VirtualClock(T0);
    const dir = await spoolDir();
    const fs = faultyFs();
    const queue = newQueue(dir, clock, { fs, capacity: 1000 });
    push(queue, 0, 10);
    await settle(queue, clock);
    fs.full = true;
    push(queue, 10, 20);
    await settle(queue, clock);
    expect(queue.spoolStatus()).toMatchObject({ spoolError: expect.stringContaining('ENOSPC') as unknown, linesSpooled: 10, spoolLines: 10 });
    push(queue, 20, 30); // live writes go on
    expect(queue.length).toBe(30);

    fs.full = false;
    await clock.advance(SPOOL_RETRY_INTERVAL_MS);
    await queue.idle();
    expect(queue.spoolStatus()).toMatchObject({ spoolError: null, linesSpooled: 30, spoolLines: 30 });
    expect(await queue.close()).toBe(0);

    const reopened = newQueue(dir, clock);
    await reopened.idle();
    expect(await drainLane(reopened, 'backlog')).toEqual(lines(0, 30));
  });
});
