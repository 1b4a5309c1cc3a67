import type { RecordedEntry } from '../recording/format.js';
import { describeDamage, RecordingReader, type RecordingDamage } from '../recording/recording-reader.js';
import type { HistorySource } from './history-source.js';

/**
 * History from a recording directory (src/recording). Damaged files do not stop the back-test: the readable
 * part is replayed and each damage becomes a warning naming the file, the byte offset and the block.
 */
export class RecordingSource implements HistorySource {
  readonly description: string;
  private readonly damage: RecordingDamage[] = [];

  constructor(private readonly dir: string) {
    this.description = `recording ${dir}`;
  }

  async *read(from: number, to: number): AsyncIterable<readonly RecordedEntry[]> {
    const reader = await RecordingReader.fromDirectory(this.dir, { from, to, onDamage: (d) => this.damage.push(d) });
    yield* reader.batches();
  }

  damages(): readonly RecordingDamage[] {
    return this.damage;
  }

  warnings(): string[] {
    return this.damage.map((d) => `damaged recording: ${describeDamage(d)}`);
  }
}
