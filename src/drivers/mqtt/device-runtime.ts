import type { Logger } from 'pino';
import type { DeviceConfig } from '../../config/schema.js';
import { pointId, type PointValue, type Sample } from '../../points/sample.js';
import type { MqttProfile } from '../../profiles/types.js';
import type { DeviceHealth, DeviceState } from '../driver.js';
import { hasOwnAvailability, type Availability } from './availability.js';
import { compileEvent, type CompiledEvent } from './event-decoder.js';
import { compilePointDecoder, type PointDecoder, type Rejection, type RejectionKind } from './payload-decoder.js';
import { compileTopic, type CompiledTopic } from './topic-pattern.js';

/** One point of a device, ready to decode. */
export interface PointRoute {
  readonly name: string;
  /** `<device>.<point>`, computed once. */
  readonly id: string;
  readonly decode: PointDecoder;
}

/** Everything one device does with messages on one subscription filter. */
export interface TopicListener {
  readonly device: DeviceRuntime;
  readonly topic: CompiledTopic;
  readonly points: PointRoute[];
  readonly events: CompiledEvent[];
  /** The filter is the device's status (last will) topic. */
  status: boolean;
  /** The filter is the device's heartbeat topic. */
  heartbeat: boolean;
}

/**
 * What the driver knows about one device: its compiled topics, whose availability it shares, its last good
 * values (for stale samples) and its health counters. A payload problem is logged once when it appears or
 * changes kind, and once when it clears, per device and topic.
 */
export class DeviceRuntime {
  readonly id: string;
  readonly config: DeviceConfig;
  readonly profile: MqttProfile;
  readonly ownAvailability: boolean;
  /** The device whose availability this one shares: itself, or the parent it follows (a door its controller). */
  owner: DeviceRuntime = this;
  /** Devices that follow this one's availability. */
  readonly followers: DeviceRuntime[] = [];
  /** Meaningful on owners only. */
  availability: Availability = 'unknown';
  readonly heartbeatTimeoutMs: number | undefined;
  readonly listeners: TopicListener[];
  /** The compiled status (last will) topic, if the profile has one. */
  readonly statusFilter: string | undefined;
  private readonly lastGood = new Map<string, PointValue>();
  private readonly problems = new Map<string, RejectionKind>();
  /** Sequence number of the last message counted, so a message that two filters route here counts once. */
  private lastMessageSeq = -1;
  lastSeen: number | null = null;
  requests = 0;
  errors = 0;
  consecutiveFailures = 0;
  lastError: string | null = null;

  constructor(config: DeviceConfig, profile: MqttProfile) {
    this.id = config.id;
    this.config = config;
    this.profile = profile;
    this.ownAvailability = hasOwnAvailability(profile.availability);
    this.heartbeatTimeoutMs = profile.availability?.heartbeatTimeoutMs;
    this.listeners = config.enabled ? this.compileListeners() : [];
    this.statusFilter = this.listeners.find((l) => l.status)?.topic.filter;
  }

  get enabled(): boolean {
    return this.config.enabled;
  }

  /** Follows a parent's availability instead of having one of its own. */
  follow(parent: DeviceRuntime): void {
    this.owner = parent;
    parent.followers.push(this);
  }

  /** A value was decoded: the next stale batch carries it. */
  remember(pointName: string, value: PointValue): void {
    this.lastGood.set(pointName, value);
  }

  /** Stale samples of every point, with the last good value (null before the first). */
  staleSamples(ts: number, error: string): Sample[] {
    return this.profile.points.map((p) => ({ point: pointId(this.id, p.name), value: this.lastGood.get(p.name) ?? null, ts, quality: 'stale', error }));
  }

  /** A message reached the device (accepted or not); counted once even when two of its filters match it. */
  countMessage(seq: number, now: number): void {
    if (this.lastMessageSeq === seq) return;
    this.lastMessageSeq = seq;
    this.requests++;
    this.lastSeen = now;
  }

  /** The outcome of one message on one filter: counts it and logs a change of problem. */
  noteOutcome(filter: string, rejection: Rejection | undefined, log: Logger): void {
    const previous = this.problems.get(filter);
    if (rejection === undefined) {
      this.consecutiveFailures = 0;
      if (this.owner.availability !== 'offline') this.lastError = null;
      if (previous === undefined) return;
      this.problems.delete(filter);
      log.info({ device: this.id, topic: filter }, 'payload problem cleared');
      return;
    }
    this.errors++;
    this.consecutiveFailures++;
    this.lastError = `${filter}: ${rejection.message}`;
    if (previous === rejection.kind) return;
    this.problems.set(filter, rejection.kind);
    log.warn({ device: this.id, topic: filter, problem: rejection.kind, err: rejection.message }, 'payload rejected');
  }

  state(): DeviceState {
    if (!this.enabled) return 'disabled';
    const availability = this.owner.availability;
    switch (availability) {
      case 'unknown':
        return 'unknown';
      case 'offline':
        return 'offline';
      case 'online':
        return this.consecutiveFailures > 0 ? 'degraded' : 'online';
    }
  }

  health(): DeviceHealth {
    return {
      device: this.id,
      state: this.state(),
      lastSeen: this.lastSeen,
      requests: this.requests,
      errors: this.errors,
      consecutiveFailures: this.consecutiveFailures,
      lastError: this.lastError,
      nextAttemptAt: null,
      overruns: 0,
    };
  }

  /** Points, events and availability topics grouped by filter (several points often share one topic). */
  private compileListeners(): TopicListener[] {
    const byFilter = new Map<string, TopicListener>();
    const listenerOn = (pattern: string): TopicListener => {
      const topic = compileTopic(pattern, this.id, this.config.topicVars);
      let listener = byFilter.get(topic.filter);
      if (!listener) {
        listener = { device: this, topic, points: [], events: [], status: false, heartbeat: false };
        byFilter.set(topic.filter, listener);
      }
      return listener;
    };
    const where = (what: string, compile: () => void): void => {
      try {
        compile();
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        throw new Error(message.startsWith(`device ${this.id}`) ? message : `device ${this.id}, ${what}: ${message}`, { cause: err });
      }
    };
    for (const def of this.profile.points) {
      where(`point ${def.name}`, () => listenerOn(def.topic).points.push({ name: def.name, id: pointId(this.id, def.name), decode: compilePointDecoder(def) }));
    }
    for (const def of this.profile.events) where(`event ${def.name}`, () => listenerOn(def.topic).events.push(compileEvent(def)));
    const availability = this.profile.availability;
    if (availability?.statusTopic !== undefined) {
      const statusTopic = availability.statusTopic;
      where('status topic', () => (listenerOn(statusTopic).status = true));
    }
    if (availability?.heartbeatTopic !== undefined) {
      const heartbeatTopic = availability.heartbeatTopic;
      where('heartbeat topic', () => (listenerOn(heartbeatTopic).heartbeat = true));
    }
    return [...byFilter.values()];
  }
}
