import { describe, expect, it } from 'vitest';
import { LineCache } from '../../../src/telemetry/spool/line-cache.js';
import { WaitingLines } from '../../../src/telemetry/spool/waiting-lines.js';

describe('LineCache', () => {
  it('addresses lines by index across chunks and forgets from the front', () => {
    const cache = new LineCache(-5);
    for (let i = -5; i < 3000; i++) cache.push(`l${i}`);
    expect(cache.slice(-5, -2)).toEqual(['l-5', 'l-4', 'l-3']);
    expect(cache.slice(1023, 1026)).toEqual(['l1023', 'l1024', 'l1025']);
    cache.dropBefore(2040);
    expect([cache.start, cache.end, cache.length]).toEqual([2040, 3000, 960]);
    expect(cache.slice(2040, 2042)).toEqual(['l2040', 'l2041']);
    cache.dropBefore(5000);
    expect([cache.start, cache.end, cache.length]).toEqual([3000, 3000, 0]);
    cache.push('l3000');
    expect(cache.slice(3000, 3001)).toEqual(['l3000']);
  });
});

describe('WaitingLines', () => {
  it('keeps a backlog lane and a live lane, each handed out oldest first', () => {
    const waiting = new WaitingLines(0);
    for (let i = 0; i < 10; i++) waiting.append();
    waiting.moveToBacklog();
    for (let i = 0; i < 5; i++) waiting.append();
    expect([waiting.backlogLength, waiting.liveLength]).toEqual([10, 5]);
    expect(waiting.take('live', 3)).toEqual({ fromIdx: 10, toIdx: 13 });
    expect(waiting.take('backlog', 4)).toEqual({ fromIdx: 0, toIdx: 4 });
    expect(waiting.lowest()).toBe(4);
    expect(waiting.countBelow(12)).toBe(6); // 4–9 in the backlog; 10–12 were taken
  });

  it('puts lines found on disk in front of everything, as backlog', () => {
    const waiting = new WaitingLines(0);
    waiting.append();
    waiting.prependBacklog({ fromIdx: -3, toIdx: 0 });
    expect(waiting.firstRun('backlog')).toEqual({ fromIdx: -3, toIdx: 0 });
    expect(waiting.firstRun('live')).toEqual({ fromIdx: 0, toIdx: 1 });
  });

  it('removes any stretch, leaving holes that the lanes skip, and counts only what was waiting', () => {
    const waiting = new WaitingLines(0);
    for (let i = 0; i < 20; i++) waiting.append();
    waiting.take('live', 5);
    expect(waiting.remove(3, 8)).toBe(3); // 3 and 4 were taken already
    expect(waiting.remove(10, 12)).toBe(2);
    expect(waiting.firstRun('live')).toEqual({ fromIdx: 8, toIdx: 10 });
    waiting.take('live', 100);
    expect(waiting.firstRun('live')).toEqual({ fromIdx: 12, toIdx: 20 });
    expect(waiting.length).toBe(8);
  });
});
