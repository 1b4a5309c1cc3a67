import { encodeRegisters } from '../src/drivers/modbus/codec.js';
import type { PointValue } from '../src/points/sample.js';
import { isBitTable, registerCount, type ByteOrder, type ModbusProfile, type ModbusPointDef, type RegisterTable } from '../src/profiles/types.js';

/**
 * The four Modbus tables of one simulated device (unit), refreshed from its model's values through its
 * profile and the gateway's own codec, so the simulator serves exactly the encoding the gateway decodes.
 *
 * Each table serves the span from the lowest to the highest address its profile's points occupy; holes
 * inside the span read as 0 (real devices answer reserved registers, and the gateway's read planner merges
 * across small gaps), and anything outside the span is an illegal address.
 */

interface Table {
  start: number;
  /** One entry per address from `start`: a 16-bit register, or 0/1 for a coil or discrete input. */
  words: number[];
}

export interface RefreshOptions {
  /** Serve float32 points in the other word order (ABCD ⇄ CDAB, BADC ⇄ DCBA): a misconfigured device. */
  swapFloatWords?: boolean;
}

const SWAPPED_WORDS: Record<ByteOrder, ByteOrder> = { ABCD: 'CDAB', CDAB: 'ABCD', BADC: 'DCBA', DCBA: 'BADC' };

export class RegisterBank {
  readonly profile: ModbusProfile;
  private readonly tables: Partial<Record<RegisterTable, Table>> = {};
  private readonly swappedDefs = new Map<ModbusPointDef, ModbusPointDef>();
  /** Points whose last value could not be encoded (out of range): they keep their previous registers. */
  encodeErrors: string[] = [];

  constructor(profile: ModbusProfile) {
    this.profile = profile;
    for (const def of profile.points) {
      const end = def.address + (isBitTable(def.table) ? 1 : registerCount(def.type));
      const table = this.tables[def.table];
      if (!table) {
        this.tables[def.table] = { start: def.address, words: new Array<number>(end - def.address).fill(0) };
        continue;
      }
      const newStart = Math.min(table.start, def.address);
      const newEnd = Math.max(table.start + table.words.length, end);
      const words = new Array<number>(newEnd - newStart).fill(0);
      this.tables[def.table] = { start: newStart, words };
    }
  }

  /** Re-encodes every point from the model's values. Points missing from `values` keep their registers. */
  refresh(values: Readonly<Record<string, PointValue>>, options: RefreshOptions = {}): void {
    const errors: string[] = [];
    // Bit points share a register: clear the shared registers first, then OR each bit in.
    for (const def of this.profile.points) {
      if (def.type === 'bit' && values[def.name] !== undefined) this.write(def.table, def.address, [0]);
    }
    for (const def of this.profile.points) {
      const value = values[def.name];
      if (value === undefined) continue;
      try {
        if (isBitTable(def.table)) {
          this.write(def.table, def.address, [value === true || value === 1 ? 1 : 0]);
        } else if (def.type === 'bit') {
          const [bits = 0] = encodeRegisters(def, value);
          const current = this.read(def.table, def.address, 1)?.[0] ?? 0;
          this.write(def.table, def.address, [current | bits]);
        } else {
          this.write(def.table, def.address, encodeRegisters(this.served(def, options), value));
        }
      } catch (err) {
        errors.push(`${def.name}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    this.encodeErrors = errors;
  }

  /**
   * `count` words (registers, or 0/1 bits) from `address`; undefined when any of them lies outside the
   * table's served span (Modbus exception 2, illegal data address).
   */
  read(table: RegisterTable, address: number, count: number): number[] | undefined {
    const t = this.tables[table];
    if (!t || count < 1 || address < t.start || address + count > t.start + t.words.length) return undefined;
    return t.words.slice(address - t.start, address - t.start + count);
  }

  /** The served address span of a table, for logs and tests; undefined when the profile has none. */
  span(table: RegisterTable): { start: number; count: number } | undefined {
    const t = this.tables[table];
    return t ? { start: t.start, count: t.words.length } : undefined;
  }

  private write(table: RegisterTable, address: number, words: readonly number[]): void {
    const t = this.tables[table];
    if (!t) return;
    words.forEach((w, i) => {
      t.words[address - t.start + i] = w;
    });
  }

  private served(def: ModbusPointDef, options: RefreshOptions): ModbusPointDef {
    if (!options.swapFloatWords || def.type !== 'float32') return def;
    let swapped = this.swappedDefs.get(def);
    if (!swapped) {
      swapped = { ...def, order: SWAPPED_WORDS[def.order ?? 'ABCD'] };
      this.swappedDefs.set(def, swapped);
    }
    return swapped;
  }
}
