import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AlarmEvent } from '../../../src/alarms/events.js';
import { computeAlarmKpis, UNASSIGNED_SITE, type AlarmKpiInput, type KpiSnapshot, type SiteAlarmKpis } from '../../../src/alarms/kpis.js';
import { AlarmLifecycle, type AlarmState, type TransitionAction } from '../../../src/alarms/lifecycle/index.js';
import { AlarmStore, persistLifecycle, type StoredTransition } from '../../../src/alarms/lifecycle/sqlite-store.js';
import type { AlarmPriority } from '../../../src/profiles/types.js';
import { VirtualClock } from '../../../src/time/clock.js';

// Every expected figure below is worked out by hand from the definitions in src/alarms/kpis.ts.

const T0 = Date.UTC(2026, 0, 1);
const S = 1000;
const MIN = 60 * S;
const H = 60 * MIN;

/** A hand-built audit log. `at` is ms after T0. */
class Log {
  readonly rows: StoredTransition[] = [];

  add(alarmId: string, action: TransitionAction, from: AlarmState, to: AlarmState, at: number, annunciate: boolean, priority?: AlarmPriority, shelved = false): this {
    const t: StoredTransition = {
      seq: this.rows.length + 1, alarmId, action, from, to, ts: T0 + at, annunciate, lifeSafety: false, recordedAt: T0 + at,
      flags: { awaitingReset: false, shelved, suppressed: false, outOfService: false },
    };
    if (priority !== undefined) t.priority = priority;
    this.rows.push(t);
    return this;
  }

  raise(alarmId: string, at: number, priority: AlarmPriority = 'low', annunciate = true): this {
    return this.add(alarmId, 'raise', 'normal', 'unack-active', at, annunciate, priority, !annunciate);
  }

  clear(alarmId: string, at: number, priority: AlarmPriority = 'low'): this {
    return this.add(alarmId, 'clear', 'unack-active', 'rtn-unack', at, false, priority);
  }
}

const siteOfPrefix = (alarmId: string): string | undefined => (alarmId.startsWith('x:') ? undefined : alarmId.split(':')[0]);

function kpis(input: Partial<AlarmKpiInput> & Pick<AlarmKpiInput, 'from' | 'to'>) {
  return computeAlarmKpis({ transitions: [], snapshots: [], siteOf: siteOfPrefix, ...input });
}

function site(result: ReturnType<typeof computeAlarmKpis>, name: string): SiteAlarmKpis {
  const s = result.sites.find((x) => x.site === name);
  if (s === undefined) throw new Error(`no site ${name} in ${result.sites.map((x) => x.site).join(', ')}`);
  return s;
}

describe('computeAlarmKpis: alarm rate, bad actors, priority mix', () => {
  // Window: one hour. Annunciations inside it: pump at 1, 11, 21, 31 min (low); door raise at 5:00 and
  // re-alarm at 5:30 (medium); lift at 12 min (high); fire at 50 min (critical) — 8 in all. Not counted:
  // the pump raise a minute before the window and the one exactly at its end, the shelved fan raise at
  // 15 min, clears and the acknowledgement.
  const log = new Log()
    .raise('hq:pump', -1 * MIN).clear('hq:pump', -0.5 * MIN)
    .raise('hq:pump', 1 * MIN).clear('hq:pump', 2 * MIN)
    .raise('hq:pump', 11 * MIN).clear('hq:pump', 12 * MIN)
    .raise('hq:pump', 21 * MIN).clear('hq:pump', 22 * MIN)
    .raise('hq:pump', 31 * MIN).clear('hq:pump', 32 * MIN)
    .raise('hq:pump', 60 * MIN)
    .raise('hq:door', 5 * MIN, 'medium')
    .add('hq:door', 'ack', 'unack-active', 'ack-active', 5 * MIN + 10 * S, false, 'medium')
    .add('hq:door', 're-alarm', 'ack-active', 'unack-active', 5 * MIN + 30 * S, true, 'medium')
    .raise('hq:lift', 12 * MIN, 'high')
    .raise('hq:fan', 15 * MIN, 'low', false)
    .raise('hq:fire', 50 * MIN, 'critical');
  const result = kpis({ transitions: log.rows, from: T0, to: T0 + H });
  const hq = site(result, 'hq');

  it('averages 8 annunciations over six 10-minute intervals, worst interval the first with 3', () => {
    expect(result.durationMs).toBe(H);
    expect(hq.rate.annunciations).toBe(8);
    expect(hq.rate.averagePer10Min).toBeCloseTo(8 / 6, 10); // 1.33: above 1, within 2
    expect(hq.rate.verdict).toBe('manageable');
    expect(hq.rate.intervals).toBe(6);
    // Intervals: [0,10) 3 (1:00, 5:00, 5:30), [10,20) 2, [20,30) 1, [30,40) 1, [40,50) 0, [50,60) 1.
    expect(hq.rate.worstInterval).toEqual({ start: T0, end: T0 + 10 * MIN, count: 3 });
    expect(hq.rate.intervalsOverMax).toBe(1);
    expect(hq.rate.shortWindow).toBe(false);
  });

  it('ranks bad actors by annunciations, with their shares', () => {
    expect(hq.badActors.top).toEqual([
      { alarmId: 'hq:pump', count: 4, sharePercent: 50 },
      { alarmId: 'hq:door', count: 2, sharePercent: 25 },
      { alarmId: 'hq:fire', count: 1, sharePercent: 12.5 },
      { alarmId: 'hq:lift', count: 1, sharePercent: 12.5 },
    ]);
    expect(hq.badActors.topSharePercent).toBe(100);
  });

  it('splits annunciations by priority and compares with 80/15/5 (critical counted as high)', () => {
    expect(hq.priority.counts).toEqual({ critical: 1, high: 1, medium: 2, low: 4, unknown: 0 });
    expect(hq.priority.percent).toEqual({ critical: 12.5, high: 12.5, medium: 25, low: 50, unknown: 0 });
    expect(hq.priority.mix.actual).toEqual({ low: 50, medium: 25, high: 25 });
    expect(hq.priority.mix.deviation).toEqual({ low: -30, medium: 10, high: 20 });
  });

  it('finds no flood, no chattering and no standing alarm in it', () => {
    expect(hq.flood).toEqual({ percentOfTime: 0, timeInFloodMs: 0, periods: [] });
    expect(hq.chattering).toEqual([]);
    expect(hq.standing).toEqual([]);
  });

  it('keeps only the top 10 bad actors', () => {
    const many = new Log();
    // alarm k (1..12) annunciates k times, one minute apart, each in its own minute.
    for (let k = 1; k <= 12; k++) for (let n = 0; n < k; n++) many.raise(`hq:a${String(k).padStart(2, '0')}`, (k * 13 + n) * S);
    const top = site(kpis({ transitions: many.rows, from: T0, to: T0 + H }), 'hq').badActors;
    // 78 annunciations; the top 10 are alarms 12..3 with 12+11+...+3 = 75.
    expect(top.top.map((a) => a.count)).toEqual([12, 11, 10, 9, 8, 7, 6, 5, 4, 3]);
    expect(top.topSharePercent).toBeCloseTo((100 * 75) / 78, 10);
  });
});

describe('computeAlarmKpis: floods', () => {
  // 15 annunciations at 10:00 + k·20 s (k = 0..14). The 10-minute count passes 10 at the 11th (13:20): the
  // flood starts. Each leaves the count 10 minutes after it came: after 11 have left, at 20:00 + 10·20 s =
  // 23:20, the count is 4 (< 5) and the flood ends. In between the count falls through 10..5: still a flood.
  const log = new Log();
  for (let k = 0; k < 15; k++) log.raise(`hq:f${k}`, 10 * MIN + k * 20 * S);
  // Another site's alarms at the same time are not part of hq's flood.
  for (let k = 0; k < 3; k++) log.raise(`annex:g${k}`, 10 * MIN + k * S);

  it('measures the flood of one site by the start/end rule, with hysteresis', () => {
    const result = kpis({ transitions: log.rows, from: T0, to: T0 + H });
    const hq = site(result, 'hq');
    expect(hq.flood.periods).toEqual([{ start: T0 + 13 * MIN + 20 * S, end: T0 + 23 * MIN + 20 * S, peak: 15 }]);
    expect(hq.flood.timeInFloodMs).toBe(10 * MIN);
    expect(hq.flood.percentOfTime).toBeCloseTo(100 / 6, 10);
    expect(hq.rate.averagePer10Min).toBeCloseTo(2.5, 10);
    expect(hq.rate.verdict).toBe('overloaded');
    expect(hq.rate.worstInterval).toEqual({ start: T0 + 10 * MIN, end: T0 + 20 * MIN, count: 15 });
    expect(site(result, 'annex').flood.percentOfTime).toBe(0);
  });

  it('uses the log before the window for a flood already running at its start', () => {
    const hq = site(kpis({ transitions: log.rows, from: T0 + 20 * MIN, to: T0 + 30 * MIN }), 'hq');
    // In flood from 20:00 to 23:20 of this 10-minute window: 200 s of 600 s.
    expect(hq.flood.timeInFloodMs).toBe(200 * S);
    expect(hq.flood.percentOfTime).toBeCloseTo(100 / 3, 10);
    expect(hq.rate.annunciations).toBe(0);
    expect(hq.rate.verdict).toBe('acceptable');
  });

  it('leaves a flood open when it is still running at the end of the window', () => {
    const hq = site(kpis({ transitions: log.rows, from: T0 + 20 * MIN, to: T0 + 22 * MIN }), 'hq');
    expect(hq.flood.periods).toEqual([{ start: T0 + 13 * MIN + 20 * S, peak: 15 }]);
    expect(hq.flood.percentOfTime).toBe(100);
  });
});

describe('computeAlarmKpis: chattering', () => {
  // valve: raises at 5:00, 5:20, 5:40 → three in the window from 5:40 until 5:00 leaves at 6:00.
  // Then (shelved, not annunciated, still chattering) 10:00, 10:10, 10:20, 10:30 → from 10:20 (3), 4 at
  // 10:30, down to 3 at 11:00 and to 2 at 11:10: the second episode ends there.
  // slow: 20:00, 20:30, 21:00 — the first leaves exactly when the third comes: never three.
  const log = new Log();
  for (const at of [5 * MIN, 5 * MIN + 20 * S, 5 * MIN + 40 * S]) log.raise('hq:valve', at).clear('hq:valve', at + 10 * S);
  for (const at of [10 * MIN, 10 * MIN + 10 * S, 10 * MIN + 20 * S, 10 * MIN + 30 * S]) log.raise('hq:valve', at, 'low', false).clear('hq:valve', at + 5 * S);
  for (const at of [20 * MIN, 20 * MIN + 30 * S, 21 * MIN]) log.raise('hq:slow', at).clear('hq:slow', at + 10 * S);

  it('counts chattering episodes and the most cycles in a minute', () => {
    expect(site(kpis({ transitions: log.rows, from: T0, to: T0 + H }), 'hq').chattering).toEqual([{ alarmId: 'hq:valve', episodes: 2, maxCycles: 4 }]);
  });

  it('counts only episodes that overlap the window, and cycles within it', () => {
    // [6:00, 60:00): the first episode ended at 6:00.
    expect(site(kpis({ transitions: log.rows, from: T0 + 6 * MIN, to: T0 + H }), 'hq').chattering).toEqual([{ alarmId: 'hq:valve', episodes: 1, maxCycles: 4 }]);
    // [5:50, 10:15): the first episode overlaps; at 5:50 the minute holds 3; the second burst reaches 2 by 10:15.
    expect(site(kpis({ transitions: log.rows, from: T0 + 5 * MIN + 50 * S, to: T0 + 10 * MIN + 15 * S }), 'hq').chattering).toEqual([
      { alarmId: 'hq:valve', episodes: 1, maxCycles: 3 },
    ]);
  });
});

describe('computeAlarmKpis: standing alarms', () => {
  const to = T0 + 48 * H;
  const log = new Log()
    .raise('hq:old', 0).add('hq:old', 'ack', 'unack-active', 'ack-active', 1 * H, false)
    .raise('hq:later', 0).clear('hq:later', 50 * H) // active at `to`, cleared after it
    .add('hq:prelog', 'ack', 'unack-active', 'ack-active', 10 * H, false) // raised before the log begins
    .add('hq:young', 'ack', 'unack-active', 'ack-active', 40 * H, false);
  const snap = (alarmId: string, state: AlarmState, changedAt: number, raisedAt?: number, annunciated = true): KpiSnapshot => ({
    alarmId, state, changedAt: T0 + changedAt, annunciated, ...(raisedAt === undefined ? {} : { raisedAt: T0 + raisedAt }),
  });
  const snapshots = [
    snap('hq:old', 'ack-active', 1 * H, 0),
    snap('hq:recent', 'unack-active', 30 * H, 30 * H), // 18 h
    snap('hq:cleared', 'normal', 2 * H, 0),
    snap('hq:later', 'rtn-unack', 50 * H, 0), // changed after `to`: the log tells the state at `to`
    snap('hq:shelved', 'unack-active', 13 * H, 12 * H, false),
    snap('hq:boundary', 'unack-active', 24 * H, 24 * H), // exactly 24 h: not more than 24 h
  ];

  it('lists alarms active for more than 24 h at the end of the window, with since', () => {
    const hq = site(kpis({ transitions: log.rows, snapshots, from: to - H, to }), 'hq');
    expect(hq.standing).toEqual([
      { alarmId: 'hq:later', state: 'unack-active', since: T0, sinceKnown: true, activeMs: 48 * H, annunciated: true },
      { alarmId: 'hq:old', state: 'ack-active', since: T0, sinceKnown: true, activeMs: 48 * H, annunciated: true },
      { alarmId: 'hq:prelog', state: 'ack-active', since: T0 + 10 * H, sinceKnown: false, activeMs: 38 * H, annunciated: true },
      { alarmId: 'hq:shelved', state: 'unack-active', since: T0 + 12 * H, sinceKnown: true, activeMs: 36 * H, annunciated: false },
    ]);
  });

  it('judges an earlier end of window from the log', () => {
    // At 20 h nothing has been active for more than 24 h yet; at 30 h old and later have (30 h), prelog has
    // 20 h in the log only, shelved 18 h.
    expect(site(kpis({ transitions: log.rows, snapshots, from: T0, to: T0 + 20 * H }), 'hq').standing).toEqual([]);
    expect(site(kpis({ transitions: log.rows, snapshots, from: T0, to: T0 + 30 * H }), 'hq').standing.map((s) => [s.alarmId, s.activeMs])).toEqual([
      ['hq:later', 30 * H],
      ['hq:old', 30 * H],
    ]);
  });
});

describe('computeAlarmKpis: edge cases and input errors', () => {
  it('an empty window has no rate and no verdict', () => {
    const hq = site(kpis({ sites: ['hq'], from: T0, to: T0 }), 'hq');
    expect(hq.rate).toMatchObject({ annunciations: 0, averagePer10Min: null, worstInterval: null, intervals: 0, verdict: 'no-data' });
    expect(hq.flood.percentOfTime).toBe(0);
  });

  it('a window shorter than 10 minutes extrapolates the average and says so', () => {
    const log = new Log().raise('hq:a', 2 * MIN);
    const hq = site(kpis({ transitions: log.rows, from: T0, to: T0 + 5 * MIN }), 'hq');
    // 1 in 5 minutes = 2 per 10 minutes: at the maximum, not over it.
    expect(hq.rate).toMatchObject({ annunciations: 1, averagePer10Min: 2, intervals: 1, shortWindow: true, verdict: 'manageable' });
    expect(hq.rate.worstInterval).toEqual({ start: T0, end: T0 + 5 * MIN, count: 1 });
  });

  it('cuts the last interval at the end of the window', () => {
    const log = new Log().raise('hq:a', 3 * MIN).raise('hq:b', 21 * MIN).raise('hq:c', 22 * MIN).raise('hq:d', 24 * MIN);
    const hq = site(kpis({ transitions: log.rows, from: T0, to: T0 + 25 * MIN }), 'hq');
    expect(hq.rate.intervals).toBe(3);
    expect(hq.rate.worstInterval).toEqual({ start: T0 + 20 * MIN, end: T0 + 25 * MIN, count: 3 });
    expect(hq.rate.averagePer10Min).toBeCloseTo((4 * 10) / 25, 10);
  });

  it('reports a quiet site asked for, with zeros', () => {
    const hq = site(kpis({ sites: ['hq'], from: T0, to: T0 + H }), 'hq');
    expect(hq.rate).toMatchObject({ annunciations: 0, averagePer10Min: 0, verdict: 'acceptable', worstInterval: { start: T0, end: T0 + 10 * MIN, count: 0 } });
    expect(hq.badActors).toEqual({ top: [], topSharePercent: 0 });
    expect(hq.priority.mix.actual).toEqual({ low: 0, medium: 0, high: 0 });
    expect(hq.priority.mix.deviation).toEqual({ low: 0, medium: 0, high: 0 });
  });

  it('takes the site from the snapshot, then the unassigned bucket, when siteOf gives none', () => {
    const log = new Log().raise('x:one', MIN).raise('x:two', 2 * MIN);
    const result = kpis({
      transitions: log.rows,
      snapshots: [{ alarmId: 'x:one', state: 'unack-active', changedAt: T0 + MIN, annunciated: true, site: 'annex' }],
      from: T0,
      to: T0 + H,
    });
    expect(result.sites.map((s) => [s.site, s.rate.annunciations])).toEqual([
      [UNASSIGNED_SITE, 1],
      ['annex', 1],
    ]);
  });

  it('refuses bad input, naming the field', () => {
    expect(() => kpis({ from: T0 + 1, to: T0 })).toThrow(/from \(2026-01-01T00:00:00.001Z\) is after to/);
    const bad = new Log().raise('hq:a', 0).raise('hq:a', Number.NaN).rows;
    expect(() => kpis({ transitions: bad, from: T0, to: T0 + H })).toThrow(/transitions\[1\] \(hq:a\) has no finite ts/);
    expect(() => kpis({ from: T0, to: T0 + H, flood: { startAbove: 5, endBelow: 10, windowMs: 600_000 } })).toThrow(/flood.endBelow/);
    expect(() => kpis({ from: T0, to: T0 + H, chatter: { cycles: 1, windowMs: 60_000 } })).toThrow(/chatter.cycles/);
    expect(() => kpis({ from: T0, to: T0 + H, standingMs: 0 })).toThrow(/standingMs/);
  });
});

describe('computeAlarmKpis over a real alarm store', () => {
  it('reads the audit log and snapshots the lifecycle wrote', () => {
    const dir = mkdtempSync(join(tmpdir(), 'facility-gw-kpis-'));
    const store = AlarmStore.open(join(dir, 'alarms.db'));
    try {
      const clock = new VirtualClock();
      const t0 = clock.now();
      const lc = new AlarmLifecycle({ clock, maxShelveMs: H });
      persistLifecycle(lc, store);
      const event = (type: AlarmEvent['type'], alarmId: string, priority: AlarmPriority): AlarmEvent => ({
        type, alarmId, site: 'hq', device: alarmId.split(':')[0] ?? '', rule: 'r', kind: 'threshold-high', priority, message: alarmId,
        conditionSince: clock.now(), ts: clock.now(),
      });
      // p:a raises three times within 40 s (chatters), p:b once and stays active.
      for (let k = 0; k < 3; k++) {
        clock.advanceSync(k === 0 ? 0 : 20 * S);
        lc.onRaise(event('raise', 'p:a', 'high'));
        clock.advanceSync(5 * S);
        lc.onClear(event('clear', 'p:a', 'high'));
      }
      lc.onRaise(event('raise', 'p:b', 'low'));
      lc.acknowledge('p:b', 'alice');

      const result = computeAlarmKpis({
        transitions: store.transitions(), snapshots: store.loadAll(), from: t0, to: t0 + 10 * MIN, siteOf: () => 'hq',
      });
      const hq = site(result, 'hq');
      expect(hq.rate).toMatchObject({ annunciations: 4, averagePer10Min: 4, verdict: 'overloaded' });
      expect(hq.chattering).toEqual([{ alarmId: 'p:a', episodes: 1, maxCycles: 3 }]);
      expect(hq.badActors.top).toEqual([
        { alarmId: 'p:a', count: 3, sharePercent: 75 },
        { alarmId: 'p:b', count: 1, sharePercent: 25 },
      ]);
      expect(hq.priority.counts).toMatchObject({ high: 3, low: 1 });
    } finally {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
