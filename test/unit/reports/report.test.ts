import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AlarmService } from '../../../src/alarms/alarm-service.js';
import { computeAlarmKpis } from '../../../src/alarms/kpis.js';
import { parseConfig } from '../../../src/config/loader.js';
import { GATEWAY_MIGRATIONS } from '../../../src/gateway/store-migrations.js';
import { silentLogger } from '../../../src/log.js';
import { parsePeriod, PeriodError, previousMonth } from '../../../src/reports/period.js';
import { runReportCommand } from '../../../src/reports/report-command.js';
import type { PeriodReport } from '../../../src/reports/report-data.js';
import { renderReport } from '../../../src/reports/render.js';
import { VirtualClock } from '../../../src/time/clock.js';
import { computeWorkOrderKpis } from '../../../src/workorders/kpis.js';
import { WorkOrderService } from '../../../src/workorders/service.js';
import { SlaMonitor } from '../../../src/workorders/sla.js';
import { SLA_MIGRATIONS } from '../../../src/workorders/sla-store.js';
import { WorkOrderStore } from '../../../src/workorders/store.js';
import { FROM, MIN, novemberMonth, TO } from '../workorders/kpis-month.js';

/** The hand-built month of the KPI tests as a report, with one title that tries to break every format. */
function novemberReport(): PeriodReport {
  const month = novemberMonth();
  const rename = (id: number, title: string) => {
    const o = month.orders.find((x) => x.id === id);
    if (o !== undefined) o.title = title;
  };
  // Both are in the backlog at the end of the month.
  rename(12, 'Guide shoe <script>alert(1)</script> | "car 2", =cmd');
  rename(8, '=HYPERLINK("http://x")');
  return {
    site: { id: 'tower', name: 'Harbour View & Tower', timeZone: 'Asia/Shanghai' },
    period: { from: FROM, to: TO, label: 'November 2026', timeZone: 'Asia/Shanghai' },
    generatedAt: TO + 8 * 60 * MIN,
    workOrders: computeWorkOrderKpis({ from: FROM, to: TO, ...month }),
    alarms: computeAlarmKpis({ transitions: [], snapshots: [], from: FROM, to: TO, siteOf: () => 'tower', sites: ['tower'] }),
    notes: [],
  };
}

describe('report formats', () => {
  const report = novemberReport();

  it('Markdown: headline figures first, tables per section, cells escaped', () => {
    const md = renderReport(report, 'md').content;
    expect(md.startsWith('# Maintenance report — Harbour View & Tower — November 2026\n')).toBe(true);
    expect(md).toContain('| SLA response met (%) | 66.7 % | 2 met, 1 breached |');
    expect(md).toContain('| Planned maintenance on time (%) | 40.0 % | 2 of 5 due; 1 still in their window |');
    // The breach of WO-000002 (another title) and the escaped title of WO-000001 in the repeat list.
    expect(md).toMatch(/\| WO-000002 \| elevator-2 \| Entrapment \| response \| 30 min \| 2026-11-11 04:30 \| 2026-11-11 04:50 \| 20 min \| KONE \| {2}\|/);
    expect(md).toContain('| WO-000012 | elevator-1 | Guide shoe \\<script\\>alert(1)\\</script\\> \\| "car 2", =cmd | corrective |');
    const sections = md.split('\n').filter((l) => l.startsWith('## '));
    expect(sections).toEqual([
      '## Headline figures',
      '## Work orders',
      '## Response and repair times',
      '## SLA compliance',
      '## Planned maintenance',
      '## Backlog at the end of the period',
      '## Repeat faults',
      '## Alarm system (ISA-18.2)',
      '## Definitions',
    ]);
  });

  it('HTML: one self-contained page, everything escaped', () => {
    const html = renderReport(report, 'html');
    expect(html.contentType).toBe('text/html; charset=utf-8');
    expect(html.content).toMatch(/^<!doctype html>/);
    expect(html.content).toContain('<style>');
    expect(html.content).not.toMatch(/<script|<link|src=|href="http/i);
    expect(html.content).toContain('<td>Guide shoe &lt;script&gt;alert(1)&lt;/script&gt; | &quot;car 2&quot;, =cmd</td>');
    expect(html.content).toContain('<title>Maintenance report — Harbour View &amp; Tower — November 2026</title>');
    expect(html.content.match(/<table/g)?.length).toBeGreaterThanOrEqual(12);
  });

  it('CSV: one table per section, blank line between, minutes and ISO times, formulas defused', () => {
    const csv = renderReport(report, 'csv').content;
    const blocks = csv.trimEnd().split('\r\n\r\n');
    const ids = blocks.map((b) => b.split('\r\n')[0]);
    expect(ids).toContain('# headline: Headline figures');
    expect(ids).toContain('# sla-breaches: Breaches');
    expect(ids).toContain('"# backlog-orders: Open orders, oldest first"');
    const breaches = blocks.find((b) => b.startsWith('# sla-breaches'))?.split('\r\n') ?? [];
    expect(breaches[1]).toBe('Order,Asset,Title,Target,Limit (min),Due,Done,Late by (min),Contractor / technician,Still open at the end');
    expect(breaches[2]).toBe('WO-000002,elevator-2,Entrapment,response,30,2026-11-11T04:30:00+08:00,2026-11-11T04:50:00+08:00,20,KONE,no');
    expect(breaches[4]).toBe(`WO-000003,pump-1,Low discharge pressure,resolution,1440,2026-11-21T16:00:00+08:00,,${9 * 24 * 60 + 16 * 60},li.wei,yes`);
    const repeat = blocks.find((b) => b.startsWith('# repeat-by-asset'))?.split('\r\n') ?? [];
    expect(repeat[2]).toBe('elevator-2,fault_trapped,3,WO-000001 WO-000002,KONE,2026-11-03T18:00:00+08:00,2026-11-11T06:00:00+08:00');
    const backlog = blocks.find((b) => b.startsWith('"# backlog-orders'))?.split('\r\n') ?? [];
    expect(backlog).toContain('WO-000012,elevator-1,"Guide shoe <script>alert(1)</script> | ""car 2"", =cmd",corrective,medium,in-progress,2026-11-28T20:00:00+08:00,3600,2026-12-03T08:00:00+08:00,no,KONE');
    expect(backlog).toContain(`WO-000008,fire-panel,"'=HYPERLINK(""http://x"")",preventive,medium,open,2026-11-30T16:00:00+08:00,960,2026-12-01T04:00:00+08:00,yes,`);
  });

  it('lists the 100 oldest open orders on paper, every one in CSV', () => {
    const orders = Array.from({ length: 150 }, (_, i) => ({
      id: i + 1,
      number: `WO-${String(i + 1).padStart(6, '0')}`,
      site: 'tower',
      asset: 'pump-1',
      type: 'corrective' as const,
      priority: 'low' as const,
      title: `Open ${i + 1}`,
      source: { kind: 'manual' as const },
      status: 'open' as const,
      createdAt: FROM + i * MIN,
      updatedAt: FROM + i * MIN,
      occurrences: 1,
      version: 1,
    }));
    const big = { ...report, workOrders: computeWorkOrderKpis({ from: FROM, to: TO, orders, events: [], alarmTransitions: [], sla: [] }) };
    const md = renderReport(big, 'md').content;
    expect(md).toContain('150 order(s) open, 0 of them overdue. The 100 oldest are listed; the CSV and JSON reports list all 150.');
    expect(md).toContain('| WO-000100 |');
    expect(md).not.toContain('| WO-000101 |');
    expect(renderReport(big, 'csv').content).toContain('WO-000150,pump-1,Open 150,');
  });

  it('JSON: the full data', () => {
    const json = JSON.parse(renderReport(report, 'json').content) as PeriodReport;
    expect(json).toEqual(JSON.parse(JSON.stringify(report)));
    expect(json.workOrders.sla.breaches).toHaveLength(3);
  });
});

describe('report periods', () => {
  it('reads dates as whole local days and labels a calendar month', () => {
    const p = parsePeriod('2026-11-01', '2026-11-30', 'Asia/Shanghai');
    expect(p).toMatchObject({ from: Date.parse('2026-10-31T16:00:00Z'), to: Date.parse('2026-11-30T16:00:00Z'), label: 'November 2026' });
    expect(parsePeriod('2026-11-03', '2026-11-09', 'UTC').label).toBe('2026-11-03 – 2026-11-09');
    expect(parsePeriod('2026-11-03T08:00Z', '2026-11-03T20:00', 'UTC')).toMatchObject({ from: Date.parse('2026-11-03T08:00:00Z'), to: Date.parse('2026-11-03T20:00:00Z') });
    expect(previousMonth(Date.parse('2026-12-01T00:30:00Z'), 'Asia/Shanghai').label).toBe('November 2026');
    expect(previousMonth(Date.parse('2026-01-10T00:00:00Z'), 'UTC').label).toBe('December 2025');
  });

  it('names the option that is wrong', () => {
    expect(() => parsePeriod('2026-13-01', '2026-11-30', 'UTC')).toThrow(PeriodError);
    expect(() => parsePeriod('yesterday', '2026-11-30', 'UTC')).toThrow(/--from: "yesterday" is not a date/);
    expect(() => parsePeriod('2026-11-30', '2026-11-01', 'UTC')).toThrow(/--to \(2026-11-01\) must be after --from/);
  });
});

describe('facility-gw report on a gateway store', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'report-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  function siteFile(storePath: string): string {
    const path = join(dir, 'site.yaml');
    writeFileSync(path, ['site:', '  id: tower', '  name: Harbour View Tower', '  timezone: Asia/Shanghai', 'store:', `  path: ${JSON.stringify(storePath)}`, ''].join('\n'));
    return path;
  }

  it('reads a store that a running gateway holds open, read-only, and reports its figures', () => {
    const storePath = join(dir, 'gw.db');
    const t0 = Date.parse('2026-11-03T02:00:00Z');
    const clock = new VirtualClock(t0);
    const alarms = new AlarmService({
      clock,
      logger: silentLogger(),
      settings: { maxShelveMinutes: 60, maxOutOfServiceHours: 24, chatter: { cycles: 3, windowSeconds: 60 } },
      storePath,
      migrations: [...GATEWAY_MIGRATIONS, ...SLA_MIGRATIONS],
      site: 'tower',
    });
    alarms.start();
    const orders = new WorkOrderService(new WorkOrderStore(alarms.store.database), clock);
    const monitor = new SlaMonitor({ orders, database: alarms.store.database, templates: [], table: [{ faultKind: 'fault_trapped', responseMinutes: 30 }], clock, logger: silentLogger(), timeZone: 'Asia/Shanghai', raise: () => undefined, clear: () => undefined });
    monitor.start();
    alarms.onAlarmEvent({ type: 'raise', alarmId: 'elevator-2:fault_trapped', site: 'tower', device: 'elevator-2', rule: 'fault_trapped', kind: 'state', priority: 'critical', message: 'Passenger trapped', conditionSince: t0, ts: t0 });
    const { order } = orders.openOrAppend(
      { site: 'tower', asset: 'elevator-2', type: 'corrective', priority: 'critical', title: 'Entrapment', faultKey: 'fault_trapped', source: { kind: 'alarm', ref: 'elevator-2:fault_trapped' }, contractor: 'KONE', dueAt: t0 + 4 * 60 * MIN },
      'alarm',
      { ref: `elevator-2:fault_trapped@${t0}`, ts: t0 },
    );
    clock.advanceSync(3 * MIN);
    alarms.acknowledge('elevator-2:fault_trapped', 'zhang.min');
    clock.advanceSync(40 * MIN);
    orders.recordArrival(order.id, 'li.wei');
    orders.act(order.id, 'start', { by: 'li.wei' });
    clock.advanceSync(60 * MIN);
    orders.act(order.id, 'complete', { by: 'li.wei', resolution: 'Released the passenger; reset the safety circuit' });

    // The gateway is still running (its connection open) while the report reads the file.
    const config = siteFile(storePath);
    const { content } = runReportCommand({ from: '2026-11-01', to: '2026-11-30', format: 'json', configPath: config, now: clock.now() });
    const report = JSON.parse(content ?? '') as PeriodReport;
    expect(report.site).toEqual({ id: 'tower', name: 'Harbour View Tower', timeZone: 'Asia/Shanghai' });
    expect(report.workOrders.mtta.stats).toMatchObject({ count: 1, meanMs: 3 * MIN });
    expect(report.workOrders.mttr.stats).toMatchObject({ count: 1, meanMs: 103 * MIN });
    expect(report.workOrders.sla.response).toMatchObject({ met: 0, breached: 1 });
    expect(report.workOrders.sla.resolution).toMatchObject({ met: 1, breached: 0 });
    expect(report.alarms.sites[0]).toMatchObject({ site: 'tower', rate: { annunciations: 1 } });
    expect(report.notes).toEqual([]);

    const out = join(dir, 'november.html');
    expect(runReportCommand({ from: '2026-11-01', to: '2026-11-30', format: 'html', configPath: config, out, now: clock.now() })).toEqual({ written: out });
    expect(readFileSync(out, 'utf8')).toContain('November 2026');
    monitor.stop();
    alarms.stop();

    // Closed cleanly (no -wal, no -shm left): still readable read-only.
    expect(runReportCommand({ from: '2026-11-01', to: '2026-11-30', format: 'md', configPath: config, now: clock.now() }).content).toContain('| MTTA | 3 min |');
  });

  it('says what is wrong with a missing store or one that is not a gateway store', () => {
    expect(() => runReportCommand({ from: '2026-11-01', to: '2026-11-30', format: 'md', configPath: siteFile(join(dir, 'nope.db')), now: 0 })).toThrow(/store .*nope\.db does not exist/);
    const other = join(dir, 'other.db');
    writeFileSync(other, '');
    expect(() => runReportCommand({ from: '2026-11-01', to: '2026-11-30', format: 'md', configPath: siteFile(other), now: 0 })).toThrow(/no work_order table/);
  });

  it('validates a monthly report config: a destination, and an email channel that exists and is email', () => {
    const base = ['site:', '  id: tower', '  name: Tower', 'notifications:', '  channels:', '    - { id: mail, type: email, host: smtp.example.org, from: gw@example.org }', '    - { id: hook, type: webhook, url: "https://example.org/h" }'];
    const issues = (extra: string[]): string[] => {
      try {
        parseConfig([...base, ...extra].join('\n'));
        return [];
      } catch (err) {
        return (err as Error).message.split('\n');
      }
    };
    expect(issues(['reports:', '  monthly: { day: 2, time: "07:30", email: { channel: mail, to: [office@example.org] } }'])).toEqual([]);
    expect(issues(['reports:', '  monthly: { day: 2 }']).join('\n')).toMatch(/reports\.monthly: a monthly report needs email, webhook, or both/);
    expect(issues(['reports:', '  monthly: { email: { channel: hook, to: [office@example.org] } }']).join('\n')).toMatch(/reports\.monthly\.email\.channel: channel "hook" is a webhook channel, not email \(email channels: mail\)/);
    expect(issues(['reports:', '  monthly: { day: 31, webhook: { url: "https://x.example.org" } }']).join('\n')).toMatch(/reports\.monthly\.day: must be <= 28/);
  });
});
