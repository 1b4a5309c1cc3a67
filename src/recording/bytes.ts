/**
 * Growable byte writer and bounds-checked reader for the recording format: unsigned LEB128 varints (up to
 * 2^53, since timestamps are ms since the epoch), zigzag for signed deltas, little-endian f64, and strings
 * as a varint length followed by UTF-8.
 */

const TWO_POW_31 = 2 ** 31;

export class ByteWriter {
  private buf: Buffer;
  private pos = 0;

  constructor(initialBytes = 4096) {
    this.buf = Buffer.allocUnsafe(initialBytes);
  }

  get length(): number {
    return this.pos;
  }

  /** The bytes written so far (a view: copy it before writing on). */
  view(): Buffer {
    return this.buf.subarray(0, this.pos);
  }

  reset(): void {
    this.pos = 0;
  }

  byte(value: number): void {
    this.ensure(1);
    this.buf[this.pos++] = value;
  }

  /** An unsigned integer from 0 to 2^53 − 1. */
  varint(value: number): void {
    this.ensure(8);
    let n = value;
    if (n < TWO_POW_31) {
      while (n >= 0x80) {
        this.buf[this.pos++] = (n & 0x7f) | 0x80;
        n >>>= 7;
      }
      this.buf[this.pos++] = n;
      return;
    }
    // Past 31 bits the bitwise operators would truncate: divide instead.
    while (n >= 0x80) {
      this.buf[this.pos++] = (n % 0x80) | 0x80;
      n = Math.floor(n / 0x80);
    }
    this.buf[this.pos++] = n;
  }

  /** A signed integer within ±2^52, zigzag-encoded so small magnitudes of either sign stay short. */
  zigzag(value: number): void {
    this.varint(value >= 0 ? value * 2 : -value * 2 - 1);
  }

  f64(value: number): void {
    this.ensure(8);
    this.buf.writeDoubleLE(value, this.pos);
    this.pos += 8;
  }

  string(value: string): void {
    const bytes = Buffer.byteLength(value, 'utf8');
    this.varint(bytes);
    this.ensure(bytes);
    this.buf.write(value, this.pos, 'utf8');
    this.pos += bytes;
  }

  private ensure(extra: number): void {
    // Varints of 2^53 take 8 bytes; `ensure(8)` before each one keeps the write in bounds.
    if (this.pos + extra + 2 <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + extra + 64));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }
}

/** Thrown by ByteReader on bytes that cannot be what the writer wrote; the decoder turns it into damage. */
export class FormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FormatError';
  }
}

export class ByteReader {
  pos: number;

  constructor(
    private readonly buf: Buffer,
    start = 0,
    private readonly end = buf.length,
  ) {
    this.pos = start;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  byte(): number {
    if (this.pos >= this.end) throw new FormatError('unexpected end of data');
    return this.buf[this.pos++] ?? 0;
  }

  varint(): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      if (this.pos >= this.end) throw new FormatError('unexpected end of data in a varint');
      const b = this.buf[this.pos++] ?? 0;
      result += (b & 0x7f) * scale;
      if (b < 0x80) return result;
      scale *= 0x80;
    }
    throw new FormatError('varint longer than 8 bytes');
  }

  zigzag(): number {
    const n = this.varint();
    return n % 2 === 0 ? n / 2 : -(n + 1) / 2;
  }

  f64(): number {
    if (this.pos + 8 > this.end) throw new FormatError('unexpected end of data in a number');
    const value = this.buf.readDoubleLE(this.pos);
    this.pos += 8;
    return value;
  }

  string(): string {
    const bytes = this.varint();
    if (this.pos + bytes > this.end) throw new FormatError(`string of ${bytes} bytes runs past the end of the data`);
    const value = this.buf.toString('utf8', this.pos, this.pos + bytes);
    this.pos += bytes;
    return value;
  }
}
