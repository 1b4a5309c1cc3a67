import type { RecordedEntry } from '../recording/format.js';

/**
 * Where a back-test reads history from: a recording directory or InfluxDB. Both give the same entries the
 * rule engine reads live (samples, and where the source has them, device status changes and events), in
 * time order, in batches.
 */
export interface HistorySource {
  /** For the report: what was read (a directory, a database). */
  readonly description: string;
  /** The entries with from <= ts < to, in time order (ties in recording order). */
  read(from: number, to: number): AsyncIterable<readonly RecordedEntry[]>;
  /** What the reader had to skip or cannot provide (damaged files, kinds of entry the source lacks), as lines. */
  warnings(): string[];
}
