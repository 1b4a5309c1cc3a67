import { connect, type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import type { AccessSink } from './access-system.js';
import { OFFLINE, type AccessMessage } from './wire.js';

/**
 * Puts the simulated controllers on a real MQTT broker, one MQTT.js client per controller as real door
 * controllers connect: a stable client id, a last will that turns the retained status topic to `offline`,
 * and on every (re)connect the controller's snapshot (`online` and its retained state). A controller
 * that is not connected publishes nothing: like the simulated firmware, it keeps no backlog, and the
 * snapshot brings the broker up to date when it is back.
 *
 * Connection timing is real time, not simulated: the broker is a real server.
 */

export interface MqttAccessSinkOptions {
  url: string;
  controllers: ReadonlyArray<{ id: string; statusTopic: string }>;
  /** What a controller publishes right after connecting. */
  snapshot(controller: string): AccessMessage[];
  /** Already bound to the simulator's module. */
  logger: Logger;
}

/** How long the first connection of every controller may take before start-up fails. */
const CONNECT_TIMEOUT_MS = 10_000;
const RECONNECT_PERIOD_MS = 1_000;
/** Keepalive of the controllers' sessions: the broker notices a silently vanished socket after 1.5 times this. */
const KEEPALIVE_S = 30;
/** A clean stop waits this long for the `offline` status and the DISCONNECT to go out, then cuts the socket. */
const STOP_TIMEOUT_MS = 2_000;
const CLIENT_ID_PREFIX = 'facility-gw-sim-';

/** Connects every controller and resolves once all are connected. */
export async function connectMqttAccessSink(opts: MqttAccessSinkOptions): Promise<AccessSink> {
  // Under the simulator's module name: a second `module` key would repeat it in every line.
  const log = opts.logger;
  const links = new Map(opts.controllers.map((c) => [c.id, new ControllerLink(c.id, c.statusTopic, opts, log)]));
  const all = [...links.values()];
  try {
    await Promise.all(all.map((l) => l.open()));
  } catch (err) {
    await Promise.all(all.map((l) => l.close()));
    throw err;
  }
  log.info({ url: opts.url, controllers: links.size }, 'access controllers connected');
  return {
    send: (message) => links.get(message.controller)?.publish(message),
    drop: (controller) => links.get(controller)?.drop(),
    restore: (controller) => {
      links.get(controller)?.open().catch((err: unknown) => log.warn({ controller, err }, 'controller did not reconnect'));
    },
    close: async () => {
      await Promise.all(all.map((l) => l.close()));
    },
  };
}

/** One controller's connection. */
class ControllerLink {
  private client: MqttClient | undefined;

  constructor(
    private readonly id: string,
    private readonly statusTopic: string,
    private readonly opts: MqttAccessSinkOptions,
    private readonly log: Logger,
  ) {}

  /** Connects (again) and resolves on the first successful connection. */
  open(): Promise<void> {
    if (this.client) return Promise.resolve();
    const client = connect(this.opts.url, {
      clientId: `${CLIENT_ID_PREFIX}${this.id}`,
      clean: true,
      keepalive: KEEPALIVE_S,
      reconnectPeriod: RECONNECT_PERIOD_MS,
      connectTimeout: CONNECT_TIMEOUT_MS,
      will: { topic: this.statusTopic, payload: Buffer.from(OFFLINE), qos: 1, retain: true },
    });
    this.client = client;
    client.on('connect', () => {
      this.log.debug({ controller: this.id }, 'connected');
      for (const m of this.opts.snapshot(this.id)) this.publish(m);
    });
    client.on('close', () => this.log.debug({ controller: this.id }, 'connection closed'));
    // Without a listener an 'error' event would throw; MQTT.js keeps reconnecting by itself.
    client.on('error', (err) => this.log.debug({ controller: this.id, err: err.message }, 'connection error'));
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        client.off('connect', onConnect);
        reject(new Error(`access controller ${this.id}: no connection to ${this.opts.url} within ${CONNECT_TIMEOUT_MS} ms`));
      }, CONNECT_TIMEOUT_MS);
      const onConnect = (): void => {
        clearTimeout(timer);
        resolve();
      };
      client.once('connect', onConnect);
    });
  }

  publish(m: AccessMessage): void {
    const client = this.client;
    if (!client?.connected) return;
    client.publish(m.topic, m.payload, { qos: m.qos, retain: m.retain }, (err) => {
      if (err) this.log.debug({ controller: this.id, topic: m.topic, err: err.message }, 'publish failed');
    });
  }

  /** Cuts the socket without a DISCONNECT packet: to the broker the controller vanished, so it publishes the will. */
  drop(): void {
    const client = this.client;
    this.client = undefined;
    client?.end(true);
    this.log.info({ controller: this.id }, 'connection dropped');
  }

  /** A clean stop: `offline` retained, then DISCONNECT (so the will is not needed). */
  async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (!client) return;
    if (!client.connected) {
      client.end(true);
      return;
    }
    const graceful = client
      .publishAsync(this.statusTopic, OFFLINE, { qos: 1, retain: true })
      .then(() => client.endAsync(false))
      .then(
        () => 'done' as const,
        (err: unknown) => {
          this.log.debug({ controller: this.id, err }, 'clean stop failed; cutting the connection');
          return 'failed' as const;
        },
      );
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), STOP_TIMEOUT_MS);
    });
    const outcome = await Promise.race([graceful, deadline]);
    clearTimeout(timer);
    if (outcome !== 'done') client.end(true);
  }
}
