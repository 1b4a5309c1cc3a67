import type { AlarmPriority } from '../profiles/types.js';
import type { StoredTransition } from './lifecycle/sqlite-store.js';
import type { AlarmSnapshot, AlarmState } from './lifecycle/types.js';

/**
 * ISA-18.2 / IEC 62682 alarm-system performance KPIs, per site, over a time window [from, to), computed from
 * the audit log (the alarm store's transitions) and the current snapshots. A pure function: no clock, no I/O.
 *
 * Definitions (each figure below names the one it uses):
 * - *Annunciation*: a transition with `annunciate: true` — a raise the operator sees, a re-alarm, a shelve or
 *   out-of-service ending on an unacknowledged active alarm. Shelved, suppressed and out-of-service raises
 *   are not annunciations. An annunciation belongs to the window when from <= ts < to.
 * - *Alarm rate*: annunciations per 10 minutes. The average is total / duration × 10 min (a rate, so a
 *   window shorter than 10 minutes extrapolates; `shortWindow` says so). The worst interval is the fixed
 *   10-minute interval [from + k·10 min, from + (k+1)·10 min) with the most annunciations; the last one is
 *   cut at `to`. Verdict on the average against the targets (DOMAIN.md, ≈ per operator position):
 *   <= 1 acceptable, <= 2 manageable, above 2 overloaded.
 * - *Sliding count*: an event at ts counts during [ts, ts + windowMs); the count at t is the number of
 *   events with t - windowMs < ts <= t. Flood and chattering use it; so does the live ChatterDetector.
 * - *Flood*: starts when the sliding count of the site's annunciations (10 minutes) rises above
 *   `startAbove` (10) and ends when it falls below `endBelow` (5). The hysteresis needs history: the log
 *   should start at least `flood.windowMs` before `from` (earlier entries are read, never counted as
 *   annunciations of the window). % of time in flood = flood time within [from, to) / duration.
 * - *Bad actors*: the 10 alarms with the most annunciations in the window; share = count / all
 *   annunciations of the site in the window.
 * - *Chattering*: a cycle is a `raise` transition (the condition going from clear to active, annunciated or
 *   not: a shelved chatterer still chatters). An alarm chatters while the sliding count of its raises
 *   (1 minute) is >= `cycles` (3). Episodes are the intervals of chattering that overlap the window; the
 *   most cycles is the highest sliding count reached within the window.
 * - *Standing alarm*: active (unack-active or ack-active, also a latched one awaiting reset) at `to` for
 *   more than `standingMs` (24 h) since the raise that opened its episode. The state at `to` comes from the
 *   snapshot when it last changed before `to`, else from the log (the last transition before `to`). When
 *   the opening raise is older than the log, `since` is the snapshot's `raisedAt` or, failing that, the
 *   earliest logged transition of that episode (`sinceKnown: false`: active at least since then).
 * - *Priority distribution*: the annunciations of the window by the priority they carry; `high` in the
 *   comparison with the 80 / 15 / 5 % low / medium / high mix includes `critical`.
 */

export type KpiTransition = Pick<StoredTransition, 'alarmId' | 'action' | 'from' | 'to' | 'ts' | 'annunciate' | 'flags'> &
  Partial<Pick<StoredTransition, 'seq' | 'priority'>>;

export type KpiSnapshot = Pick<AlarmSnapshot, 'alarmId' | 'state' | 'changedAt' | 'annunciated'> &
  Partial<Pick<AlarmSnapshot, 'raisedAt' | 'site' | 'priority'>>;

export interface FloodRule {
  /** A flood starts when the sliding count rises above this (10). */
  startAbove: number;
  /** and ends when it falls below this (5). */
  endBelow: number;
  windowMs: number;
}

export interface ChatterRule {
  cycles: number;
  windowMs: number;
}

export interface AlarmRateTargets {
  /** Acceptable average annunciations per 10 minutes (1). */
  averagePer10Min: number;
  /** Most manageable average per 10 minutes (2). */
  maxPer10Min: number;
}

export interface PriorityMix {
  /** Target shares in percent. */
  low: number;
  medium: number;
  high: number;
}

export interface AlarmKpiInput {
  /** The audit log, in any order; entries outside the window give context (state at `from`, flood history). */
  transitions: readonly KpiTransition[];
  snapshots: readonly KpiSnapshot[];
  /** Window start, ms since epoch (inclusive). */
  from: number;
  /** Window end, ms since epoch (exclusive). */
  to: number;
  /** The site of an alarm; the snapshot's site, then `UNASSIGNED_SITE`, when it gives none. */
  siteOf: (alarmId: string) => string | undefined;
  /** Sites to report even without any alarm. */
  sites?: readonly string[];
  flood?: FloodRule;
  chatter?: ChatterRule;
  standingMs?: number;
  targets?: AlarmRateTargets;
  priorityMix?: PriorityMix;
}

export type RateVerdict = 'no-data' | 'acceptable' | 'manageable' | 'overloaded';

export interface FloodPeriod {
  start: number;
  /** Undefined: still in flood at `to`. */
  end?: number;
  /** Highest sliding count during the flood (until `to`). */
  peak: number;
}

export interface SiteAlarmKpis {
  site: string;
  rate: {
    annunciations: number;
    /** null for an empty window (from === to). */
    averagePer10Min: number | null;
    worstInterval: { start: number; end: number; count: number } | null;
    /** Fixed 10-minute intervals in the window (the last may be partial). */
    intervals: number;
    intervalsOverMax: number;
    /** The window is shorter than 10 minutes: the average is extrapolated. */
    shortWindow: boolean;
    targets: AlarmRateTargets;
    verdict: RateVerdict;
  };
  flood: { percentOfTime: number; timeInFloodMs: number; periods: FloodPeriod[] };
  badActors: { top: { alarmId: string; count: number; sharePercent: number }[]; topSharePercent: number };
  chattering: { alarmId: string; episodes: number; maxCycles: number }[];
  standing: { alarmId: string; state: AlarmState; since: number; sinceKnown: boolean; activeMs: number; annunciated: boolean }[];
  priority: {
    counts: Record<AlarmPriority | 'unknown', number>;
    percent: Record<AlarmPriority | 'unknown', number>;
    /** Low / medium / high(+critical) shares against the target mix, in percent and percentage points. */
    mix: { actual: PriorityMix; target: PriorityMix; deviation: PriorityMix };
  };
}

export interface AlarmKpis {
  from: number;
  to: number;
  durationMs: number;
  sites: SiteAlarmKpis[];
}

export const UNASSIGNED_SITE = '(unassigned)';
export const TEN_MINUTES_MS = 600_000;
export const DEFAULT_FLOOD_RULE: FloodRule = { startAbove: 10, endBelow: 5, windowMs: TEN_MINUTES_MS };
export const DEFAULT_CHATTER_RULE: ChatterRule = { cycles: 3, windowMs: 60_000 };
export const DEFAULT_STANDING_MS = 24 * 60 * 60 * 1000;
export const DEFAULT_RATE_TARGETS: AlarmRateTargets = { averagePer10Min: 1, maxPer10Min: 2 };
export const DEFAULT_PRIORITY_MIX: PriorityMix = { low: 80, medium: 15, high: 5 };
const TOP_BAD_ACTORS = 10;
const PRIORITIES: readonly (AlarmPriority | 'unknown')[] = ['critical', 'high', 'medium', 'low', 'unknown'];

export function computeAlarmKpis(input: AlarmKpiInput): AlarmKpis {
  const { from, to } = input;
  if (!Number.isFinite(from) || !Number.isFinite(to)) throw new TypeError(`alarm KPIs: from and to must be finite ms, got ${String(from)} and ${String(to)}`);
  if (from > to) throw new RangeError(`alarm KPIs: from (${new Date(from).toISOString()}) is after to (${new Date(to).toISOString()})`);
  const flood = input.flood ?? DEFAULT_FLOOD_RULE;
  const chatter = input.chatter ?? DEFAULT_CHATTER_RULE;
  const standingMs = input.standingMs ?? DEFAULT_STANDING_MS;
  const targets = input.targets ?? DEFAULT_RATE_TARGETS;
  const mix = input.priorityMix ?? DEFAULT_PRIORITY_MIX;
  checkRules(flood, chatter, standingMs, targets);
  input.transitions.forEach(checkTransition);

  const snapshotById = new Map(input.snapshots.map((s) => [s.alarmId, s]));
  const siteOf = (alarmId: string): string => input.siteOf(alarmId) ?? snapshotById.get(alarmId)?.site ?? UNASSIGNED_SITE;

  // Group by site, then by alarm; everything in ts order (commit order on ties).
  const sorted = [...input.transitions].sort((a, b) => a.ts - b.ts || (a.seq ?? 0) - (b.seq ?? 0));
  const bySite = new Map<string, { transitions: KpiTransition[]; snapshots: KpiSnapshot[] }>();
  const groupOf = (site: string) => {
    let g = bySite.get(site);
    if (g === undefined) bySite.set(site, (g = { transitions: [], snapshots: [] }));
    return g;
  };
  for (const site of input.sites ?? []) groupOf(site);
  for (const t of sorted) groupOf(siteOf(t.alarmId)).transitions.push(t);
  for (const s of input.snapshots) groupOf(siteOf(s.alarmId)).snapshots.push(s);

  const sites = [...bySite.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([site, g]): SiteAlarmKpis => {
      const inWindow = g.transitions.filter((t) => t.annunciate && t.ts >= from && t.ts < to);
      return {
        site,
        rate: alarmRate(inWindow, from, to, targets),
        flood: floodTime(g.transitions, from, to, flood),
        badActors: badActors(inWindow),
        chattering: chattering(g.transitions, from, to, chatter),
        standing: standing(g.transitions, g.snapshots, to, standingMs),
        priority: priorityDistribution(inWindow, mix),
      };
    });
  return { from, to, durationMs: to - from, sites };
}

function alarmRate(annunciations: readonly KpiTransition[], from: number, to: number, targets: AlarmRateTargets): SiteAlarmKpis['rate'] {
  const durationMs = to - from;
  const total = annunciations.length;
  if (durationMs === 0) {
    return { annunciations: 0, averagePer10Min: null, worstInterval: null, intervals: 0, intervalsOverMax: 0, shortWindow: true, targets, verdict: 'no-data' };
  }
  const intervals = Math.ceil(durationMs / TEN_MINUTES_MS);
  const counts = new Array<number>(intervals).fill(0);
  for (const t of annunciations) {
    const k = Math.floor((t.ts - from) / TEN_MINUTES_MS);
    counts[k] = (counts[k] ?? 0) + 1;
  }
  let worst = 0;
  counts.forEach((c, k) => {
    if (c > (counts[worst] ?? 0)) worst = k;
  });
  const start = from + worst * TEN_MINUTES_MS;
  const average = (total * TEN_MINUTES_MS) / durationMs;
  const verdict: RateVerdict = average <= targets.averagePer10Min ? 'acceptable' : average <= targets.maxPer10Min ? 'manageable' : 'overloaded';
  return {
    annunciations: total,
    averagePer10Min: average,
    worstInterval: { start, end: Math.min(start + TEN_MINUTES_MS, to), count: counts[worst] ?? 0 },
    intervals,
    intervalsOverMax: counts.filter((c) => c > targets.maxPer10Min).length,
    shortWindow: durationMs < TEN_MINUTES_MS,
    targets,
    verdict,
  };
}

function floodTime(transitions: readonly KpiTransition[], from: number, to: number, rule: FloodRule): SiteAlarmKpis['flood'] {
  const times = transitions.filter((t) => t.annunciate && t.ts < to).map((t) => t.ts);
  const episodes = slidingEpisodes(times, rule.windowMs, to, (n) => n > rule.startAbove, (n) => n < rule.endBelow);
  const periods = episodes.filter((e) => (e.end ?? to) > from && e.start < to);
  const timeInFloodMs = periods.reduce((sum, e) => sum + Math.min(e.end ?? to, to) - Math.max(e.start, from), 0);
  const durationMs = to - from;
  return { percentOfTime: durationMs === 0 ? 0 : (100 * timeInFloodMs) / durationMs, timeInFloodMs, periods };
}

function badActors(annunciations: readonly KpiTransition[]): SiteAlarmKpis['badActors'] {
  const counts = new Map<string, number>();
  for (const t of annunciations) counts.set(t.alarmId, (counts.get(t.alarmId) ?? 0) + 1);
  const total = annunciations.length;
  const share = (n: number): number => (total === 0 ? 0 : (100 * n) / total);
  const top = [...counts.entries()]
    .sort(([a, x], [b, y]) => y - x || a.localeCompare(b))
    .slice(0, TOP_BAD_ACTORS)
    .map(([alarmId, count]) => ({ alarmId, count, sharePercent: share(count) }));
  return { top, topSharePercent: share(top.reduce((sum, a) => sum + a.count, 0)) };
}

function chattering(transitions: readonly KpiTransition[], from: number, to: number, rule: ChatterRule): SiteAlarmKpis['chattering'] {
  const raises = new Map<string, number[]>();
  for (const t of transitions) {
    if (t.action !== 'raise' || t.ts >= to) continue;
    let list = raises.get(t.alarmId);
    if (list === undefined) raises.set(t.alarmId, (list = []));
    list.push(t.ts);
  }
  const out: SiteAlarmKpis['chattering'] = [];
  for (const [alarmId, times] of raises) {
    const episodes = slidingEpisodes(times, rule.windowMs, to, (n) => n >= rule.cycles, (n) => n < rule.cycles).filter(
      (e) => (e.end ?? to) > from && e.start < to,
    );
    if (episodes.length === 0) continue;
    out.push({ alarmId, episodes: episodes.length, maxCycles: maxSlidingCount(times, rule.windowMs, from, to) });
  }
  return out.sort((a, b) => b.episodes - a.episodes || b.maxCycles - a.maxCycles || a.alarmId.localeCompare(b.alarmId));
}

function standing(transitions: readonly KpiTransition[], snapshots: readonly KpiSnapshot[], to: number, standingMs: number): SiteAlarmKpis['standing'] {
  const logs = new Map<string, KpiTransition[]>();
  for (const t of [...transitions].sort((a, b) => (a.seq ?? 0) - (b.seq ?? 0) || a.ts - b.ts)) {
    if (t.ts >= to) continue;
    let list = logs.get(t.alarmId);
    if (list === undefined) logs.set(t.alarmId, (list = []));
    list.push(t);
  }
  const snapshotById = new Map(snapshots.map((s) => [s.alarmId, s]));
  const ids = new Set([...logs.keys(), ...snapshotById.keys()]);
  const out: SiteAlarmKpis['standing'] = [];
  for (const alarmId of ids) {
    const log = logs.get(alarmId) ?? [];
    const snap = snapshotById.get(alarmId);
    let state: AlarmState;
    let annunciated: boolean;
    if (snap !== undefined && snap.changedAt < to) {
      ({ state, annunciated } = snap);
    } else {
      const last = log[log.length - 1];
      if (last === undefined) continue; // changed after `to` and nothing logged before: state at `to` unknown
      state = last.to;
      annunciated = !last.flags.shelved && !last.flags.suppressed && !last.flags.outOfService;
    }
    if (!isActive(state)) continue;
    const opening = openingOf(log);
    let since = opening?.ts;
    let sinceKnown = opening?.known ?? false;
    if (!sinceKnown && snap?.raisedAt !== undefined && snap.raisedAt < to) {
      // The snapshot's raisedAt is the latest opening raise; before `to`, it is the one of the episode at `to`.
      since = snap.raisedAt;
      sinceKnown = true;
    }
    if (since === undefined || to - since <= standingMs) continue; // "more than 24 hours"
    out.push({ alarmId, state, since, sinceKnown, activeMs: to - since, annunciated });
  }
  return out.sort((a, b) => a.since - b.since || a.alarmId.localeCompare(b.alarmId));
}

function priorityDistribution(annunciations: readonly KpiTransition[], target: PriorityMix): SiteAlarmKpis['priority'] {
  const counts = { critical: 0, high: 0, medium: 0, low: 0, unknown: 0 };
  for (const t of annunciations) counts[t.priority ?? 'unknown']++;
  const total = annunciations.length;
  const pct = (n: number): number => (total === 0 ? 0 : (100 * n) / total);
  const percent = { critical: 0, high: 0, medium: 0, low: 0, unknown: 0 };
  for (const p of PRIORITIES) percent[p] = pct(counts[p]);
  // The mix is judged among annunciations that carry a priority.
  const known = total - counts.unknown;
  const share = (n: number): number => (known === 0 ? 0 : (100 * n) / known);
  const actual: PriorityMix = { low: share(counts.low), medium: share(counts.medium), high: share(counts.high + counts.critical) };
  const deviation: PriorityMix =
    known === 0
      ? { low: 0, medium: 0, high: 0 }
      : { low: actual.low - target.low, medium: actual.medium - target.medium, high: actual.high - target.high };
  return { counts, percent, mix: { actual, target, deviation } };
}

/**
 * The raise that opened the episode the log ends in (`known`), or, when the log does not reach back to it,
 * the earliest logged transition of that episode (the alarm was active at least since then).
 */
function openingOf(log: readonly KpiTransition[]): { ts: number; known: boolean } | undefined {
  let earliest: number | undefined;
  for (let k = log.length - 1; k >= 0; k--) {
    const t = log[k];
    if (t === undefined || !isActive(t.to)) break;
    if (!isActive(t.from)) return { ts: t.ts, known: true };
    earliest = t.ts;
  }
  return earliest === undefined ? undefined : { ts: earliest, known: false };
}

function isActive(state: AlarmState): boolean {
  return state === 'unack-active' || state === 'ack-active';
}

export interface SlidingEpisode {
  start: number;
  /** Undefined: still holding at `until`. */
  end?: number;
  peak: number;
}

/**
 * Intervals during which the sliding count of `times` (sorted) satisfies `startWhen` until it satisfies
 * `endWhen`. Only moments before `until` are looked at.
 */
export function slidingEpisodes(
  times: readonly number[],
  windowMs: number,
  until: number,
  startWhen: (count: number) => boolean,
  endWhen: (count: number) => boolean,
): SlidingEpisode[] {
  const episodes: SlidingEpisode[] = [];
  let current: SlidingEpisode | undefined;
  sweep(times, windowMs, until, (at, count) => {
    if (current === undefined) {
      if (startWhen(count)) current = { start: at, peak: count };
      return;
    }
    current.peak = Math.max(current.peak, count);
    if (endWhen(count)) {
      episodes.push({ ...current, end: at });
      current = undefined;
    }
  });
  if (current !== undefined) episodes.push(current);
  return episodes;
}

/** The highest sliding count of `times` (sorted) at any moment in [from, to). */
export function maxSlidingCount(times: readonly number[], windowMs: number, from: number, to: number): number {
  let max = 0;
  let countAtFrom = 0;
  sweep(times, windowMs, to, (at, count) => {
    if (at <= from) countAtFrom = count;
    else max = Math.max(max, count);
  });
  return from < to ? Math.max(max, countAtFrom) : 0;
}

/**
 * Visits every moment before `until` at which the sliding count changes, with the count after the change:
 * each time enters at `ts` and leaves at `ts + windowMs`; entries and leaves at the same moment are applied
 * together before the visit.
 */
function sweep(times: readonly number[], windowMs: number, until: number, visit: (at: number, count: number) => void): void {
  let i = 0; // next entry
  let j = 0; // next leave (times[j] + windowMs)
  let count = 0;
  for (;;) {
    const entry = times[i];
    const leave = times[j] === undefined ? undefined : (times[j] ?? 0) + windowMs;
    const at = entry === undefined ? leave : leave === undefined ? entry : Math.min(entry, leave);
    if (at === undefined || at >= until) return;
    while (times[i] === at) {
      count++;
      i++;
    }
    while (j < i && (times[j] ?? 0) + windowMs === at) {
      count--;
      j++;
    }
    visit(at, count);
  }
}

function checkRules(flood: FloodRule, chatter: ChatterRule, standingMs: number, targets: AlarmRateTargets): void {
  const positive = (v: number, name: string): void => {
    if (!Number.isFinite(v) || v <= 0) throw new RangeError(`alarm KPIs: ${name} must be a positive number, got ${String(v)}`);
  };
  positive(flood.windowMs, 'flood.windowMs');
  positive(flood.startAbove, 'flood.startAbove');
  positive(flood.endBelow, 'flood.endBelow');
  if (flood.endBelow > flood.startAbove) {
    throw new RangeError(`alarm KPIs: flood.endBelow (${flood.endBelow}) must not exceed flood.startAbove (${flood.startAbove})`);
  }
  positive(chatter.windowMs, 'chatter.windowMs');
  if (!Number.isInteger(chatter.cycles) || chatter.cycles < 2) throw new RangeError(`alarm KPIs: chatter.cycles must be an integer >= 2, got ${String(chatter.cycles)}`);
  positive(standingMs, 'standingMs');
  positive(targets.averagePer10Min, 'targets.averagePer10Min');
  positive(targets.maxPer10Min, 'targets.maxPer10Min');
}

function checkTransition(t: KpiTransition, index: number): void {
  if (typeof t.alarmId !== 'string' || t.alarmId === '') throw new TypeError(`alarm KPIs: transitions[${index}].alarmId must be a non-empty string`);
  if (!Number.isFinite(t.ts)) throw new TypeError(`alarm KPIs: transitions[${index}] (${t.alarmId}) has no finite ts`);
}
