import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AlarmService } from '../../../src/alarms/alarm-service.js';
import type { AlarmEvent } from '../../../src/alarms/events.js';
import type { SlaTarget, WorkOrderTemplate } from '../../../src/config/workorders-schema.js';
import { GATEWAY_MIGRATIONS } from '../../../src/gateway/store-migrations.js';
import { silentLogger } from '../../../src/log.js';
import { VirtualClock } from '../../../src/time/clock.js';
import { WorkOrderService } from '../../../src/workorders/service.js';
import { SlaMonitor, formatDuration } from '../../../src/workorders/sla.js';
import { SLA_MIGRATIONS } from '../../../src/workorders/sla-store.js';
import { WorkOrderStore } from '../../../src/workorders/store.js';
import type { NewWorkOrder } from '../../../src/workorders/types.js';

const MIN = 60_000;
const T0 = Date.parse('2026-11-02T08:00:00Z');

const TEMPLATES: WorkOrderTemplate[] = [
  {
    id: 'elevator-entrapment',
    type: 'corrective',
    responseMinutes: 30,
    resolutionMinutes: 240,
    checklist: [],
    outOfServiceWhileWorking: true,
    outOfServiceMaxHours: 4,
  },
];

const TABLE: SlaTarget[] = [
  { responseMinutes: 480 },
  { priority: 'high', responseMinutes: 120, resolutionMinutes: 1440 },
  { priority: 'high', faultKind: 'discharge_pressure_low', responseMinutes: 60 },
];

/** What the alarm coupling opens for a trapped passenger: the template id and the episode key on the created event. */
function openTrapped(orders: WorkOrderService, raisedAt: number): number {
  const spec: NewWorkOrder & { faultKey: string } = {
    site: 'tower',
    asset: 'elevator-2',
    type: 'corrective',
    priority: 'critical',
    title: 'Entrapment: Elevator 2',
    faultKey: 'fault_trapped',
    cause: 'fault_trapped',
    source: { kind: 'alarm', ref: 'elevator-2:fault_trapped' },
    contractor: 'KONE service',
    dueAt: raisedAt + 240 * MIN,
  };
  return orders.openOrAppend(spec, 'alarm', { ref: `elevator-2:fault_trapped@${raisedAt}`, ts: raisedAt, detail: { alarmId: 'elevator-2:fault_trapped', template: 'elevator-entrapment' } }).order.id;
}

describe('SlaMonitor', () => {
  let dir: string;
  let clock: VirtualClock;
  let alarms: AlarmService;
  let orders: WorkOrderService;
  let monitor: SlaMonitor;
  let raised: AlarmEvent[];
  let cleared: AlarmEvent[];

  /** One gateway process: its store, alarm service, work orders and SLA monitor, on `clock`. */
  function boot(at: VirtualClock, table: SlaTarget[] = TABLE): void {
    clock = at;
    alarms = new AlarmService({
      clock,
      logger: silentLogger(),
      settings: { maxShelveMinutes: 60, maxOutOfServiceHours: 24, chatter: { cycles: 3, windowSeconds: 60 } },
      storePath: join(dir, 'gw.db'),
      migrations: [...GATEWAY_MIGRATIONS, ...SLA_MIGRATIONS],
      site: 'tower',
    });
    alarms.start();
    const database = alarms.store.database;
    orders = new WorkOrderService(new WorkOrderStore(database), clock, (err) => {
      throw err;
    });
    monitor = new SlaMonitor({
      orders,
      database,
      templates: TEMPLATES,
      table,
      clock,
      logger: silentLogger(),
      timeZone: 'Asia/Shanghai',
      raise: (e) => {
        raised.push(e);
        alarms.onAlarmEvent(e);
      },
      clear: (e) => {
        cleared.push(e);
        alarms.onAlarmEvent(e);
      },
    });
    monitor.start();
  }

  /** A process that stops without cleaning up (kill -9): its clock is simply abandoned. */
  function crash(): void {
    alarms.store.close();
  }

  const slaComments = (id: number) => orders.events(id).filter((e) => e.kind === 'comment' && e.by === 'sla');

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sla-'));
    raised = [];
    cleared = [];
    boot(new VirtualClock(T0));
  });
  afterEach(() => {
    monitor.stop();
    alarms.store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('raises a response breach at the deadline, once, and clears it when the technician arrives late', async () => {
    const id = openTrapped(orders, T0);
    expect(monitor.clocks(id)).toMatchObject([
      { kind: 'response', deadline: T0 + 30 * MIN, targetMinutes: 30, source: 'template:elevator-entrapment', status: 'running' },
      { kind: 'resolution', deadline: T0 + 240 * MIN, source: 'order.dueAt', status: 'running' },
    ]);
    expect(monitor.pendingTimers()).toBe(2);

    await clock.advance(30 * MIN - 1);
    expect(raised).toEqual([]);
    await clock.advance(1);
    expect(raised).toHaveLength(1);
    expect(raised[0]).toMatchObject({
      type: 'raise',
      alarmId: 'elevator-2:sla_response_WO-000001',
      device: 'elevator-2',
      rule: 'sla_response_WO-000001',
      kind: 'sla-breach',
      priority: 'critical',
      conditionSince: T0 + 30 * MIN,
    });
    // Shanghai is UTC+8: 08:30Z is 16:30 local.
    expect(raised[0]?.message).toBe('SLA breach: WO-000001 "Entrapment: Elevator 2" — technician on site within 30 min of the fault, due 2026-11-02 16:30 Asia/Shanghai');
    expect(raised[0]?.rationale?.action).toContain('KONE service');
    expect(alarms.get('elevator-2:sla_response_WO-000001')).toMatchObject({ state: 'unack-active', priority: 'critical' });
    expect(slaComments(id).map((e) => e.comment)).toEqual([
      'SLA response target missed: technician on site within 30 min of the fault (due 2026-11-02 16:30 Asia/Shanghai).',
    ]);

    await clock.advance(12 * MIN);
    orders.recordArrival(id, 'li.wei');
    expect(cleared).toHaveLength(1);
    expect(cleared[0]).toMatchObject({ type: 'clear', alarmId: 'elevator-2:sla_response_WO-000001', kind: 'sla-breach' });
    expect(cleared[0]?.message).toBe('WO-000001: technician on site at 2026-11-02 16:42 Asia/Shanghai, 12 min late');
    expect(alarms.get('elevator-2:sla_response_WO-000001')).toMatchObject({ state: 'rtn-unack', conditionActive: false });
    expect(monitor.clocks(id)[0]).toMatchObject({ status: 'breached', settledAt: T0 + 30 * MIN, doneAt: T0 + 42 * MIN, alarmRaisedAt: T0 + 30 * MIN, alarmClearedAt: T0 + 42 * MIN });
    // Only the resolution timer is left; the response breach was recorded once.
    expect(monitor.pendingTimers()).toBe(1);
    expect(slaComments(id)).toHaveLength(1);
  });

  it('meets the response target on an arrival in time and breaches resolution when the work runs late', async () => {
    const id = openTrapped(orders, T0);
    await clock.advance(20 * MIN);
    orders.act(id, 'start', { by: 'li.wei' });
    expect(monitor.clocks(id)[0]).toMatchObject({ kind: 'response', status: 'met', settledAt: T0 + 20 * MIN });
    await clock.advance(220 * MIN);
    expect(raised.map((e) => e.alarmId)).toEqual(['elevator-2:sla_resolution_WO-000001']);
    expect(raised[0]?.message).toContain('work completed within 4 h of the fault, due 2026-11-02 20:00 Asia/Shanghai');
    await clock.advance(95 * MIN);
    orders.act(id, 'complete', { by: 'li.wei', resolution: 'Door lock contact replaced' });
    expect(cleared.map((e) => e.message)).toEqual(['WO-000001: work completed at 2026-11-02 21:35 Asia/Shanghai, 1 h 35 min late']);
    expect(monitor.clocks(id)[1]).toMatchObject({ kind: 'resolution', status: 'breached', doneAt: T0 + 335 * MIN });
    expect(monitor.pendingTimers()).toBe(0);
  });

  it('resumes after a restart: a deadline passed while down breaches at once, once; the other timer goes on', async () => {
    const id = openTrapped(orders, T0);
    await clock.advance(10 * MIN);
    crash();

    boot(new VirtualClock(T0 + 45 * MIN));
    expect(raised).toHaveLength(1);
    expect(raised[0]?.message).toMatch(/due 2026-11-02 16:30 Asia\/Shanghai, 15 min late$/);
    expect(slaComments(id)).toHaveLength(1);
    expect(monitor.pendingTimers()).toBe(1);
    crash();

    boot(new VirtualClock(T0 + 50 * MIN));
    expect(raised).toHaveLength(1);
    expect(slaComments(id)).toHaveLength(1);
    // The breach alarm itself survived the restart in the alarm store.
    expect(alarms.get('elevator-2:sla_response_WO-000001')?.state).toBe('unack-active');
    await clock.advance(190 * MIN);
    expect(raised.map((e) => e.rule)).toEqual(['sla_response_WO-000001', 'sla_resolution_WO-000001']);
    expect(slaComments(id)).toHaveLength(2);
  });

  it('after a restart, settles a target met while down without raising, and clears a breach whose order was cancelled', async () => {
    const id = openTrapped(orders, T0);
    await clock.advance(35 * MIN);
    expect(raised).toHaveLength(1);
    crash();

    // Another process (the API of a second gateway instance, a CMMS import) changed the order meanwhile.
    boot(new VirtualClock(T0 + 36 * MIN));
    monitor.stop();
    orders.act(id, 'cancel', { by: 'office', comment: 'duplicate of a phone call order' });
    crash();

    boot(new VirtualClock(T0 + 40 * MIN));
    expect(cleared.map((e) => e.alarmId)).toEqual(['elevator-2:sla_response_WO-000001']);
    expect(monitor.clocks(id).map((c) => c.status)).toEqual(['breached', 'void']);
    expect(monitor.pendingTimers()).toBe(0);
  });

  it('gives orders opened before the monitor ran their clocks, recording long-passed deadlines without an alarm', async () => {
    monitor.stop();
    const id = openTrapped(orders, T0);
    crash();
    boot(new VirtualClock(T0 + 2 * 60 * MIN));
    expect(monitor.clocks(id).map((c) => c.status)).toEqual(['breached', 'running']);
    expect(raised).toEqual([]);
    expect(slaComments(id)).toHaveLength(1);
    await clock.advance(2 * 60 * MIN);
    // The resolution deadline passed while the monitor watched: that one escalates.
    expect(raised.map((e) => e.rule)).toEqual(['sla_resolution_WO-000001']);
  });

  it('raises after a restart a breach committed just before the process died', async () => {
    const id = openTrapped(orders, T0);
    // The breach and its comment committed; the process died before the alarm went out.
    monitor.stop();
    await clock.advance(31 * MIN);
    monitor.store.update(id, 'response', 'running', { status: 'breached', settledAt: T0 + 30 * MIN, escalate: true });
    crash();
    boot(new VirtualClock(T0 + 32 * MIN));
    expect(raised.map((e) => e.alarmId)).toEqual(['elevator-2:sla_response_WO-000001']);
    expect(monitor.clocks(id)[0]).toMatchObject({ alarmRaisedAt: T0 + 32 * MIN });
  });

  it('voids a clock whose order is cancelled before the deadline; an arrival dated before the deadline makes a breach met', async () => {
    const a = openTrapped(orders, T0);
    await clock.advance(10 * MIN);
    orders.act(a, 'cancel', { by: 'office', comment: 'false alarm' });
    expect(monitor.clocks(a).map((c) => c.status)).toEqual(['void', 'void']);
    expect(monitor.pendingTimers()).toBe(0);

    const b = openTrapped(orders, T0 + 10 * MIN);
    await clock.advance(31 * MIN);
    expect(raised).toHaveLength(1);
    orders.recordArrival(b, 'li.wei', T0 + 38 * MIN);
    expect(monitor.clocks(b)[0]).toMatchObject({ status: 'met', settledAt: T0 + 38 * MIN });
    expect(cleared).toHaveLength(1);
    expect(slaComments(b).map((e) => e.comment)).toEqual([
      expect.stringMatching(/^SLA response target missed/),
      'SLA response target met after all: technician on site at 2026-11-02 16:38 Asia/Shanghai, recorded after the deadline.',
    ]);
  });

  it('takes targets from the most specific row of the site table, the template winning over it', () => {
    const base: NewWorkOrder = { site: 'tower', asset: 'pump-1', type: 'corrective', priority: 'high', title: 'Low pressure', source: { kind: 'manual' } };
    const specific = orders.create({ ...base, faultKey: 'discharge_pressure_low' }, 'office');
    const byPriority = orders.create({ ...base, faultKey: 'bearing_hot' }, 'office');
    const fallback = orders.create({ ...base, priority: 'low' }, 'office');
    const due = orders.create({ ...base, dueAt: T0 + 90 * MIN }, 'office');
    expect(monitor.clocks(specific.id).map((c) => [c.kind, c.targetMinutes, c.source])).toEqual([
      ['response', 60, 'sla[2]'],
      // The specific row gives no resolution target: the next most specific one that does.
      ['resolution', 1440, 'sla[1]'],
    ]);
    expect(monitor.clocks(byPriority.id).map((c) => [c.kind, c.targetMinutes, c.source])).toEqual([
      ['response', 120, 'sla[1]'],
      ['resolution', 1440, 'sla[1]'],
    ]);
    expect(monitor.clocks(fallback.id).map((c) => [c.kind, c.targetMinutes, c.source])).toEqual([['response', 480, 'sla[0]']]);
    expect(monitor.clocks(due.id).map((c) => [c.kind, c.deadline, c.source])).toEqual([
      ['response', T0 + 120 * MIN, 'sla[1]'],
      ['resolution', T0 + 90 * MIN, 'order.dueAt'],
    ]);
    const trapped = openTrapped(orders, T0);
    expect(monitor.clocks(trapped).map((c) => c.source)).toEqual(['template:elevator-entrapment', 'order.dueAt']);
  });

  it('waits for a deadline beyond the longest timer in steps', async () => {
    const id = orders.create({ site: 'tower', asset: 'pump-1', type: 'preventive', priority: 'low', title: 'Yearly overhaul', source: { kind: 'schedule' }, dueAt: T0 + 40 * 24 * 60 * MIN }, 'schedule').id;
    orders.recordArrival(id, 'li.wei');
    await clock.advance(39 * 24 * 60 * MIN);
    expect(raised).toEqual([]);
    expect(monitor.pendingTimers()).toBe(1);
    await clock.advance(24 * 60 * MIN);
    expect(raised.map((e) => e.alarmId)).toEqual(['pump-1:sla_resolution_WO-000001']);
    expect(monitor.clocks(id).map((c) => c.status)).toEqual(['met', 'breached']);
  });

  it('formats durations with the two largest units', () => {
    expect([0, 45, 60, 125, 1440, 1500 + 60].map((m) => formatDuration(m * MIN))).toEqual(['0 min', '45 min', '1 h', '2 h 5 min', '1 d', '1 d 2 h']);
  });
});
