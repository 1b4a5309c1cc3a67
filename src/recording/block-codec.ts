import type { PointValue } from '../points/sample.js';
import { ByteReader, ByteWriter, FormatError } from './bytes.js';
import { entryTs, QUALITY_BY_CODE, QUALITY_CODES, RECORD_KIND, TAG_HAS_ERROR, VALUE_TYPE, type RecordedEntry } from './format.js';

/**
 * Encodes a block's records against the file's growing string dictionary, and decodes them back.
 * format.ts describes the bytes. Numbers that are whole and small are written as zigzag varints (most
 * counters, states and quantised readings take one to three bytes before compression); every other
 * number, -0 included, as an f64, so a replay sees exactly the value that was recorded.
 */

const INT_LIMIT = 2 ** 31;

/** The writer's side of one file's dictionary. */
export class FileDictionary {
  private readonly index = new Map<string, number>();

  get size(): number {
    return this.index.size;
  }

  /** The index of `text`, adding it (and noting it in `additions`) when new. */
  indexOf(text: string, additions: string[]): number {
    let i = this.index.get(text);
    if (i === undefined) {
      i = this.index.size;
      this.index.set(text, i);
      additions.push(text);
    }
    return i;
  }
}

export interface EncodedRecords {
  /** The dictionary section: the strings this block added. */
  dictionary: Buffer;
  /** The records section, not yet compressed. */
  records: Buffer;
  dictionaryBase: number;
  count: number;
  /** Entries left out because their ts is not a whole number of ms within ±2^53 (nothing to replay them at). */
  skipped: number;
  minTs: number;
  maxTs: number;
}

/** Encodes `entries` against `dict`, which it extends; returns undefined when none has a usable ts. */
export function encodeRecords(all: readonly RecordedEntry[], dict: FileDictionary, out = new ByteWriter()): EncodedRecords | undefined {
  const dictionaryBase = dict.size;
  const additions: string[] = [];
  let minTs = Infinity;
  let maxTs = -Infinity;
  let entries = all;
  for (const entry of all) {
    const ts = entryTs(entry);
    if (!Number.isSafeInteger(ts)) {
      entries = all.filter((e) => Number.isSafeInteger(entryTs(e)));
      break;
    }
  }
  if (entries.length === 0) return undefined;
  for (const entry of entries) {
    const ts = entryTs(entry);
    if (ts < minTs) minTs = ts;
    if (ts > maxTs) maxTs = ts;
  }
  out.reset();
  let previousTs = minTs;
  for (const entry of entries) {
    if (!('kind' in entry)) {
      const { value } = entry;
      const error = entry.error;
      let valueType: number;
      if (value === null) valueType = VALUE_TYPE.null;
      else if (value === true) valueType = VALUE_TYPE.true;
      else if (value === false) valueType = VALUE_TYPE.false;
      else if (typeof value === 'string') valueType = VALUE_TYPE.stringRef;
      else if (Number.isInteger(value) && value < INT_LIMIT && value > -INT_LIMIT && !Object.is(value, -0)) valueType = VALUE_TYPE.int;
      else valueType = VALUE_TYPE.f64;
      out.byte(RECORD_KIND.sample | (QUALITY_CODES[entry.quality] << 2) | (valueType << 4) | (error !== undefined ? TAG_HAS_ERROR : 0));
      out.varint(dict.indexOf(entry.point, additions));
      out.zigzag(entry.ts - previousTs);
      previousTs = entry.ts;
      if (valueType === VALUE_TYPE.int) out.zigzag(value as number);
      else if (valueType === VALUE_TYPE.f64) out.f64(value as number);
      else if (valueType === VALUE_TYPE.stringRef) out.varint(dict.indexOf(value as string, additions));
      if (error !== undefined) out.varint(dict.indexOf(error, additions));
    } else if (entry.kind === 'status') {
      const { status } = entry;
      out.byte(RECORD_KIND.status | (status.online ? 1 << 2 : 0) | (status.error !== undefined ? TAG_HAS_ERROR : 0));
      out.varint(dict.indexOf(status.device, additions));
      out.zigzag(status.ts - previousTs);
      previousTs = status.ts;
      if (status.error !== undefined) out.varint(dict.indexOf(status.error, additions));
    } else {
      const { event } = entry;
      out.byte(RECORD_KIND.event);
      out.varint(dict.indexOf(event.device, additions));
      out.zigzag(event.ts - previousTs);
      previousTs = event.ts;
      out.varint(dict.indexOf(event.event, additions));
      out.string(JSON.stringify(event.attributes));
    }
  }
  const records = Buffer.from(out.view());
  const dictOut = new ByteWriter(64);
  dictOut.varint(additions.length);
  for (const text of additions) dictOut.string(text);
  return { dictionary: Buffer.from(dictOut.view()), records, dictionaryBase, count: entries.length, skipped: all.length - entries.length, minTs, maxTs };
}

/** Reads a dictionary section; returns the strings it adds. */
export function decodeDictionary(section: Buffer): string[] {
  const reader = new ByteReader(section);
  const count = reader.varint();
  if (count > section.length) throw new FormatError(`dictionary claims ${count} strings in ${section.length} bytes`);
  const out: string[] = [];
  for (let i = 0; i < count; i++) out.push(reader.string());
  if (reader.remaining !== 0) throw new FormatError(`${reader.remaining} bytes left over after the dictionary`);
  return out;
}

export interface DecodedRecords {
  entries: RecordedEntry[];
  /** Records whose strings were defined in a block that could not be read: left out. */
  unresolved: number;
}

/**
 * Decodes a records section. `dict` holds the file's strings by index; a hole (a string defined in a
 * damaged block) makes the record that needs it unresolved, counted and left out, while the bytes are
 * still walked so the records after it decode.
 */
export function decodeRecords(raw: Buffer, count: number, minTs: number, dict: ReadonlyArray<string | undefined>): DecodedRecords {
  const reader = new ByteReader(raw);
  const entries: RecordedEntry[] = [];
  let unresolved = 0;
  let ts = minTs;
  const text = (): string | undefined => {
    const i = reader.varint();
    if (i >= dict.length) throw new FormatError(`string index ${i} beyond the dictionary (${dict.length} strings)`);
    return dict[i];
  };
  for (let n = 0; n < count; n++) {
    const tag = reader.byte();
    const kind = tag & 0x03;
    const subject = text();
    ts += reader.zigzag();
    if (kind === RECORD_KIND.sample) {
      const quality = QUALITY_BY_CODE[(tag >> 2) & 0x03] ?? 'good';
      const valueType = (tag >> 4) & 0x07;
      let value: PointValue | null | undefined;
      switch (valueType) {
        case VALUE_TYPE.null:
          value = null;
          break;
        case VALUE_TYPE.false:
          value = false;
          break;
        case VALUE_TYPE.true:
          value = true;
          break;
        case VALUE_TYPE.int:
          value = reader.zigzag();
          break;
        case VALUE_TYPE.f64:
          value = reader.f64();
          break;
        case VALUE_TYPE.stringRef:
          value = text();
          break;
        default:
          throw new FormatError(`unknown value type ${valueType} in record ${n}`);
      }
      const error = (tag & TAG_HAS_ERROR) !== 0 ? text() : null;
      if (subject === undefined || value === undefined || error === undefined) {
        unresolved++;
        continue;
      }
      entries.push(error === null ? { point: subject, value, ts, quality } : { point: subject, value, ts, quality, error });
    } else if (kind === RECORD_KIND.status) {
      const error = (tag & TAG_HAS_ERROR) !== 0 ? text() : null;
      if (subject === undefined || error === undefined) {
        unresolved++;
        continue;
      }
      const online = (tag & (1 << 2)) !== 0;
      entries.push({ kind: 'status', status: error === null ? { device: subject, online, ts } : { device: subject, online, ts, error } });
    } else if (kind === RECORD_KIND.event) {
      const name = text();
      const attributes = parseAttributes(reader.string(), n);
      if (subject === undefined || name === undefined) {
        unresolved++;
        continue;
      }
      entries.push({ kind: 'event', event: { device: subject, event: name, ts, attributes } });
    } else {
      throw new FormatError(`unknown record kind ${kind} in record ${n}`);
    }
  }
  if (reader.remaining !== 0) throw new FormatError(`${reader.remaining} bytes left over after ${count} records`);
  return { entries, unresolved };
}

function parseAttributes(json: string, n: number): Record<string, PointValue> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new FormatError(`event attributes of record ${n} are not JSON`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new FormatError(`event attributes of record ${n} are not an object`);
  return parsed as Record<string, PointValue>;
}
