import type { PointKind } from '../profiles/types.js';
import type { Sample } from './sample.js';

/** What the gateway knows about a point apart from its value. */
export interface PointMeta {
  id: string;
  device: string;
  name: string;
  kind: PointKind;
  unit?: string;
  description?: string;
  states?: Record<number, string>;
}

/**
 * The latest sample of every point: the one place the API, the rules and the dashboards read "now" from.
 * `update` is on the hot path (every sample of every poll), so it does a map lookup and a field copy.
 */
export class PointTable {
  private readonly latest = new Map<string, Sample>();
  private readonly meta = new Map<string, PointMeta>();

  define(meta: PointMeta): void {
    this.meta.set(meta.id, meta);
  }

  /** Stores the sample; returns true when value or quality differs from the previous one. */
  update(sample: Sample): boolean {
    const prev = this.latest.get(sample.point);
    if (!prev) {
      this.latest.set(sample.point, { ...sample });
      return true;
    }
    const changed = prev.value !== sample.value || prev.quality !== sample.quality;
    prev.value = sample.value;
    prev.ts = sample.ts;
    prev.quality = sample.quality;
    if (sample.error === undefined) delete prev.error;
    else prev.error = sample.error;
    return changed;
  }

  get(pointId: string): Readonly<Sample> | undefined {
    return this.latest.get(pointId);
  }

  getMeta(pointId: string): PointMeta | undefined {
    return this.meta.get(pointId);
  }

  /** Points of one device, in definition order, with their latest sample (if any). */
  pointsOf(deviceId: string): Array<{ meta: PointMeta; sample: Readonly<Sample> | undefined }> {
    const out: Array<{ meta: PointMeta; sample: Readonly<Sample> | undefined }> = [];
    for (const meta of this.meta.values()) {
      if (meta.device === deviceId) out.push({ meta, sample: this.latest.get(meta.id) });
    }
    return out;
  }

  /** Copies of the latest sample of every point (a rule reload judges new rules against them). */
  samples(): Sample[] {
    return [...this.latest.values()].map((s) => ({ ...s }));
  }

  size(): number {
    return this.latest.size;
  }
}
