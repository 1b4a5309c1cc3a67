import type { AlarmEvent } from '../alarms/events.js';
import type { ChatterRule } from '../alarms/kpis.js';
import { silentLogger, type Logger } from '../log.js';
import type { EquipmentType } from '../profiles/types.js';
import type { CompiledAlarmDefinition } from '../rules/alarm-definition.js';
import { emptyMetrics, metricsByAlarm, pairEpisodes, sameMetrics, type AlarmRunMetrics, type EpisodePair } from './analysis.js';
import type { HistorySource } from './history-source.js';
import { RuleReplay } from './replay.js';
import { BacktestInputError, type RuleSetUnderTest } from './rule-sets.js';
import { simulateWorkOrders, type SimulatedWorkOrder } from './work-order-sim.js';

/**
 * A back-test: history replayed once through the current rules and once through the candidate, both on
 * virtual clocks in the same pass over the source (it is read once), then compared per alarm (one rule of
 * one device): raises, active time, chattering episodes, each episode's raise time, and the work orders
 * that would have been opened (work-order-sim.ts). `analysis.ts` defines every figure.
 *
 * Warm-up: entries from `from − warmupMs` are fed but only what happens from `from` on is counted, so that
 * an alarm already active at `from` is known as active (its time counts from `from`, its raise does not).
 */

/** Simulated repair time when none is given: an order is finished this long after its alarm cleared. */
export const DEFAULT_REPAIR_MS = 4 * 60 * 60 * 1000;

export interface BacktestOptions {
  current: RuleSetUnderTest;
  candidate: RuleSetUnderTest;
  source: HistorySource;
  /** Window, ms since the epoch: from inclusive, to exclusive. */
  from: number;
  to: number;
  warmupMs?: number;
  repairMs?: number;
  chatter?: ChatterRule;
  logger?: Logger;
}

export interface AlarmComparison {
  alarmId: string;
  device: string;
  rule: string;
  kind: CompiledAlarmDefinition['kind'] | 'unknown';
  priority: CompiledAlarmDefinition['priority'] | 'unknown';
  /** Whether each rule set defines the alarm. */
  inCurrent: boolean;
  inCandidate: boolean;
  current: AlarmRunMetrics;
  candidate: AlarmRunMetrics;
  episodes: EpisodePair[];
  changed: boolean;
}

export interface RunSummary {
  label: string;
  raises: number;
  activeMs: number;
  chatteringEpisodes: number;
  workOrdersOpened: number;
  workOrderOccurrences: number;
  workOrders: SimulatedWorkOrder[];
  /** Every raise and clear of the run inside the window, in emission order. */
  events: AlarmEvent[];
}

export interface BacktestReport {
  site: string;
  source: string;
  from: number;
  to: number;
  warmupMs: number;
  repairMs: number;
  /** Entries replayed within the window (samples, status changes, device events). */
  entries: { samples: number; statusChanges: number; deviceEvents: number; warmup: number };
  current: RunSummary;
  candidate: RunSummary;
  /** Alarms with any raise or clear in either run, changed ones first. */
  alarms: AlarmComparison[];
  /** Alarm ids only one rule set defines. */
  definitions: { added: string[]; removed: string[] };
  warnings: string[];
}

/** No sample in the window: nothing to compare. The CLI exits with code 2. */
export class BacktestNoDataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BacktestNoDataError';
  }
}

export async function backtest(options: BacktestOptions): Promise<BacktestReport> {
  const { from, to, current, candidate, source } = options;
  const warmupMs = options.warmupMs ?? 0;
  const repairMs = options.repairMs ?? DEFAULT_REPAIR_MS;
  if (!Number.isFinite(from) || !Number.isFinite(to) || from >= to) {
    throw new BacktestInputError(`the window must have from before to, got ${describeTime(from)} and ${describeTime(to)}`);
  }
  if (!(warmupMs >= 0) || !(repairMs >= 0)) throw new BacktestInputError('warm-up and repair times must be ≥ 0');
  if (candidate.config.site.id !== current.config.site.id) {
    throw new BacktestInputError(`the candidate ${candidate.label} is for site "${candidate.config.site.id}", the current rules for "${current.config.site.id}"`);
  }
  const site = current.config.site.id;
  const logger = (options.logger ?? silentLogger()).child({ module: 'backtest' });
  const start = from - warmupMs;
  const runs = [current, candidate].map((set) => new RuleReplay({ site, rules: set.rules, startMs: start, logger: logger.child({ rules: set.label }) }));
  const entries = { samples: 0, statusChanges: 0, deviceEvents: 0, warmup: 0 };
  for await (const batch of source.read(start, to)) {
    for (const run of runs) run.feed(batch);
    for (const entry of batch) {
      const ts = 'kind' in entry ? (entry.kind === 'status' ? entry.status.ts : entry.event.ts) : entry.ts;
      if (ts < from) entries.warmup++;
      else if (!('kind' in entry)) entries.samples++;
      else if (entry.kind === 'status') entries.statusChanges++;
      else entries.deviceEvents++;
    }
  }
  if (entries.samples === 0) {
    throw new BacktestNoDataError(`no samples between ${describeTime(from)} and ${describeTime(to)} in ${source.description}`);
  }
  for (const run of runs) run.finish(to);

  const summaries = [current, candidate].map((set, k) => summarise(set, runs[k]?.events ?? [], { from, to, repairMs }));
  const [cur, cand] = summaries as [Summarised, Summarised];
  const alarmIds = new Set([...cur.metrics.keys(), ...cand.metrics.keys()]);
  const alarms: AlarmComparison[] = [];
  for (const alarmId of alarmIds) {
    const def = candidate.rules.alarmDefinitions.get(alarmId) ?? current.rules.alarmDefinitions.get(alarmId);
    const a = cur.metrics.get(alarmId) ?? emptyMetrics();
    const b = cand.metrics.get(alarmId) ?? emptyMetrics();
    alarms.push({
      alarmId,
      device: def?.device ?? alarmId.split(':')[0] ?? alarmId,
      rule: def?.rule ?? alarmId.split(':')[1] ?? alarmId,
      kind: def?.kind ?? 'unknown',
      priority: def?.priority ?? 'unknown',
      inCurrent: current.rules.alarmDefinitions.has(alarmId),
      inCandidate: candidate.rules.alarmDefinitions.has(alarmId),
      current: a,
      candidate: b,
      episodes: pairEpisodes(a.episodes, b.episodes),
      changed: !sameMetrics(a, b),
    });
  }
  alarms.sort((x, y) => Number(y.changed) - Number(x.changed) || x.alarmId.localeCompare(y.alarmId));
  const curIds = new Set(current.rules.alarmDefinitions.keys());
  const candIds = new Set(candidate.rules.alarmDefinitions.keys());
  return {
    site,
    source: source.description,
    from,
    to,
    warmupMs,
    repairMs,
    entries,
    current: cur.summary,
    candidate: cand.summary,
    alarms,
    definitions: { added: [...candIds].filter((id) => !curIds.has(id)).sort(), removed: [...curIds].filter((id) => !candIds.has(id)).sort() },
    warnings: source.warnings(),
  };
}

interface Summarised {
  summary: RunSummary;
  metrics: Map<string, AlarmRunMetrics>;
}

function summarise(set: RuleSetUnderTest, events: AlarmEvent[], window: { from: number; to: number; repairMs: number }): Summarised {
  const equipment = new Map<string, EquipmentType>(set.config.devices.map((d) => [d.id, d.type]));
  const orders = simulateWorkOrders(events, {
    definitions: set.rules.alarmDefinitions,
    templates: set.config.workOrders?.templates ?? [],
    equipmentOf: (device) => equipment.get(device),
    repairMs: window.repairMs,
    endMs: window.to,
  });
  const metrics = metricsByAlarm(events, orders, window);
  const summary: RunSummary = {
    label: set.label,
    raises: 0,
    activeMs: 0,
    chatteringEpisodes: 0,
    workOrdersOpened: 0,
    workOrderOccurrences: 0,
    workOrders: orders.filter((o) => o.openedAt >= window.from && o.openedAt < window.to),
    events: events.filter((e) => e.ts >= window.from && e.ts < window.to),
  };
  for (const m of metrics.values()) {
    summary.raises += m.raises;
    summary.activeMs += m.activeMs;
    summary.chatteringEpisodes += m.chatteringEpisodes;
    summary.workOrdersOpened += m.workOrdersOpened;
    summary.workOrderOccurrences += m.workOrderOccurrences;
  }
  return { summary, metrics };
}

function describeTime(ms: number): string {
  return Number.isFinite(ms) ? new Date(ms).toISOString() : String(ms);
}
