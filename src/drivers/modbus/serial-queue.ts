import type { Clock } from '../../time/clock.js';

/**
 * One request at a time per link. RTU buses are half-duplex and most Modbus TCP gateways serve one
 * transaction at a time, so every request of a link goes through one of these queues, first in first out.
 * An optional pause between two requests gives slow serial gateways time to turn the line around.
 */
export interface SerialQueueOptions {
  clock: Clock;
  /** Pause between the end of one request and the start of the next. Default 0. */
  interRequestDelayMs?: number;
}

interface Job {
  task: () => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (reason: unknown) => void;
}

export class SerialQueue {
  private readonly clock: Clock;
  private readonly interRequestDelayMs: number;
  private readonly waiting: Job[] = [];
  private active = false;
  /** When the last request finished; the inter-request pause counts from here. */
  private lastEndAt = Number.NEGATIVE_INFINITY;

  constructor(options: SerialQueueOptions) {
    this.clock = options.clock;
    this.interRequestDelayMs = Math.max(0, options.interRequestDelayMs ?? 0);
  }

  /** Requests waiting for their turn (not counting the one running). */
  get depth(): number {
    return this.waiting.length;
  }

  /** Whether a request is running (or the queue is pausing between two). */
  get busy(): boolean {
    return this.active;
  }

  /** Runs `task` once every earlier task has settled; resolves or rejects with its outcome. */
  run<T>(task: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.waiting.push({ task, resolve: resolve as (value: unknown) => void, reject });
      void this.drain();
    });
  }

  /** Rejects every waiting task (the running one finishes on its own), e.g. when the link stops. */
  clear(reason: Error): void {
    for (const job of this.waiting.splice(0)) job.reject(reason);
  }

  private async drain(): Promise<void> {
    if (this.active) return;
    this.active = true;
    try {
      while (this.waiting.length > 0) {
        const pauseMs = this.lastEndAt + this.interRequestDelayMs - this.clock.now();
        if (pauseMs > 0) {
          await this.clock.sleep(pauseMs);
          // clear() may have emptied the queue during the pause: look again.
          continue;
        }
        // Taken synchronously, so `depth` counts only tasks that are really waiting.
        const job = this.waiting.shift();
        if (job === undefined) break;
        try {
          job.resolve(await job.task());
        } catch (err) {
          job.reject(err);
        }
        this.lastEndAt = this.clock.now();
      }
    } finally {
      this.active = false;
    }
  }
}
