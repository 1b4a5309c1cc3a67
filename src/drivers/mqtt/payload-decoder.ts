import type { PointValue } from '../../points/sample.js';
import type { MqttPointDef, PayloadDecode, PointKind } from '../../profiles/types.js';

/**
 * MQTT payloads to point values. A decoder is compiled once per point (its field path split, its format
 * and kind fixed); per message it reads a MessagePayload, which turns the bytes into text and parses JSON
 * at most once however many points and events read the same message.
 *
 * Every failure is a Rejection with a kind (what the driver logs on change) and a message that says what
 * was wrong: `not JSON`, `field door.open missing`, `expected a number, got "abc"`.
 */

export type RejectionKind = 'not-json' | 'missing-field' | 'wrong-type' | 'unmapped' | 'out-of-range' | 'oversize' | 'unknown-status';

export interface Rejection {
  kind: RejectionKind;
  message: string;
}

export type Decoded<T> = { ok: true; value: T } | { ok: false; rejection: Rejection };

/** Longest excerpt of a bad value quoted in a message, characters. */
const QUOTE_MAX_CHARS = 40;
const BOOLEAN_WORDS: ReadonlyMap<string, boolean> = new Map([
  ['true', true],
  ['false', false],
  ['1', true],
  ['0', false],
  ['on', true],
  ['off', false],
]);

const NOT_JSON: Decoded<never> = { ok: false, rejection: { kind: 'not-json', message: 'not JSON' } };

/** One message's payload, with its text and JSON computed on first use and then shared. */
export class MessagePayload {
  private textCache: string | undefined;
  private jsonCache: Decoded<unknown> | undefined;

  constructor(readonly bytes: Buffer) {}

  text(): string {
    this.textCache ??= this.bytes.toString('utf8');
    return this.textCache;
  }

  json(): Decoded<unknown> {
    if (this.jsonCache === undefined) {
      try {
        this.jsonCache = { ok: true, value: JSON.parse(this.text()) as unknown };
      } catch {
        this.jsonCache = NOT_JSON;
      }
    }
    return this.jsonCache;
  }
}

// ── Field paths ───────────────────────────────────────────────────────────────────────────────────────

interface PathSegment {
  key: string;
  /** The segment as an array index, when it is a non-negative integer. */
  index: number | undefined;
}

/** A dot-separated field path (`door.open`, `readings.0.value`), split once. */
export interface FieldPath {
  readonly text: string;
  readonly segments: readonly PathSegment[];
}

export function compilePath(path: string): FieldPath {
  if (path.length === 0) throw new Error('empty field path');
  const segments = path.split('.').map((key): PathSegment => {
    if (key.length === 0) throw new Error(`field path ${path} has an empty segment`);
    return { key, index: /^\d+$/.test(key) ? Number(key) : undefined };
  });
  return { text: path, segments };
}

/** The value at a path inside parsed JSON; JSON null counts as missing (a device saying "no value"). */
export function readPath(root: unknown, path: FieldPath): Decoded<unknown> {
  let current = root;
  for (const { key, index } of path.segments) {
    if (Array.isArray(current)) current = index === undefined ? undefined : (current as unknown[])[index];
    else if (isObject(current)) current = Object.hasOwn(current, key) ? current[key] : undefined;
    else current = undefined;
    if (current === undefined || current === null) return { ok: false, rejection: { kind: 'missing-field', message: `field ${path.text} missing` } };
  }
  return { ok: true, value: current };
}

// ── Point decoders ────────────────────────────────────────────────────────────────────────────────────

export type PointDecoder = (payload: MessagePayload) => Decoded<PointValue>;

/** The parts of a point definition a decoder needs. */
export type DecodablePoint = Pick<MqttPointDef, 'name' | 'kind' | 'decode' | 'states' | 'range'>;

/**
 * Compiles a point's decoder: read the payload per its format (and path), look the value up in `map`
 * when there is one, then coerce it to the point's kind (binary → boolean, analog and counter → a finite
 * number within the point's range, enum → a state name). Throws when the definition is inconsistent.
 */
export function compilePointDecoder(def: DecodablePoint): PointDecoder {
  const raw = rawReader(def.decode, def.name);
  const { map } = def.decode;
  const coerce = coercer(def);
  return (payload) => {
    const read = raw(payload);
    if (!read.ok) return read;
    if (map === undefined) return coerce(read.value);
    const mapped = lookUp(map, read.value);
    return mapped.ok ? coerce(mapped.value) : mapped;
  };
}

type RawReader = (payload: MessagePayload) => Decoded<unknown>;

function rawReader(decode: PayloadDecode, pointName: string): RawReader {
  if (decode.path !== undefined && decode.format !== 'json') throw new Error(`point ${pointName}: decode.path needs format json, not ${decode.format}`);
  switch (decode.format) {
    case 'json': {
      if (decode.path === undefined) return (payload) => payload.json();
      const path = compilePath(decode.path);
      return (payload) => {
        const json = payload.json();
        return json.ok ? readPath(json.value, path) : json;
      };
    }
    case 'number':
      return (payload) => parseNumber(payload.text().trim());
    case 'string':
      return (payload) => ({ ok: true, value: payload.text().trim() });
    case 'boolean':
      return (payload) => parseBooleanWord(payload.text());
  }
}

function lookUp(map: Readonly<Record<string, PointValue>>, raw: unknown): Decoded<PointValue> {
  if (typeof raw !== 'string' && typeof raw !== 'number' && typeof raw !== 'boolean') return wrongType('a value to look up', raw);
  const key = String(raw);
  const mapped = Object.hasOwn(map, key) ? map[key] : undefined;
  if (mapped === undefined) return { ok: false, rejection: { kind: 'unmapped', message: `${describeValue(raw)} is not one of ${Object.keys(map).join(', ')}` } };
  return { ok: true, value: mapped };
}

type Coercer = (raw: unknown) => Decoded<PointValue>;

function coercer(def: DecodablePoint): Coercer {
  const kind: PointKind = def.kind;
  switch (kind) {
    case 'binary':
      return toBoolean;
    case 'analog':
    case 'counter': {
      const { range } = def;
      return (raw) => {
        const number = typeof raw === 'string' ? parseNumber(raw.trim()) : typeof raw === 'number' ? finite(raw) : wrongType('a number', raw);
        if (!number.ok || range === undefined) return number;
        if (number.value >= range.min && number.value <= range.max) return number;
        return { ok: false, rejection: { kind: 'out-of-range', message: `${number.value} is outside [${range.min}, ${range.max}]` } };
      };
    }
    case 'enum':
      return enumCoercer(def.states);
  }
}

/** JSON booleans, the numbers 1 and 0, and the words true/false/1/0/on/off in any case. */
function toBoolean(raw: unknown): Decoded<PointValue> {
  if (typeof raw === 'boolean') return { ok: true, value: raw };
  if (raw === 1 || raw === 0) return { ok: true, value: raw === 1 };
  if (typeof raw === 'string') return parseBooleanWord(raw);
  return wrongType('a boolean', raw);
}

/**
 * Enum points hold a state name. With `states`, a number (or numeric string) is looked up and a name must
 * be one of them; without, any string or number is the state.
 */
function enumCoercer(states: Readonly<Record<number, string>> | undefined): Coercer {
  if (states === undefined) {
    return (raw) => (typeof raw === 'string' || (typeof raw === 'number' && Number.isFinite(raw)) ? { ok: true, value: String(raw) } : wrongType('a state', raw));
  }
  const names = new Set(Object.values(states));
  return (raw) => {
    if (typeof raw === 'string' && names.has(raw)) return { ok: true, value: raw };
    const code = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : Number.NaN;
    const name = Number.isInteger(code) ? states[code] : undefined;
    if (name !== undefined) return { ok: true, value: name };
    if (typeof raw !== 'string' && typeof raw !== 'number') return wrongType('a state', raw);
    return { ok: false, rejection: { kind: 'unmapped', message: `${describeValue(raw)} is not a known state` } };
  };
}

function parseNumber(text: string): Decoded<number> {
  // Number('') is 0 and Number('0x1f') is 31: require something that looks like a decimal number.
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) return wrongType('a number', text);
  return finite(Number(text));
}

function finite(value: number): Decoded<number> {
  return Number.isFinite(value) ? { ok: true, value } : wrongType('a finite number', value);
}

function parseBooleanWord(text: string): Decoded<boolean> {
  const value = BOOLEAN_WORDS.get(text.trim().toLowerCase());
  return value === undefined ? wrongType('a boolean', text) : { ok: true, value };
}

function wrongType(expected: string, raw: unknown): Decoded<never> {
  return { ok: false, rejection: { kind: 'wrong-type', message: `expected ${expected}, got ${describeValue(raw)}` } };
}

/** A short, log-safe description of a value: quoted and cut for strings, the type for objects. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') {
    const quoted = JSON.stringify(value.length > QUOTE_MAX_CHARS ? value.slice(0, QUOTE_MAX_CHARS) : value);
    return value.length > QUOTE_MAX_CHARS ? `${quoted}… (${value.length} characters)` : quoted;
  }
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return typeof value;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
