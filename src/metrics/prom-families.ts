import { Counter, Gauge, type Histogram, type Registry } from 'prom-client';
import type { HistogramSnapshot } from './rule-timing.js';

/**
 * Metric families whose values are read at scrape time from snapshots the gateway already keeps, instead of
 * being counted a second time on the hot path. Each collect() starts from an empty family and sets every
 * series the snapshot has, so a device or sink that is gone (after a reload) disappears from the output.
 *
 * Monotonic figures (requests, errors, lines written) are prom-client Counters: `reset()` then `inc(value)`
 * sets them to the snapshot's value, and the `# TYPE` line says `counter`, which is what `rate()` expects.
 * A gateway restart or a driver rebuilt on reload starts them from zero again, which Prometheus treats as
 * an ordinary counter reset.
 */

/** Hands one series (its label values and its value) to a family being collected. */
export type EmitSeries<L extends string> = (labels: Readonly<Record<L, string>>, value: number) => void;

export interface FamilySpec<L extends string> {
  registry: Registry;
  name: string;
  help: string;
  labelNames: readonly L[];
  /** Called at each scrape; calls `emit` once per series. */
  read: (emit: EmitSeries<L>) => void;
}

/**
 * The usual `read` of a family: one series per item of a snapshot list, labelled by `labels`; items whose
 * `value` is undefined are left out (a sink without a spool has no spool series).
 */
export function seriesOf<T, L extends string>(
  items: () => Iterable<T>,
  labels: (item: T) => Readonly<Record<L, string>>,
  value: (item: T) => number | undefined,
): (emit: EmitSeries<L>) => void {
  return (emit) => {
    for (const item of items()) {
      const v = value(item);
      if (v !== undefined) emit(labels(item), v);
    }
  };
}

/** A list of the value when there is one: a family of one series that is absent when its source is. */
export function presentOnly<T>(value: T | undefined): T[] {
  return value === undefined ? [] : [value];
}

/** A counter family set from a snapshot. Values that are not finite non-negative numbers are left out. */
export function snapshotCounter<L extends string>(spec: FamilySpec<L>): Counter<L> {
  const { read } = spec;
  return new Counter<L>({
    name: spec.name,
    help: spec.help,
    labelNames: spec.labelNames,
    registers: [spec.registry],
    collect() {
      this.reset();
      let emitted = false;
      read((labels, value) => {
        // inc() throws on a negative or non-finite value; a broken snapshot must not break the whole scrape.
        if (!Number.isFinite(value) || value < 0) return;
        this.inc(labels, value);
        emitted = true;
      });
      // reset() gives a family without labels a 0 series; with nothing to report it must have none.
      if (!emitted) this.remove({});
    },
  });
}

/** A gauge family set from a snapshot. Non-finite values are left out. */
export function snapshotGauge<L extends string>(spec: FamilySpec<L>): Gauge<L> {
  const { read } = spec;
  return new Gauge<L>({
    name: spec.name,
    help: spec.help,
    labelNames: spec.labelNames,
    registers: [spec.registry],
    collect() {
      this.reset();
      let emitted = false;
      read((labels, value) => {
        if (!Number.isFinite(value)) return;
        this.set(labels, value);
        emitted = true;
      });
      if (!emitted) this.remove({});
    },
  });
}

/** One exposed value, in the shape prom-client's registry formats (`metricName` overrides the family name). */
interface ExposedValue {
  labels: Record<string, string | number>;
  value: number;
  metricName: string;
}

/**
 * Registers a histogram whose counts live elsewhere (in RuleTiming, filled without allocation on the hot
 * path). prom-client's own Histogram can only be fed through `observe()`, one call per observation, so this
 * is a small object with the members the registry reads (`name`, `help`, `type`, `aggregator`, `get()`,
 * `reset()`), producing the same `_bucket` / `_sum` / `_count` series prom-client's Histogram does. The
 * registry accepts any such object at run time; its typings name only its own classes, hence the cast.
 */
export function registerSnapshotHistogram(spec: {
  registry: Registry;
  name: string;
  help: string;
  snapshot: () => HistogramSnapshot;
  reset: () => void;
}): void {
  const { name, help, snapshot, reset } = spec;
  const family = {
    name,
    help,
    type: 'histogram',
    aggregator: 'sum',
    labelNames: [] as string[],
    get: async () => ({ name, help, type: 'histogram', aggregator: 'sum', values: histogramValues(name, snapshot()) }),
    reset,
  };
  spec.registry.registerMetric(family as unknown as Histogram);
}

function histogramValues(name: string, snap: HistogramSnapshot): ExposedValue[] {
  const bucketName = `${name}_bucket`;
  const values: ExposedValue[] = snap.bounds.map((bound, i) => ({ labels: { le: bound }, value: snap.cumulative[i] ?? 0, metricName: bucketName }));
  values.push(
    { labels: { le: '+Inf' }, value: snap.count, metricName: bucketName },
    { labels: {}, value: snap.sum, metricName: `${name}_sum` },
    { labels: {}, value: snap.count, metricName: `${name}_count` },
  );
  return values;
}
