import { describe, expect, it } from 'vitest';
import type { AlarmEvent } from '../../../src/alarms/events.js';
import { alarmEventLine, deviceEventLine, workOrderEventLine } from '../../../src/telemetry/event-lines.js';
import type { WorkOrder } from '../../../src/workorders/types.js';

const raise: AlarmEvent = {
  type: 'raise',
  alarmId: 'pump-1:motor_temperature_high',
  site: 'hq',
  device: 'pump-1',
  point: 'pump-1.motor_temperature',
  rule: 'motor_temperature_high',
  kind: 'threshold-high',
  priority: 'high',
  message: 'Motor winding temperature high, "check fan"',
  value: 112.5,
  quality: 'good',
  limit: 110,
  conditionSince: 1_700_000_000_000,
  ts: 1_700_000_010_000,
};

describe('event lines', () => {
  it('writes an alarm transition with low-cardinality tags (sorted) and the details as fields', () => {
    expect(alarmEventLine(raise)).toBe(
      'alarm,device=pump-1,priority=high,rule=motor_temperature_high,site=hq ' +
        'state="raise",kind="threshold-high",message="Motor winding temperature high, \\"check fan\\"",point="pump-1.motor_temperature",value=112.5,limit=110 ' +
        '1700000010000',
    );
  });

  it('leaves out what a communication alarm does not have', () => {
    const commLoss: AlarmEvent = { ...raise, type: 'clear', kind: 'comm-loss', rule: 'comm_loss', point: undefined, value: undefined, limit: undefined };
    expect(alarmEventLine(commLoss)).toBe(
      'alarm,device=pump-1,priority=high,rule=comm_loss,site=hq state="clear",kind="comm-loss",message="Motor winding temperature high, \\"check fan\\"" 1700000010000',
    );
  });

  it('writes a device event with a count and its attributes', () => {
    expect(deviceEventLine('hq', { device: 'door-1', event: 'access_denied', ts: 5, attributes: { badge: 'B 42', reason: 'expired' } })).toBe(
      'device_event,device=door-1,event=access_denied,site=hq count=1,badge="B 42",reason="expired" 5',
    );
  });

  it('writes the value as a float whatever the point kind, so the field keeps one type', () => {
    expect(alarmEventLine({ ...raise, value: true })).toContain(',value=1,');
    expect(alarmEventLine({ ...raise, value: 'leveling_error' })).toContain(',value_text="leveling_error",');
  });
});

describe('work-order lines', () => {
  const T0 = Date.parse('2026-11-03T01:00:00Z');
  const order: WorkOrder = {
    id: 7, number: 'WO-000007', site: 'tower', asset: 'elevator-2', type: 'corrective', priority: 'critical', title: 'Passenger trapped',
    source: { kind: 'alarm', ref: 'elevator-2:passenger_trapped' }, status: 'completed', createdAt: T0, updatedAt: T0 + 90 * 60_000,
    arrivedAt: T0 + 25 * 60_000, completedAt: T0 + 90 * 60_000, dueAt: T0 + 60 * 60_000, occurrences: 2, version: 6,
  };

  it('writes each event with the status after it, and the repair figures on completion', () => {
    expect(workOrderEventLine(order, { seq: 9, orderId: 7, kind: 'complete', from: 'in-progress', to: 'completed', by: 'li.wei', ts: T0 + 90 * 60_000 }, 'elevator')).toBe(
      `work_order,asset=elevator-2,equipment=elevator,event=complete,number=WO-000007,priority=critical,site=tower,type=corrective status="completed",by="li.wei",occurrences=2,repair_minutes=90,response_minutes=25,late=1 ${T0 + 90 * 60_000}`,
    );
    const created = workOrderEventLine({ ...order, status: 'open', completedAt: undefined, arrivedAt: undefined }, { seq: 1, orderId: 7, kind: 'created', to: 'open', by: 'alarm', ts: T0 });
    expect(created).toBe(`work_order,asset=elevator-2,event=created,number=WO-000007,priority=critical,site=tower,type=corrective status="open",by="alarm",occurrences=2 ${T0}`);
  });
});
