import type { BacnetObjectType } from '../../src/profiles/types.js';
import { OBJECT_TYPE_NUMBERS, objectTypeName } from '../../src/drivers/bacnet/objects.js';
import {
  ApplicationTag,
  ErrorClass,
  ErrorCode,
  EventState,
  GenericBitString,
  LifeSafetyMode,
  ObjectType,
  PropertyIdentifier as P,
  Segmentation,
  ServicesSupported,
  StatusFlags,
  StatusFlagsBitString,
  type BACNetAppData,
  type BACNetObjectID,
} from './bacnet-lib.js';
import type { SimBacnetObject } from './device-server.js';

/**
 * The object database of one simulated device: the device object and the objects it serves, their
 * current property values, and how each property is encoded and reported (ReadProperty,
 * ReadPropertyMultiple with `all`/`required`/`optional`, array indexes, the standard's errors).
 */

// The object types and their protocol numbers are the driver's: one table for both ends of the wire.
export const OBJECT_TYPE_CODES = OBJECT_TYPE_NUMBERS;
export { objectTypeName };

/** `ASN1_ARRAY_ALL`: no array index in the request. */
export const NO_INDEX = 0xffffffff;
const MAX_INSTANCE = 4_194_302;
const PROTOCOL_VERSION = 1;
const PROTOCOL_REVISION = 14;
const APDU_TIMEOUT_MS = 3000;
const APDU_RETRIES = 3;
const SERVICES_BITS = 44;
const OBJECT_TYPES_BITS = 60;

export interface DeviceIdentity {
  instance: number;
  name: string;
  description: string;
  vendorId: number;
  vendorName: string;
  modelName: string;
  firmwareRevision: string;
  maxApdu: number;
  supportsReadPropertyMultiple: boolean;
  supportsCov: boolean;
}

export type PropertyRead = { ok: true; values: BACNetAppData[] } | { ok: false; errorClass: number; errorCode: number };

export type Flags = NonNullable<SimBacnetObject['statusFlags']>;

/** The mutable state of one served object. */
export interface StoredObject {
  readonly def: SimBacnetObject;
  readonly code: number;
  presentValue: number | boolean;
  mode: number | undefined;
  trackingValue: number | undefined;
  statusFlags: Flags;
  reliability: number;
}

/** Encodes one property's current value. */
type Encoder = () => BACNetAppData[];

const enumerated = (value: number): BACNetAppData => ({ type: ApplicationTag.ENUMERATED, value });
const unsigned = (value: number): BACNetAppData => ({ type: ApplicationTag.UNSIGNED_INTEGER, value });
const text = (value: string): BACNetAppData => ({ type: ApplicationTag.CHARACTER_STRING, value });
const real = (value: number): BACNetAppData => ({ type: ApplicationTag.REAL, value });
const bool = (value: boolean): BACNetAppData => ({ type: ApplicationTag.BOOLEAN, value });
const objectId = (type: number, instance: number): BACNetAppData => ({ type: ApplicationTag.OBJECTIDENTIFIER, value: { type, instance } });

export function statusFlagsValue(f: Flags): BACNetAppData {
  const bits: StatusFlags[] = [];
  if (f.inAlarm) bits.push(StatusFlags.IN_ALARM);
  if (f.fault) bits.push(StatusFlags.FAULT);
  if (f.overridden) bits.push(StatusFlags.OVERRIDDEN);
  if (f.outOfService) bits.push(StatusFlags.OUT_OF_SERVICE);
  return { type: ApplicationTag.BIT_STRING, value: new StatusFlagsBitString(...bits) };
}

/** Event state as the status flags and reliability imply it: fault first, then alarm. */
export function eventStateOf(o: StoredObject): number {
  if (o.statusFlags.fault || o.reliability !== 0) return EventState.FAULT;
  if (o.statusFlags.inAlarm) return isLifeSafety(o.def.type) ? EventState.LIFE_SAFETY_ALARM : EventState.OFFNORMAL;
  return EventState.NORMAL;
}

export function presentValueData(o: StoredObject): BACNetAppData {
  const pv = o.presentValue;
  switch (o.def.type) {
    case 'analog-input':
    case 'analog-value':
      return real(Number(pv));
    case 'binary-input':
    case 'binary-value':
      return enumerated(pv === true ? 1 : 0);
    case 'multi-state-input':
    case 'multi-state-value':
      return unsigned(Number(pv));
    case 'life-safety-point':
    case 'life-safety-zone':
      return enumerated(Number(pv));
  }
}

function isLifeSafety(type: BacnetObjectType): boolean {
  return type === 'life-safety-point' || type === 'life-safety-zone';
}

const LIFE_SAFETY_MODES_ACCEPTED = [LifeSafetyMode.ON, LifeSafetyMode.TEST, LifeSafetyMode.DISABLED];

/** Properties of an object type: required ones, then optional ones, each with its encoder. */
function objectProperties(s: StoredObject): { required: Map<number, Encoder>; optional: Map<number, Encoder> } {
  const o = s.def;
  const required = new Map<number, Encoder>([
    [P.OBJECT_IDENTIFIER, () => [objectId(s.code, s.def.instance)]],
    [P.OBJECT_NAME, () => [text(s.def.name)]],
    [P.OBJECT_TYPE, () => [enumerated(s.code)]],
    [P.PRESENT_VALUE, () => [presentValueData(s)]],
    [P.STATUS_FLAGS, () => [statusFlagsValue(s.statusFlags)]],
    [P.EVENT_STATE, () => [enumerated(eventStateOf(s))]],
    [P.OUT_OF_SERVICE, () => [bool(s.statusFlags.outOfService)]],
  ]);
  const optional = new Map<number, Encoder>([[P.RELIABILITY, () => [enumerated(s.reliability)]]]);
  if (o.description !== undefined) optional.set(P.DESCRIPTION, () => [text(s.def.description ?? '')]);
  switch (o.type) {
    case 'analog-input':
    case 'analog-value':
      required.set(P.UNITS, () => [enumerated(s.def.units ?? 95 /* no-units */)]);
      optional.set(P.COV_INCREMENT, () => [real(s.def.covIncrement ?? 0)]);
      break;
    case 'binary-input':
      required.set(P.POLARITY, () => [enumerated(0)]);
      break;
    case 'binary-value':
      break;
    case 'multi-state-input':
    case 'multi-state-value':
      required.set(P.NUMBER_OF_STATES, () => [unsigned(s.def.stateText?.length ?? 0)]);
      optional.set(P.STATE_TEXT, () => (s.def.stateText ?? []).map(text));
      break;
    case 'life-safety-point':
    case 'life-safety-zone':
      required.set(P.TRACKING_VALUE, () => [enumerated(s.trackingValue ?? Number(s.presentValue))]);
      required.set(P.MODE, () => [enumerated(s.mode ?? LifeSafetyMode.ON)]);
      required.set(P.ACCEPTED_MODES, () => LIFE_SAFETY_MODES_ACCEPTED.map(enumerated));
      required.set(P.SILENCED, () => [enumerated(0 /* unsilenced */)]);
      required.set(P.OPERATION_EXPECTED, () => [enumerated(0 /* none */)]);
      required.set(P.RELIABILITY, () => [enumerated(s.reliability)]);
      optional.delete(P.RELIABILITY);
      break;
  }
  if (o.notificationClass !== undefined) optional.set(P.NOTIFICATION_CLASS, () => [unsigned(s.def.notificationClass ?? 0)]);
  return { required, optional };
}

/** Properties that are BACnet arrays (index 0 is the length). */
const ARRAY_PROPERTIES = new Set<number>([P.OBJECT_LIST, P.STATE_TEXT, P.PROPERTY_LIST]);
/** Not listed in property-list, by the standard's rule. */
const NOT_IN_PROPERTY_LIST = new Set<number>([P.OBJECT_IDENTIFIER, P.OBJECT_NAME, P.OBJECT_TYPE, P.PROPERTY_LIST]);

interface Entry {
  stored: StoredObject | null;
  required: Map<number, Encoder>;
  optional: Map<number, Encoder>;
}

export class ObjectDatabase {
  private readonly entries = new Map<string, Entry>();
  private readonly ordered: BACNetObjectID[] = [];
  private readonly deviceEntry: Entry;

  constructor(
    private readonly device: DeviceIdentity,
    objects: readonly SimBacnetObject[],
  ) {
    validateDevice(device);
    const names = new Set<string>([device.name]);
    this.ordered.push({ type: ObjectType.DEVICE, instance: device.instance });
    this.deviceEntry = this.deviceProperties();
    this.entries.set(key(ObjectType.DEVICE, device.instance), this.deviceEntry);
    objects.forEach((o, i) => {
      const where = `objects[${i}] (${o.type} ${o.instance} "${o.name}")`;
      validateObject(o, where);
      const code = OBJECT_TYPE_CODES[o.type];
      const k = key(code, o.instance);
      if (this.entries.has(k)) throw new Error(`${where}: ${o.type} ${o.instance} defined twice`);
      if (names.has(o.name)) throw new Error(`${where}: object-name "${o.name}" used twice`);
      names.add(o.name);
      const stored: StoredObject = {
        def: o,
        code,
        presentValue: o.presentValue,
        mode: o.mode,
        trackingValue: o.trackingValue,
        statusFlags: { ...(o.statusFlags ?? { inAlarm: false, fault: false, overridden: false, outOfService: false }) },
        reliability: o.reliability ?? 0,
      };
      this.entries.set(k, { stored, ...objectProperties(stored) });
      this.ordered.push({ type: code, instance: o.instance });
    });
    for (const entry of this.entries.values()) addPropertyList(entry);
  }

  get size(): number {
    return this.ordered.length;
  }

  objectIds(): BACNetObjectID[] {
    return this.ordered.map((id) => ({ ...id }));
  }

  object(type: number, instance: number): StoredObject | undefined {
    return this.entries.get(key(type, instance))?.stored ?? undefined;
  }

  has(type: number, instance: number): boolean {
    return this.entries.has(key(type, instance));
  }

  /** The property ids that `all`, `required` or `optional` stand for on this object (undefined: no such object). */
  propertyIds(type: number, instance: number, which: number): number[] | undefined {
    const entry = this.entries.get(key(type, instance));
    if (!entry) return undefined;
    const required = [...entry.required.keys()];
    const optional = [...entry.optional.keys()];
    if (which === (P.REQUIRED as number)) return required;
    if (which === (P.OPTIONAL as number)) return optional;
    return [...required, ...optional];
  }

  read(type: number, instance: number, property: number, index = NO_INDEX): PropertyRead {
    const entry = this.entries.get(key(type, instance));
    if (!entry) return fail(ErrorClass.OBJECT, ErrorCode.UNKNOWN_OBJECT);
    const encode = entry.required.get(property) ?? entry.optional.get(property);
    if (!encode) return fail(ErrorClass.PROPERTY, ErrorCode.UNKNOWN_PROPERTY);
    const values = encode();
    if (index === NO_INDEX) return { ok: true, values };
    if (!ARRAY_PROPERTIES.has(property)) return fail(ErrorClass.PROPERTY, ErrorCode.PROPERTY_IS_NOT_AN_ARRAY);
    if (index === 0) return { ok: true, values: [unsigned(values.length)] };
    const element = values[index - 1];
    return element ? { ok: true, values: [element] } : fail(ErrorClass.PROPERTY, ErrorCode.INVALID_ARRAY_INDEX);
  }

  private deviceProperties(): Entry {
    const d = this.device;
    const services = [ServicesSupported.READ_PROPERTY, ServicesSupported.WHO_IS, ServicesSupported.I_AM, ServicesSupported.CONFIRMED_EVENT_NOTIFICATION, ServicesSupported.UNCONFIRMED_EVENT_NOTIFICATION];
    if (d.supportsReadPropertyMultiple) services.push(ServicesSupported.READ_PROPERTY_MULTIPLE);
    if (d.supportsCov) services.push(ServicesSupported.SUBSCRIBE_COV, ServicesSupported.CONFIRMED_COV_NOTIFICATION, ServicesSupported.UNCONFIRMED_COV_NOTIFICATION);
    const objectTypes = [ObjectType.DEVICE, ...Object.values(OBJECT_TYPE_CODES)];
    const required = new Map<number, Encoder>([
      [P.OBJECT_IDENTIFIER, () => [objectId(ObjectType.DEVICE, d.instance)]],
      [P.OBJECT_NAME, () => [text(d.name)]],
      [P.OBJECT_TYPE, () => [enumerated(ObjectType.DEVICE)]],
      [P.SYSTEM_STATUS, () => [enumerated(0 /* operational */)]],
      [P.VENDOR_NAME, () => [text(d.vendorName)]],
      [P.VENDOR_IDENTIFIER, () => [unsigned(d.vendorId)]],
      [P.MODEL_NAME, () => [text(d.modelName)]],
      [P.FIRMWARE_REVISION, () => [text(d.firmwareRevision)]],
      [P.APPLICATION_SOFTWARE_VERSION, () => [text(d.firmwareRevision)]],
      [P.PROTOCOL_VERSION, () => [unsigned(PROTOCOL_VERSION)]],
      [P.PROTOCOL_REVISION, () => [unsigned(PROTOCOL_REVISION)]],
      [P.PROTOCOL_SERVICES_SUPPORTED, () => [{ type: ApplicationTag.BIT_STRING, value: new GenericBitString<typeof ServicesSupported>(SERVICES_BITS, services) }]],
      [P.PROTOCOL_OBJECT_TYPES_SUPPORTED, () => [{ type: ApplicationTag.BIT_STRING, value: new GenericBitString<typeof ObjectType>(OBJECT_TYPES_BITS, objectTypes) }]],
      [P.OBJECT_LIST, () => this.ordered.map((id) => objectId(id.type, id.instance))],
      [P.MAX_APDU_LENGTH_ACCEPTED, () => [unsigned(d.maxApdu)]],
      [P.SEGMENTATION_SUPPORTED, () => [enumerated(Segmentation.NO_SEGMENTATION)]],
      [P.APDU_TIMEOUT, () => [unsigned(APDU_TIMEOUT_MS)]],
      [P.NUMBER_OF_APDU_RETRIES, () => [unsigned(APDU_RETRIES)]],
      [P.DEVICE_ADDRESS_BINDING, () => []],
      [P.DATABASE_REVISION, () => [unsigned(1)]],
    ]);
    const optional = new Map<number, Encoder>([[P.DESCRIPTION, () => [text(d.description)]]]);
    return { stored: null, required, optional };
  }
}

/** property-list names the entry's own properties, except the four the standard leaves out. */
function addPropertyList(entry: Entry): void {
  const listed = [...entry.required.keys(), ...entry.optional.keys()].filter((p) => !NOT_IN_PROPERTY_LIST.has(p));
  entry.required.set(P.PROPERTY_LIST, () => listed.map(enumerated));
}

function fail(errorClass: number, errorCode: number): PropertyRead {
  return { ok: false, errorClass, errorCode };
}

function key(type: number, instance: number): string {
  return `${type}:${instance}`;
}

function validateDevice(d: DeviceIdentity): void {
  if (!Number.isInteger(d.instance) || d.instance < 0 || d.instance > MAX_INSTANCE) throw new Error(`deviceInstance must be 0..${MAX_INSTANCE}, got ${d.instance}`);
  if (d.name.trim() === '') throw new Error('deviceName must not be empty');
  if (!Number.isInteger(d.vendorId) || d.vendorId < 0 || d.vendorId > 65535) throw new Error(`vendorId must be 0..65535, got ${d.vendorId}`);
  if (!Number.isInteger(d.maxApdu) || d.maxApdu < 50 || d.maxApdu > 1476) throw new Error(`maxApdu must be 50..1476, got ${d.maxApdu}`);
}

function validateObject(o: SimBacnetObject, where: string): void {
  if (!(o.type in OBJECT_TYPE_CODES)) throw new Error(`${where}: unknown object type "${String(o.type)}"`);
  if (!Number.isInteger(o.instance) || o.instance < 0 || o.instance > MAX_INSTANCE) throw new Error(`${where}: instance must be 0..${MAX_INSTANCE}`);
  if (o.name.trim() === '') throw new Error(`${where}: object-name must not be empty`);
  checkPresentValue(o.type, o.presentValue, o, where);
}

/** Throws when a present value does not fit the object type (binary: boolean; multi-state: 1..n; others: number). */
export function checkPresentValue(type: BacnetObjectType, value: unknown, o: SimBacnetObject, where: string): void {
  switch (type) {
    case 'binary-input':
    case 'binary-value':
      if (typeof value !== 'boolean') throw new Error(`${where}: present-value of a binary object must be a boolean, got ${String(value)}`);
      return;
    case 'multi-state-input':
    case 'multi-state-value': {
      const states = o.stateText?.length ?? 0;
      if (states === 0) throw new Error(`${where}: a multi-state object needs state-text`);
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > states) throw new Error(`${where}: present-value must be 1..${states}, got ${String(value)}`);
      return;
    }
    case 'life-safety-point':
    case 'life-safety-zone':
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) throw new Error(`${where}: present-value must be a BACnetLifeSafetyState number, got ${String(value)}`);
      return;
    case 'analog-input':
    case 'analog-value':
      if (typeof value !== 'number' || !Number.isFinite(value)) throw new Error(`${where}: present-value must be a finite number, got ${String(value)}`);
      return;
  }
}
