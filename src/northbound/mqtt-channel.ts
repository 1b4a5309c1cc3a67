import { readFile } from 'node:fs/promises';
import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import type { MqttLinkConfig } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { Clock, TimerHandle } from '../time/clock.js';

/**
 * One MQTT connection that publishes, and nothing else: the transport under the northbound publisher, which
 * keeps the policy (what to send, in which order, what to drop).
 *
 * - Status: `online` (retained) goes first on every connect; the last will sets `offline` (retained) when
 *   the connection dies without a goodbye; a clean close sends `offline` itself, since a DISCONNECT
 *   discards the will.
 * - Flow: it pulls messages from `next()` while fewer than `maxInFlight` await their acknowledgement, and
 *   only while connected. So MQTT.js never builds an offline queue of its own: what it holds across a
 *   broken connection (and resends, before anything newer, once it is back) is the window, no more.
 * - MQTT.js reconnects in the background every `reconnectPeriodMs`, a refused login included (the
 *   credentials or ACL may be fixed on the broker); open() never blocks on the broker.
 */

export interface ChannelMessage {
  topic: string;
  payload: string;
  retain: boolean;
}

export interface MqttChannelContext {
  brokerUrl: string;
  /** Credentials, TLS files and timings; absent for the embedded broker. */
  link?: MqttLinkConfig;
  clientId: string;
  /** Where `online` and `offline` go. */
  statusTopic: string;
  qos: 0 | 1;
  maxInFlight: number;
  clock: Clock;
  logger: Logger;
  /** The next message to send, or undefined when nothing waits. Called only when it is sent at once. */
  next: () => ChannelMessage | undefined;
  /** After `online` on each connect, before anything else: `reconnect` is false the first time. */
  onConnect: (reconnect: boolean) => void;
}

const ONLINE = 'online';
const OFFLINE = 'offline';
/** Connection timings when no link gives them (the embedded broker): the link schema's defaults. */
const DEFAULT_KEEPALIVE_S = 30;
const DEFAULT_RECONNECT_PERIOD_MS = 1000;
const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

export class MqttChannel {
  private readonly ctx: MqttChannelContext;
  private readonly logger: Logger;
  private client: MqttClient | undefined;
  private opened = false;
  /** From MQTT.js's `connect` (emitted once it has resent what it held) to its `close`. */
  private isConnected = false;
  private everConnected = false;
  /** Set by close(): nothing more is pulled from `next()`. */
  private closing = false;
  private outageLogged = false;
  private inFlightCount = 0;
  /** Re-entry guard: MQTT.js calls a QoS 0 callback synchronously from publish(). */
  private pumping = false;
  private drainWaiters: Array<() => void> = [];
  private publishedCount = 0;
  private failedCount = 0;
  private lastErrorText: string | null = null;

  constructor(ctx: MqttChannelContext) {
    this.ctx = ctx;
    this.logger = ctx.logger;
  }

  get connected(): boolean {
    return this.isConnected;
  }

  /** Messages handed to MQTT.js and not acknowledged yet. */
  get inFlight(): number {
    return this.inFlightCount;
  }

  /** Messages the broker acknowledged (QoS 1) or that were written to it (QoS 0). */
  get published(): number {
    return this.publishedCount;
  }

  /** Messages handed to MQTT.js that failed (at a forced close, or QoS 0 without a connection). */
  get failed(): number {
    return this.failedCount;
  }

  get lastError(): string | null {
    return this.lastErrorText;
  }

  /** Starts connecting in the background. Never rejects: what fails is logged and kept as lastError. */
  async open(): Promise<void> {
    if (this.opened || this.closing) return;
    this.opened = true;
    try {
      const options = await this.clientOptions();
      if (this.closing) return;
      const client = connect(this.ctx.brokerUrl, options);
      client.on('connect', () => this.onConnect(client));
      client.on('close', () => this.onClose());
      client.on('error', (error) => this.onError(error));
      this.client = client;
      this.logger.info({ url: withoutCredentials(this.ctx.brokerUrl), clientId: options.clientId }, 'northbound connecting');
    } catch (error) {
      this.lastErrorText = error instanceof Error ? error.message : String(error);
      this.logger.error({ err: error }, 'northbound cannot connect: nothing is published');
    }
  }

  /** Sends what `next()` gives while the window has room. Cheap when there is nothing to do. */
  pump(): void {
    const client = this.client;
    if (this.pumping || client === undefined || !this.isConnected) return;
    this.pumping = true;
    let exhausted = this.closing;
    try {
      while (!exhausted && this.inFlightCount < this.ctx.maxInFlight) {
        const message = this.ctx.next();
        if (message === undefined) exhausted = true;
        else this.send(client, message);
      }
    } finally {
      this.pumping = false;
    }
    if (exhausted && this.inFlightCount === 0) this.settleDrainWaiters();
  }

  /**
   * Sends what waits, then `offline`, and disconnects, all before `deadlineAt` (clock time); without a
   * connection it just ends (the broker has published the will). Never rejects.
   */
  async close(deadlineAt: number): Promise<void> {
    if (this.closing) return;
    const client = this.client;
    if (client === undefined) {
      this.closing = true;
      return;
    }
    if (this.isConnected) {
      await this.withinDeadline(this.drained(), deadlineAt);
      this.closing = true;
      if (this.isConnected) this.send(client, { topic: this.ctx.statusTopic, payload: OFFLINE, retain: true });
      await this.withinDeadline(this.drained(), deadlineAt);
    }
    this.closing = true;
    let ended = false;
    if (this.isConnected) {
      ended = await this.withinDeadline(client.endAsync(false), deadlineAt);
      // A graceful end that timed out leaves MQTT.js 'disconnecting', where end(true) closes nothing more.
      if (!ended) client.stream.destroy();
    }
    if (!ended) await client.endAsync(true);
  }

  private async clientOptions(): Promise<IClientOptions> {
    const { link } = this.ctx;
    const tls = link?.tls;
    const [ca, cert, key] = await Promise.all([readIfSet(tls?.caFile), readIfSet(tls?.certFile), readIfSet(tls?.keyFile)]);
    return {
      clientId: this.ctx.clientId,
      username: link?.username,
      password: link?.password,
      ca,
      cert,
      key,
      rejectUnauthorized: tls?.rejectUnauthorized ?? true,
      keepalive: link?.keepaliveS ?? DEFAULT_KEEPALIVE_S,
      reconnectPeriod: link?.reconnectPeriodMs ?? DEFAULT_RECONNECT_PERIOD_MS,
      connectTimeout: link?.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
      reconnectOnConnackError: true,
      // The publisher sends its retained picture again on every connect, so no session is worth keeping.
      clean: true,
      queueQoSZero: false,
      will: { topic: this.ctx.statusTopic, payload: OFFLINE, qos: this.ctx.qos, retain: true },
    };
  }

  private onConnect(client: MqttClient): void {
    // A reconnect while closing: close() ends it without a word, and the will says offline.
    if (this.closing) return;
    this.isConnected = true;
    this.outageLogged = false;
    this.logger.info({ reconnect: this.everConnected }, 'northbound connected');
    this.send(client, { topic: this.ctx.statusTopic, payload: ONLINE, retain: true });
    this.ctx.onConnect(this.everConnected);
    this.everConnected = true;
    this.pump();
  }

  private onClose(): void {
    const wasConnected = this.isConnected;
    this.isConnected = false;
    this.settleDrainWaiters(); // close() waits no longer for a connection that is gone
    if (wasConnected && !this.closing) this.logger.warn('northbound broker connection lost; messages wait until it is back');
  }

  private onError(error: Error): void {
    this.lastErrorText = error.message;
    // Reconnect attempts repeat the same error every reconnect period: one warning per outage.
    if (this.outageLogged) this.logger.debug({ err: error }, 'northbound broker error');
    else this.logger.warn({ err: error }, 'northbound broker error; retrying in the background');
    this.outageLogged = true;
  }

  private send(client: MqttClient, message: ChannelMessage): void {
    this.inFlightCount++;
    client.publish(message.topic, message.payload, { qos: this.ctx.qos, retain: message.retain }, (error) => {
      this.inFlightCount--;
      // Success comes as null from the ack handler, as undefined from a QoS 0 write.
      if (!error) this.publishedCount++;
      else {
        this.failedCount++;
        this.logger.debug({ err: error, topic: message.topic }, 'northbound publish failed');
      }
      this.pump();
    });
  }

  /** Resolves once nothing waits and nothing is in flight, or the connection is gone. */
  private drained(): Promise<void> {
    if (!this.isConnected) return Promise.resolve();
    const done = new Promise<void>((resolve) => this.drainWaiters.push(resolve));
    this.pump();
    return done;
  }

  private settleDrainWaiters(): void {
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const resolve of waiters) resolve();
  }

  /** Whether `work` succeeded before `deadlineAt` (clock time); a failure counts as not in time. */
  private async withinDeadline(work: Promise<unknown>, deadlineAt: number): Promise<boolean> {
    let timer: TimerHandle | undefined;
    const timeout = new Promise<boolean>((resolve) => {
      timer = this.ctx.clock.setTimeout(() => resolve(false), deadlineAt - this.ctx.clock.now());
    });
    try {
      return await Promise.race([work.then(() => true, () => false), timeout]);
    } finally {
      this.ctx.clock.clearTimeout(timer);
    }
  }
}

async function readIfSet(file: string | undefined): Promise<Buffer | undefined> {
  return file === undefined ? undefined : readFile(file);
}

/** The URL for logs: credentials in it stay out. */
function withoutCredentials(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    return parsed.toString();
  } catch {
    return '(unparsable URL)';
  }
}
