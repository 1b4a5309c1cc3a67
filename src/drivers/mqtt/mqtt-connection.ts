import { readFile } from 'node:fs/promises';
import { connect, type IClientOptions, type IConnackPacket, type ISubscriptionGrant, type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import type { MqttLinkConfig } from '../../config/schema.js';
import type { Clock, TimerHandle } from '../../time/clock.js';
import type { LinkState } from '../driver.js';

/**
 * The one MQTT.js client of a link, and its life: connect, reconnect forever, subscribe, stop. It knows
 * nothing about devices; messages go to `onMessage` as they arrive.
 *
 * - Persistent session: `clean: false` under a stable client id, MQTT 3.1.1. (Under MQTT 5 a session
 *   ends with the connection unless a session expiry interval is set; 3.1.1 keeps it until the broker's
 *   own expiry.) QoS 1 messages published while the gateway is away or reconnecting wait in the session.
 * - Subscriptions: after every connect whose CONNACK says the broker has no session for us (first start,
 *   a broker that lost its state), and after any connect before the first SUBACK came back. MQTT.js's own
 *   `resubscribe` is off: with it on, MQTT.js skips filters it believes are already subscribed.
 * - Logs: connected, lost, restored once each; an error once per distinct message while it persists.
 * - It never publishes.
 *
 * MQTT.js runs its own timers (keepalive, reconnect, connect timeout) on real time; only the stop
 * deadline runs on the injected clock.
 */

/** How long a graceful end (DISCONNECT sent, socket closed) may take before the socket is destroyed. */
const STOP_DEADLINE_MS = 1000;
const SUBSCRIBE_QOS = 1;
const SUBACK_FAILURE = 128;
const MQTT_3_1_1 = 4;

export interface MqttConnectionOptions {
  link: MqttLinkConfig;
  brokerUrl: string;
  clientId: string;
  /** Deduplicated subscription filters, in the order to subscribe them. */
  filters: readonly string[];
  clock: Clock;
  logger: Logger;
  onMessage: (topic: string, payload: Buffer) => void;
  /** The link is up (and subscribed, or subscribing). */
  onUp: () => void;
  /** The link went down after having been up. */
  onDown: () => void;
}

export class MqttConnection {
  state: LinkState = 'disconnected';
  /** Connects after the first. */
  reconnects = 0;
  lastError: string | null = null;
  /** SUBSCRIBE rounds acknowledged, and when the last one was. */
  subscribeRounds = 0;
  lastSubscribedAt: number | null = null;
  /** Whether the broker kept our session at the last connect; null before the first. */
  sessionPresent: boolean | null = null;
  private readonly options: MqttConnectionOptions;
  private readonly log: Logger;
  private client: MqttClient | undefined;
  private connects = 0;
  private subscribed = false;
  private loggedError: string | null = null;

  constructor(options: MqttConnectionOptions) {
    this.options = options;
    this.log = options.logger;
  }

  /** Reads the TLS files (rejecting with the file named if one is unreadable) and starts connecting. */
  async start(): Promise<void> {
    const clientOptions = await this.clientOptions();
    if (this.state === 'stopped') return;
    this.state = 'connecting';
    const client = connect(this.options.brokerUrl, clientOptions);
    this.client = client;
    client.on('connect', (connack) => this.connected(connack));
    client.on('reconnect', () => {
      if (this.state !== 'stopped') this.state = 'connecting';
    });
    client.on('close', () => this.closed());
    client.on('error', (err) => this.failed(err));
    client.on('message', (topic, payload) => this.options.onMessage(topic, payload));
    this.log.info({ url: withoutCredentials(this.options.brokerUrl), clientId: this.options.clientId }, 'connecting');
  }

  /** Ends the client: a DISCONNECT if the link is up (the session stays on the broker), forced after a deadline. */
  async stop(): Promise<void> {
    this.state = 'stopped';
    const client = this.client;
    this.client = undefined;
    if (client === undefined) return;
    let deadline: TimerHandle | undefined;
    await new Promise<void>((resolve) => {
      // A second end() is a no-op once one is under way, so the deadline destroys the socket itself.
      deadline = this.options.clock.setTimeout(() => {
        this.log.warn('graceful disconnect took too long; closing the socket');
        client.stream.destroy();
        resolve();
      }, STOP_DEADLINE_MS);
      client.end(false, () => resolve());
    });
    this.options.clock.clearTimeout(deadline);
    client.removeAllListeners();
    // MQTT.js emits errors on a closing socket at times; without a listener they would be thrown.
    client.on('error', () => undefined);
  }

  private async clientOptions(): Promise<IClientOptions> {
    const { link, clientId } = this.options;
    const options: IClientOptions = {
      clientId,
      clean: false,
      protocolVersion: MQTT_3_1_1,
      keepalive: link.keepaliveS,
      reconnectPeriod: link.reconnectPeriodMs,
      connectTimeout: link.connectTimeoutMs,
      // A broker refusing us (bad credentials, not authorised) may be fixed on its side: keep trying.
      reconnectOnConnackError: true,
      resubscribe: false,
      queueQoSZero: false,
      username: link.username,
      password: link.password,
    };
    const tls = link.tls;
    if (tls === undefined) return options;
    if (!/^(mqtts|wss):/.test(this.options.brokerUrl)) this.log.warn({ url: withoutCredentials(this.options.brokerUrl) }, 'tls settings ignored: the broker URL is not mqtts:// or wss://');
    options.rejectUnauthorized = tls.rejectUnauthorized;
    if (tls.caFile !== undefined) options.ca = await readTlsFile(link.id, 'caFile', tls.caFile);
    if (tls.certFile !== undefined) options.cert = await readTlsFile(link.id, 'certFile', tls.certFile);
    if (tls.keyFile !== undefined) options.key = await readTlsFile(link.id, 'keyFile', tls.keyFile);
    return options;
  }

  private connected(connack: IConnackPacket): void {
    if (this.state === 'stopped') return;
    this.connects++;
    if (this.connects > 1) this.reconnects++;
    this.state = 'connected';
    this.lastError = null;
    this.loggedError = null;
    this.sessionPresent = connack.sessionPresent;
    const needsSubscribe = !connack.sessionPresent || !this.subscribed;
    this.log.info({ sessionPresent: connack.sessionPresent, subscribing: needsSubscribe }, this.connects > 1 ? 'reconnected' : 'connected');
    if (needsSubscribe) this.subscribe(this.options.filters, true);
    this.options.onUp();
  }

  /**
   * Subscribes again to filters the session already holds: the broker then sends their retained messages
   * again (MQTT 3.1.1, 3.3.1.3), which is how a device's current status is asked for.
   */
  refresh(filters: readonly string[]): void {
    if (this.state !== 'connected' || filters.length === 0) return;
    this.log.debug({ filters }, 'asking for retained messages again');
    this.subscribe(filters, false);
  }

  /** `complete`: these are all the link's filters, so a SUBACK means the session holds every one. */
  private subscribe(filters: readonly string[], complete: boolean): void {
    const client = this.client;
    if (client === undefined || filters.length === 0) return;
    const request = Object.fromEntries(filters.map((filter) => [filter, { qos: SUBSCRIBE_QOS } as const]));
    client.subscribe(request, (err, granted) => {
      if (this.state === 'stopped') return;
      if (err) {
        // Usually the connection dropped before the SUBACK; the next connect subscribes again.
        this.log.warn({ err: err.message }, 'subscribe failed');
        return;
      }
      if (complete) this.subscribed = true;
      this.subscribeRounds++;
      this.lastSubscribedAt = this.options.clock.now();
      const refused = (granted ?? []).filter((g: ISubscriptionGrant) => g.qos === SUBACK_FAILURE).map((g) => g.topic);
      if (refused.length > 0) this.log.error({ refused }, 'broker refused subscriptions (access control?)');
      else this.log.debug({ filters: filters.length }, 'subscribed');
    });
  }

  private closed(): void {
    if (this.state === 'stopped') return;
    const wasUp = this.state === 'connected';
    this.state = 'disconnected';
    if (!wasUp) return;
    this.log.warn({ err: this.lastError ?? undefined }, 'connection lost; reconnecting');
    this.options.onDown();
  }

  private failed(err: Error): void {
    if (this.state === 'stopped') return;
    this.lastError = err.message;
    if (this.loggedError === err.message) {
      this.log.debug({ err: err.message }, 'MQTT error (again)');
      return;
    }
    this.loggedError = err.message;
    this.log.warn({ err: err.message, url: withoutCredentials(this.options.brokerUrl) }, 'MQTT error');
  }
}

async function readTlsFile(linkId: string, setting: string, path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    throw new Error(`MQTT link ${linkId}: cannot read tls.${setting} ${path}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

/** A broker URL fit for a log line: user and password, if written into it, are masked. */
export function withoutCredentials(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.username === '' && parsed.password === '') return url;
    parsed.username = '***';
    parsed.password = '';
    return parsed.toString();
  } catch {
    return '(unparsable URL)';
  }
}
