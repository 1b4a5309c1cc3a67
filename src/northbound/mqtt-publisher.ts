import type { AlarmEvent } from '../alarms/events.js';
import type { MqttLinkConfig } from '../config/schema.js';
import type { DeviceStatusEvent } from '../drivers/driver.js';
import type { EventBus } from '../events/event-bus.js';
import type { GatewayEvents } from '../gateway/gateway.js';
import type { Logger } from '../log.js';
import type { DeviceEvent } from '../points/device-event.js';
import { splitPointId, type PointValue, type Quality, type Sample } from '../points/sample.js';
import type { Clock, TimerHandle } from '../time/clock.js';
import { MqttChannel } from './mqtt-channel.js';
import { Outbox, type OutboxMessage, type StateEntry } from './outbox.js';
import { NorthboundTopics } from './topics.js';

/**
 * Publishes the gateway's picture to MQTT for a BMS or another dashboard (topic scheme in topics.ts):
 * device states, point values and active alarms as retained messages, so that a consumer that subscribes
 * late gets the current picture at once; device events as plain messages.
 *
 * - Hot path: 'samples' arrive for every poll of every device. A point is published only when its value or
 *   quality changed, checked with one Map lookup; and at most once per `pointMinIntervalMs`: changes in
 *   between replace the waiting one, and the latest leaves when the interval ends.
 * - Messages wait in a bounded outbox (outbox.ts) until the channel (mqtt-channel.ts) has room in its
 *   in-flight window; a point dropped from the outbox goes out again at its next sample, changed or not.
 * - After every reconnect the whole retained picture goes again: a broker that restarted without
 *   persistence (or a fail-over to another node) has lost it, and an unchanging point would otherwise stay
 *   missing. QoS 1 is at-least-once anyway, so consumers already accept a repeated message.
 * - Never blocks or fails the gateway: start() returns at once and reconnecting goes on in the background.
 *   What waits lives in memory only.
 */
export interface NorthboundPublisherContext {
  siteId: string;
  /** Topic prefix from the config; the site id follows it. */
  prefix: string;
  qos: 0 | 1;
  /** The broker: the link's URL, or the embedded broker's. */
  brokerUrl: string;
  /** The MQTT link whose credentials, TLS files, client id and timings are used; absent for the embedded broker. */
  link?: MqttLinkConfig;
  clock: Clock;
  /** Already named for this module by the caller (`logger.child({ module: 'northbound' })`). */
  logger: Logger;
  /** Shortest time between two messages of one point, ms; 0 publishes every change. Default 1000. */
  pointMinIntervalMs?: number;
  /** The unit of a point (`<deviceId>.<pointName>`), added to its payload; asked once per point. */
  units?: (pointId: string) => string | undefined;
  /** Most messages waiting in the outbox before the oldest point updates are dropped. Default 10 000. */
  maxQueued?: number;
  /** Most messages handed to MQTT.js and not yet acknowledged. Default 100. */
  maxInFlight?: number;
  /** Longest stop() spends delivering what waits and the `offline` status, ms. Default 3000. */
  stopDeadlineMs?: number;
}

/** For /health. Counters run from start-up. */
export interface NorthboundStatus {
  connected: boolean;
  /** Messages the broker acknowledged (QoS 1) or that were written to it (QoS 0). */
  published: number;
  /** Messages given up: past `maxQueued`, failed, or still waiting at stop. */
  dropped: number;
  /** Messages waiting for the broker: in the outbox, in flight, or to go again after a reconnect. */
  queued: number;
  lastError: string | null;
}

const OWNER = 'northbound';
const DEFAULT_POINT_MIN_INTERVAL_MS = 1000;
const DEFAULT_MAX_QUEUED = 10_000;
const DEFAULT_MAX_IN_FLIGHT = 100;
const DEFAULT_STOP_DEADLINE_MS = 3000;
/** After the first, drops are logged once per this many, so that a long outage does not flood the log. */
const DROP_LOG_EVERY = 1000;

interface DeviceRecord extends StateEntry {
  state: 'online' | 'offline' | undefined;
  /** Last sample with a value, or the last online event, ms since epoch. */
  lastSeen: number | null;
}

/** One point's part of the picture: what was last accepted for publishing, and its rate limit. */
interface PointRecord extends StateEntry {
  readonly unit: string | undefined;
  readonly device: DeviceRecord;
  value: PointValue | null;
  /** Undefined before the first sample, and after a drop: the next sample then goes through, changed or not. */
  quality: Quality | undefined;
  /** The earliest time this point's next message may leave. */
  nextSendAt: number;
  /** Set while the rate limit holds a change back. */
  releaseTimer: TimerHandle | undefined;
}

type Message = OutboxMessage<PointRecord>;

export class NorthboundPublisher {
  private readonly ctx: NorthboundPublisherContext;
  private readonly topics: NorthboundTopics;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly pointMinIntervalMs: number;
  private readonly stopDeadlineMs: number;
  private readonly outbox: Outbox<PointRecord>;
  private readonly channel: MqttChannel;

  /** The retained picture, kept to compare samples against and to publish again after a reconnect. */
  private readonly points = new Map<string, PointRecord>();
  private readonly devices = new Map<string, DeviceRecord>();
  /** Topic → payload of the raise, for every active alarm. */
  private readonly activeAlarms = new Map<string, string>();
  /** After a reconnect: the points to publish again, and the index of the next one. */
  private resyncPoints: PointRecord[] = [];
  private resyncNext = 0;

  private bus: EventBus<GatewayEvents> | undefined;
  private stopping = false;
  private undeliveredAtStop = 0;

  constructor(ctx: NorthboundPublisherContext) {
    this.ctx = ctx;
    this.topics = new NorthboundTopics(ctx.prefix, ctx.siteId);
    this.logger = ctx.logger;
    this.clock = ctx.clock;
    this.pointMinIntervalMs = ctx.pointMinIntervalMs ?? DEFAULT_POINT_MIN_INTERVAL_MS;
    this.stopDeadlineMs = ctx.stopDeadlineMs ?? DEFAULT_STOP_DEADLINE_MS;
    this.outbox = new Outbox<PointRecord>(ctx.maxQueued ?? DEFAULT_MAX_QUEUED, (point) => this.onDrop(point));
    this.channel = new MqttChannel({
      brokerUrl: ctx.brokerUrl,
      link: ctx.link,
      clientId: northboundClientId(ctx.siteId, ctx.link),
      statusTopic: this.topics.status,
      qos: ctx.qos,
      maxInFlight: ctx.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT,
      clock: ctx.clock,
      logger: ctx.logger,
      next: () => this.nextMessage(),
      onConnect: (reconnect) => {
        if (reconnect) this.startResync();
      },
    });
  }

  /** Starts connecting in the background. Never rejects: failures are logged and shown in status(). */
  async start(): Promise<void> {
    if (this.stopping) return;
    this.logger.info({ topics: this.topics.all(), pointMinIntervalMs: this.pointMinIntervalMs }, 'northbound publisher starting');
    await this.channel.open();
  }

  /** Subscribes to the gateway's events. Events before the first connection wait in the outbox. */
  attach(bus: EventBus<GatewayEvents>): void {
    this.bus = bus;
    bus.on('samples', OWNER, (samples) => this.onSamples(samples));
    bus.on('alarm', OWNER, (event) => this.onAlarm(event));
    bus.on('deviceStatus', OWNER, (status) => this.onDeviceStatus(status));
    bus.on('deviceEvent', OWNER, (event) => this.onDeviceEvent(event));
  }

  /**
   * Sends what waits (points held by the rate limit included), then `offline` to the status topic, and
   * disconnects, all within `stopDeadlineMs`. Without a connection it just ends: the broker has published
   * the last will. Never rejects.
   */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.bus?.removeOwner(OWNER);
    for (const point of this.points.values()) this.releaseHeld(point);
    await this.channel.close(this.clock.now() + this.stopDeadlineMs);
    // A resync still running only repeated what the broker had; what the outbox holds is lost.
    this.resyncPoints = [];
    this.undeliveredAtStop = this.outbox.clear();
    if (this.undeliveredAtStop > 0) this.logger.warn({ undelivered: this.undeliveredAtStop }, 'northbound publisher stopped with messages undelivered');
    this.logger.info({ published: this.channel.published }, 'northbound publisher stopped');
  }

  status(): NorthboundStatus {
    return {
      connected: this.channel.connected,
      published: this.channel.published,
      dropped: this.outbox.dropped + this.channel.failed + this.undeliveredAtStop,
      queued: this.outbox.size + this.channel.inFlight + (this.resyncPoints.length - this.resyncNext),
      lastError: this.channel.lastError,
    };
  }

  // ---- from the gateway -------------------------------------------------------------------------------

  /** The hot path: one Map lookup per sample; work beyond that only when a value or quality changed. */
  private onSamples(samples: readonly Sample[]): void {
    if (this.stopping) return;
    for (const sample of samples) {
      const point = this.points.get(sample.point) ?? this.addPoint(sample.point);
      if (sample.value !== null && (sample.quality === 'good' || sample.quality === 'uncertain')) point.device.lastSeen = sample.ts;
      if (point.quality === sample.quality && Object.is(point.value, sample.value)) continue;
      point.value = sample.value;
      point.quality = sample.quality;
      const body = { value: sample.value, quality: sample.quality, ts: sample.ts };
      point.payload = JSON.stringify(point.unit === undefined ? body : { ...body, unit: point.unit });
      this.schedulePoint(point);
    }
  }

  private onDeviceStatus(status: DeviceStatusEvent): void {
    if (this.stopping) return;
    const device = this.device(status.device);
    if (status.online) device.lastSeen = Math.max(device.lastSeen ?? status.ts, status.ts);
    const state = status.online ? 'online' : 'offline';
    // Drivers repeat offline events on every failed poll; the topic changes only with the state.
    if (device.state === state) return;
    device.state = state;
    const body = { device: status.device, state, lastSeen: device.lastSeen, ts: status.ts };
    device.payload = JSON.stringify(!status.online && status.error !== undefined ? { ...body, error: status.error } : body);
    this.outbox.addDeviceState(device);
    this.channel.pump();
  }

  private onAlarm(event: AlarmEvent): void {
    if (this.stopping) return;
    const topic = this.topics.alarm(event.device, event.rule);
    const payload = JSON.stringify(event);
    switch (event.type) {
      case 'raise':
        this.activeAlarms.set(topic, payload);
        this.outbox.addAlarm({ topic, payload, retain: true });
        break;
      case 'clear':
        this.activeAlarms.delete(topic);
        // The clear is retained first, so that a crash right after it still leaves the truth on the broker;
        // the empty payload then removes the topic: what stays retained under alarms/ is the active alarms.
        this.outbox.addAlarm({ topic, payload, retain: true });
        this.outbox.addAlarm({ topic, payload: '', retain: true });
        break;
    }
    this.channel.pump();
  }

  private onDeviceEvent(event: DeviceEvent): void {
    if (this.stopping) return;
    this.outbox.addEvent({ topic: this.topics.event(event.device, event.event), payload: JSON.stringify(event), retain: false });
    this.channel.pump();
  }

  // ---- the picture ------------------------------------------------------------------------------------

  private addPoint(id: string): PointRecord {
    const { device, point: name } = splitPointId(id);
    const record: PointRecord = {
      topic: this.topics.point(device, name),
      unit: this.ctx.units?.(id),
      device: this.device(device),
      payload: '',
      value: null,
      quality: undefined,
      nextSendAt: Number.NEGATIVE_INFINITY,
      releaseTimer: undefined,
    };
    this.points.set(id, record);
    return record;
  }

  private device(id: string): DeviceRecord {
    let device = this.devices.get(id);
    if (device === undefined) {
      device = { topic: this.topics.deviceState(id), payload: '', state: undefined, lastSeen: null };
      this.devices.set(id, device);
    }
    return device;
  }

  /** Queues a changed point now, or when its rate-limit interval ends. */
  private schedulePoint(point: PointRecord): void {
    // Already waiting (in the outbox or for its interval): it leaves with the payload just set.
    if (point.releaseTimer !== undefined || this.outbox.hasPoint(point)) return;
    const waitMs = point.nextSendAt - this.clock.now();
    // A wait longer than the interval means the clock went back: the interval does not apply.
    if (waitMs > 0 && waitMs <= this.pointMinIntervalMs) {
      point.releaseTimer = this.clock.setTimeout(() => {
        point.releaseTimer = undefined;
        this.outbox.addPoint(point);
        this.channel.pump();
      }, waitMs);
      return;
    }
    this.outbox.addPoint(point);
    // Pumped per point, not per batch: a batch larger than `maxQueued` must not overflow a free connection.
    this.channel.pump();
  }

  private releaseHeld(point: PointRecord): void {
    if (point.releaseTimer === undefined) return;
    this.clock.clearTimeout(point.releaseTimer);
    point.releaseTimer = undefined;
    this.outbox.addPoint(point);
  }

  /** What the channel sends next: the outbox first, then the picture being sent again. */
  private nextMessage(): Message | undefined {
    const message = this.outbox.take() ?? this.nextResyncMessage();
    // The rate-limit interval starts when a point's message leaves, not when it was queued.
    if (message?.point !== undefined) message.point.nextSendAt = this.clock.now() + this.pointMinIntervalMs;
    return message;
  }

  /**
   * After a reconnect everything that should be retained goes again. Device states and active alarms are
   * few and join the outbox; points follow one at a time as the in-flight window frees, after whatever the
   * outbox holds, so that the picture never takes outbox room from changes (nor is dropped for lack of it).
   */
  private startResync(): void {
    for (const device of this.devices.values()) if (device.payload !== '') this.outbox.addDeviceState(device);
    const queuedAlarms = this.outbox.alarmTopics();
    for (const [topic, payload] of this.activeAlarms) {
      if (!queuedAlarms.has(topic)) this.outbox.addAlarm({ topic, payload, retain: true });
    }
    this.resyncPoints = [...this.points.values()];
    this.resyncNext = 0;
  }

  private nextResyncMessage(): Message | undefined {
    if (this.resyncNext >= this.resyncPoints.length) return undefined;
    while (this.resyncNext < this.resyncPoints.length) {
      const point = this.resyncPoints[this.resyncNext++] as PointRecord;
      // Nothing accepted yet, or a newer value already waits (in the outbox or for its interval).
      if (point.payload === '' || point.releaseTimer !== undefined || this.outbox.hasPoint(point)) continue;
      return { topic: point.topic, payload: point.payload, retain: true, point };
    }
    this.resyncPoints = [];
    this.resyncNext = 0;
    return undefined;
  }

  private onDrop(point: PointRecord | undefined): void {
    // A dropped point is stale on the broker: forget what was accepted, so that its next sample goes out.
    if (point !== undefined) point.quality = undefined;
    const total = this.outbox.dropped;
    if (total === 1 || total % DROP_LOG_EVERY === 0) {
      this.logger.warn({ dropped: total, queued: this.outbox.size }, 'northbound outbox full: dropping the oldest point updates and device events');
    }
  }
}

/**
 * A driver may hold a session on the same link under the link's client id (by default
 * `facility-gw-<site>-<link>`); two clients with one id would take the connection from each other in turn.
 */
function northboundClientId(siteId: string, link: MqttLinkConfig | undefined): string {
  const base = link === undefined ? `facility-gw-${siteId}` : (link.clientId ?? `facility-gw-${siteId}-${link.id}`);
  return `${base}-northbound`;
}
