/**
 * A Sample is one reading of one point. Quality travels with every value into the point table, the rules
 * and InfluxDB, so that nothing downstream judges a bad or stale value as if it were good.
 */
export type Quality = 'good' | 'uncertain' | 'bad' | 'stale';

export type PointValue = number | boolean | string;

export interface Sample {
  /** Point id: `<deviceId>.<pointName>`. */
  point: string;
  /** Engineering value (scaled), or null when no value could be read. */
  value: PointValue | null;
  /** Milliseconds since the Unix epoch, from the gateway's clock. */
  ts: number;
  quality: Quality;
  /** Why the quality is not good, when known (e.g. "timeout after 1000 ms"). */
  error?: string;
}

export function pointId(deviceId: string, pointName: string): string {
  return `${deviceId}.${pointName}`;
}

export function splitPointId(id: string): { device: string; point: string } {
  const dot = id.indexOf('.');
  if (dot < 0) return { device: id, point: '' };
  return { device: id.slice(0, dot), point: id.slice(dot + 1) };
}

/** Numeric view of a value for threshold rules: booleans become 1/0; strings and null are not numeric. */
export function numericValue(value: PointValue | null): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'boolean') return value ? 1 : 0;
  return undefined;
}
