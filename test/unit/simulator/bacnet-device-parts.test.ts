import { describe, expect, it } from 'vitest';
import { ErrorClass, ErrorCode, PropertyIdentifier as P } from '../../../simulator/bacnet/bacnet-lib.js';
import { CovSubscriptionTable } from '../../../simulator/bacnet/cov-subscriptions.js';
import { abortFrame, iAmFrame, inspectApdu, rejectFrame } from '../../../simulator/bacnet/frames.js';
import { ObjectDatabase, type DeviceIdentity } from '../../../simulator/bacnet/object-db.js';
import { VirtualClock } from '../../../src/time/clock.js';

const identity: DeviceIdentity = {
  instance: 77, name: 'Dev', description: 'Device', vendorId: 5, vendorName: 'V', modelName: 'M', firmwareRevision: '1', maxApdu: 480,
  supportsReadPropertyMultiple: true, supportsCov: true,
};

describe('BACnet object database', () => {
  const db = new ObjectDatabase(identity, [
    { type: 'multi-state-input', instance: 1, name: 'fault_code', stateText: ['none', 'trapped'], presentValue: 1 },
    { type: 'life-safety-zone', instance: 3, name: 'zone_03', presentValue: 0 },
  ]);

  it('lists the device first in its object list and reads arrays by index', () => {
    expect(db.read(8, 77, P.OBJECT_LIST)).toMatchObject({ ok: true, values: [{ value: { type: 8, instance: 77 } }, { value: { type: 13, instance: 1 } }, { value: { type: 22, instance: 3 } }] });
    expect(db.read(13, 1, P.STATE_TEXT, 0)).toMatchObject({ ok: true, values: [{ value: 2 }] });
    expect(db.read(13, 1, P.STATE_TEXT, 3)).toEqual({ ok: false, errorClass: ErrorClass.PROPERTY, errorCode: ErrorCode.INVALID_ARRAY_INDEX });
    expect(db.read(22, 4, P.PRESENT_VALUE)).toEqual({ ok: false, errorClass: ErrorClass.OBJECT, errorCode: ErrorCode.UNKNOWN_OBJECT });
    expect(db.read(22, 3, P.UNITS)).toEqual({ ok: false, errorClass: ErrorClass.PROPERTY, errorCode: ErrorCode.UNKNOWN_PROPERTY });
  });

  it('names required and optional properties, and lists them in property-list', () => {
    expect(db.propertyIds(22, 3, P.REQUIRED)).toEqual(expect.arrayContaining([P.MODE, P.TRACKING_VALUE, P.RELIABILITY, P.PROPERTY_LIST]));
    expect(db.propertyIds(13, 1, P.OPTIONAL)).toEqual(expect.arrayContaining([P.STATE_TEXT]));
    const listed = db.read(13, 1, P.PROPERTY_LIST);
    expect(listed.ok && listed.values.map((v): unknown => v.value)).not.toContain(P.OBJECT_NAME);
    expect(db.propertyIds(13, 9, P.ALL)).toBeUndefined();
  });

  it('refuses bad definitions, naming the object', () => {
    expect(() => new ObjectDatabase(identity, [{ type: 'multi-state-value', instance: 1, name: 'x', presentValue: 1 }])).toThrow('objects[0] (multi-state-value 1 "x"): a multi-state object needs state-text');
    expect(() => new ObjectDatabase(identity, [{ type: 'binary-input', instance: 1, name: 'x', presentValue: 1 }])).toThrow('present-value of a binary object must be a boolean');
    expect(() => new ObjectDatabase(identity, [
      { type: 'binary-input', instance: 1, name: 'x', presentValue: true },
      { type: 'binary-input', instance: 1, name: 'y', presentValue: true },
    ])).toThrow('binary-input 1 defined twice');
    expect(() => new ObjectDatabase(identity, [{ type: 'binary-input', instance: 2, name: 'Dev', presentValue: true }])).toThrow('object-name "Dev" used twice');
    expect(() => new ObjectDatabase({ ...identity, maxApdu: 20 }, [])).toThrow('maxApdu must be 50..1476');
  });
});

describe('COV subscription table', () => {
  it('expires timed subscriptions on the clock, renews, cancels and keeps indefinite ones', async () => {
    const clock = new VirtualClock();
    const table = new CovSubscriptionTable(clock, 2);
    const req = { subscriber: '127.0.0.9', processId: 1, objectType: 3, instance: 1, confirmed: false, lifetimeS: 60 };
    expect(table.subscribe(req)?.expiresAt).toBe(clock.now() + 60_000);
    await clock.advance(50_000);
    const [sub] = table.list();
    expect(sub && table.timeRemainingS(sub)).toBe(10);
    table.subscribe(req); // renewed: another 60 s from now
    await clock.advance(30_000);
    expect(table.forObject(3, 1)).toHaveLength(1);
    await clock.advance(30_000);
    expect(table.forObject(3, 1)).toHaveLength(0);
    expect(table.subscribe({ ...req, lifetimeS: 0 })?.expiresAt).toBeNull();
    expect(table.subscribe({ ...req, processId: 2 })).not.toBeNull();
    expect(table.subscribe({ ...req, processId: 3 })).toBeNull(); // full
    expect(table.cancel('127.0.0.9', 2, 3, 1)).toBe(true);
    expect(table.cancel('127.0.0.9', 2, 3, 1)).toBe(false);
    await clock.advance(24 * 3_600_000);
    expect(table.list()).toHaveLength(1);
  });
});

describe('BACnet frames', () => {
  it('encodes I-Am with the device max APDU, Abort and Reject, and finds the APDU of a frame', () => {
    expect([...iAmFrame(2001, 480, 3, 260)]).toEqual([0x81, 0x0a, 0x00, 0x15, 0x01, 0x00, 0x10, 0x00, 0xc4, 0x02, 0x00, 0x07, 0xd1, 0x22, 0x01, 0xe0, 0x91, 0x03, 0x22, 0x01, 0x04]);
    expect([...abortFrame(7, 4)]).toEqual([0x81, 0x0a, 0x00, 0x09, 0x01, 0x00, 0x71, 0x07, 0x04]);
    expect(inspectApdu(rejectFrame(9, 9))).toEqual({ pduType: 6, length: 3, invokeId: 9 });
    // A confirmed ReadProperty request, segmented bit set.
    const request = Buffer.from([0x81, 0x0a, 0x00, 0x0a, 0x01, 0x04, 0x08, 0x05, 0x2a, 0x0c]);
    expect(inspectApdu(request)).toEqual({ pduType: 0, length: 4, invokeId: 0x2a, segmented: true });
    expect(inspectApdu(Buffer.from([0x81, 0x0a, 0x00, 0x06, 0x01, 0x80]))).toBeUndefined();
  });
});
