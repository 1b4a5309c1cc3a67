import type { Logger } from 'pino';
import { silentLogger } from '../../src/log.js';
import type { BacnetObjectType } from '../../src/profiles/types.js';
import { SystemClock, type Clock } from '../../src/time/clock.js';
import {
  AbortReason,
  ApplicationTag,
  BacnetClient,
  ConfirmedServiceChoice,
  ErrorClass,
  ErrorCode,
  ObjectType,
  PropertyIdentifier as P,
  RejectReason,
  Segmentation,
  type BACNetAppData,
  type BACNetObjectID,
  type BACNetReadAccess,
} from './bacnet-lib.js';
import { CovSubscriptionTable, type CovSubscription } from './cov-subscriptions.js';
import { addressString, DEFAULT_BACNET_PORT, DeviceTransport } from './device-transport.js';
import { buildEventNotification } from './event-notification.js';
import { abortFrame, iAmFrame, inspectApdu, maxApduOctets, PDU_CONFIRMED_REQUEST, rejectFrame } from './frames.js';
import { checkPresentValue, NO_INDEX, OBJECT_TYPE_CODES, objectTypeName, ObjectDatabase, presentValueData, statusFlagsValue, type StoredObject } from './object-db.js';

/**
 * A generic BACnet/IP device on loopback: it serves an object database with Who-Is, ReadProperty,
 * ReadPropertyMultiple and SubscribeCOV, sends COV and event notifications, and can be made to misbehave
 * the way field devices do (silence, refused or muted COV, a small max APDU). Built on `@bacnet-js/client`
 * acting as a server over a transport of our own (see device-transport.ts).
 *
 * Behaviour worth knowing:
 * - I-Am goes back unicast to whoever asked (a broadcast would not reach a peer on another loopback
 *   address/port); it announces the device's own max APDU and no segmentation.
 * - The device has no segmentation: a reply larger than min(its max APDU, the requester's) is replaced by
 *   Abort segmentation-not-supported; a request larger than its max APDU gets Abort apdu-too-long; a
 *   segmented request gets Abort segmentation-not-supported.
 * - `supportsReadPropertyMultiple: false` answers RPM with Reject unrecognized-service.
 * - `supportsCov: false` answers SubscribeCOV with Error services/service-request-denied; the `refuse`
 *   switch (and a full subscription table) with Error services/cov-subscription-failed.
 * - COV notifications carry present-value and status-flags (life-safety objects: also mode); a new
 *   subscription gets an initial notification right after its acknowledgement. Analog objects notify when
 *   present-value moved by at least their cov-increment (0: any change) since the last notification.
 * - Every write is refused with Error property/write-access-denied: the simulated devices are read-only.
 * - `stats().rejected` counts requests answered with Reject or Abort.
 */

export interface SimBacnetObject {
  type: BacnetObjectType;
  instance: number;
  /** object-name */
  name: string;
  description?: string;
  /** BACnet engineering-units enum value (analog objects). */
  units?: number;
  /** Multi-state objects: state-text (index 0 = state 1). */
  stateText?: string[];
  /** binary: boolean (active = true); multi-state: 1..n; life-safety: BACnetLifeSafetyState number. */
  presentValue: number | boolean;
  /** Life-safety objects: BACnetLifeSafetyMode number. */
  mode?: number;
  /** Life-safety objects. */
  trackingValue?: number;
  statusFlags?: { inAlarm: boolean; fault: boolean; overridden: boolean; outOfService: boolean };
  /** BACnetReliability, 0 = no-fault-detected. */
  reliability?: number;
  /** Objects that report intrinsic alarms. */
  notificationClass?: number;
  /** Analog objects: smallest present-value change that sends a COV notification; default 0 (any change). */
  covIncrement?: number;
}

export interface BacnetEventRecipient {
  address: string;
  port?: number;
  /** Default true: life-safety events are sent confirmed. */
  confirmed?: boolean;
  /** Process identifier of the recipient; default 0. */
  processId?: number;
}

export interface BacnetDeviceServerOptions {
  /** Loopback address to bind, e.g. '127.0.0.2' (never 127.0.0.1 with port 47808). */
  address: string;
  /** Default 47808; 0 takes a free port. */
  port?: number;
  deviceInstance: number;
  deviceName: string;
  vendorId?: number;
  vendorName?: string;
  modelName?: string;
  /** Also served as the device object's description. */
  description?: string;
  firmwareRevision?: string;
  /** max-apdu-length-accepted, default 1476; honoured in replies. */
  maxApdu?: number;
  /** Default true; false answers RPM with Reject unrecognized-service. */
  supportsReadPropertyMultiple?: boolean;
  /** Default true; false refuses SubscribeCOV with an error. */
  supportsCov?: boolean;
  /** Size of the COV subscription table; default 1024. */
  maxCovSubscriptions?: number;
  objects: SimBacnetObject[];
  /** COV subscription lifetimes and event time stamps run on it (default SystemClock). */
  clock?: Clock;
  /** Where event notifications go. */
  eventRecipients?: BacnetEventRecipient[];
  logger?: Logger;
}

export type SettableProperty = 'present-value' | 'mode' | 'tracking-value' | 'status-flags' | 'reliability';

export interface BacnetEventRequest {
  type: BacnetObjectType;
  instance: number;
  /** BACnetEventState numbers (normal 0, fault 1, offnormal 2, …, life-safety-alarm 5). */
  fromState: number;
  toState: number;
  priority: number;
  message?: string;
  /** BACnetEventType; default by object: change-of-life-safety, change-of-state (binary, multi-state), out-of-range (analog). */
  eventType?: number;
  /** Default true. */
  ackRequired?: boolean;
  /** Overrides the recipients' own setting. */
  confirmed?: boolean;
}

export interface BacnetDeviceServer {
  readonly address: string;
  readonly port: number;
  readonly deviceInstance: number;
  /** Changes a property; sends COV notifications to live subscribers of that object (present-value and status-flags changes). */
  set(type: BacnetObjectType, instance: number, property: SettableProperty, value: unknown): void;
  /** Changes several properties of one object at once, with a single COV notification for the whole change. */
  setMany(type: BacnetObjectType, instance: number, values: Partial<Record<SettableProperty, unknown>>): void;
  /** Current value of a settable property (what a ReadProperty would return, before encoding). */
  get(type: BacnetObjectType, instance: number, property: SettableProperty): unknown;
  /** Sends a ConfirmedEventNotification / UnconfirmedEventNotification to the event recipients. */
  notifyEvent(e: BacnetEventRequest): Promise<void>;
  /** Communication loss: while silent the device answers nothing and sends nothing. */
  setSilent(silent: boolean): void;
  readonly silent: boolean;
  /** Stops answering SubscribeCOV and/or stops sending COV notifications (to test the fallback to polling). */
  setCovBehaviour(b: { refuse?: boolean; mute?: boolean }): void;
  covSubscriptions(): Array<{ subscriber: string; objectType: BacnetObjectType; instance: number; processId: number; expiresAt: number | null; confirmed: boolean }>;
  stats(): { requests: Record<string, number>; covNotificationsSent: number; eventNotificationsSent: number; rejected: number };
  stop(): Promise<void>;
}

const DEFAULT_MAX_APDU = 1476;
const DEFAULT_VENDOR_ID = 0;
const DEFAULT_MAX_COV_SUBSCRIPTIONS = 1024;
const WILDCARD_DEVICE_INSTANCE = 4_194_303;
const LOCALHOST = '127.0.0.1';

interface RequestContent {
  header?: { sender: { address?: string } };
  invokeId?: number;
  maxApdu?: number;
  payload: unknown;
}

export async function startBacnetDeviceServer(options: BacnetDeviceServerOptions): Promise<BacnetDeviceServer> {
  const port = options.port ?? DEFAULT_BACNET_PORT;
  if (options.address === LOCALHOST && port === DEFAULT_BACNET_PORT) {
    throw new Error('a simulated BACnet device must not use 127.0.0.1:47808: @bacnet-js/client peers drop everything sent from there; use 127.0.0.2 or another port');
  }
  const clock = options.clock ?? new SystemClock();
  const log = (options.logger ?? silentLogger()).child({ module: 'simulator.bacnet', device: options.deviceInstance });
  const maxApdu = options.maxApdu ?? DEFAULT_MAX_APDU;
  const supportsRpm = options.supportsReadPropertyMultiple ?? true;
  const supportsCov = options.supportsCov ?? true;
  const vendorId = options.vendorId ?? DEFAULT_VENDOR_ID;
  const db = new ObjectDatabase(
    {
      instance: options.deviceInstance, name: options.deviceName, description: options.description ?? options.deviceName,
      vendorId, vendorName: options.vendorName ?? 'facility-gw simulator', modelName: options.modelName ?? 'Simulated BACnet device',
      firmwareRevision: options.firmwareRevision ?? '1.0', maxApdu, supportsReadPropertyMultiple: supportsRpm, supportsCov,
    },
    options.objects,
  );
  const recipients = (options.eventRecipients ?? []).map((r, i) => {
    if (r.address.trim() === '') throw new Error(`eventRecipients[${i}]: address must not be empty`);
    return { ...r, to: addressString(r.address, r.port ?? DEFAULT_BACNET_PORT) };
  });
  const subscriptions = new CovSubscriptionTable(clock, options.maxCovSubscriptions ?? DEFAULT_MAX_COV_SUBSCRIPTIONS);
  /** Per object: the analog value last reported by COV, for the cov-increment rule. */
  const lastReported = new Map<StoredObject, number>();

  let silent = false;
  let covRefuse = false;
  let covMute = false;
  let stopped = false;
  const requests: Record<string, number> = {};
  let covNotificationsSent = 0;
  let eventNotificationsSent = 0;
  let rejected = 0;
  const count = (service: string): void => {
    requests[service] = (requests[service] ?? 0) + 1;
  };

  const transport = new DeviceTransport({
    address: options.address,
    port,
    silent: () => silent,
    screen: (frame, from) => {
      const apdu = inspectApdu(frame);
      if (apdu?.pduType !== PDU_CONFIRMED_REQUEST) return true;
      const invokeId = apdu.invokeId ?? 0;
      if (apdu.segmented) {
        rejected++;
        transport.sendRaw(abortFrame(invokeId, AbortReason.SEGMENTATION_NOT_SUPPORTED), from);
        return false;
      }
      if (apdu.length > maxApdu) {
        rejected++;
        transport.sendRaw(abortFrame(invokeId, AbortReason.APDU_TOO_LONG), from);
        return false;
      }
      return true;
    },
    onSendError: (err, to) => log.debug({ err, to }, 'send failed'),
  });
  const client = new BacnetClient({ transport, apduTimeout: 3000 });
  client.on('error', (err) => log.warn({ err }, 'BACnet transport error'));
  let boundPort: number;
  try {
    boundPort = await transport.ready;
  } catch (err) {
    client.close();
    throw err;
  }

  /** Runs a request handler so that a bad request or a library error cannot bring the simulator down. */
  const guarded =
    <C>(service: string, handler: (content: C) => void) =>
    (content: C): void => {
      count(service);
      try {
        handler(content);
      } catch (err) {
        log.warn({ err, service }, 'request handler failed');
      }
    };

  const senderOf = (content: RequestContent): { address?: string } => content.header?.sender ?? {};
  const replyLimit = (content: RequestContent): number => Math.min(maxApdu, maxApduOctets(content.maxApdu ?? 0));
  const resolveId = (id: BACNetObjectID): BACNetObjectID =>
    id.type === ObjectType.DEVICE && id.instance === WILDCARD_DEVICE_INSTANCE ? { type: id.type, instance: options.deviceInstance } : id;

  client.on('whoIs', guarded('who-is', (content: RequestContent & { payload: { lowLimit?: number; highLimit?: number } }) => {
    const { lowLimit, highLimit } = content.payload;
    if (lowLimit !== undefined && highLimit !== undefined && (options.deviceInstance < lowLimit || options.deviceInstance > highLimit)) return;
    const to = senderOf(content).address;
    if (to) transport.sendRaw(iAmFrame(options.deviceInstance, maxApdu, Segmentation.NO_SEGMENTATION, vendorId), to);
  }));

  client.on('readProperty', guarded('read-property', (content: RequestContent & { payload: { objectId: BACNetObjectID; property: { id: number; index: number } } }) => {
    const sender = senderOf(content);
    const invokeId = content.invokeId ?? 0;
    const objectId = resolveId(content.payload.objectId);
    const { property } = content.payload;
    const result = db.read(objectId.type, objectId.instance, property.id, property.index);
    if (!result.ok) {
      client.errorResponse(sender, ConfirmedServiceChoice.READ_PROPERTY, invokeId, result.errorClass, result.errorCode);
      return;
    }
    const sent = transport.replyWithin(replyLimit(content), () => client.readPropertyResponse(sender, invokeId, objectId, property, result.values));
    if (sent === 'aborted') rejected++;
  }));

  client.on('readPropertyMultiple', guarded('read-property-multiple', (content: RequestContent & { payload: { properties: Array<{ objectId: BACNetObjectID; properties: Array<{ id: number; index: number }> }> } }) => {
    const sender = senderOf(content);
    const invokeId = content.invokeId ?? 0;
    if (!supportsRpm) {
      rejected++;
      if (sender.address) transport.sendRaw(rejectFrame(invokeId, RejectReason.UNRECOGNIZED_SERVICE), sender.address);
      return;
    }
    const results: BACNetReadAccess[] = content.payload.properties.map((spec) => readAccess(db, resolveId(spec.objectId), spec.properties));
    const sent = transport.replyWithin(replyLimit(content), () => client.readPropertyMultipleResponse(sender, invokeId, results));
    if (sent === 'aborted') rejected++;
  }));

  const refuseWrite = (service: number) => (content: RequestContent) => {
    client.errorResponse(senderOf(content), service, content.invokeId ?? 0, ErrorClass.PROPERTY, ErrorCode.WRITE_ACCESS_DENIED);
  };
  client.on('writeProperty', guarded('write-property', refuseWrite(ConfirmedServiceChoice.WRITE_PROPERTY)));
  client.on('writePropertyMultiple', guarded('write-property-multiple', refuseWrite(ConfirmedServiceChoice.WRITE_PROPERTY_MULTIPLE)));

  client.on('subscribeCov', guarded('subscribe-cov', (content: RequestContent & { payload: { subscriberProcessId: number; monitoredObjectId: BACNetObjectID; issueConfirmedNotifications: boolean; lifetime: number; cancellationRequest?: boolean } }) => {
    const sender = senderOf(content);
    const invokeId = content.invokeId ?? 0;
    const p = content.payload;
    const deny = (errorClass: number, errorCode: number): void => client.errorResponse(sender, ConfirmedServiceChoice.SUBSCRIBE_COV, invokeId, errorClass, errorCode);
    if (!supportsCov) return deny(ErrorClass.SERVICES, ErrorCode.SERVICE_REQUEST_DENIED);
    if (covRefuse) return deny(ErrorClass.SERVICES, ErrorCode.COV_SUBSCRIPTION_FAILED);
    const id = resolveId(p.monitoredObjectId);
    const object = db.object(id.type, id.instance);
    if (!object) return deny(ErrorClass.OBJECT, id.type === ObjectType.DEVICE && db.has(id.type, id.instance) ? ErrorCode.OPTIONAL_FUNCTIONALITY_NOT_SUPPORTED : ErrorCode.UNKNOWN_OBJECT);
    const subscriber = sender.address ?? '';
    if (p.cancellationRequest === true) {
      // Cancelling a subscription that does not exist (expired already) is not an error.
      subscriptions.cancel(subscriber, p.subscriberProcessId, id.type, id.instance);
      client.simpleAckResponse(sender, ConfirmedServiceChoice.SUBSCRIBE_COV, invokeId);
      return;
    }
    const sub = subscriptions.subscribe({
      subscriber, processId: p.subscriberProcessId, objectType: id.type, instance: id.instance, confirmed: p.issueConfirmedNotifications, lifetimeS: p.lifetime,
    });
    if (!sub) return deny(ErrorClass.RESOURCES, ErrorCode.NO_SPACE_TO_ADD_LIST_ELEMENT);
    client.simpleAckResponse(sender, ConfirmedServiceChoice.SUBSCRIBE_COV, invokeId);
    // The standard asks for a notification right after a successful subscription, so the subscriber starts from the current value.
    sendCov(sub, object);
  }));

  const covValues = (o: StoredObject): Array<{ property: { id: number; index: number }; value: BACNetAppData[] }> => {
    const values = [
      { property: { id: P.PRESENT_VALUE, index: NO_INDEX }, value: [presentValueData(o)] },
      { property: { id: P.STATUS_FLAGS, index: NO_INDEX }, value: [statusFlagsValue(o.statusFlags)] },
    ];
    if (o.def.type === 'life-safety-point' || o.def.type === 'life-safety-zone') {
      values.push({ property: { id: P.MODE, index: NO_INDEX }, value: [{ type: ApplicationTag.ENUMERATED, value: o.mode ?? 1 }] });
    }
    return values;
  };

  const sendCov = (sub: CovSubscription, o: StoredObject): void => {
    if (silent || covMute || stopped) return;
    const monitored = { type: sub.objectType, instance: sub.instance };
    const remaining = subscriptions.timeRemainingS(sub);
    const receiver = { address: sub.subscriber };
    covNotificationsSent++;
    if (typeof o.presentValue === 'number') lastReported.set(o, o.presentValue);
    if (!sub.confirmed) {
      client.unconfirmedCOVNotification(receiver, sub.processId, options.deviceInstance, monitored, remaining, covValues(o));
      return;
    }
    client.confirmedCOVNotification(receiver, monitored, sub.processId, options.deviceInstance, remaining, covValues(o)).catch((err: unknown) => {
      log.debug({ err, subscriber: sub.subscriber }, 'confirmed COV notification not acknowledged');
    });
  };

  const notifyObject = (o: StoredObject, property: SettableProperty, force: boolean): void => {
    if (!force && (o.def.type === 'analog-input' || o.def.type === 'analog-value') && property === 'present-value') {
      const last = lastReported.get(o);
      if (last !== undefined && Math.abs(Number(o.presentValue) - last) < (o.def.covIncrement ?? 0)) return;
    }
    for (const sub of subscriptions.forObject(o.code, o.def.instance)) sendCov(sub, o);
  };

  const storedOf = (type: BacnetObjectType, instance: number): StoredObject => {
    const code = OBJECT_TYPE_CODES[type] as number | undefined;
    const o = code === undefined ? undefined : db.object(code, instance);
    if (!o) throw new Error(`device ${options.deviceInstance}: no object ${type} ${instance}`);
    return o;
  };

  const server: BacnetDeviceServer = {
    address: options.address,
    port: boundPort,
    deviceInstance: options.deviceInstance,
    set(type, instance, property, value) {
      server.setMany(type, instance, { [property]: value });
    },
    setMany(type, instance, values) {
      const o = storedOf(type, instance);
      let covChange: SettableProperty | null = null;
      for (const [property, value] of Object.entries(values) as Array<[SettableProperty, unknown]>) {
        const changed = applyProperty(o, property, value, `device ${options.deviceInstance} ${type} ${instance} ${property}`);
        const lifeSafety = type === 'life-safety-point' || type === 'life-safety-zone';
        const reported = property === 'present-value' || property === 'status-flags' || (property === 'mode' && lifeSafety);
        // One notification for the whole change; the analog cov-increment rule applies only to a present-value change alone.
        if (changed && reported) covChange = covChange === null ? property : 'status-flags';
      }
      if (covChange !== null) notifyObject(o, covChange, covChange !== 'present-value');
    },
    get(type, instance, property) {
      const o = storedOf(type, instance);
      switch (property) {
        case 'present-value':
          return o.presentValue;
        case 'mode':
          return o.mode;
        case 'tracking-value':
          return o.trackingValue;
        case 'status-flags':
          return { ...o.statusFlags };
        case 'reliability':
          return o.reliability;
      }
    },
    async notifyEvent(e) {
      const o = storedOf(e.type, e.instance);
      if (silent || stopped || recipients.length === 0) return;
      const failures: string[] = [];
      await Promise.all(
        recipients.map(async (r) => {
          const data = buildEventNotification(o, e, { deviceInstance: options.deviceInstance, processId: r.processId ?? 0, nowMs: clock.now() });
          eventNotificationsSent++;
          const confirmed = e.confirmed ?? r.confirmed ?? true;
          if (!confirmed) {
            client.unconfirmedEventNotification({ address: r.to }, data);
            return;
          }
          try {
            await client.confirmedEventNotification({ address: r.to }, data);
          } catch (err) {
            failures.push(`${r.to}: ${err instanceof Error ? err.message : String(err)}`);
          }
        }),
      );
      if (failures.length > 0) throw new Error(`event notification for ${e.type} ${e.instance} not acknowledged by ${failures.join('; ')}`);
    },
    setSilent(value) {
      silent = value;
      log.debug({ silent }, 'silence switched');
    },
    get silent() {
      return silent;
    },
    setCovBehaviour(b) {
      if (b.refuse !== undefined) covRefuse = b.refuse;
      if (b.mute !== undefined) covMute = b.mute;
    },
    covSubscriptions() {
      return subscriptions.list().map((s) => ({
        subscriber: s.subscriber, objectType: objectTypeName(s.objectType) ?? ('device' as BacnetObjectType), instance: s.instance,
        processId: s.processId, expiresAt: s.expiresAt, confirmed: s.confirmed,
      }));
    },
    stats() {
      return { requests: { ...requests }, covNotificationsSent, eventNotificationsSent, rejected };
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      subscriptions.clear();
      await new Promise<void>((resolve) => {
        transport.once('close', () => resolve());
        client.close();
      });
    },
  };
  log.debug({ address: options.address, port: boundPort, objects: db.size }, 'BACnet device listening');
  return server;
}

/** Validates and applies one property change; returns whether the value changed. */
function applyProperty(o: StoredObject, property: SettableProperty, value: unknown, where: string): boolean {
  const type = o.def.type;
  switch (property) {
    case 'present-value': {
      checkPresentValue(type, value, o.def, where);
      const changed = o.presentValue !== value;
      o.presentValue = value as number | boolean;
      return changed;
    }
    case 'mode':
    case 'tracking-value': {
      if (type !== 'life-safety-point' && type !== 'life-safety-zone') throw new Error(`${where}: only life-safety objects have ${property}`);
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) throw new Error(`${where}: must be a non-negative integer, got ${String(value)}`);
      const key = property === 'mode' ? 'mode' : 'trackingValue';
      const changed = o[key] !== value;
      o[key] = value;
      return changed;
    }
    case 'status-flags': {
      const flags = parseFlags(value, where);
      const changed = JSON.stringify(flags) !== JSON.stringify(o.statusFlags);
      o.statusFlags = flags;
      return changed;
    }
    case 'reliability': {
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) throw new Error(`${where}: must be a BACnetReliability number, got ${String(value)}`);
      const changed = o.reliability !== value;
      o.reliability = value;
      return changed;
    }
  }
}

/** One read-access result of an RPM: `all`/`required`/`optional` expand; errors are per property. */
function readAccess(db: ObjectDatabase, objectId: BACNetObjectID, properties: ReadonlyArray<{ id: number; index: number }>): BACNetReadAccess {
  const values: BACNetReadAccess['values'] = [];
  const specials: readonly number[] = [P.ALL, P.REQUIRED, P.OPTIONAL];
  for (const property of properties) {
    const special = specials.includes(property.id);
    if (special) {
      const ids = db.propertyIds(objectId.type, objectId.instance, property.id);
      if (!ids) {
        values.push({ property, value: [errorValue(ErrorClass.OBJECT, ErrorCode.UNKNOWN_OBJECT)] });
        continue;
      }
      for (const id of ids) values.push(readOne(db, objectId, { id, index: NO_INDEX }));
      continue;
    }
    values.push(readOne(db, objectId, property));
  }
  return { objectId, values };
}

function readOne(db: ObjectDatabase, objectId: BACNetObjectID, property: { id: number; index: number }): BACNetReadAccess['values'][number] {
  const result = db.read(objectId.type, objectId.instance, property.id, property.index);
  return { property, value: result.ok ? result.values : [errorValue(result.errorClass, result.errorCode)] };
}

/** The shape the library's RPM encoder recognises as a per-property error. */
function errorValue(errorClass: number, errorCode: number): BACNetAppData {
  return { type: ApplicationTag.ERROR, value: { type: 'BacnetError', errorClass, errorCode } };
}

function parseFlags(value: unknown, where: string): NonNullable<SimBacnetObject['statusFlags']> {
  if (typeof value !== 'object' || value === null) throw new Error(`${where}: must be { inAlarm, fault, overridden, outOfService }`);
  const v = value as Record<string, unknown>;
  const flag = (name: string): boolean => {
    const f = v[name];
    if (f === undefined) return false;
    if (typeof f !== 'boolean') throw new Error(`${where}: ${name} must be a boolean`);
    return f;
  };
  return { inAlarm: flag('inAlarm'), fault: flag('fault'), overridden: flag('overridden'), outOfService: flag('outOfService') };
}
