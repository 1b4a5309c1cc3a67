import type { PointValue } from '../../points/sample.js';
import type { ModbusPointDef } from '../../profiles/types.js';

/** Smallest normal magnitudes: a non-zero float below them is a subnormal, which no sensor reports. */
const FLOAT32_MIN_NORMAL = 1.1754943508222875e-38;
const FLOAT64_MIN_NORMAL = 2.2250738585072014e-308;

/**
 * Why a decoded value cannot be trusted, or undefined. A float read in the wrong word order lands here:
 * its exponent comes from mantissa bits, so it decodes either far outside the point's range or as a
 * subnormal (4.5 bar served CDAB and read ABCD is 2.3e-41). A wrong order that still decodes to a
 * plausible in-range number cannot be told apart from a real reading.
 */
export function valueProblem(def: ModbusPointDef, value: PointValue): string | undefined {
  if (typeof value !== 'number') return undefined;
  if (!Number.isFinite(value)) return `not a finite number: ${value}`;
  const unit = def.unit === undefined ? '' : ` ${def.unit}`;
  if (def.type === 'float32' || def.type === 'float64') {
    const raw = (value - (def.offset ?? 0)) / (def.scale ?? 1);
    const minNormal = def.type === 'float32' ? FLOAT32_MIN_NORMAL : FLOAT64_MIN_NORMAL;
    if (raw !== 0 && Math.abs(raw) < minNormal) return `implausible: ${formatNumber(value)}${unit} is a subnormal float (wrong word order?)`;
  }
  const { range } = def;
  if (range === undefined || (value >= range.min && value <= range.max)) return undefined;
  return `out of range: ${formatNumber(value)} not in [${range.min}, ${range.max}]${unit}`;
}

/** Six significant digits are plenty to recognise a wrong value in a log or an error. */
function formatNumber(value: number): string {
  return String(Number(value.toPrecision(6)));
}
