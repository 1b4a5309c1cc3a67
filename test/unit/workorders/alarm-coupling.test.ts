import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AlarmService } from '../../../src/alarms/alarm-service.js';
import type { AlarmEvent } from '../../../src/alarms/events.js';
import type { WorkOrderTemplate } from '../../../src/config/workorders-schema.js';
import { GATEWAY_MIGRATIONS } from '../../../src/gateway/store-migrations.js';
import { silentLogger } from '../../../src/log.js';
import type { CompiledAlarmDefinition } from '../../../src/rules/alarm-definition.js';
import { VirtualClock } from '../../../src/time/clock.js';
import { AlarmWorkOrders, type AssetInfo } from '../../../src/workorders/alarm-coupling.js';
import { WorkOrderService } from '../../../src/workorders/service.js';
import { WorkOrderStore } from '../../../src/workorders/store.js';

const T0 = Date.parse('2026-11-05T06:00:00Z');

function def(device: string, rule: string, extra: Partial<CompiledAlarmDefinition> = {}): CompiledAlarmDefinition {
  return { alarmId: `${device}:${rule}`, device, rule, kind: 'state', priority: 'high', message: `${rule} on ${device}`, lifeSafety: false, latched: false, ...extra };
}

const DEFINITIONS = new Map(
  [
    def('elevator-2', 'fault_trapped', { priority: 'critical', rationale: { cause: 'Car stopped between floors', consequence: 'Passenger trapped', action: 'Go on site; release the passenger' } }),
    def('elevator-2', 'door_reopen_repeated', { priority: 'medium' }),
    def('elevator-2', 'fire_service', { lifeSafety: true, priority: 'critical' }),
    def('pump-1', 'discharge_pressure_low', { workOrder: 'pump-repair' }),
  ].map((d) => [d.alarmId, d]),
);
const ASSETS = new Map<string, AssetInfo>([
  ['elevator-2', { type: 'elevator', name: 'Elevator 2 (east)', location: 'Tower A' }],
  ['pump-1', { type: 'pump' }],
]);
const TEMPLATES: WorkOrderTemplate[] = [
  {
    id: 'elevator-entrapment',
    match: { rules: ['fault_trapped'], equipment: ['elevator'] },
    type: 'corrective',
    title: 'Entrapment: {deviceName}',
    responseMinutes: 30,
    resolutionMinutes: 240,
    assignByEquipment: { elevator: { contractor: 'KONE service' } },
    checklist: ['Release the passenger', 'Find the cause'],
    outOfServiceWhileWorking: true,
    outOfServiceMaxHours: 4,
  },
  { id: 'pump-repair', type: 'corrective', checklist: [], outOfServiceWhileWorking: true, outOfServiceMaxHours: 12, autoCloseAfterNormalMinutes: 30 },
];

describe('alarms open work orders; work in progress takes alarms out of service', () => {
  let dir: string;
  let clock: VirtualClock;
  let alarms: AlarmService;
  let orders: WorkOrderService;

  function boot(): AlarmWorkOrders {
    alarms = new AlarmService({
      clock,
      logger: silentLogger(),
      settings: { maxShelveMinutes: 60, maxOutOfServiceHours: 24, chatter: { cycles: 3, windowSeconds: 60 } },
      storePath: join(dir, 'gw.db'),
      migrations: GATEWAY_MIGRATIONS,
      site: 'tower',
      definitions: DEFINITIONS,
    });
    orders = new WorkOrderService(new WorkOrderStore(alarms.store.database), clock);
    const coupling = new AlarmWorkOrders({ orders, alarms, templates: TEMPLATES, definitions: DEFINITIONS, assets: ASSETS, site: 'tower', clock, logger: silentLogger() });
    alarms.start();
    coupling.start();
    return coupling;
  }
  const event = (type: 'raise' | 'clear', alarmId: string): AlarmEvent => {
    const d = DEFINITIONS.get(alarmId);
    if (d === undefined) throw new Error(alarmId);
    return { type, alarmId, site: 'tower', device: d.device, rule: d.rule, kind: d.kind, priority: d.priority, message: d.message, conditionSince: clock.now(), ts: clock.now(), lifeSafety: d.lifeSafety };
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'coupling-'));
    clock = new VirtualClock(T0);
  });
  afterEach(() => {
    alarms.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('opens one order per asset and fault kind from the matching template; a recurrence is an occurrence, clearing keeps it open', () => {
    const coupling = boot();
    expect(coupling.templateFor('elevator-2:fault_trapped')?.id).toBe('elevator-entrapment');
    expect(coupling.templateFor('elevator-2:door_reopen_repeated')).toBeUndefined();
    expect(coupling.templateFor('pump-1:discharge_pressure_low')?.id).toBe('pump-repair');

    alarms.onAlarmEvent(event('raise', 'elevator-2:fault_trapped'));
    alarms.onAlarmEvent(event('raise', 'elevator-2:door_reopen_repeated'));
    const [order] = orders.list();
    expect(orders.list()).toHaveLength(1);
    expect(order).toMatchObject({
      asset: 'elevator-2',
      location: 'Tower A',
      title: 'Entrapment: Elevator 2 (east)',
      priority: 'critical',
      status: 'assigned',
      contractor: 'KONE service',
      faultKey: 'fault_trapped',
      source: { kind: 'alarm', ref: 'elevator-2:fault_trapped' },
      dueAt: T0 + 240 * 60_000,
    });
    expect(order?.description).toMatch(/Cause: Car stopped between floors[\s\S]*- \[ \] Release the passenger/);

    clock.advanceSync(60_000);
    alarms.onAlarmEvent(event('clear', 'elevator-2:fault_trapped'));
    alarms.acknowledge('elevator-2:fault_trapped', 'room');
    clock.advanceSync(60_000);
    alarms.onAlarmEvent(event('raise', 'elevator-2:fault_trapped'));
    expect(orders.list()).toMatchObject([{ id: order?.id, occurrences: 2, status: 'assigned' }]);
    expect(coupling.stats()).toEqual({ opened: 1, appended: 1 });
  });

  it('takes the asset’s alarms out of service while the order is in progress (never the fire one), and back at completion', () => {
    boot();
    alarms.onAlarmEvent(event('raise', 'elevator-2:fault_trapped'));
    alarms.onAlarmEvent(event('raise', 'elevator-2:fire_service'));
    const id = orders.list()[0]?.id ?? 0;
    orders.act(id, 'start', { by: 'kone.tech' });
    expect(alarms.get('elevator-2:fault_trapped')?.outOfService).toMatchObject({ by: 'WO-000001', until: T0 + 4 * 3_600_000 });
    expect(alarms.get('elevator-2:door_reopen_repeated')?.outOfService).toMatchObject({ by: 'WO-000001' });
    expect(alarms.get('elevator-2:fire_service')?.outOfService).toBeUndefined();
    orders.act(id, 'hold', { by: 'kone.tech', comment: 'waiting for a relay' });
    expect(alarms.get('elevator-2:fault_trapped')?.outOfService).toBeUndefined();
    orders.act(id, 'resume', { by: 'kone.tech' });
    alarms.removeFromService('elevator-2:door_reopen_repeated', 'chief', 1, 'sensor under test');
    orders.act(id, 'complete', { by: 'kone.tech', resolution: 'Relay replaced' });
    expect(alarms.get('elevator-2:fault_trapped')?.outOfService).toBeUndefined();
    // What an operator took out of service meanwhile stays out of service.
    expect(alarms.get('elevator-2:door_reopen_repeated')?.outOfService).toMatchObject({ by: 'chief' });
    const audit = alarms.history({ alarmId: 'elevator-2:fault_trapped' }).map((t) => `${t.action}:${t.by ?? ''}`);
    expect(audit).toEqual(['raise:', 'oos:WO-000001', 'return-to-service:WO-000001', 'oos:WO-000001', 'return-to-service:WO-000001']);
  });

  it('after a restart opens what a raise just before the crash missed, and never twice', () => {
    boot();
    // The alarm was raised and recorded, but the process died before the order was written:
    // simulate by raising while nobody opens orders.
    alarms.stop();
    alarms = new AlarmService({
      clock,
      logger: silentLogger(),
      settings: { maxShelveMinutes: 60, maxOutOfServiceHours: 24, chatter: { cycles: 3, windowSeconds: 60 } },
      storePath: join(dir, 'gw.db'),
      migrations: GATEWAY_MIGRATIONS,
      site: 'tower',
      definitions: DEFINITIONS,
    });
    alarms.start();
    alarms.onAlarmEvent(event('raise', 'pump-1:discharge_pressure_low'));
    alarms.stop();
    boot();
    expect(orders.list()).toMatchObject([{ asset: 'pump-1', occurrences: 1 }]);
    alarms.stop();
    boot();
    expect(orders.list()).toMatchObject([{ asset: 'pump-1', occurrences: 1 }]);
    expect(orders.events(orders.list()[0]?.id ?? 0).map((e) => e.kind)).toEqual(['created']);
  });

  it('closes an order by itself when the template says so and its alarm stays back to normal with no work started', async () => {
    const first = boot();
    const pumpAlarm = 'pump-1:discharge_pressure_low';
    alarms.onAlarmEvent(event('raise', pumpAlarm));
    await clock.advance(5 * 60_000);
    alarms.onAlarmEvent(event('clear', pumpAlarm));
    await clock.advance(29 * 60_000);
    expect(orders.list({ asset: 'pump-1' })[0]?.status).toBe('open');
    // Back before the half hour: the same order takes it, and the clock starts again at the next clear.
    alarms.onAlarmEvent(event('raise', pumpAlarm));
    await clock.advance(2 * 60_000);
    alarms.onAlarmEvent(event('clear', pumpAlarm));
    await clock.advance(20 * 60_000);
    // A restart in between: the timer is rebuilt from the last clear in the audit log.
    first.stop();
    alarms.stop();
    boot();
    await clock.advance(9 * 60_000);
    expect(orders.list({ asset: 'pump-1' })[0]?.status).toBe('open');
    await clock.advance(60_000);
    const [order] = orders.list({ asset: 'pump-1' });
    expect(order).toMatchObject({ status: 'cancelled', occurrences: 2 });
    expect(orders.events(order?.id ?? 0).at(-1)).toMatchObject({ kind: 'cancel', by: 'facility-gw', comment: expect.stringMatching(/Back to normal for 30 min/) as unknown });
    // An order whose work has started is never closed this way; the elevator's template has no such option.
    alarms.onAlarmEvent(event('raise', 'elevator-2:fault_trapped'));
    alarms.onAlarmEvent(event('clear', 'elevator-2:fault_trapped'));
    await clock.advance(24 * 3_600_000);
    expect(orders.list({ asset: 'elevator-2' })[0]?.status).toBe('assigned');
  });
});
