import { ApplicationTag, EventState, EventType, NotifyType, ObjectType } from '@bacnet-js/client';
import { describe, expect, it } from 'vitest';
import { BacnetError, isReplyTooBig, isServiceUnsupported, toBacnetError } from '../../../src/drivers/bacnet/errors.js';
import { checkFrame } from '../../../src/drivers/bacnet/frame-check.js';
import { priorityOf, toAlarmEvent } from '../../../src/drivers/bacnet/intrinsic-alarms.js';
import type { EventNotification } from '../../../src/drivers/bacnet/link-client.js';
import { snakeCase } from '../../../src/drivers/bacnet/profile-skeleton.js';
import { estimateReplyBytes, planBatches, replyBudget, shrinkBudget, type ReadItem } from '../../../src/drivers/bacnet/rpm-planner.js';
import { unitString } from '../../../src/drivers/bacnet/units.js';
import { decodePointValue, decodeStatusFlags, namedState, qualityOf } from '../../../src/drivers/bacnet/values.js';

const item = (i: number, properties = 3): ReadItem => ({ key: `av_${i}`, objectType: 2, instance: i, properties: Array.from({ length: properties }, (_, k) => 85 + k) });

describe('ReadPropertyMultiple planning', () => {
  it('packs objects into as few batches as fit the reply budget, in order', () => {
    const items = Array.from({ length: 100 }, (_, i) => item(i));
    const budget = replyBudget(1476);
    const batches = planBatches(items, budget);
    for (const batch of batches) expect(batch.reduce((s, it) => s + estimateReplyBytes(it), 0)).toBeLessThanOrEqual(budget);
    expect(batches.flat().map((it) => it.instance)).toEqual(items.map((it) => it.instance));
    const perBatch = Math.floor(budget / estimateReplyBytes(item(0)));
    expect(batches.length).toBe(Math.ceil(100 / perBatch));
  });

  it('needs more batches for a small max APDU, and gives an oversized object a batch of its own', () => {
    const items = Array.from({ length: 20 }, (_, i) => item(i));
    expect(planBatches(items, replyBudget(206)).length).toBeGreaterThan(planBatches(items, replyBudget(1476)).length);
    expect(planBatches([item(1, 50), item(2)], replyBudget(206)).map((b) => b.length)).toEqual([1, 1]);
    expect(planBatches([], 1000)).toEqual([]);
  });

  it('halves the budget after a too-big abort, never below one object', () => {
    const batch = Array.from({ length: 8 }, (_, i) => item(i));
    const total = batch.reduce((s, it) => s + estimateReplyBytes(it), 0);
    expect(shrinkBudget(batch)).toBe(Math.floor(total / 2));
    expect(shrinkBudget([item(0)])).toBe(estimateReplyBytes(item(0)));
  });

  it('estimates replies from above: an RPM reply for 3 properties of a REAL object is at most the estimate', () => {
    // objectId (5) + open/close (2) + 3 × (prop tag 2 + open/close 2 + value ≤ 5) = 34.
    expect(estimateReplyBytes(item(0))).toBeGreaterThanOrEqual(34);
  });
});

describe('values and quality', () => {
  it('decodes by object type: binary present-value is a boolean, others numbers', () => {
    expect(decodePointValue('binary-input', 'present-value', [{ type: ApplicationTag.ENUMERATED, value: 1 }])).toBe(true);
    expect(decodePointValue('binary-value', 'present-value', [{ type: ApplicationTag.ENUMERATED, value: 0 }])).toBe(false);
    expect(decodePointValue('analog-input', 'present-value', [{ type: ApplicationTag.REAL, value: 21.5 }])).toBe(21.5);
    expect(decodePointValue('multi-state-value', 'present-value', [{ type: ApplicationTag.UNSIGNED_INTEGER, value: 3 }])).toBe(3);
    expect(decodePointValue('life-safety-point', 'mode', [{ type: ApplicationTag.ENUMERATED, value: 2 }])).toBe(2);
    expect(() => decodePointValue('binary-input', 'present-value', [{ type: ApplicationTag.ENUMERATED, value: 7 }])).toThrow(/neither/);
    expect(() => decodePointValue('analog-input', 'present-value', [{ type: ApplicationTag.NULL, value: null }])).toThrow(/null/);
    expect(() => decodePointValue('analog-input', 'present-value', [])).toThrow(/empty/);
    expect(() => decodePointValue('analog-input', 'present-value', [{ type: ApplicationTag.REAL, value: Number.NaN }])).toThrow(/finite/);
  });

  it('reads status flags from the bit string (bit 0 in-alarm … bit 3 out-of-service)', () => {
    expect(decodeStatusFlags([{ type: ApplicationTag.BIT_STRING, value: { bitsUsed: 4, value: [0b1010] } }])).toEqual({ inAlarm: false, fault: true, overridden: false, outOfService: true });
    expect(() => decodeStatusFlags([{ type: ApplicationTag.REAL, value: 1 }])).toThrow();
  });

  it('maps flags and reliability to quality as documented', () => {
    const flags = (f: Partial<Record<'inAlarm' | 'fault' | 'overridden' | 'outOfService', boolean>>) => ({ inAlarm: false, fault: false, overridden: false, outOfService: false, ...f });
    expect(qualityOf(flags({}), 0)).toEqual({ quality: 'good' });
    expect(qualityOf(flags({ inAlarm: true }), undefined)).toEqual({ quality: 'good' });
    expect(qualityOf(flags({ fault: true }), undefined)).toEqual({ quality: 'bad', reason: 'status fault' });
    expect(qualityOf(flags({}), 4)).toEqual({ quality: 'bad', reason: 'open-loop' });
    expect(qualityOf(flags({ outOfService: true }), 0)).toEqual({ quality: 'uncertain', reason: 'out of service' });
    expect(qualityOf(flags({ overridden: true }), 0)).toEqual({ quality: 'uncertain', reason: 'overridden' });
    expect(qualityOf(flags({ outOfService: true, fault: true }), 0).quality).toBe('bad');
    expect(qualityOf(undefined, undefined)).toEqual({ quality: 'good' });
    // A detector in fault: its present value says `fault`, a signal the rules must see, not a doubtful value.
    expect(qualityOf(flags({ fault: true, inAlarm: true }), 2, 'life-safety-point')).toEqual({ quality: 'good' });
    expect(qualityOf(flags({ fault: true }), 2, 'life-safety-zone')).toEqual({ quality: 'good' });
    expect(qualityOf(flags({ fault: true, outOfService: true }), 0, 'life-safety-point')).toEqual({ quality: 'uncertain', reason: 'out of service' });
    expect(qualityOf(flags({ fault: true }), 2, 'analog-input')).toEqual({ quality: 'bad', reason: 'over-range' });
  });
});

describe('intrinsic alarms', () => {
  const base: EventNotification = {
    from: '10.0.0.5', deviceInstance: 1, processId: 0, objectType: ObjectType.LIFE_SAFETY_POINT, instance: 12, notificationClass: 1, priority: 5,
    eventType: EventType.CHANGE_OF_LIFE_SAFETY, notifyType: NotifyType.ALARM, ackRequired: true, fromState: EventState.NORMAL, toState: EventState.LIFE_SAFETY_ALARM, messageText: 'Smoke L3', confirmed: true,
  };

  it('maps BACnet priorities to four bands', () => {
    expect([0, 63, 64, 127, 128, 191, 192, 255].map(priorityOf)).toEqual(['critical', 'critical', 'high', 'high', 'medium', 'medium', 'low', 'low']);
  });

  it('raises with a stable id, the point name, life safety and the device text; clears on normal', () => {
    const raise = toAlarmEvent(base, { site: 's', device: 'fp', point: { name: 'smoke_l3', id: 'fp.smoke_l3' }, now: 1000 });
    expect(raise).toMatchObject({ type: 'raise', alarmId: 'fp:life-safety-point_12', rule: 'life-safety-point_12', point: 'fp.smoke_l3', kind: 'intrinsic', priority: 'critical', lifeSafety: true, ts: 1000 });
    expect(raise?.message).toBe('smoke_l3 (life-safety-point 12): life-safety-alarm — Smoke L3');
    const clear = toAlarmEvent({ ...base, toState: EventState.NORMAL, fromState: EventState.LIFE_SAFETY_ALARM, messageText: undefined }, { site: 's', device: 'fp', now: 2000 });
    expect(clear).toMatchObject({ type: 'clear', alarmId: 'fp:life-safety-point_12', message: 'life-safety-point 12: normal' });
    expect(clear?.point).toBeUndefined();
  });

  it('raises on fault and off-normal of other objects (not life safety), and ignores ACK notifications', () => {
    const fault = toAlarmEvent({ ...base, objectType: ObjectType.BINARY_INPUT, eventType: EventType.CHANGE_OF_STATE, toState: EventState.FAULT, priority: 150 }, { site: 's', device: 'lift', now: 1 });
    expect(fault).toMatchObject({ type: 'raise', alarmId: 'lift:binary-input_12', priority: 'medium', lifeSafety: false });
    expect(toAlarmEvent({ ...base, notifyType: NotifyType.ACK_NOTIFICATION }, { site: 's', device: 'fp', now: 1 })).toBeUndefined();
  });
});

describe('frame check', () => {
  const hex = (h: string) => Buffer.from(h, 'hex');
  it('accepts well-formed frames and names the PDU', () => {
    expect(checkFrame(hex('810b001501001000c4020010bb2205c49103220104'))).toMatchObject({ ok: true, kind: 'apdu', pduType: 1, service: 0 });
    expect(checkFrame(hex('810a00200100300e0e0c000000011e29553e4441ac00003f296f3e8204003f1f'))).toMatchObject({ ok: true, kind: 'apdu', pduType: 3, invokeId: 14, service: 14 });
    expect(checkFrame(hex('810000060000'))).toEqual({ ok: true, kind: 'bvlc-result' });
  });
  it('rejects bad BVLC, NPDU and APDU headers with a reason', () => {
    expect(checkFrame(hex('81'))).toMatchObject({ ok: false, reason: 'bvlc' });
    expect(checkFrame(hex('820a00060100'))).toMatchObject({ ok: false, reason: 'bvlc' });
    expect(checkFrame(hex('810a00070100'))).toMatchObject({ ok: false, reason: 'bvlc', detail: /length field 7/ });
    expect(checkFrame(hex('810500060000'))).toMatchObject({ ok: false, reason: 'bvlc' });
    expect(checkFrame(hex('810a00060200'))).toMatchObject({ ok: false, reason: 'npdu' });
    expect(checkFrame(hex('810a00060100'))).toMatchObject({ ok: false, reason: 'npdu', detail: /no APDU/ });
    expect(checkFrame(hex('810a00080120ffff'))).toMatchObject({ ok: false, reason: 'npdu' });
    expect(checkFrame(hex('810a00070100f0'))).toMatchObject({ ok: false, reason: 'apdu' });
    expect(checkFrame(hex('810a0008010030ff'))).toMatchObject({ ok: false, reason: 'apdu' });
  });
});

describe('errors from the library', () => {
  it('tells reject from abort, and recognises too-big replies and unsupported services', () => {
    const reject = toBacnetError(new Error('BacnetAbort - Reason:9'), 'rpm', 'reject');
    expect(reject.kind).toBe('reject');
    expect(isServiceUnsupported(reject)).toBe(true);
    const abort = toBacnetError(new Error('BacnetAbort - Reason:4'), 'rpm', 'abort');
    expect(isReplyTooBig(abort)).toBe(true);
    expect(isServiceUnsupported(toBacnetError(new Error('BacnetAbort - Reason:9'), 'rpm', 'abort'))).toBe(false);
    const error = toBacnetError(new Error('BacnetError - Class:1 - Code:31'), 'read');
    expect(error).toMatchObject({ kind: 'error', errorClass: 1, errorCode: 31 });
    expect(error.message).toMatch(/object\/unknown-object/);
    expect(toBacnetError(new Error('ERR_TIMEOUT'), 'read').noAnswer).toBe(true);
    expect(toBacnetError(new BacnetError('closed', 'x'), 'y').kind).toBe('closed');
  });
});

describe('discovery helpers', () => {
  it('snake_cases object names', () => {
    expect(['Room Temperature', 'AHU-1 Supply Temp', 'Zone 1', 'détecteur 3', '3rd floor', 'FireAlarm'].map(snakeCase)).toEqual([
      'room_temperature', 'ahu_1_supply_temp', 'zone_1', 'detecteur_3', 'p_3rd_floor', 'fire_alarm',
    ]);
  });
  it('maps engineering units to the project unit strings', () => {
    expect([62, 55, 135, 3, 27, 98, 71, 161].map(unitString)).toEqual(['degC', 'bar', 'm3/h', 'A', 'Hz', '%', 'h', 'mm/s']);
    expect(unitString(95)).toBeUndefined();
    expect(unitString(9999)).toBe('bacnet-unit-9999');
  });

  it('names enum states as the Modbus driver does, so a measurement keeps one field type', () => {
    const fault = { kind: 'enum' as const, states: { 1: 'none', 2: 'passenger_trapped' } };
    expect(namedState(fault, 2)).toBe('passenger_trapped');
    expect(namedState(fault, 9)).toBe('unknown_9');
    expect(namedState({ kind: 'analog' }, 2)).toBe(2);
    expect(namedState({ kind: 'binary' }, true)).toBe(true);
  });
});
