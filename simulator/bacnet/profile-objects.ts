import type { PointValue } from '../../src/points/sample.js';
import type { BacnetPointDef, BacnetProfile } from '../../src/profiles/types.js';
import type { SimBacnetObject } from './device-server.js';

/**
 * Serves a device described by a BACnet profile: the profile's points become the device's objects
 * (state text from the enum states, engineering units from the unit), and a model's values by point name
 * become present values. The map stays written once, in the profile.
 */

/** BACnet engineering units for the units our profiles use. */
const ENGINEERING_UNITS: Record<string, number> = { '%': 98, h: 71, 'm/s': 74, degC: 62, bar: 55, A: 3, Hz: 27, V: 5 };
const NO_UNITS = 95;

export interface PresentValueSink {
  set(type: BacnetPointDef['object']['type'], instance: number, property: 'present-value', value: unknown): void;
}

export class ProfileObjects {
  private readonly points: BacnetPointDef[];

  constructor(private readonly profile: BacnetProfile) {
    this.points = profile.points.filter((p) => (p.property ?? 'present-value') === 'present-value');
    for (const p of this.points) {
      if (p.kind === 'enum') stateTextOf(p);
    }
  }

  objects(values: Record<string, PointValue>): SimBacnetObject[] {
    return this.points.map((p) => {
      const o: SimBacnetObject = { type: p.object.type, instance: p.object.instance, name: p.name, description: p.description, presentValue: this.presentValue(p, values[p.name]) };
      if (p.kind === 'enum') o.stateText = stateTextOf(p);
      if (p.kind === 'analog' || p.kind === 'counter') o.units = ENGINEERING_UNITS[p.unit ?? ''] ?? NO_UNITS;
      return o;
    });
  }

  /** Pushes every value to the device (it notifies COV subscribers of those that changed). */
  push(sink: PresentValueSink, values: Record<string, PointValue>): void {
    for (const p of this.points) sink.set(p.object.type, p.object.instance, 'present-value', this.presentValue(p, values[p.name]));
  }

  private presentValue(p: BacnetPointDef, value: PointValue | undefined): number | boolean {
    const where = `${this.profile.id} point ${p.name}`;
    switch (p.kind) {
      case 'binary':
        if (typeof value !== 'boolean') throw new Error(`${where}: expected a boolean, got ${String(value)}`);
        return value;
      case 'enum': {
        const entry = Object.entries(p.states ?? {}).find(([, name]) => name === value);
        if (!entry) throw new Error(`${where}: "${String(value)}" is not one of its states`);
        return Number(entry[0]);
      }
      case 'analog':
      case 'counter':
        if (typeof value !== 'number' || !Number.isFinite(value)) throw new Error(`${where}: expected a number, got ${String(value)}`);
        return value;
    }
  }
}

/** State text of a multi-state point: its states must be numbered 1..n without gaps, as BACnet numbers them. */
function stateTextOf(p: BacnetPointDef): string[] {
  const entries = Object.entries(p.states ?? {}).map(([n, name]) => [Number(n), name] as const).sort((a, b) => a[0] - b[0]);
  entries.forEach(([n], i) => {
    if (n !== i + 1) throw new Error(`point ${p.name}: multi-state states must be numbered 1..n, found ${n} at position ${i + 1}`);
  });
  return entries.map(([, name]) => name);
}
