import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MIGRATIONS, migrate } from '../../../src/alarms/lifecycle/migrations.js';
import { VirtualClock } from '../../../src/time/clock.js';
import { allowedActions, nextStatus } from '../../../src/workorders/lifecycle.js';
import { WORK_ORDER_MIGRATIONS } from '../../../src/workorders/migrations.js';
import { WorkOrderError, WorkOrderService } from '../../../src/workorders/service.js';
import { WorkOrderStore } from '../../../src/workorders/store.js';
import type { NewWorkOrder, WorkOrder, WorkOrderEvent } from '../../../src/workorders/types.js';

const T0 = Date.parse('2026-11-02T08:00:00Z');

const trapped = (): NewWorkOrder & { faultKey: string } => ({
  site: 'tower',
  asset: 'elevator-2',
  type: 'corrective',
  priority: 'critical',
  title: 'Passenger trapped in elevator 2',
  cause: 'passenger_trapped',
  faultKey: 'passenger_trapped',
  source: { kind: 'alarm', ref: 'elevator-2:fault_trapped' },
  dueAt: T0 + 30 * 60_000,
});

describe('work-order lifecycle table', () => {
  it('allows exactly the documented transitions', () => {
    expect(allowedActions('open')).toEqual(['assign', 'cancel']);
    expect(allowedActions('assigned')).toEqual(['assign', 'start', 'cancel']);
    expect(allowedActions('in-progress')).toEqual(['hold', 'complete']);
    expect(allowedActions('on-hold')).toEqual(['resume']);
    expect(allowedActions('completed')).toEqual(['close', 'reopen']);
    expect(allowedActions('closed')).toEqual([]);
    expect(allowedActions('cancelled')).toEqual([]);
    expect(nextStatus('in-progress', 'cancel')).toEqual({ ok: false, reason: expect.stringMatching(/only before work starts/) as unknown });
  });
});

describe('WorkOrderService on SQLite', () => {
  let dir: string;
  let db: Database.Database;
  let clock: VirtualClock;
  let service: WorkOrderService;
  let heard: Array<[WorkOrder, WorkOrderEvent]>;

  function open(): void {
    db = new Database(join(dir, 'gw.db'));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    migrate(db, [...MIGRATIONS, ...WORK_ORDER_MIGRATIONS]);
    service = new WorkOrderService(new WorkOrderStore(db), clock);
    heard = [];
    service.subscribe((o, e) => heard.push([o, e]));
  }

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'wo-'));
    clock = new VirtualClock(T0);
    open();
  });
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('appends a recurrence to the unfinished order of the same asset and fault, and opens a new one after completion', () => {
    const first = service.openOrAppend(trapped(), 'rules', { ref: `elevator-2:fault_trapped@${T0}`, ts: T0 });
    expect(first).toMatchObject({ created: true, order: { number: 'WO-000001', status: 'open', occurrences: 1 } });
    clock.advanceSync(60_000);
    const again = service.openOrAppend(trapped(), 'rules', { ref: `elevator-2:fault_trapped@${T0 + 60_000}`, ts: T0 + 60_000 });
    expect(again).toMatchObject({ created: false, order: { id: first.order.id, occurrences: 2 } });
    // The same episode seen again (after a restart) changes nothing.
    expect(service.openOrAppend(trapped(), 'rules', { ref: `elevator-2:fault_trapped@${T0 + 60_000}`, ts: T0 + 60_000 })).toMatchObject({ created: false, order: { occurrences: 2 } });
    // Another asset, or another fault of the same asset, is another order.
    expect(service.openOrAppend({ ...trapped(), asset: 'elevator-3' }, 'rules', { ts: T0 }).created).toBe(true);
    expect(service.openOrAppend({ ...trapped(), faultKey: 'door_lock_open' }, 'rules', { ts: T0 }).created).toBe(true);
    expect(service.list({ asset: 'elevator-2' })).toHaveLength(2);

    const id = first.order.id;
    service.act(id, 'assign', { by: 'dispatcher', assignee: 'li.wei' });
    service.act(id, 'start', { by: 'li.wei' });
    service.act(id, 'complete', { by: 'li.wei', resolution: 'Door operator relay replaced; passenger released after 12 min' });
    // Completed: the work is done, so a new occurrence is a repeat fault with its own order.
    const repeat = service.openOrAppend(trapped(), 'rules', { ts: T0 + 3_600_000 });
    expect(repeat.created).toBe(true);
    expect(repeat.order.id).not.toBe(id);
    expect(service.events(id).map((e) => e.kind)).toEqual(['created', 'occurrence', 'assign', 'start', 'complete']);
  });

  it('refuses illegal transitions with the reason and leaves the order unchanged', () => {
    const { order } = service.openOrAppend(trapped(), 'rules', { ts: T0 });
    const refused = (fn: () => unknown, code: string, message: RegExp) => {
      try {
        fn();
        expect.unreachable('should have been refused');
      } catch (err) {
        expect(err).toBeInstanceOf(WorkOrderError);
        expect((err as WorkOrderError).code).toBe(code);
        expect((err as WorkOrderError).message).toMatch(message);
      }
    };
    refused(() => service.act(order.id, 'start', { by: 'x' }), 'illegal-transition', /WO-000001: cannot start an order that is open: an order is started once it is assigned/);
    refused(() => service.act(order.id, 'assign', { by: 'x' }), 'missing-field', /assignee or a contractor/);
    refused(() => service.act(order.id, 'cancel', { by: 'x' }), 'missing-field', /needs a reason/);
    refused(() => service.act(999, 'start', { by: 'x' }), 'unknown-order', /no work order 999/);
    service.act(order.id, 'assign', { by: 'x', contractor: 'KONE service' });
    service.act(order.id, 'start', { by: 'tech' });
    refused(() => service.act(order.id, 'cancel', { by: 'x', comment: 'never mind' }), 'illegal-transition', /only before work starts/);
    refused(() => service.act(order.id, 'complete', { by: 'tech', resolution: ' ' }), 'missing-field', /resolution notes/);
    refused(() => service.act(order.id, 'hold', { by: 'tech', expectedVersion: 1 }), 'version-conflict', /changed since version 1/);
    expect(service.get(order.id)).toMatchObject({ status: 'in-progress', contractor: 'KONE service', version: 3 });
  });

  it('timestamps every transition with who made it, and tells listeners after the commit', () => {
    const { order } = service.openOrAppend(trapped(), 'rules', { ts: T0 });
    clock.advanceSync(5 * 60_000);
    service.act(order.id, 'assign', { by: 'dispatcher', assignee: 'li.wei', comment: 'nearest technician' });
    clock.advanceSync(20 * 60_000);
    service.recordArrival(order.id, 'li.wei');
    service.act(order.id, 'start', { by: 'li.wei' });
    service.act(order.id, 'hold', { by: 'li.wei', comment: 'waiting for a door relay' });
    clock.advanceSync(60 * 60_000);
    service.act(order.id, 'resume', { by: 'li.wei' });
    service.act(order.id, 'complete', { by: 'li.wei', resolution: 'relay replaced' });
    service.act(order.id, 'close', { by: 'office' });
    const done = service.get(order.id);
    expect(done).toMatchObject({ status: 'closed', arrivedAt: T0 + 25 * 60_000, startedAt: T0 + 25 * 60_000, completedAt: T0 + 85 * 60_000, closedAt: T0 + 85 * 60_000, resolution: 'relay replaced' });
    const events = service.events(order.id);
    expect(events.map((e) => [e.kind, e.from ?? null, e.to ?? null, e.by])).toEqual([
      ['created', null, 'open', 'rules'],
      ['assign', 'open', 'assigned', 'dispatcher'],
      ['arrival', null, null, 'li.wei'],
      ['start', 'assigned', 'in-progress', 'li.wei'],
      ['hold', 'in-progress', 'on-hold', 'li.wei'],
      ['resume', 'on-hold', 'in-progress', 'li.wei'],
      ['complete', 'in-progress', 'completed', 'li.wei'],
      ['close', 'completed', 'closed', 'office'],
    ]);
    expect(events[1]).toMatchObject({ comment: 'nearest technician', data: { assignee: 'li.wei' }, ts: T0 + 5 * 60_000 });
    expect(heard.map(([o, e]) => `${e.kind}:${o.status}`)).toEqual(events.map((e) => `${e.kind}:${e.to ?? (e.kind === 'arrival' ? 'assigned' : '')}`));
    expect(() => service.recordArrival(order.id, 'li.wei')).toThrow(/arrival was recorded already/);
  });

  it('keeps deduplication across a reopened database, and the database refuses a second unfinished order itself', () => {
    const { order } = service.openOrAppend(trapped(), 'rules', { ts: T0 });
    db.close();
    open();
    expect(service.openOrAppend(trapped(), 'rules', { ts: T0 + 1 })).toMatchObject({ created: false, order: { id: order.id, occurrences: 2 } });
    const raw = new WorkOrderStore(db);
    expect(() => raw.insert(trapped(), 'open', T0)).toThrow(/UNIQUE constraint failed/);
    expect(() => db.prepare('DELETE FROM work_order_event').run()).toThrow(/append-only/);
  });

  it('filters by site, asset, status, type and due time', () => {
    service.openOrAppend(trapped(), 'rules', { ts: T0 });
    service.create({ site: 'tower', asset: 'fire-pump-1', type: 'preventive', priority: 'medium', title: 'Weekly fire pump run test', source: { kind: 'schedule', ref: 'fire-pump-weekly' }, dueAt: T0 + 86_400_000, assignee: 'zhang.min' }, 'scheduler');
    expect(service.list({ type: 'preventive' })).toMatchObject([{ asset: 'fire-pump-1', status: 'assigned', number: 'WO-000002' }]);
    expect(service.list({ status: ['open'] }).map((o) => o.asset)).toEqual(['elevator-2']);
    expect(service.list({ dueBefore: T0 + 3_600_000 }).map((o) => o.asset)).toEqual(['elevator-2']);
    expect(service.list({ site: 'other' })).toEqual([]);
    expect(() => service.create({ ...trapped(), title: '  ' }, 'x')).toThrow(/needs a title/);
  });
});
