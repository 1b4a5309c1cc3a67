/**
 * Paces the replay of a spool's backlog: a token bucket that fills at `linesPerSecond` and holds one replay
 * batch at most, so that after an outage the backlog goes out steadily, beside live lines, rather than in one
 * burst that starves them (and every gateway's burst at once hits a server that has just come back).
 */
export class ReplayPacer {
  /** Most lines per replay batch: the sink's batch size, or one second's worth when that is smaller. */
  readonly batchLines: number;
  private tokens: number;
  private updatedAt: number;

  constructor(
    private readonly linesPerSecond: number,
    batchSize: number,
    now: number,
  ) {
    if (!(linesPerSecond > 0)) throw new RangeError(`replay rate must be positive, got ${linesPerSecond}`);
    this.batchLines = Math.max(1, Math.min(batchSize, Math.floor(linesPerSecond)));
    this.tokens = this.batchLines;
    this.updatedAt = now;
  }

  /** When a batch of `wanted` lines (capped at batchLines) may go: now, or when enough tokens have come. */
  dueAt(wanted: number, now: number): number {
    this.refill(now);
    const need = Math.min(wanted, this.batchLines);
    if (this.tokens >= need) return now;
    return now + Math.ceil(((need - this.tokens) * 1000) / this.linesPerSecond);
  }

  /** How many lines may go now. */
  allowance(now: number): number {
    this.refill(now);
    return Math.floor(this.tokens);
  }

  /** Spends tokens for lines just taken. */
  consume(lines: number, now: number): void {
    this.refill(now);
    this.tokens -= lines;
  }

  private refill(now: number): void {
    const elapsedMs = Math.max(0, now - this.updatedAt);
    this.tokens = Math.min(this.batchLines, this.tokens + (elapsedMs * this.linesPerSecond) / 1000);
    this.updatedAt = now;
  }
}
