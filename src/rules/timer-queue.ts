import type { Clock, TimerHandle } from '../time/clock.js';

/**
 * Something that waits for a deadline: a threshold's on/off delay, a device's communication-loss delay, the
 * moment an event rule's window drops below its count.
 * The queue owns `dueAt`, `seq` and `heapIndex`; the owner only reads `heapIndex >= 0` ("is waiting").
 */
export interface Timed {
  /** Clock time (ms since epoch) at which `fire` is due. */
  dueAt: number;
  /** Schedule order, so that timers due at the same time fire in the order they were set. */
  seq: number;
  /** Position in the queue's heap, or -1 when not scheduled. */
  heapIndex: number;
  fire(now: number): void;
}

export interface TimerQueueContext {
  clock: Clock;
  /** Called when a `fire` throws (a bug in a rule); the other due timers still fire. */
  onFireError: (err: unknown, timed: Timed) => void;
}

/**
 * Every delay of the rule engine in one indexed min-heap, with a single Clock timer armed for the earliest
 * deadline. Why not one Clock timer per rule: with 20,000 rules a Clock timer per pending delay costs a
 * closure and a Node timer on the SystemClock, and the VirtualClock scans all its timers to find the next
 * one; here scheduling and cancelling is O(log n) without allocation, and the Clock sees at most one timer.
 *
 * Invariant (outside `fireDue`): the Clock timer is armed exactly when the heap is not empty, for the
 * deadline of the heap's top.
 */
export class TimerQueue {
  private readonly clock: Clock;
  private readonly onFireError: TimerQueueContext['onFireError'];
  private readonly heap: Timed[] = [];
  private handle: TimerHandle | undefined;
  private armedAtMs = Number.POSITIVE_INFINITY;
  private nextSeq = 0;
  private firing = false;
  /** Bound once, so arming the Clock allocates no closure. */
  private readonly onClockTimer = (): void => this.fireDue();

  constructor(ctx: TimerQueueContext) {
    this.clock = ctx.clock;
    this.onFireError = ctx.onFireError;
  }

  /** Schedules (or reschedules) `timed` to fire at `dueAt`. */
  schedule(timed: Timed, dueAt: number): void {
    if (timed.heapIndex >= 0) this.removeAt(timed.heapIndex);
    timed.dueAt = dueAt;
    timed.seq = this.nextSeq++;
    timed.heapIndex = this.heap.length;
    this.heap.push(timed);
    this.siftUp(timed.heapIndex);
    this.rearm();
  }

  /** Removes `timed` if it is waiting; a no-op otherwise. */
  cancel(timed: Timed): void {
    if (timed.heapIndex < 0) return;
    this.removeAt(timed.heapIndex);
    this.rearm();
  }

  /**
   * Fires at once whatever is due by the clock's time now (after a restore put deadlines in the past),
   * instead of waiting for the Clock timer; a no-op while firing.
   */
  runDue(): void {
    if (this.firing) return;
    if (this.handle !== undefined) this.clock.clearTimeout(this.handle);
    this.handle = undefined;
    this.armedAtMs = Number.POSITIVE_INFINITY;
    this.fireDue();
  }

  /** Timers waiting to fire. */
  size(): number {
    return this.heap.length;
  }

  /** Drops every waiting timer and disarms the Clock (engine shutdown). */
  clear(): void {
    for (const timed of this.heap) timed.heapIndex = -1;
    this.heap.length = 0;
    this.rearm();
  }

  private fireDue(): void {
    this.handle = undefined;
    this.armedAtMs = Number.POSITIVE_INFINITY;
    this.firing = true;
    try {
      const now = this.clock.now();
      for (;;) {
        const top = this.heap[0];
        // A real clock may wake a little early; whatever is not due yet is re-armed below.
        if (top === undefined || top.dueAt > now) break;
        this.removeAt(0);
        try {
          top.fire(now);
        } catch (err) {
          this.onFireError(err, top);
        }
      }
    } finally {
      this.firing = false;
      this.rearm();
    }
  }

  private rearm(): void {
    // While firing, rules may schedule or cancel; arm once when the batch is done.
    if (this.firing) return;
    const top = this.heap[0];
    if (top === undefined) {
      if (this.handle !== undefined) this.clock.clearTimeout(this.handle);
      this.handle = undefined;
      this.armedAtMs = Number.POSITIVE_INFINITY;
      return;
    }
    if (this.handle !== undefined && top.dueAt === this.armedAtMs) return;
    if (this.handle !== undefined) this.clock.clearTimeout(this.handle);
    this.armedAtMs = top.dueAt;
    this.handle = this.clock.setTimeout(this.onClockTimer, top.dueAt - this.clock.now());
  }

  private removeAt(index: number): void {
    const heap = this.heap;
    const removed = heap[index];
    const last = heap.pop();
    if (removed === undefined || last === undefined) return;
    removed.heapIndex = -1;
    if (index === heap.length) return; // it was the last element
    heap[index] = last;
    last.heapIndex = index;
    this.siftUp(index);
    this.siftDown(last.heapIndex);
  }

  private siftUp(start: number): void {
    const heap = this.heap;
    let index = start;
    const item = heap[index];
    if (item === undefined) return;
    while (index > 0) {
      const parentIndex = (index - 1) >> 1;
      const parent = heap[parentIndex];
      if (parent === undefined || !earlier(item, parent)) break;
      heap[index] = parent;
      parent.heapIndex = index;
      index = parentIndex;
    }
    heap[index] = item;
    item.heapIndex = index;
  }

  private siftDown(start: number): void {
    const heap = this.heap;
    const length = heap.length;
    let index = start;
    const item = heap[index];
    if (item === undefined) return;
    for (;;) {
      const leftIndex = 2 * index + 1;
      if (leftIndex >= length) break;
      const left = heap[leftIndex];
      const right = heap[leftIndex + 1];
      if (left === undefined) break;
      let childIndex = leftIndex;
      let child = left;
      if (right !== undefined && earlier(right, left)) {
        childIndex = leftIndex + 1;
        child = right;
      }
      if (!earlier(child, item)) break;
      heap[index] = child;
      child.heapIndex = index;
      index = childIndex;
    }
    heap[index] = item;
    item.heapIndex = index;
  }
}

function earlier(a: Timed, b: Timed): boolean {
  return a.dueAt < b.dueAt || (a.dueAt === b.dueAt && a.seq < b.seq);
}
