import { ObjectType, PropertyIdentifier } from '@bacnet-js/client';
import type { BacnetObjectType, BacnetPointProperty } from '../../profiles/types.js';

/**
 * The BACnet object types and properties the driver reads, between the profile vocabulary
 * (`life-safety-point`, `present-value`) and the protocol's numbers.
 */

/** The protocol numbers of the object types profiles name (shared with the simulator's devices). */
export const OBJECT_TYPE_NUMBERS: Readonly<Record<BacnetObjectType, number>> = {
  'analog-input': ObjectType.ANALOG_INPUT,
  'analog-value': ObjectType.ANALOG_VALUE,
  'binary-input': ObjectType.BINARY_INPUT,
  'binary-value': ObjectType.BINARY_VALUE,
  'multi-state-input': ObjectType.MULTI_STATE_INPUT,
  'multi-state-value': ObjectType.MULTI_STATE_VALUE,
  'life-safety-point': ObjectType.LIFE_SAFETY_POINT,
  'life-safety-zone': ObjectType.LIFE_SAFETY_ZONE,
};

const OBJECT_TYPE_NAMES = new Map<number, BacnetObjectType>(
  Object.entries(OBJECT_TYPE_NUMBERS).map(([name, n]) => [n, name as BacnetObjectType]),
);

export const BACNET_OBJECT_TYPES = Object.keys(OBJECT_TYPE_NUMBERS) as BacnetObjectType[];

export function objectTypeNumber(type: BacnetObjectType): number {
  return OBJECT_TYPE_NUMBERS[type];
}

/** The profile name of a protocol object type, or undefined for types the driver does not read. */
export function objectTypeName(type: number): BacnetObjectType | undefined {
  return OBJECT_TYPE_NAMES.get(type);
}

/** A readable name for any object type number (for messages about objects the driver does not read). */
export function anyObjectTypeName(type: number): string {
  const known = objectTypeName(type);
  if (known) return known;
  const name = (ObjectType as unknown as Record<number, string | undefined>)[type];
  return name === undefined ? `object-type-${type}` : name.toLowerCase().replace(/_/g, '-');
}

export function propertyNumber(property: BacnetPointProperty): number {
  switch (property) {
    case 'present-value':
      return PropertyIdentifier.PRESENT_VALUE;
    case 'mode':
      return PropertyIdentifier.MODE;
    case 'tracking-value':
      return PropertyIdentifier.TRACKING_VALUE;
  }
}

/** A readable name of any property number, for error messages. */
export function propertyName(property: number): string {
  const name = (PropertyIdentifier as unknown as Record<number, string | undefined>)[property];
  return name === undefined ? `property-${property}` : name.toLowerCase().replace(/_/g, '-');
}

export function isLifeSafetyType(type: BacnetObjectType): boolean {
  return type === 'life-safety-point' || type === 'life-safety-zone';
}

export function isBinaryType(type: BacnetObjectType): boolean {
  return type === 'binary-input' || type === 'binary-value';
}

/** `life-safety-point 12`: how messages name an object. */
export function objectLabel(type: BacnetObjectType | number, instance: number): string {
  return `${typeof type === 'number' ? anyObjectTypeName(type) : type} ${instance}`;
}

/** `life-safety-point_12`: the stable key of an object within a device (alarm ids, maps). */
export function objectKey(type: BacnetObjectType | number, instance: number): string {
  return `${typeof type === 'number' ? anyObjectTypeName(type) : type}_${instance}`;
}
