import type { Logger } from 'pino';
import { DriverOutput } from '../driver-output.js';
import type { MqttLinkConfig } from '../../config/schema.js';
import type { MqttDeviceEntry } from '../../gateway/device-catalog.js';
import type { DeviceEvent } from '../../points/device-event.js';
import type { Sample } from '../../points/sample.js';
import type { Clock } from '../../time/clock.js';
import type { Driver, DriverContext, LinkHealth } from '../driver.js';
import { AvailabilityTracker, readStatus } from './availability.js';
import { DeviceRuntime, type TopicListener } from './device-runtime.js';
import { decodeEvents } from './event-decoder.js';
import { MqttConnection } from './mqtt-connection.js';
import { MessagePayload, type Rejection } from './payload-decoder.js';
import { TopicRouter } from './topic-pattern.js';

export interface MqttDriverOptions {
  link: MqttLinkConfig;
  /** Resolved by the gateway: the link's URL, or the embedded broker's. */
  brokerUrl: string;
  siteId: string;
  /** The devices on this link (each device's `link` must be this link's id). */
  devices: readonly MqttDeviceEntry[];
  context: DriverContext;
}

/** Link-level counters, beyond what LinkHealth carries, for the gateway's /health. */
export interface MqttLinkStats {
  /** Messages received on the link, routed or not. */
  messages: number;
  /** Messages whose topic no device listens on (subscriptions left in the session by an older config, overlapping filters). */
  unmatched: number;
  /** Messages over maxPayloadBytes, rejected before parsing. */
  oversize: number;
  /** SUBSCRIBE rounds acknowledged, and when the last one was. */
  subscribeRounds: number;
  lastSubscribedAt: number | null;
  /** Whether the broker kept the session at the last connect; null before the first. */
  sessionPresent: boolean | null;
}

/**
 * Reads the devices of one MQTT link (one broker connection). Read-only: it never publishes.
 *
 * - Routing: every enabled device's point, event, status and heartbeat topics are compiled to filters and
 *   indexed once; a message finds its listeners with one lookup (see TopicRouter).
 * - Per message: the size check comes first (over maxPayloadBytes: rejected before parsing, counted on the
 *   devices it was for); then every point listening on the topic is decoded (JSON parsed once) and the good
 *   values go out as ONE batch of good samples; matching events go out with their attributes.
 * - A payload that cannot be decoded (not JSON, wrong type, missing field) produces no sample: it says
 *   nothing about the real value, so the point keeps its previous value and quality. It is counted on the
 *   device (errors, consecutiveFailures, state `degraded` while they last) and logged once per change.
 *   A point that only ever gets bad payloads therefore shows up in health, not as a bad point.
 * - Availability: a device with a status topic or heartbeat has its own; one with a parent follows it
 *   (doors follow their controller); any other device is online from its first message. Going offline
 *   emits one status event for that device only and one batch of stale samples (last values kept) for its
 *   points and its followers'. Online again: one status event; values refresh as messages arrive.
 * - Broker down: reconnects forever; device states stay as they were (heartbeat deadlines pause, and last
 *   wills a shutting-down broker sends are set aside: see AvailabilityTracker).
 */
export class MqttDriver implements Driver {
  readonly linkId: string;
  private readonly link: MqttLinkConfig;
  private readonly clock: Clock;
  private readonly context: DriverContext;
  private readonly log: Logger;
  private readonly output: DriverOutput;
  private readonly devices: DeviceRuntime[];
  private readonly router = new TopicRouter<TopicListener>();
  private readonly connection: MqttConnection;
  private readonly availability: AvailabilityTracker;
  private messageSeq = 0;
  private unmatched = 0;
  private oversize = 0;
  private started = false;
  private stopped = false;

  constructor(options: MqttDriverOptions) {
    this.link = options.link;
    this.linkId = options.link.id;
    this.context = options.context;
    this.clock = options.context.clock;
    this.log = options.context.logger.child({ module: 'mqtt', link: options.link.id });
    this.output = new DriverOutput(options.context, this.log, () => this.stopped);
    this.devices = this.buildDevices(options.devices);
    this.availability = new AvailabilityTracker({
      clock: this.clock,
      logger: this.log,
      devices: this.devices.filter((d) => d.enabled),
      emitStatus: (status) => this.output.status(status),
      emitSamples: (samples) => this.output.samples(samples),
      refreshStatus: (filters) => this.connection.refresh(filters),
    });
    this.connection = new MqttConnection({
      link: options.link,
      brokerUrl: options.brokerUrl,
      clientId: options.link.clientId ?? `facility-gw-${options.siteId}-${options.link.id}`,
      filters: this.router.filters(),
      clock: this.clock,
      logger: this.log,
      onMessage: (topic, payload) => this.receive(topic, payload),
      onUp: () => this.availability.onLinkUp(),
      onDown: () => this.availability.onLinkDown(),
    });
  }

  /** Resolves once the client is created (TLS files read); the broker is connected in the background. */
  async start(): Promise<void> {
    if (this.stopped) throw new Error(`mqtt driver ${this.linkId} was stopped; create a new one`);
    if (this.started) return;
    this.started = true;
    await this.connection.start();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.availability.stop();
    await this.connection.stop();
    this.log.info('stopped');
  }

  health(): LinkHealth {
    return {
      link: this.linkId,
      protocol: 'mqtt',
      state: this.connection.state,
      reconnects: this.connection.reconnects,
      lastError: this.connection.lastError,
      queueDepth: 0,
      devices: this.devices.map((d) => d.health()),
    };
  }

  stats(): MqttLinkStats {
    return {
      messages: this.messageSeq,
      unmatched: this.unmatched,
      oversize: this.oversize,
      subscribeRounds: this.connection.subscribeRounds,
      lastSubscribedAt: this.connection.lastSubscribedAt,
      sessionPresent: this.connection.sessionPresent,
    };
  }

  private buildDevices(entries: readonly MqttDeviceEntry[]): DeviceRuntime[] {
    const byId = new Map<string, DeviceRuntime>();
    for (const { config, profile } of entries) {
      if (config.link !== this.linkId) throw new Error(`device ${config.id} is on link ${config.link}, not ${this.linkId}`);
      if (byId.has(config.id)) throw new Error(`device ${config.id} appears twice on link ${this.linkId}`);
      byId.set(config.id, new DeviceRuntime(config, profile));
    }
    const devices = [...byId.values()];
    for (const device of devices.filter((d) => d.enabled)) {
      const parent = device.config.parent === undefined ? undefined : byId.get(device.config.parent);
      if (!device.ownAvailability && parent?.enabled === true && parent.ownAvailability) device.follow(parent);
    }
    for (const listener of devices.flatMap((d) => d.listeners)) this.router.add(listener.topic, listener);
    return devices;
  }

  // ── Messages ────────────────────────────────────────────────────────────────────────────────────────

  /** Never throws: MQTT.js calls it from its packet parser. */
  private receive(topic: string, payload: Buffer): void {
    if (this.stopped) return;
    try {
      this.handleMessage(topic, payload);
    } catch (err) {
      this.log.error({ err, topic }, 'message handling failed unexpectedly');
    }
  }

  private handleMessage(topic: string, bytes: Buffer): void {
    const seq = ++this.messageSeq;
    const listeners = this.router.match(topic);
    const tooBig = bytes.length > this.link.maxPayloadBytes;
    if (tooBig) this.oversize++;
    if (listeners.length === 0) {
      this.unmatched++;
      this.log.debug({ topic, bytes: bytes.length }, 'no device listens on this topic; dropped');
      return;
    }
    const now = this.clock.now();
    const payload = new MessagePayload(bytes);
    const samples: Sample[] = [];
    const events: DeviceEvent[] = [];
    for (const listener of listeners) {
      const { device } = listener;
      device.countMessage(seq, now);
      const rejection = tooBig
        ? { kind: 'oversize' as const, message: `payload of ${bytes.length} bytes is over maxPayloadBytes ${this.link.maxPayloadBytes}` }
        : this.decode(listener, payload, now, samples, events);
      device.noteOutcome(listener.topic.filter, rejection, this.log);
      this.availability.published(device);
    }
    this.output.samples(samples);
    this.output.events(events);
  }

  /** Decodes one listener's share of a message into samples and events; returns the first problem, if any. */
  private decode(listener: TopicListener, payload: MessagePayload, now: number, samples: Sample[], events: DeviceEvent[]): Rejection | undefined {
    const { device } = listener;
    let rejection: Rejection | undefined;
    for (const point of listener.points) {
      const decoded = point.decode(payload);
      if (decoded.ok) {
        samples.push({ point: point.id, value: decoded.value, ts: now, quality: 'good' });
        device.remember(point.name, decoded.value);
      } else {
        rejection ??= { kind: decoded.rejection.kind, message: `${point.name}: ${decoded.rejection.message}` };
      }
    }
    if (listener.events.length > 0) {
      const outcome = decodeEvents(listener.events, payload);
      switch (outcome.kind) {
        case 'events':
          for (const e of outcome.events) events.push({ device: device.id, event: e.name, ts: now, attributes: e.attributes });
          break;
        case 'none':
          this.log.debug({ device: device.id, topic: listener.topic.filter }, 'message matches none of the events on its topic');
          break;
        case 'rejected':
          rejection ??= outcome.rejection;
          break;
      }
    }
    if (listener.status) {
      const status = readStatus(payload, device.profile.availability ?? {});
      if (!status.ok) rejection ??= status.rejection;
      else if (status.value !== undefined) this.availability.status(device, status.value);
    }
    if (listener.heartbeat) this.availability.alive(device);
    return rejection;
  }
}
