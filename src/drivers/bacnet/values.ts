import { Reliability, StatusFlags } from '@bacnet-js/client';
import { TAG } from './codes.js';

const NO_FAULT_DETECTED: number = Reliability.NO_FAULT_DETECTED;
import type { PointValue, Quality } from '../../points/sample.js';
import type { BacnetObjectType, BacnetPointProperty, PointDefBase } from '../../profiles/types.js';
import { isBinaryType, isLifeSafetyType } from './objects.js';

/**
 * From BACnet application data to point values and quality.
 *
 * Quality (decided here, documented in the README of the driver, applied to every sample):
 * - `bad` when the status flags say FAULT, or reliability is anything but no-fault-detected: the value
 *   cannot be trusted (open loop, shorted loop, no sensor…).
 * - `uncertain` when OUT_OF_SERVICE (the value is simulated or frozen by an operator) or OVERRIDDEN (a
 *   local hand switch holds it): it is real, but not what the device measures.
 * - `good` otherwise. IN_ALARM alone is good: the value is right, it is just alarming (the alarm itself
 *   arrives as an event notification or a rule).
 */

export interface StatusFlagsValue {
  inAlarm: boolean;
  fault: boolean;
  overridden: boolean;
  outOfService: boolean;
}

/** One decoded application value as the library hands it over. */
export interface AppValue {
  type: number;
  value: unknown;
}

export class ValueError extends Error {}

/** The value of a point's property: numbers for analog and enumerated, booleans for binary present-value. */
export function decodePointValue(objectType: BacnetObjectType, property: BacnetPointProperty, values: readonly AppValue[]): PointValue {
  const first = values[0];
  if (first === undefined) throw new ValueError('empty value');
  switch (first.type) {
    case TAG.REAL:
    case TAG.DOUBLE:
    case TAG.UNSIGNED_INTEGER:
    case TAG.SIGNED_INTEGER:
    case TAG.ENUMERATED: {
      const n = first.value;
      if (typeof n !== 'number' || !Number.isFinite(n)) throw new ValueError(`not a finite number: ${String(n)}`);
      if (isBinaryType(objectType) && property === 'present-value') {
        if (n !== 0 && n !== 1) throw new ValueError(`binary present-value ${n} is neither inactive (0) nor active (1)`);
        return n === 1;
      }
      return n;
    }
    case TAG.BOOLEAN:
      if (typeof first.value !== 'boolean') throw new ValueError('malformed boolean');
      return first.value;
    case TAG.NULL:
      throw new ValueError('the device has no value (null)');
    default:
      throw new ValueError(`unexpected application tag ${first.type}`);
  }
}

function bitOf(bits: readonly number[], index: number): boolean {
  const byte = bits[index >> 3] ?? 0;
  return ((byte >> (index & 7)) & 1) === 1;
}

export function decodeStatusFlags(values: readonly AppValue[]): StatusFlagsValue {
  const first = values[0];
  const bitString = first?.value as { bitsUsed?: unknown; value?: unknown } | undefined;
  if (first?.type !== TAG.BIT_STRING || !Array.isArray(bitString?.value)) throw new ValueError('status-flags is not a bit string');
  const bits = bitString.value as number[];
  return {
    inAlarm: bitOf(bits, StatusFlags.IN_ALARM),
    fault: bitOf(bits, StatusFlags.FAULT),
    overridden: bitOf(bits, StatusFlags.OVERRIDDEN),
    outOfService: bitOf(bits, StatusFlags.OUT_OF_SERVICE),
  };
}

export function decodeReliability(values: readonly AppValue[]): number {
  const first = values[0];
  if (first?.type !== TAG.ENUMERATED || typeof first.value !== 'number') throw new ValueError('reliability is not an enumeration');
  return first.value;
}

export function reliabilityName(reliability: number): string {
  const name = (Reliability as unknown as Record<number, string | undefined>)[reliability];
  return name === undefined ? `reliability ${reliability}` : name.toLowerCase().replace(/_/g, '-');
}

export interface QualityVerdict {
  quality: Quality;
  /** Why the quality is not good. */
  reason?: string;
}

/**
 * The documented mapping of status flags and reliability to quality. Missing information counts as fine.
 * Life-safety points and zones are the exception for FAULT and reliability: their present value *is* the
 * signal (`fault` is a state the panel reports, a fault signal the rules must see), so a detector in fault
 * stays `good`; only out of service and overridden make it uncertain.
 */
export function qualityOf(flags: StatusFlagsValue | undefined, reliability: number | undefined, objectType?: BacnetObjectType): QualityVerdict {
  const lifeSafety = objectType !== undefined && isLifeSafetyType(objectType);
  if (!lifeSafety && reliability !== undefined && reliability !== NO_FAULT_DETECTED) return { quality: 'bad', reason: reliabilityName(reliability) };
  if (!lifeSafety && flags?.fault) return { quality: 'bad', reason: 'status fault' };
  if (flags?.outOfService) return { quality: 'uncertain', reason: 'out of service' };
  if (flags?.overridden) return { quality: 'uncertain', reason: 'overridden' };
  return { quality: 'good' };
}

/**
 * An enum point's value as every driver delivers it: the state's name from the profile (`passenger_trapped`,
 * `alarm`), `unknown_<n>` for a number the profile does not name — as the Modbus driver does, so that one
 * measurement's field keeps one type whichever protocol a device speaks, and rules compare names.
 */
export function namedState(def: Pick<PointDefBase, 'kind' | 'states'>, value: PointValue): PointValue {
  if (def.kind !== 'enum' || typeof value !== 'number' || !Number.isInteger(value)) return value;
  return def.states?.[value] ?? `unknown_${value}`;
}
