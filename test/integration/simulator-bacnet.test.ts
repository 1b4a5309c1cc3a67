import * as bacnet from '@bacnet-js/client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BacnetClient, LifeSafetyMode, LifeSafetyState } from '../../simulator/bacnet/bacnet-lib.js';
import { startBacnetDeviceServer, type BacnetDeviceServer, type SimBacnetObject } from '../../simulator/bacnet/device-server.js';
import { startSimulator } from '../../simulator/simulator.js';
import { VirtualClock } from '../../src/time/clock.js';

/**
 * The simulated BACnet device over real UDP on loopback, with a plain @bacnet-js/client as the peer.
 * Addresses: devices on 127.0.0.41..44 port 47808, the peer on 127.0.0.40 port 47808 (integration files
 * run one at a time, and no other test uses these).
 */

const Client = BacnetClient;
type Client = BacnetClient;
const { ObjectType: OT, PropertyIdentifier: PID, ErrorClass, ErrorCode, EventState, EventType } = bacnet;

const PEER = '127.0.0.40';
const DEVICE = '127.0.0.41';
const SMALL_DEVICE = '127.0.0.42';
const NO_RPM_DEVICE = '127.0.0.43';
const ALL = 0xffffffff;
const NOTIFY_WAIT_MS = 1500;

const objects: SimBacnetObject[] = [
  { type: 'analog-input', instance: 1, name: 'supply_temp', description: 'Supply air temperature', units: 62, presentValue: 21.5, covIncrement: 0.5 },
  { type: 'binary-input', instance: 1, name: 'valve_closed', description: 'Sprinkler valve closed', presentValue: false },
  { type: 'multi-state-value', instance: 1, name: 'fault_code', stateText: ['none', 'passenger_trapped', 'overspeed'], presentValue: 1 },
  {
    type: 'life-safety-point', instance: 101, name: 'l1_d001', description: 'Loop 1 detector 1, zone 1', presentValue: LifeSafetyState.QUIET,
    mode: LifeSafetyMode.ON, trackingValue: LifeSafetyState.QUIET, notificationClass: 1,
  },
];

let clock: VirtualClock;
let device: BacnetDeviceServer;
let peer: Client;

function address(d: BacnetDeviceServer): { address: string } {
  return { address: d.port === 47808 ? d.address : `${d.address}:${d.port}` };
}

function nextEvent<T>(c: Client, event: 'iAm' | 'covNotifyUnconfirmed' | 'covNotify' | 'eventNotify', timeoutMs = NOTIFY_WAIT_MS): Promise<T | null> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      c.off(event, on);
      resolve(null);
    }, timeoutMs);
    const on = (content: unknown): void => {
      clearTimeout(timer);
      c.off(event, on);
      resolve(content as T);
    };
    c.on(event, on);
  });
}

beforeAll(async () => {
  clock = new VirtualClock();
  device = await startBacnetDeviceServer({
    address: DEVICE, deviceInstance: 1201, deviceName: 'Test device', vendorId: 999, vendorName: 'Test vendor', modelName: 'TD-1',
    objects, clock, eventRecipients: [{ address: PEER, confirmed: true }],
  });
  peer = new Client({ interface: PEER, port: 47808, apduTimeout: 800 });
  await new Promise<void>((resolve) => peer.once('listening', () => resolve()));
});

afterAll(async () => {
  peer.close();
  await device.stop();
});

afterEach(() => {
  device.setSilent(false);
  device.setCovBehaviour({ refuse: false, mute: false });
});

describe('Who-Is / I-Am', () => {
  it('answers a Who-Is with its instance, max APDU, no segmentation and vendor', async () => {
    const iAm = nextEvent<{ payload: { deviceId: number; maxApdu: number; segmentation: number; vendorId: number } }>(peer, 'iAm');
    peer.whoIs(address(device));
    const got = await iAm;
    expect(got?.payload).toMatchObject({ deviceId: 1201, maxApdu: 1476, segmentation: 3, vendorId: 999 });
  });

  it('answers a Who-Is directed at its range and ignores one outside it', async () => {
    const inRange = nextEvent<{ payload: { deviceId: number } }>(peer, 'iAm');
    peer.whoIs(address(device), { lowLimit: 1200, highLimit: 1300 });
    expect((await inRange)?.payload.deviceId).toBe(1201);
    const outside = nextEvent<{ payload: { deviceId: number } }>(peer, 'iAm', 400);
    peer.whoIs(address(device), { lowLimit: 1, highLimit: 1000 });
    expect(await outside).toBeNull();
  });
});

describe('ReadProperty', () => {
  it('reads names, values, units, state text and life-safety properties', async () => {
    const read = async (type: number, instance: number, prop: number, index?: number): Promise<unknown[]> =>
      (await peer.readProperty(address(device), { type, instance }, prop, index === undefined ? {} : { arrayIndex: index })).values.map((v): unknown => v.value);
    expect(await read(OT.ANALOG_INPUT, 1, PID.OBJECT_NAME)).toEqual(['supply_temp']);
    expect(await read(OT.ANALOG_INPUT, 1, PID.DESCRIPTION)).toEqual(['Supply air temperature']);
    expect(await read(OT.ANALOG_INPUT, 1, PID.UNITS)).toEqual([62]);
    expect(await read(OT.ANALOG_INPUT, 1, PID.PRESENT_VALUE)).toEqual([21.5]);
    expect(await read(OT.BINARY_INPUT, 1, PID.PRESENT_VALUE)).toEqual([0]);
    expect(await read(OT.MULTI_STATE_VALUE, 1, PID.STATE_TEXT)).toEqual(['none', 'passenger_trapped', 'overspeed']);
    expect(await read(OT.MULTI_STATE_VALUE, 1, PID.STATE_TEXT, 0)).toEqual([3]);
    expect(await read(OT.MULTI_STATE_VALUE, 1, PID.STATE_TEXT, 2)).toEqual(['passenger_trapped']);
    expect(await read(OT.LIFE_SAFETY_POINT, 101, PID.MODE)).toEqual([LifeSafetyMode.ON]);
    expect(await read(OT.LIFE_SAFETY_POINT, 101, PID.TRACKING_VALUE)).toEqual([LifeSafetyState.QUIET]);
    expect(await read(OT.LIFE_SAFETY_POINT, 101, PID.EVENT_STATE)).toEqual([EventState.NORMAL]);
    expect(await read(OT.LIFE_SAFETY_POINT, 101, PID.RELIABILITY)).toEqual([0]);
    const flags = (await peer.readProperty(address(device), { type: OT.LIFE_SAFETY_POINT, instance: 101 }, PID.STATUS_FLAGS)).values[0]?.value as { value: number[] };
    expect(flags.value).toEqual([0]);
  });

  it('reads the device object: object list, vendor, model, max APDU, segmentation, services', async () => {
    const dev = { type: OT.DEVICE, instance: 1201 };
    const list = (await peer.readProperty(address(device), dev, PID.OBJECT_LIST)).values.map((v) => v.value as { type: number; instance: number });
    expect(list).toEqual([
      { type: OT.DEVICE, instance: 1201 }, { type: OT.ANALOG_INPUT, instance: 1 }, { type: OT.BINARY_INPUT, instance: 1 },
      { type: OT.MULTI_STATE_VALUE, instance: 1 }, { type: OT.LIFE_SAFETY_POINT, instance: 101 },
    ]);
    const one = async (prop: number): Promise<unknown> => (await peer.readProperty(address(device), dev, prop)).values[0]?.value;
    expect(await one(PID.VENDOR_NAME)).toBe('Test vendor');
    expect(await one(PID.VENDOR_IDENTIFIER)).toBe(999);
    expect(await one(PID.MODEL_NAME)).toBe('TD-1');
    expect(await one(PID.MAX_APDU_LENGTH_ACCEPTED)).toBe(1476);
    expect(await one(PID.SEGMENTATION_SUPPORTED)).toBe(3);
    const services = (await one(PID.PROTOCOL_SERVICES_SUPPORTED)) as { value: number[] };
    const bit = (n: number): boolean => ((services.value[Math.floor(n / 8)] ?? 0) & (1 << n % 8)) !== 0;
    expect([bit(12), bit(14), bit(5)]).toEqual([true, true, true]); // read-property, RPM, subscribe-COV
    expect(bit(15)).toBe(false); // write-property
    // The wildcard instance 4194303 names the device itself.
    expect((await peer.readProperty(address(device), { type: OT.DEVICE, instance: 4194303 }, PID.OBJECT_NAME)).values[0]?.value).toBe('Test device');
  });

  it('answers unknown objects and properties with the standard errors', async () => {
    await expect(peer.readProperty(address(device), { type: OT.ANALOG_INPUT, instance: 99 }, PID.PRESENT_VALUE)).rejects.toThrow(
      `Class:${ErrorClass.OBJECT} - Code:${ErrorCode.UNKNOWN_OBJECT}`,
    );
    await expect(peer.readProperty(address(device), { type: OT.ANALOG_INPUT, instance: 1 }, PID.STATE_TEXT)).rejects.toThrow(
      `Class:${ErrorClass.PROPERTY} - Code:${ErrorCode.UNKNOWN_PROPERTY}`,
    );
    await expect(peer.readProperty(address(device), { type: OT.ANALOG_INPUT, instance: 1 }, PID.PRESENT_VALUE, { arrayIndex: 1 })).rejects.toThrow(
      `Code:${ErrorCode.PROPERTY_IS_NOT_AN_ARRAY}`,
    );
    await expect(peer.readProperty(address(device), { type: OT.MULTI_STATE_VALUE, instance: 1 }, PID.STATE_TEXT, { arrayIndex: 9 })).rejects.toThrow(
      `Code:${ErrorCode.INVALID_ARRAY_INDEX}`,
    );
  });

  it('refuses writes: the simulated devices are read-only', async () => {
    await expect(
      peer.writeProperty(address(device), { type: OT.BINARY_INPUT, instance: 1 }, PID.PRESENT_VALUE, [{ type: bacnet.ApplicationTag.ENUMERATED, value: 1 }], { priority: 8 }),
    ).rejects.toThrow(`Class:${ErrorClass.PROPERTY} - Code:${ErrorCode.WRITE_ACCESS_DENIED}`);
  });
});

describe('ReadPropertyMultiple', () => {
  it('returns values and per-property errors for unknown objects and properties', async () => {
    const result = await peer.readPropertyMultiple(address(device), [
      { objectId: { type: OT.ANALOG_INPUT, instance: 1 }, properties: [{ id: PID.PRESENT_VALUE, index: ALL }, { id: PID.STATE_TEXT, index: ALL }] },
      { objectId: { type: OT.BINARY_INPUT, instance: 77 }, properties: [{ id: PID.PRESENT_VALUE, index: ALL }] },
      { objectId: { type: OT.LIFE_SAFETY_POINT, instance: 101 }, properties: [{ id: PID.PRESENT_VALUE, index: ALL }, { id: PID.MODE, index: ALL }] },
    ]);
    const [ai, unknown, lsp] = result.values;
    expect(ai?.values[0]?.value[0]?.value).toBe(21.5);
    expect(ai?.values[1]?.value[0]?.value).toMatchObject({ errorClass: ErrorClass.PROPERTY, errorCode: ErrorCode.UNKNOWN_PROPERTY });
    expect(unknown?.values[0]?.value[0]?.value).toMatchObject({ errorClass: ErrorClass.OBJECT, errorCode: ErrorCode.UNKNOWN_OBJECT });
    expect(lsp?.values.map((v): unknown => v.value[0]?.value)).toEqual([LifeSafetyState.QUIET, LifeSafetyMode.ON]);
  });

  it("expands 'all' and 'required'", async () => {
    const result = await peer.readPropertyMultiple(address(device), [
      { objectId: { type: OT.MULTI_STATE_VALUE, instance: 1 }, properties: [{ id: PID.ALL, index: ALL }] },
      { objectId: { type: OT.BINARY_INPUT, instance: 1 }, properties: [{ id: PID.REQUIRED, index: ALL }] },
    ]);
    const ids = (i: number): number[] | undefined => result.values[i]?.values.map((v): number => v.id);
    expect(ids(0)).toEqual(expect.arrayContaining([PID.OBJECT_NAME, PID.PRESENT_VALUE, PID.NUMBER_OF_STATES, PID.STATE_TEXT, PID.STATUS_FLAGS, PID.PROPERTY_LIST]));
    expect(ids(1)).toEqual(expect.arrayContaining([PID.OBJECT_IDENTIFIER, PID.PRESENT_VALUE, PID.POLARITY, PID.EVENT_STATE]));
    expect(ids(1)).not.toContain(PID.DESCRIPTION);
  });
});

describe('max APDU and unsupported services', () => {
  let small: BacnetDeviceServer;
  let noRpm: BacnetDeviceServer;
  beforeAll(async () => {
    const many: SimBacnetObject[] = Array.from({ length: 40 }, (_, i) => ({ type: 'binary-input' as const, instance: i + 1, name: `input_${i + 1}`, presentValue: i % 2 === 0 }));
    small = await startBacnetDeviceServer({ address: SMALL_DEVICE, deviceInstance: 1202, deviceName: 'Small device', maxApdu: 206, objects: many, clock });
    noRpm = await startBacnetDeviceServer({ address: NO_RPM_DEVICE, deviceInstance: 1203, deviceName: 'Old device', supportsReadPropertyMultiple: false, supportsCov: false, objects, clock });
  });
  afterAll(async () => {
    await small.stop();
    await noRpm.stop();
  });

  it('aborts a reply that does not fit its max APDU, and answers a smaller batch', async () => {
    const spec = (n: number) => Array.from({ length: n }, (_, i) => ({ objectId: { type: OT.BINARY_INPUT, instance: i + 1 }, properties: [{ id: PID.PRESENT_VALUE, index: ALL }, { id: PID.OBJECT_NAME, index: ALL }] }));
    // 15 objects ask in 169 bytes, but the answer would take about 390.
    await expect(peer.readPropertyMultiple(address(small), spec(15))).rejects.toThrow('BacnetAbort - Reason:4');
    // 40 objects do not even fit in the request: apdu-too-long.
    await expect(peer.readPropertyMultiple(address(small), spec(40))).rejects.toThrow('BacnetAbort - Reason:11');
    const ok = await peer.readPropertyMultiple(address(small), spec(6));
    expect(ok.values).toHaveLength(6);
    expect(ok.values[5]?.values[1]?.value[0]?.value).toBe('input_6');
    // The object list of 41 entries (205 bytes of object ids) does not fit in 206 either: read it by index.
    await expect(peer.readProperty(address(small), { type: OT.DEVICE, instance: 1202 }, PID.OBJECT_LIST)).rejects.toThrow('BacnetAbort - Reason:4');
    expect((await peer.readProperty(address(small), { type: OT.DEVICE, instance: 1202 }, PID.OBJECT_LIST, { arrayIndex: 0 })).values[0]?.value).toBe(41);
    expect(small.stats().rejected).toBe(3);
  });

  it('also honours the max APDU the requester accepts', async () => {
    const spec = Array.from({ length: 10 }, (_, i) => ({ objectId: { type: OT.BINARY_INPUT, instance: i + 1 }, properties: [{ id: PID.OBJECT_NAME, index: ALL }] }));
    await expect(peer.readPropertyMultiple(address(small), spec, { maxApdu: bacnet.MaxApduLengthAccepted.OCTETS_50 })).rejects.toThrow('BacnetAbort - Reason:4');
  });

  it('rejects RPM when it does not support it, and refuses COV', async () => {
    await expect(peer.readPropertyMultiple(address(noRpm), [{ objectId: { type: OT.ANALOG_INPUT, instance: 1 }, properties: [{ id: PID.PRESENT_VALUE, index: ALL }] }])).rejects.toThrow(
      'Reason:9',
    );
    await expect(peer.subscribeCov(address(noRpm), { type: OT.ANALOG_INPUT, instance: 1 }, 7, false, false, 60)).rejects.toThrow(
      `Class:${ErrorClass.SERVICES} - Code:${ErrorCode.SERVICE_REQUEST_DENIED}`,
    );
    expect(noRpm.stats().rejected).toBe(1);
  });
});

interface CovContent {
  header: { sender: { address: string } };
  invokeId?: number;
  service?: number;
  payload: { subscriberProcessId: number; monitoredObjectId: { type: number; instance: number }; timeRemaining: number; values: Array<{ property: { id: number }; value: Array<{ value: unknown }> }> };
}

const pv = (c: CovContent | null): unknown => c?.payload.values.find((v) => v.property.id === (PID.PRESENT_VALUE as number))?.value[0]?.value;

describe('SubscribeCOV', () => {
  it('sends an initial notification, then one per change, and none after the lifetime', async () => {
    const initial = nextEvent<CovContent>(peer, 'covNotifyUnconfirmed');
    await peer.subscribeCov(address(device), { type: OT.BINARY_INPUT, instance: 1 }, 11, false, false, 300);
    const first = await initial;
    expect(first?.payload.monitoredObjectId).toEqual({ type: OT.BINARY_INPUT, instance: 1 });
    expect(first?.payload.subscriberProcessId).toBe(11);
    expect(first?.payload.timeRemaining).toBe(300);
    expect(pv(first)).toBe(0);
    expect(device.covSubscriptions()).toEqual([
      { subscriber: PEER, objectType: 'binary-input', instance: 1, processId: 11, expiresAt: clock.now() + 300_000, confirmed: false },
    ]);

    const change = nextEvent<CovContent>(peer, 'covNotifyUnconfirmed');
    device.set('binary-input', 1, 'present-value', true);
    expect(pv(await change)).toBe(1);

    const flags = nextEvent<CovContent>(peer, 'covNotifyUnconfirmed');
    device.set('binary-input', 1, 'status-flags', { inAlarm: false, fault: true, overridden: false, outOfService: false });
    const flagsValue = (await flags)?.payload.values.find((v) => v.property.id === (PID.STATUS_FLAGS as number))?.value[0]?.value as { value: number[] };
    expect(flagsValue.value).toEqual([2]);

    await clock.advance(300_000);
    expect(device.covSubscriptions()).toEqual([]);
    const none = nextEvent<CovContent>(peer, 'covNotifyUnconfirmed', 400);
    device.set('binary-input', 1, 'present-value', false);
    expect(await none).toBeNull();
  });

  it('notifies analog changes of at least the COV increment', async () => {
    const initial = nextEvent<CovContent>(peer, 'covNotifyUnconfirmed');
    await peer.subscribeCov(address(device), { type: OT.ANALOG_INPUT, instance: 1 }, 12, false, false, 0);
    expect(pv(await initial)).toBe(21.5);
    const small = nextEvent<CovContent>(peer, 'covNotifyUnconfirmed', 400);
    device.set('analog-input', 1, 'present-value', 21.7);
    expect(await small).toBeNull();
    const big = nextEvent<CovContent>(peer, 'covNotifyUnconfirmed');
    device.set('analog-input', 1, 'present-value', 22.1);
    expect(pv(await big)).toBeCloseTo(22.1, 5);
    await peer.subscribeCov(address(device), { type: OT.ANALOG_INPUT, instance: 1 }, 12, true, false, 0);
    expect(device.covSubscriptions()).toEqual([]);
  });

  it('sends confirmed notifications, including mode for life-safety objects', async () => {
    const acked = (raw: unknown): void => {
      const content = raw as CovContent;
      peer.simpleAckResponse(content.header.sender, content.service ?? 1, content.invokeId ?? 0);
    };
    peer.on('covNotify', acked);
    try {
      const initial = nextEvent<CovContent>(peer, 'covNotify');
      await peer.subscribeCov(address(device), { type: OT.LIFE_SAFETY_POINT, instance: 101 }, 13, false, true, 60);
      expect(pv(await initial)).toBe(LifeSafetyState.QUIET);
      const alarm = nextEvent<CovContent>(peer, 'covNotify');
      device.set('life-safety-point', 101, 'present-value', LifeSafetyState.ALARM);
      const got = await alarm;
      expect(pv(got)).toBe(LifeSafetyState.ALARM);
      expect(got?.payload.values.find((v) => v.property.id === (PID.MODE as number))?.value[0]?.value).toBe(LifeSafetyMode.ON);
      const disabled = nextEvent<CovContent>(peer, 'covNotify');
      device.set('life-safety-point', 101, 'mode', LifeSafetyMode.DISABLED);
      expect((await disabled)?.payload.values.find((v) => v.property.id === (PID.MODE as number))?.value[0]?.value).toBe(LifeSafetyMode.DISABLED);
    } finally {
      peer.off('covNotify', acked);
      device.set('life-safety-point', 101, 'present-value', LifeSafetyState.QUIET);
      device.set('life-safety-point', 101, 'mode', LifeSafetyMode.ON);
      await peer.subscribeCov(address(device), { type: OT.LIFE_SAFETY_POINT, instance: 101 }, 13, true, false, 0);
    }
  });

  it('refuses subscriptions when told to, and stays quiet when muted', async () => {
    device.setCovBehaviour({ refuse: true });
    await expect(peer.subscribeCov(address(device), { type: OT.BINARY_INPUT, instance: 1 }, 14, false, false, 60)).rejects.toThrow(
      `Class:${ErrorClass.SERVICES} - Code:${ErrorCode.COV_SUBSCRIPTION_FAILED}`,
    );
    await expect(peer.subscribeCov(address(device), { type: OT.BINARY_INPUT, instance: 5 }, 14, false, false, 60)).rejects.toThrow(`Code:${ErrorCode.COV_SUBSCRIPTION_FAILED}`);
    device.setCovBehaviour({ refuse: false, mute: true });
    const none = nextEvent<CovContent>(peer, 'covNotifyUnconfirmed', 400);
    await peer.subscribeCov(address(device), { type: OT.BINARY_INPUT, instance: 1 }, 14, false, false, 60);
    device.set('binary-input', 1, 'present-value', true);
    expect(await none).toBeNull();
    await expect(peer.subscribeCov(address(device), { type: OT.BINARY_INPUT, instance: 5 }, 15, false, false, 60)).rejects.toThrow(
      `Class:${ErrorClass.OBJECT} - Code:${ErrorCode.UNKNOWN_OBJECT}`,
    );
    device.set('binary-input', 1, 'present-value', false);
    await peer.subscribeCov(address(device), { type: OT.BINARY_INPUT, instance: 1 }, 14, true, false, 0);
  });
});

interface EventContent {
  header: { sender: { address: string } };
  invokeId?: number;
  service?: number;
  payload: { eventObjectId: { type: number; instance: number }; eventType: number; fromState: number; toState: number; priority: number; messageText?: string; ackRequired: boolean; notificationClass: number };
}

describe('event notifications', () => {
  it('sends a confirmed change-of-life-safety notification and resolves once it is acknowledged', async () => {
    device.set('life-safety-point', 101, 'present-value', LifeSafetyState.ALARM);
    const received = nextEvent<EventContent>(peer, 'eventNotify');
    const ack = (raw: unknown): void => {
      const content = raw as EventContent;
      peer.simpleAckResponse(content.header.sender, content.service ?? 2, content.invokeId ?? 0);
    };
    peer.once('eventNotify', ack);
    const sentBefore = device.stats().eventNotificationsSent;
    await device.notifyEvent({ type: 'life-safety-point', instance: 101, fromState: EventState.NORMAL, toState: EventState.LIFE_SAFETY_ALARM, priority: 1, message: 'Fire alarm: loop 1 detector 1' });
    const got = await received;
    expect(got?.payload).toMatchObject({
      eventObjectId: { type: OT.LIFE_SAFETY_POINT, instance: 101 }, eventType: EventType.CHANGE_OF_LIFE_SAFETY,
      fromState: EventState.NORMAL, toState: EventState.LIFE_SAFETY_ALARM, priority: 1, messageText: 'Fire alarm: loop 1 detector 1', notificationClass: 1, ackRequired: true,
    });
    expect(device.stats().eventNotificationsSent).toBe(sentBefore + 1);
    device.set('life-safety-point', 101, 'present-value', LifeSafetyState.QUIET);
  });

  it('rejects when a confirmed notification is not acknowledged, and sends unconfirmed ones without waiting', async () => {
    await expect(device.notifyEvent({ type: 'binary-input', instance: 1, fromState: 0, toState: 2, priority: 50 })).rejects.toThrow('not acknowledged');
    const received = nextEvent<EventContent>(peer, 'eventNotify');
    await device.notifyEvent({ type: 'binary-input', instance: 1, fromState: 0, toState: 2, priority: 50, confirmed: false });
    expect((await received)?.payload).toMatchObject({ eventType: EventType.CHANGE_OF_STATE, toState: 2 });
  });
});

describe('silence (communication loss)', () => {
  it('answers nothing while silent and again once it speaks', async () => {
    device.setSilent(true);
    const before = device.stats().requests['read-property'] ?? 0;
    await expect(peer.readProperty(address(device), { type: OT.ANALOG_INPUT, instance: 1 }, PID.PRESENT_VALUE)).rejects.toThrow('ERR_TIMEOUT');
    expect(device.stats().requests['read-property'] ?? 0).toBe(before);
    const noIAm = nextEvent(peer, 'iAm', 400);
    peer.whoIs(address(device));
    expect(await noIAm).toBeNull();
    device.setSilent(false);
    const value = await peer.readProperty(address(device), { type: OT.ANALOG_INPUT, instance: 1 }, PID.OBJECT_NAME);
    expect(value.values[0]?.value).toBe('supply_temp');
    expect(device.stats().requests['read-property']).toBe(before + 1);
  });
});

describe('the simulated fire panel', () => {
  it('sends its change-of-life-safety events to the recipients when a fire scenario starts, and serves the new state', async () => {
    const sim = await startSimulator({
      clock: new VirtualClock(), controlPort: null, bacnet: { firePanel: { address: '127.0.0.44', port: 47808, eventRecipients: [{ address: PEER, confirmed: true }] } },
    });
    const events: EventContent['payload'][] = [];
    const onEvent = (raw: unknown): void => {
      const content = raw as EventContent;
      events.push(content.payload);
      peer.simpleAckResponse(content.header.sender, content.service ?? 2, content.invokeId ?? 0);
    };
    peer.on('eventNotify', onEvent);
    try {
      const panel = { address: '127.0.0.44' };
      sim.startScenario('fire-alarm', 'fire-panel-1/l2_d017');
      for (let i = 0; i < 50 && events.length < 2; i++) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(events.map((e) => [e.eventObjectId.type, e.eventObjectId.instance, e.toState, e.eventType])).toEqual([
        [OT.LIFE_SAFETY_POINT, 2017, EventState.LIFE_SAFETY_ALARM, EventType.CHANGE_OF_LIFE_SAFETY],
        [OT.LIFE_SAFETY_ZONE, 6, EventState.LIFE_SAFETY_ALARM, EventType.CHANGE_OF_LIFE_SAFETY],
      ]);
      const read = await peer.readPropertyMultiple(panel, [
        { objectId: { type: OT.LIFE_SAFETY_POINT, instance: 2017 }, properties: [{ id: PID.PRESENT_VALUE, index: ALL }, { id: PID.OBJECT_NAME, index: ALL }, { id: PID.MODE, index: ALL }] },
      ]);
      expect(read.values[0]?.values.map((v): unknown => v.value[0]?.value)).toEqual([LifeSafetyState.ALARM, 'l2_d017', LifeSafetyMode.ON]);
      // 300 objects do not fit the panel's 480-byte APDU: the object list has to be read by index.
      await expect(peer.readProperty(panel, { type: OT.DEVICE, instance: 2001 }, PID.OBJECT_LIST)).rejects.toThrow('BacnetAbort - Reason:4');
      expect((await peer.readProperty(panel, { type: OT.DEVICE, instance: 2001 }, PID.OBJECT_LIST, { arrayIndex: 0 })).values[0]?.value).toBe(1 + 240 + 16 + 9 + 16 + 3);
      sim.startScenario('panel-silent');
      await expect(peer.readProperty(panel, { type: OT.LIFE_SAFETY_ZONE, instance: 6 }, PID.PRESENT_VALUE)).rejects.toThrow('ERR_TIMEOUT');
    } finally {
      peer.off('eventNotify', onEvent);
      await sim.stop();
    }
  });
});

describe('start-up errors', () => {
  it('refuses 127.0.0.1:47808 and reports an address it cannot bind', async () => {
    await expect(startBacnetDeviceServer({ address: '127.0.0.1', deviceInstance: 1, deviceName: 'x', objects: [] })).rejects.toThrow('127.0.0.1:47808');
    await expect(startBacnetDeviceServer({ address: DEVICE, deviceInstance: 2, deviceName: 'dup', objects: [] })).rejects.toThrow(`cannot bind ${DEVICE}:47808`);
  });
});
