import type { AlarmRunMetrics, Episode, EpisodePair } from './analysis.js';
import type { AlarmComparison, BacktestReport } from './backtest.js';

/**
 * The back-test report as aligned plain text (for a terminal or a ticket) and as JSON (for tools and the
 * API). In the table a cell shows one figure when both runs agree and `current → candidate` when they
 * differ; changed alarms come first, and their episodes are listed below the table.
 */

/** Episode lines listed per changed alarm in the text report; the JSON has all. */
const MAX_EPISODE_LINES = 20;

export function formatReportJson(report: BacktestReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

export function formatReportTable(report: BacktestReport): string {
  const lines: string[] = [];
  const { entries } = report;
  lines.push(`Back-test of site ${report.site}: ${iso(report.from)} to ${iso(report.to)}, from ${report.source}`);
  lines.push(`  current rules:   ${report.current.label}`);
  lines.push(`  candidate rules: ${report.candidate.label}`);
  lines.push(
    `  replayed ${entries.samples} samples, ${entries.statusChanges} status changes, ${entries.deviceEvents} device events` +
      (report.warmupMs > 0 ? ` (plus ${entries.warmup} in ${duration(report.warmupMs)} of warm-up)` : ''),
  );
  lines.push(`  work orders: an order is taken as completed ${duration(report.repairMs)} after its alarm cleared`);
  if (report.definitions.added.length > 0) lines.push(`  alarms only the candidate defines: ${report.definitions.added.join(', ')}`);
  if (report.definitions.removed.length > 0) lines.push(`  alarms only the current rules define: ${report.definitions.removed.join(', ')}`);
  lines.push('');

  const changed = report.alarms.filter((a) => a.changed).length;
  if (report.alarms.length === 0) {
    lines.push('No alarm raised or cleared in either run.');
  } else {
    lines.push(`${report.alarms.length} alarm(s) active in either run, ${changed} with a difference:`);
    lines.push('');
    const header = ['ALARM', 'PRIORITY', 'RAISES', 'ACTIVE', 'CHATTERING', 'WORK ORDERS', 'FIRST RAISE', 'RAISE SHIFT'];
    const rows = report.alarms.map((a) => [
      `${a.changed ? '* ' : '  '}${a.alarmId}${a.inCandidate ? '' : ' (removed)'}${a.inCurrent ? '' : ' (new)'}`,
      a.priority,
      cell(a.current.raises, a.candidate.raises),
      cell(a.current.activeMs, a.candidate.activeMs, duration),
      cell(a.current.chatteringEpisodes, a.candidate.chatteringEpisodes),
      cell(orderCount(a.current), orderCount(a.candidate), String),
      cell(firstRaise(a.current, report.from), firstRaise(a.candidate, report.from), (v) => (v === null ? '-' : iso(v))),
      shiftSummary(a.episodes),
    ]);
    const total = [
      '  TOTAL',
      '',
      cell(report.current.raises, report.candidate.raises),
      cell(report.current.activeMs, report.candidate.activeMs, duration),
      cell(report.current.chatteringEpisodes, report.candidate.chatteringEpisodes),
      cell(report.current.workOrdersOpened, report.candidate.workOrdersOpened),
      '',
      '',
    ];
    lines.push(...alignColumns([header, ...rows, total]));
    const withEpisodes = report.alarms.filter((a) => a.changed);
    if (withEpisodes.length > 0) {
      lines.push('', 'Episodes of the changed alarms (raise times; shift = candidate − current):');
      for (const a of withEpisodes) {
        lines.push(`  ${a.alarmId}`);
        for (const pair of a.episodes.slice(0, MAX_EPISODE_LINES)) lines.push(`    ${describePair(pair)}`);
        if (a.episodes.length > MAX_EPISODE_LINES) lines.push(`    … ${a.episodes.length - MAX_EPISODE_LINES} more (see --format json)`);
      }
    }
  }
  if (report.warnings.length > 0) {
    lines.push('', 'Warnings:');
    for (const w of report.warnings) lines.push(`  ${w}`);
  }
  return `${lines.join('\n')}\n`;
}

function orderCount(m: AlarmRunMetrics): string {
  return m.workOrderOccurrences > 0 ? `${m.workOrdersOpened} (+${m.workOrderOccurrences})` : String(m.workOrdersOpened);
}

/** The first raise within the window (an episode raised during warm-up does not count). */
function firstRaise(m: AlarmRunMetrics, from: number): number | null {
  return m.episodes.find((e) => e.raisedAt >= from)?.raisedAt ?? null;
}

function shiftSummary(pairs: readonly EpisodePair[]): string {
  const shifts = pairs.flatMap((p) => (p.raiseShiftMs === null ? [] : [p.raiseShiftMs]));
  const onlyCurrent = pairs.filter((p) => p.candidate === null).length;
  const onlyCandidate = pairs.filter((p) => p.current === null).length;
  const parts: string[] = [];
  if (shifts.length > 0) {
    const min = Math.min(...shifts);
    const max = Math.max(...shifts);
    parts.push(min === max ? signed(min) : `${signed(min)}…${signed(max)}`);
  }
  if (onlyCurrent > 0) parts.push(`${onlyCurrent} gone`);
  if (onlyCandidate > 0) parts.push(`${onlyCandidate} new`);
  return parts.join(', ') || '-';
}

function describePair(pair: EpisodePair): string {
  if (pair.current !== null && pair.candidate !== null) {
    return `raised ${iso(pair.current.raisedAt)} → ${iso(pair.candidate.raisedAt)} (${signed(pair.raiseShiftMs ?? 0)}), cleared ${cleared(pair.current)} → ${cleared(pair.candidate)}`;
  }
  if (pair.current !== null) return `only current:   raised ${iso(pair.current.raisedAt)}, cleared ${cleared(pair.current)}`;
  if (pair.candidate !== null) return `only candidate: raised ${iso(pair.candidate.raisedAt)}, cleared ${cleared(pair.candidate)}`;
  return '';
}

function cleared(e: Episode): string {
  return e.clearedAt === null ? 'still active' : iso(e.clearedAt);
}

function cell<T>(a: T, b: T, show: (v: T) => string = String): string {
  return a === b ? show(a) : `${show(a)} → ${show(b)}`;
}

function signed(ms: number): string {
  return ms === 0 ? '±0' : `${ms > 0 ? '+' : '−'}${duration(Math.abs(ms))}`;
}

/** 0 s, 45 s, 12m05s, 3h02m, 2d04h. */
export function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (ms > 0 && ms < 1000) return `${ms} ms`;
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h${String(m % 60).padStart(2, '0')}m`;
  return `${Math.floor(h / 24)}d${String(h % 24).padStart(2, '0')}h`;
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

function alignColumns(rows: readonly string[][]): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, [...c].length)));
  return rows.map((row) => row.map((c, i) => (i === row.length - 1 ? c : c + ' '.repeat((widths[i] ?? 0) - [...c].length))).join('  ').trimEnd());
}

export type { AlarmComparison };
