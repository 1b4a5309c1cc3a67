import type { PointValue } from '../../points/sample.js';
import { registerCount, type ByteOrder, type ModbusPointDef } from '../../profiles/types.js';

/**
 * Register codec: raw Modbus registers ⇄ engineering values, for the driver (decode) and the simulator
 * (encode). It runs once per point per poll, so it reuses one small DataView instead of allocating.
 *
 * Byte and word order. The letters name the value's bytes from most to least significant (A first), in the
 * order they arrive on the wire; each register carries two wire bytes, high byte first.
 *   32-bit values (bytes ABCD):
 *     ABCD  big-endian, the Modbus default              wire: A B | C D
 *     CDAB  word-swapped (low word first)               wire: C D | A B
 *     BADC  bytes swapped within each word              wire: B A | D C
 *     DCBA  little-endian                               wire: D C | B A
 *   64-bit values (bytes ABCDEFGH) extend the same idea:
 *     ABCD  big-endian                                  wire: A B | C D | E F | G H
 *     CDAB  16-bit words in reverse order               wire: G H | E F | C D | A B
 *     BADC  bytes swapped within each word              wire: B A | D C | F E | H G
 *     DCBA  little-endian                               wire: H G | F E | D C | B A
 *   16-bit values (int16, uint16, enum, bit, bool) have one word: ABCD and CDAB leave it as it is, BADC and
 *   DCBA swap its two bytes. A `bit` index counts in the value after that swap.
 */

const scratch = new DataView(new ArrayBuffer(8));

type ByteCount = 2 | 4 | 8;

/** For wire byte k, the index of that byte in the big-endian value. */
function wireToValuePositions(byteCount: ByteCount, order: ByteOrder): Uint8Array {
  const words = byteCount / 2;
  const positions = new Uint8Array(byteCount);
  for (let k = 0; k < byteCount; k++) {
    const word = k >> 1;
    const low = k & 1;
    switch (order) {
      case 'ABCD':
        positions[k] = k;
        break;
      case 'CDAB':
        positions[k] = (words - 1 - word) * 2 + low;
        break;
      case 'BADC':
        positions[k] = word * 2 + (1 - low);
        break;
      case 'DCBA':
        positions[k] = byteCount - 1 - k;
        break;
    }
  }
  return positions;
}

/** Layouts per order, indexed by register count (1, 2 or 4), built once at load. */
function layoutsFor(order: ByteOrder): readonly (Uint8Array | undefined)[] {
  return [undefined, wireToValuePositions(2, order), wireToValuePositions(4, order), undefined, wireToValuePositions(8, order)];
}

const LAYOUTS: Readonly<Record<ByteOrder, readonly (Uint8Array | undefined)[]>> = {
  ABCD: layoutsFor('ABCD'),
  CDAB: layoutsFor('CDAB'),
  BADC: layoutsFor('BADC'),
  DCBA: layoutsFor('DCBA'),
};

function positionsFor(registers: number, order: ByteOrder): Uint8Array {
  const positions = LAYOUTS[order][registers];
  if (positions === undefined) throw new Error(`no byte layout for ${registers} registers in order ${order}`);
  return positions;
}

/** Copies wire registers into `scratch` as a big-endian value. */
function loadValue(registers: ArrayLike<number>, count: number, order: ByteOrder): void {
  if (order === 'ABCD') {
    for (let w = 0; w < count; w++) scratch.setUint16(w * 2, registers[w] ?? 0);
    return;
  }
  const positions = positionsFor(count, order);
  for (let w = 0; w < count; w++) {
    const register = registers[w] ?? 0;
    scratch.setUint8(positions[w * 2] ?? 0, (register >> 8) & 0xff);
    scratch.setUint8(positions[w * 2 + 1] ?? 0, register & 0xff);
  }
}

/** Reads the big-endian value in `scratch` back out as wire registers. */
function storeValue(count: number, order: ByteOrder): number[] {
  const out = new Array<number>(count);
  if (order === 'ABCD') {
    for (let w = 0; w < count; w++) out[w] = scratch.getUint16(w * 2);
    return out;
  }
  const positions = positionsFor(count, order);
  for (let w = 0; w < count; w++) {
    out[w] = (scratch.getUint8(positions[w * 2] ?? 0) << 8) | scratch.getUint8(positions[w * 2 + 1] ?? 0);
  }
  return out;
}

/** Powers of ten that undo float noise after scaling integers (234 * 0.1 → 23.4, not 23.400000000000002). */
const roundingFactors = new WeakMap<ModbusPointDef, number>();
/** Beyond this many decimals, rounding by a power of ten could overflow 2^53 for 32-bit raw values. */
const MAX_ROUNDING_DECIMALS = 6;
/** Significant digits kept after scaling a float: removes noise in the 16th–17th digit only. */
const FLOAT_SIGNIFICANT_DIGITS = 15;

function decimalsOf(x: number): number {
  const text = String(Math.abs(x));
  const exp = text.indexOf('e-');
  if (exp >= 0) {
    const mantissa = text.slice(0, exp);
    const dot = mantissa.indexOf('.');
    return Number(text.slice(exp + 2)) + (dot < 0 ? 0 : mantissa.length - dot - 1);
  }
  const dot = text.indexOf('.');
  return dot < 0 ? 0 : text.length - dot - 1;
}

function roundingFactor(def: ModbusPointDef): number {
  let factor = roundingFactors.get(def);
  if (factor === undefined) {
    const decimals = Math.max(decimalsOf(def.scale ?? 1), decimalsOf(def.offset ?? 0));
    factor = decimals <= MAX_ROUNDING_DECIMALS ? 10 ** decimals : 0;
    roundingFactors.set(def, factor);
  }
  return factor;
}

function scaleInteger(def: ModbusPointDef, raw: number): number {
  const scale = def.scale ?? 1;
  const offset = def.offset ?? 0;
  if (scale === 1 && offset === 0) return raw;
  const value = raw * scale + offset;
  const factor = roundingFactor(def);
  // `+ 0` turns a -0 from rounding into 0.
  return (factor > 0 ? Math.round(value * factor) / factor : Number(value.toPrecision(FLOAT_SIGNIFICANT_DIGITS))) + 0;
}

function scaleFloat(def: ModbusPointDef, raw: number): number {
  const scale = def.scale ?? 1;
  const offset = def.offset ?? 0;
  if (scale === 1 && offset === 0) return raw;
  const value = raw * scale + offset;
  return Number.isFinite(value) ? Number(value.toPrecision(FLOAT_SIGNIFICANT_DIGITS)) : value;
}

/** The shortest decimal that reads back as the same float32: 123.456, not 123.45600128173828. */
function shortestFloat32(x: number): number {
  if (!Number.isFinite(x) || x === 0) return x;
  // Six digits always suffice below float32's precision; nine always round-trip.
  for (let digits = 6; digits < 9; digits++) {
    const candidate = Number(x.toPrecision(digits));
    if (Math.fround(candidate) === x) return candidate;
  }
  return Number(x.toPrecision(9));
}

function bitIndex(def: ModbusPointDef): number {
  const bit = def.bit ?? 0;
  if (!Number.isInteger(bit) || bit < 0 || bit > 15) throw new Error(`${def.name}: bit index ${bit} is not in 0..15`);
  return bit;
}

function enumName(def: ModbusPointDef, raw: number): string {
  return def.states?.[raw] ?? `unknown_${raw}`;
}

/**
 * Decodes the registers of one point into its engineering value. `registers.length` must equal
 * `registerCount(def.type)`; throws otherwise, or on a bit index outside 0..15. NaN and infinities pass
 * through: judging a value is the caller's job.
 */
export function decodeRegisters(def: ModbusPointDef, registers: ArrayLike<number>): PointValue {
  const count = registerCount(def.type);
  if (registers.length !== count) {
    throw new Error(`${def.name}: ${def.type} needs ${count} register(s), got ${registers.length}`);
  }
  loadValue(registers, count, def.order ?? 'ABCD');
  switch (def.type) {
    case 'bool':
      return scratch.getUint16(0) !== 0;
    case 'bit':
      return ((scratch.getUint16(0) >> bitIndex(def)) & 1) === 1;
    case 'enum':
      return enumName(def, scratch.getUint16(0));
    case 'int16':
      return scaleInteger(def, scratch.getInt16(0));
    case 'uint16':
      return scaleInteger(def, scratch.getUint16(0));
    case 'int32':
      return scaleInteger(def, scratch.getInt32(0));
    case 'uint32':
      return scaleInteger(def, scratch.getUint32(0));
    case 'float32':
      return scaleFloat(def, shortestFloat32(scratch.getFloat32(0)));
    case 'float64':
      return scaleFloat(def, scratch.getFloat64(0));
  }
}

/** Decodes a coil or discrete input. Whatever the declared type, a one-bit table holds a boolean. */
export function decodeBit(_def: ModbusPointDef, bit: boolean): PointValue {
  return bit;
}

function toBoolean(def: ModbusPointDef, value: PointValue): boolean {
  if (typeof value === 'boolean') return value;
  if (value === 0 || value === 1) return value === 1;
  throw new Error(`${def.name}: ${def.type} expects a boolean (or 0/1), got ${JSON.stringify(value)}`);
}

function toNumber(def: ModbusPointDef, value: PointValue): number {
  if (typeof value !== 'number') throw new Error(`${def.name}: ${def.type} expects a number, got ${JSON.stringify(value)}`);
  return value;
}

function unscale(def: ModbusPointDef, value: number): number {
  return (value - (def.offset ?? 0)) / (def.scale ?? 1);
}

function integerRaw(def: ModbusPointDef, value: PointValue, min: number, max: number): number {
  const engineering = toNumber(def, value);
  const exact = unscale(def, engineering);
  // Half away from zero, so -0.25 at scale 0.1 encodes as -3 just as 0.25 encodes as 3.
  const raw = Math.sign(exact) * Math.round(Math.abs(exact)) + 0;
  if (!Number.isFinite(raw) || raw < min || raw > max) {
    throw new Error(`${def.name}: ${engineering} does not fit ${def.type} (raw ${raw}, allowed ${min}..${max})`);
  }
  return raw;
}

const UINT16_MAX = 0xffff;

function enumRaw(def: ModbusPointDef, value: PointValue): number {
  if (typeof value === 'string') {
    for (const [raw, name] of Object.entries(def.states ?? {})) if (name === value) return Number(raw);
    const unknown = /^unknown_(\d+)$/.exec(value);
    if (unknown?.[1] !== undefined && Number(unknown[1]) <= UINT16_MAX) return Number(unknown[1]);
    throw new Error(`${def.name}: "${value}" is not a state of this enum`);
  }
  const raw = toNumber(def, value);
  if (!Number.isInteger(raw) || raw < 0 || raw > UINT16_MAX) throw new Error(`${def.name}: ${raw} does not fit enum (0..${UINT16_MAX})`);
  return raw;
}

function float32Raw(def: ModbusPointDef, value: PointValue): number {
  const raw = unscale(def, toNumber(def, value));
  // NaN and ±Infinity are encodable on purpose: the simulator uses them to inject faults.
  if (Number.isFinite(raw) && !Number.isFinite(Math.fround(raw))) throw new Error(`${def.name}: ${raw} does not fit float32`);
  return raw;
}

/**
 * Encodes an engineering value into wire registers: undoes scale and offset, rounds integer types, and
 * throws when the value does not fit. A `bit` point yields its register with only its own bit set;
 * callers that pack several bits into one register OR the results together.
 */
export function encodeRegisters(def: ModbusPointDef, value: PointValue): number[] {
  switch (def.type) {
    case 'bool':
      scratch.setUint16(0, toBoolean(def, value) ? 1 : 0);
      break;
    case 'bit':
      scratch.setUint16(0, toBoolean(def, value) ? 1 << bitIndex(def) : 0);
      break;
    case 'enum':
      scratch.setUint16(0, enumRaw(def, value));
      break;
    case 'int16':
      scratch.setInt16(0, integerRaw(def, value, -0x8000, 0x7fff));
      break;
    case 'uint16':
      scratch.setUint16(0, integerRaw(def, value, 0, UINT16_MAX));
      break;
    case 'int32':
      scratch.setInt32(0, integerRaw(def, value, -0x8000_0000, 0x7fff_ffff));
      break;
    case 'uint32':
      scratch.setUint32(0, integerRaw(def, value, 0, 0xffff_ffff));
      break;
    case 'float32':
      scratch.setFloat32(0, float32Raw(def, value));
      break;
    case 'float64':
      scratch.setFloat64(0, unscale(def, toNumber(def, value)));
      break;
  }
  return storeValue(registerCount(def.type), def.order ?? 'ABCD');
}
