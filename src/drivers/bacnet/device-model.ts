import type { DeviceConfig } from '../../config/schema.js';
import { pointId, type PointValue, type Sample } from '../../points/sample.js';
import type { BacnetObjectType, BacnetPointDef, BacnetProfile } from '../../profiles/types.js';
import { PROP } from './codes.js';
import { objectKey, objectLabel, objectTypeNumber, propertyNumber } from './objects.js';
import type { ReadItem } from './rpm-planner.js';
import { decodePointValue, namedState, decodeReliability, decodeStatusFlags, qualityOf, type AppValue, type StatusFlagsValue } from './values.js';

/**
 * The objects and points of one configured BACnet device, and how one object's read turns into samples.
 * Points are grouped by object: one object is read once per poll (its points' properties, status-flags
 * and reliability together) and subscribed to once.
 */

export interface PointRuntime {
  def: BacnetPointDef;
  id: string;
  property: number;
}

export type CovMode = 'off' | 'pending' | 'active' | 'polling';

export interface CovState {
  mode: CovMode;
  reason: string | null;
  /** Subscriber process id of the live subscription, or null. */
  processId: number | null;
  /** A SubscribeCOV request is on its way. */
  subscribing: boolean;
  /** When a refused or dropped subscription is tried again. */
  retryAt: number | null;
  /** Last present-value a notification reported, to check against verification reads. */
  lastNotified: PointValue | undefined;
  notifications: number;
}

export interface ObjectRuntime {
  key: string;
  label: string;
  type: BacnetObjectType;
  typeNumber: number;
  instance: number;
  points: PointRuntime[];
  /** False once the device said the object has no reliability property: not asked again. */
  readReliability: boolean;
  /** Last known status flags and reliability (COV notifications carry only the flags). */
  flags: StatusFlagsValue | undefined;
  reliability: number | undefined;
  cov: CovState;
}

export function buildObjects(config: DeviceConfig, profile: BacnetProfile): ObjectRuntime[] {
  const objects = new Map<string, ObjectRuntime>();
  for (const def of profile.points) {
    const key = objectKey(def.object.type, def.object.instance);
    let object = objects.get(key);
    if (object === undefined) {
      object = {
        key,
        label: objectLabel(def.object.type, def.object.instance),
        type: def.object.type,
        typeNumber: objectTypeNumber(def.object.type),
        instance: def.object.instance,
        points: [],
        readReliability: true,
        flags: undefined,
        reliability: undefined,
        cov: { mode: 'off', reason: null, processId: null, subscribing: false, retryAt: null, lastNotified: undefined, notifications: 0 },
      };
      objects.set(key, object);
    }
    object.points.push({ def, id: pointId(config.id, def.name), property: propertyNumber(def.property ?? 'present-value') });
  }
  for (const object of objects.values()) {
    // COV reports present-value and status-flags: an object takes part when one of its present-value points asks for it.
    const wantsCov = object.points.some((p) => p.property === PROP.PRESENT_VALUE && p.def.cov !== false);
    if (wantsCov) object.cov.mode = 'pending';
  }
  return [...objects.values()];
}

/** Whether a point's value arrives by COV while the object's subscription is active. */
export function isCovCarried(object: ObjectRuntime, point: PointRuntime): boolean {
  return object.cov.mode === 'active' && point.property === PROP.PRESENT_VALUE && point.def.cov !== false;
}

export function readItemOf(object: ObjectRuntime): ReadItem {
  const properties = [...new Set(object.points.map((p) => p.property))];
  properties.push(PROP.STATUS_FLAGS);
  if (object.readReliability) properties.push(PROP.RELIABILITY);
  return { key: object.key, objectType: object.typeNumber, instance: object.instance, properties };
}

/** What came back for one object: values per property, or an error per property. */
export interface ObjectReadResult {
  values: Map<number, AppValue[]>;
  errors: Map<number, string>;
}

/**
 * One object's samples from a read. A point whose property failed is bad with the device's error; the
 * object's status flags and reliability decide the quality of the others. Also learns whether the object
 * has a reliability property.
 */
export function samplesFromRead(deviceId: string, object: ObjectRuntime, result: ObjectReadResult, ts: number, include: (p: PointRuntime) => boolean): { samples: Sample[]; problems: Map<string, string | undefined> } {
  const problems = new Map<string, string | undefined>();
  const flagsValue = result.values.get(PROP.STATUS_FLAGS);
  object.flags = undefined;
  if (flagsValue !== undefined) {
    try {
      object.flags = decodeStatusFlags(flagsValue);
    } catch {
      object.flags = undefined;
    }
  }
  const reliabilityValue = result.values.get(PROP.RELIABILITY);
  if (reliabilityValue !== undefined) {
    try {
      object.reliability = decodeReliability(reliabilityValue);
    } catch {
      object.reliability = undefined;
    }
  } else if (result.errors.has(PROP.RELIABILITY)) {
    // Reliability is optional in most object types: a device without it is not at fault.
    object.readReliability = false;
    object.reliability = undefined;
  } else if (object.flags?.fault === false) {
    object.reliability = undefined;
  }
  const verdict = qualityOf(object.flags, object.reliability, object.type);
  const samples: Sample[] = [];
  for (const point of object.points) {
    if (!include(point)) continue;
    const error = result.errors.get(point.property);
    const key = `point ${point.def.name}`;
    if (error !== undefined) {
      const message = `device ${deviceId}: ${object.label} ${propertyLabel(point)}: ${error}`;
      problems.set(key, message);
      samples.push({ point: point.id, value: null, ts, quality: 'bad', error: message });
      continue;
    }
    const raw = result.values.get(point.property);
    try {
      if (raw === undefined) throw new Error('missing from the reply');
      const value = namedState(point.def, decodePointValue(object.type, point.def.property ?? 'present-value', raw));
      problems.set(key, undefined);
      samples.push(verdict.reason === undefined ? { point: point.id, value, ts, quality: verdict.quality } : { point: point.id, value, ts, quality: verdict.quality, error: verdict.reason });
    } catch (err) {
      const message = `device ${deviceId}: ${object.label} ${propertyLabel(point)}: ${err instanceof Error ? err.message : String(err)}`;
      problems.set(key, message);
      samples.push({ point: point.id, value: null, ts, quality: 'bad', error: message });
    }
  }
  return { samples, problems };
}

export function propertyLabel(point: PointRuntime): string {
  return point.def.property ?? 'present-value';
}
