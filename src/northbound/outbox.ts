/**
 * What waits for the broker between the gateway's events and the MQTT client, with the bound that keeps a
 * broker outage from growing memory without limit.
 *
 * Two kinds of content wait differently:
 * - Retained state (device states, point values) waits as one entry per topic. The entry is the caller's
 *   record, whose `payload` is read when it leaves, so a newer value replaces the waiting one at no cost:
 *   an outage costs memory per point, not per poll.
 * - Transitions (alarm raises and clears) and device events wait in order, since each one matters.
 *
 * They leave in this order: alarm transitions, device states, device events, point values. Past `maxQueued`
 * the oldest waiting point value is dropped first, then the oldest device event; alarm transitions and
 * device states are never dropped (device states are one per device; alarms are rare by design, with
 * deadbands and delays), so only they can take the outbox past its bound.
 */

/** The latest retained state of one topic. */
export interface StateEntry {
  readonly topic: string;
  /** JSON of the latest state; read when the entry leaves. */
  payload: string;
}

export interface OutboxMessage<P extends StateEntry> {
  topic: string;
  payload: string;
  retain: boolean;
  /** The point entry a point value came from. */
  point?: P;
}

export class Outbox<P extends StateEntry> {
  private readonly alarms: Array<OutboxMessage<P>> = [];
  private readonly deviceStates = new Set<StateEntry>();
  private readonly events: Array<OutboxMessage<P>> = [];
  /** Sets keep insertion order: the first entry is the one waiting longest. */
  private readonly points = new Set<P>();
  private droppedCount = 0;

  /**
   * @param maxQueued - most messages held before point values, then device events, are dropped.
   * @param onDrop - told of each drop: the point whose value was dropped, or undefined for a device event.
   */
  constructor(
    private readonly maxQueued: number,
    private readonly onDrop: (point: P | undefined) => void,
  ) {
    if (!Number.isInteger(maxQueued) || maxQueued < 1) throw new RangeError(`maxQueued must be a positive integer, got ${maxQueued}`);
  }

  get size(): number {
    return this.alarms.length + this.deviceStates.size + this.events.length + this.points.size;
  }

  /** Messages dropped so far to stay within the bound (never decreases). */
  get dropped(): number {
    return this.droppedCount;
  }

  hasPoint(point: P): boolean {
    return this.points.has(point);
  }

  /** Topics with an alarm transition waiting. */
  alarmTopics(): Set<string> {
    return new Set(this.alarms.map((m) => m.topic));
  }

  addAlarm(message: OutboxMessage<P>): void {
    this.alarms.push(message);
    this.enforceBound();
  }

  /** Queues a device's state; a no-op when it waits already (it leaves with its payload of then). */
  addDeviceState(entry: StateEntry): void {
    this.deviceStates.add(entry);
    this.enforceBound();
  }

  addEvent(message: OutboxMessage<P>): void {
    this.events.push(message);
    this.enforceBound();
  }

  /** Queues a point's value; a no-op when it waits already (it keeps its place and leaves with its payload of then). */
  addPoint(point: P): void {
    this.points.add(point);
    this.enforceBound();
  }

  /** Removes and returns the next message to send, or undefined when nothing waits. */
  take(): OutboxMessage<P> | undefined {
    const alarm = this.alarms.shift();
    if (alarm !== undefined) return alarm;
    const device = first(this.deviceStates);
    if (device !== undefined) {
      this.deviceStates.delete(device);
      return { topic: device.topic, payload: device.payload, retain: true };
    }
    const event = this.events.shift();
    if (event !== undefined) return event;
    const point = first(this.points);
    if (point === undefined) return undefined;
    this.points.delete(point);
    return { topic: point.topic, payload: point.payload, retain: true, point };
  }

  /** Empties the outbox; returns how many messages it held. They are not counted as dropped here. */
  clear(): number {
    const size = this.size;
    this.alarms.length = 0;
    this.deviceStates.clear();
    this.events.length = 0;
    this.points.clear();
    return size;
  }

  private enforceBound(): void {
    while (this.size > this.maxQueued) {
      const point = first(this.points);
      if (point !== undefined) this.points.delete(point);
      else if (this.events.shift() === undefined) return; // only alarm transitions and device states left
      this.droppedCount++;
      this.onDrop(point);
    }
  }
}

function first<T>(set: Set<T>): T | undefined {
  for (const item of set) return item;
  return undefined;
}
