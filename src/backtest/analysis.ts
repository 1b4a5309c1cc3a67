import type { AlarmEvent } from '../alarms/events.js';
import { DEFAULT_CHATTER_RULE, slidingEpisodes, type ChatterRule } from '../alarms/kpis.js';
import type { SimulatedWorkOrder } from './work-order-sim.js';

/**
 * What one run's alarm events mean per alarm (one rule of one device), over the window [from, to), and the
 * comparison of two runs. Definitions:
 * - raises: raise events with from <= ts < to;
 * - active time: the part of each raise-to-clear interval inside the window (an alarm still active at the
 *   end counts until `to`; one raised during warm-up counts from `from`);
 * - chattering episodes: as the alarm KPIs define them (src/alarms/kpis.ts, ISA-18.2: 3 or more raises
 *   within a minute), counted when they overlap the window; raises of the warm-up give them context;
 * - episodes: each raise-to-clear interval overlapping the window, with its raise time (`clearedAt: null`:
 *   still active at the end);
 * - work orders: orders the run's raises opened within the window, and raises appended to an open order.
 * Episodes of the two runs are paired when they overlap in time, so a change of delay shows as a shift of
 * the raise time of the same episode; an episode with no partner happened in one run only.
 */

export interface Episode {
  raisedAt: number;
  clearedAt: number | null;
}

export interface AlarmRunMetrics {
  raises: number;
  activeMs: number;
  chatteringEpisodes: number;
  episodes: Episode[];
  workOrdersOpened: number;
  workOrderOccurrences: number;
}

export interface EpisodePair {
  current: Episode | null;
  candidate: Episode | null;
  /** candidate raise − current raise, ms; null unless both exist. */
  raiseShiftMs: number | null;
}

export interface AnalysisWindow {
  from: number;
  to: number;
  chatter?: ChatterRule;
}

export function emptyMetrics(): AlarmRunMetrics {
  return { raises: 0, activeMs: 0, chatteringEpisodes: 0, episodes: [], workOrdersOpened: 0, workOrderOccurrences: 0 };
}

/** Per alarm id: the metrics of one run. Alarms without any event are absent. */
export function metricsByAlarm(events: readonly AlarmEvent[], orders: readonly SimulatedWorkOrder[], window: AnalysisWindow): Map<string, AlarmRunMetrics> {
  const { from, to } = window;
  const chatter = window.chatter ?? DEFAULT_CHATTER_RULE;
  const byAlarm = new Map<string, AlarmEvent[]>();
  for (const e of events) {
    if (e.ts >= to) continue;
    let list = byAlarm.get(e.alarmId);
    if (list === undefined) byAlarm.set(e.alarmId, (list = []));
    list.push(e);
  }
  const out = new Map<string, AlarmRunMetrics>();
  for (const [alarmId, list] of byAlarm) {
    const m = emptyMetrics();
    const raiseTimes: number[] = [];
    let open: Episode | undefined;
    const close = (episode: Episode, end: number): void => {
      const activeFrom = Math.max(episode.raisedAt, from);
      const activeTo = Math.min(end, to);
      if (activeTo > activeFrom) m.activeMs += activeTo - activeFrom;
      if (end >= from) m.episodes.push(episode);
    };
    for (const e of list) {
      if (e.type === 'raise') {
        if (open !== undefined) continue; // a repeated raise of an active alarm is not a new episode
        raiseTimes.push(e.ts);
        if (e.ts >= from) m.raises++;
        open = { raisedAt: e.ts, clearedAt: null };
      } else if (open !== undefined) {
        open.clearedAt = e.ts;
        close(open, e.ts);
        open = undefined;
      }
    }
    if (open !== undefined) close(open, to);
    m.chatteringEpisodes = slidingEpisodes(raiseTimes, chatter.windowMs, to, (n) => n >= chatter.cycles, (n) => n < chatter.cycles).filter(
      (e) => (e.end ?? to) > from,
    ).length;
    out.set(alarmId, m);
  }
  for (const order of orders) {
    const m = out.get(order.alarmId);
    if (m === undefined) continue;
    if (order.openedAt >= from && order.openedAt < to) m.workOrdersOpened++;
    m.workOrderOccurrences += order.occurrences.filter((ts) => ts >= from && ts < to).length;
  }
  return out;
}

/** Pairs the episodes of two runs by overlap, in time order. */
export function pairEpisodes(current: readonly Episode[], candidate: readonly Episode[]): EpisodePair[] {
  const end = (e: Episode): number => e.clearedAt ?? Infinity;
  const pairs: EpisodePair[] = [];
  let i = 0;
  let j = 0;
  while (i < current.length || j < candidate.length) {
    const a = current[i];
    const b = candidate[j];
    if (a !== undefined && b !== undefined && a.raisedAt <= end(b) && b.raisedAt <= end(a)) {
      pairs.push({ current: a, candidate: b, raiseShiftMs: b.raisedAt - a.raisedAt });
      i++;
      j++;
    } else if (a !== undefined && (b === undefined || end(a) < b.raisedAt)) {
      pairs.push({ current: a, candidate: null, raiseShiftMs: null });
      i++;
    } else if (b !== undefined) {
      pairs.push({ current: null, candidate: b, raiseShiftMs: null });
      j++;
    }
  }
  return pairs;
}

export function sameMetrics(a: AlarmRunMetrics, b: AlarmRunMetrics): boolean {
  return (
    a.raises === b.raises &&
    a.activeMs === b.activeMs &&
    a.chatteringEpisodes === b.chatteringEpisodes &&
    a.workOrdersOpened === b.workOrdersOpened &&
    a.workOrderOccurrences === b.workOrderOccurrences &&
    a.episodes.length === b.episodes.length &&
    a.episodes.every((e, k) => e.raisedAt === b.episodes[k]?.raisedAt && e.clearedAt === b.episodes[k]?.clearedAt)
  );
}
