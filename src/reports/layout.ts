import type { WorkOrderKpis } from '../workorders/kpis.js';
import { duration, localTime, minutes, percent, type Table } from './format.js';
import { offsetAt } from '../notify/time-zone.js';
import type { PeriodReport } from './report-data.js';

/**
 * The report as sections of paragraphs and tables, the same for every format. `human` cells read well on paper
 * (`2 h 5 min`, `2026-11-03 18:04`); `data` cells suit a spreadsheet (minutes as numbers, times with their UTC
 * offset, percentages as numbers).
 */
export interface Section {
  id: string;
  title: string;
  paragraphs: string[];
  tables: Table[];
}

export type CellStyle = 'human' | 'data';

interface Cells {
  time(ts: number | undefined): string;
  dur(ms: number | null | undefined): string;
  durHeader(label: string): string;
  pct(v: number | null): string;
  yes(v: boolean): string;
}

function cells(style: CellStyle, timeZone: string): Cells {
  if (style === 'human') {
    return {
      time: (ts) => (ts === undefined ? '–' : localTime(ts, timeZone)),
      dur: duration,
      durHeader: (label) => label,
      pct: percent,
      yes: (v) => (v ? 'yes' : ''),
    };
  }
  return {
    time: (ts) => (ts === undefined ? '' : isoWithOffset(ts, timeZone)),
    dur: minutes,
    durHeader: (label) => `${label} (min)`,
    pct: (v) => (v === null ? '' : (Math.round(v * 10) / 10).toString()),
    yes: (v) => (v ? 'yes' : 'no'),
  };
}

/** `2026-11-03T18:04:00+08:00`. */
export function isoWithOffset(ts: number, timeZone: string): string {
  const offsetMin = Math.round(offsetAt(ts, timeZone) / 60_000);
  const sign = offsetMin < 0 ? '-' : '+';
  const abs = Math.abs(offsetMin);
  const local = new Date(ts + offsetMin * 60_000).toISOString().slice(0, 19);
  return `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

const who = (r: { contractor?: string; assignee?: string }) => r.contractor ?? r.assignee ?? '';

export function layoutReport(report: PeriodReport, style: CellStyle): Section[] {
  const c = cells(style, report.site.timeZone);
  const w = report.workOrders;
  // On paper the backlog lists its oldest orders; the CSV and JSON carry every one.
  const listed = style === 'human' ? HUMAN_BACKLOG_ROWS : Infinity;
  return [headline(report, c), volume(w), times(w, c), sla(w, c), planned(w, c), backlog(w, c, listed), repeats(w, c), alarms(report, c)];
}

function headline(report: PeriodReport, c: Cells): Section {
  const w = report.workOrders;
  const site = report.alarms.sites.find((s) => s.site === report.site.id) ?? report.alarms.sites[0];
  const rows: string[][] = [
    ['Work orders opened', String(w.volume.opened), `${w.volume.byType.corrective.opened} corrective, ${w.volume.byType.preventive.opened} preventive, ${w.volume.byType.inspection.opened} inspection`],
    ['Work orders completed', String(w.volume.completed), `${w.volume.cancelled} cancelled`],
    [c.durHeader('MTTA (alarm raised → acknowledged)'), c.dur(w.mtta.stats.meanMs), `${w.mtta.stats.count} acknowledged, ${w.mtta.unacknowledged} not acknowledged by the end`],
    [c.durHeader('MTTR (fault → repair completed)'), c.dur(w.mttr.stats.meanMs), `${w.mttr.stats.count} repairs`],
    ['SLA response met (%)', c.pct(w.sla.response.percentMet), `${w.sla.response.met} met, ${w.sla.response.breached} breached`],
    ['SLA resolution met (%)', c.pct(w.sla.resolution.percentMet), `${w.sla.resolution.met} met, ${w.sla.resolution.breached} breached`],
    ['Planned maintenance on time (%)', c.pct(w.plannedMaintenance.percentOnTime), `${w.plannedMaintenance.counts['on-time']} of ${measured(w)} due; ${w.plannedMaintenance.counts.pending} still in their window`],
    ['Open backlog at the end', String(w.backlog.total), `${w.backlog.overdue} overdue`],
    ['Repeat faults', String(w.repeatFaults.byAsset.length), `${w.repeatFaults.byAsset.reduce((s, r) => s + r.occurrences, 0)} occurrences`],
  ];
  if (site !== undefined) {
    rows.push(
      ['Alarms per 10 min (average)', site.rate.averagePer10Min === null ? '–' : site.rate.averagePer10Min.toFixed(2), `${site.rate.annunciations} annunciated; ${site.rate.verdict}`],
      ['Time in alarm flood (%)', c.pct(site.flood.percentOfTime), `${site.flood.periods.length} flood(s)`],
    );
  }
  const tz = report.site.timeZone;
  return {
    id: 'headline',
    title: 'Headline figures',
    paragraphs: [
      `${report.site.name} (${report.site.id}), ${report.period.label}: ${localTime(report.period.from, tz)} to ${localTime(report.period.to, tz)} (${tz}). Generated ${localTime(report.generatedAt, tz)}.`,
      ...report.notes,
    ],
    tables: [{ id: 'headline', title: 'Headline figures', header: ['Measure', 'Value', 'Detail'], rows }],
  };
}

const measured = (w: WorkOrderKpis) => w.plannedMaintenance.counts['on-time'] + w.plannedMaintenance.counts.late + w.plannedMaintenance.counts.missed;

function volume(w: WorkOrderKpis): Section {
  const rows = (['corrective', 'preventive', 'inspection'] as const).map((t) => [t, String(w.volume.byType[t].opened), String(w.volume.byType[t].completed)]);
  rows.push(['all', String(w.volume.opened), String(w.volume.completed)]);
  return {
    id: 'volume',
    title: 'Work orders',
    paragraphs: [`${w.volume.cancelled} order(s) were cancelled in the period.`],
    tables: [{ id: 'volume', title: 'Orders by type', header: ['Type', 'Opened', 'Completed'], rows }],
  };
}

function times(w: WorkOrderKpis, c: Cells): Section {
  const stat = (label: string, s: WorkOrderKpis['mtta']['stats']) => [label, c.dur(s.meanMs), c.dur(s.medianMs), c.dur(s.p90Ms), c.dur(s.maxMs), String(s.count)];
  const group = (id: string, title: string, key: string, groups: WorkOrderKpis['mttr']['byAsset']): Table => ({
    id,
    title,
    header: [key, 'Repairs', c.durHeader('Mean'), c.durHeader('Median'), c.durHeader('Longest')],
    rows: groups.map((g) => [g.key, String(g.stats.count), c.dur(g.stats.meanMs), c.dur(g.stats.medianMs), c.dur(g.stats.maxMs)]),
    empty: 'No repairs completed in the period.',
  });
  return {
    id: 'times',
    title: 'Response and repair times',
    paragraphs: w.mtta.unacknowledged > 0 ? [`${w.mtta.unacknowledged} alarm(s) that opened an order in the period were not acknowledged by its end.`] : [],
    tables: [
      {
        id: 'mtta-mttr',
        title: 'Acknowledge and repair times',
        header: ['Measure', c.durHeader('Mean'), c.durHeader('Median'), c.durHeader('90th percentile'), c.durHeader('Longest'), 'Count'],
        rows: [stat('MTTA', w.mtta.stats), stat('MTTR', w.mttr.stats)],
      },
      group('mttr-by-asset', 'Repair time per asset', 'Asset', w.mttr.byAsset),
      group('mttr-by-contractor', 'Repair time per contractor', 'Contractor', w.mttr.byContractor),
    ],
  };
}

function sla(w: WorkOrderKpis, c: Cells): Section {
  const row = (label: string, s: WorkOrderKpis['sla']['response']) => [label, String(s.met), String(s.breached), c.pct(s.percentMet), String(s.running)];
  return {
    id: 'sla',
    title: 'SLA compliance',
    paragraphs: [],
    tables: [
      {
        id: 'sla-compliance',
        title: 'Targets met',
        header: ['Target', 'Met', 'Breached', 'Met (%)', 'Running at the end'],
        rows: [row('Response (technician on site)', w.sla.response), row('Resolution (work completed)', w.sla.resolution)],
      },
      {
        id: 'sla-breaches',
        title: 'Breaches',
        header: ['Order', 'Asset', 'Title', 'Target', c.durHeader('Limit'), 'Due', 'Done', c.durHeader('Late by'), 'Contractor / technician', 'Still open at the end'],
        rows: w.sla.breaches.map((b) => [b.number, b.asset, b.title, b.kind, c.dur(b.targetMinutes * 60_000), c.time(b.deadline), c.time(b.doneAt), c.dur(b.lateMs), who(b), c.yes(b.openAtEnd)]),
        empty: 'No SLA breaches in the period.',
      },
    ],
  };
}

function planned(w: WorkOrderKpis, c: Cells): Section {
  const pm = w.plannedMaintenance;
  return {
    id: 'planned-maintenance',
    title: 'Planned maintenance',
    paragraphs: [`On time: completed no later than the due time plus ${Math.round(pm.tolerance * 100)} % of the schedule interval.`],
    tables: [
      {
        id: 'pm-compliance',
        title: 'Outcomes',
        header: ['Outcome', 'Orders'],
        rows: (['on-time', 'late', 'missed', 'pending', 'not-measurable'] as const).map((o) => [o, String(pm.counts[o])]),
      },
      {
        id: 'pm-orders',
        title: 'Preventive orders due in the period',
        header: ['Order', 'Asset', 'Title', 'Due', c.durHeader('Interval'), c.durHeader('Tolerance'), 'Completed', c.durHeader('Before (−) / after due'), 'Outcome'],
        rows: pm.items.map((i) => [i.number, i.asset, i.title, c.time(i.dueAt), c.dur(i.intervalMs), c.dur(i.toleranceMs), c.time(i.completedAt), c.dur(i.deviationMs), i.outcome]),
        empty: 'No preventive orders were due in the period.',
      },
    ],
  };
}

/** Open orders a Markdown or HTML report lists, oldest first. */
export const HUMAN_BACKLOG_ROWS = 100;

function backlog(w: WorkOrderKpis, c: Cells, listed: number): Section {
  const b = w.backlog;
  const more = b.items.length - Math.min(listed, b.items.length);
  return {
    id: 'backlog',
    title: 'Backlog at the end of the period',
    paragraphs: [`${b.total} order(s) open, ${b.overdue} of them overdue.${more > 0 ? ` The ${listed} oldest are listed; the CSV and JSON reports list all ${b.items.length}.` : ''}`],
    tables: [
      { id: 'backlog-age', title: 'By age', header: ['Age', 'Orders'], rows: b.byAge.map((a) => [a.label, String(a.count)]) },
      {
        id: 'backlog-type-priority',
        title: 'By type and priority',
        header: ['Group', 'Value', 'Orders'],
        rows: [
          ...Object.entries(b.byType).map(([k, v]) => ['type', k, String(v)]),
          ...Object.entries(b.byPriority).map(([k, v]) => ['priority', k, String(v)]),
        ],
      },
      {
        id: 'backlog-orders',
        title: 'Open orders, oldest first',
        header: ['Order', 'Asset', 'Title', 'Type', 'Priority', 'Status', 'Opened', c.durHeader('Age'), 'Due', 'Overdue', 'Contractor / technician'],
        rows: b.items.slice(0, listed).map((i) => [i.number, i.asset, i.title, i.type, i.priority, i.status, c.time(i.createdAt), c.dur(i.ageMs), c.time(i.dueAt), c.yes(i.overdue), who(i)]),
        empty: 'No open orders.',
      },
    ],
  };
}

function repeats(w: WorkOrderKpis, c: Cells): Section {
  return {
    id: 'repeat-faults',
    title: 'Repeat faults',
    paragraphs: ['The same fault on the same asset more than once in the period.'],
    tables: [
      {
        id: 'repeat-by-asset',
        title: 'Per asset',
        header: ['Asset', 'Fault', 'Occurrences', 'Orders', 'Contractor', 'First', 'Last'],
        rows: w.repeatFaults.byAsset.map((r) => [r.asset, r.faultKind, String(r.occurrences), r.orders.join(' '), r.contractors.join(', '), c.time(r.firstAt), c.time(r.lastAt)]),
        empty: 'No fault repeated in the period.',
      },
      {
        id: 'repeat-by-contractor',
        title: 'Per contractor',
        header: ['Contractor', 'Repeat faults', 'Occurrences in them', 'All fault occurrences', 'Assets'],
        rows: w.repeatFaults.byContractor.map((r) => [r.contractor, String(r.repeatFaults), String(r.occurrences), String(r.allOccurrences), r.assets.join(', ')]),
        empty: 'No faults in the period.',
      },
    ],
  };
}

function alarms(report: PeriodReport, c: Cells): Section {
  const sites = report.alarms.sites;
  return {
    id: 'alarms',
    title: 'Alarm system (ISA-18.2)',
    paragraphs: ['Targets per operator position: about 1 annunciated alarm per 10 minutes on average, 2 at most; floods above 10 in 10 minutes.'],
    tables: [
      {
        id: 'alarm-rate',
        title: 'Alarm load',
        header: ['Site', 'Annunciated', 'Per 10 min (average)', 'Verdict', 'Worst 10 min', '10-min intervals over 2', 'Time in flood (%)'],
        rows: sites.map((s) => [
          s.site,
          String(s.rate.annunciations),
          s.rate.averagePer10Min === null ? '' : s.rate.averagePer10Min.toFixed(2),
          s.rate.verdict,
          s.rate.worstInterval === null ? '' : `${s.rate.worstInterval.count} at ${c.time(s.rate.worstInterval.start)}`,
          String(s.rate.intervalsOverMax),
          c.pct(s.flood.percentOfTime),
        ]),
      },
      {
        id: 'alarm-bad-actors',
        title: 'Most frequent alarms',
        header: ['Site', 'Alarm', 'Annunciated', 'Share (%)'],
        rows: sites.flatMap((s) => s.badActors.top.map((b) => [s.site, b.alarmId, String(b.count), c.pct(b.sharePercent)])),
        empty: 'No alarms annunciated in the period.',
      },
      {
        id: 'alarm-standing',
        title: 'Standing alarms at the end (active more than 24 h)',
        header: ['Site', 'Alarm', 'State', 'Active since', c.durHeader('Active for')],
        rows: sites.flatMap((s) => s.standing.map((a) => [s.site, a.alarmId, a.state, c.time(a.since), c.dur(a.activeMs)])),
        empty: 'No standing alarms.',
      },
      {
        id: 'alarm-chattering',
        title: 'Chattering alarms',
        header: ['Site', 'Alarm', 'Episodes', 'Most cycles in a minute'],
        rows: sites.flatMap((s) => s.chattering.map((a) => [s.site, a.alarmId, String(a.episodes), String(a.maxCycles)])),
        empty: 'No chattering alarms.',
      },
    ],
  };
}

/** What each figure means, printed under the Markdown and HTML reports. */
export const DEFINITIONS: ReadonlyArray<[string, string]> = [
  ['MTTA', 'acknowledge − raise of the alarm that opened each order whose alarm was raised in the period.'],
  ['MTTR', 'completion − fault (the alarm’s raise, or the order’s creation for orders opened by hand), corrective orders completed in the period.'],
  ['SLA', 'response: a technician on site by the deadline; resolution: work completed by the due time. Counted when met or breached in the period.'],
  ['Planned maintenance', 'preventive orders due in the period, on time when completed by the due time plus 10 % of their schedule interval.'],
  ['Backlog', 'orders open, assigned, in progress or on hold at the end of the period.'],
  ['Repeat fault', 'the same fault kind on the same asset more than once in the period (each alarm episode counts).'],
];
