import { createServer, type Server } from 'node:net';
import { Aedes } from 'aedes';
import type { Logger } from 'pino';

export interface EmbeddedBrokerOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  logger: Logger;
}

export interface EmbeddedBroker {
  /** `mqtt://host:port` with the port actually bound. */
  readonly url: string;
  readonly port: number;
  /** Clients connected right now. */
  connectedClients(): number;
  stop(): Promise<void>;
}

/**
 * An MQTT broker inside the gateway (aedes over plain TCP), so the demo and small sites run with nothing
 * installed. It keeps sessions and QoS 1 messages in memory only: a restart of the gateway loses what it
 * had queued, which is why a production site should point its links at a real broker.
 */
export async function startEmbeddedBroker(options: EmbeddedBrokerOptions): Promise<EmbeddedBroker> {
  const log = options.logger.child({ module: 'embedded-broker' });
  const broker = await Aedes.createBroker();
  disableClusterDedupe(broker);
  broker.on('clientError', (client, err) => log.debug({ client: client.id, err: err.message }, 'client error'));
  broker.on('connectionError', (client, err) => log.debug({ client: client.id, err: err.message }, 'connection error'));
  const server: Server = createServer((socket) => broker.handle(socket));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('embedded broker: no TCP address');
  const url = `mqtt://${options.host}:${address.port}`;
  log.info({ url }, 'embedded MQTT broker listening');
  return {
    url,
    port: address.port,
    connectedClients: () => broker.connectedClients,
    stop: async () => {
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
      log.info('embedded MQTT broker stopped');
    },
  };
}

/**
 * aedes numbers every publish when it starts, and each subscriber drops a packet whose number is not above
 * the last one it received: de-duplication meant for brokers clustered over a shared emitter. But a publish
 * does not always reach subscribers in the order it started (a retained one waits for the retained store;
 * a QoS 1 one for the offline queue), and the one overtaken is then dropped as a "duplicate": with aedes 1.2,
 * every retained message followed at once by a plain one was lost to live subscribers, such as a door's
 * state followed by its event. A single embedded broker has no cluster to de-duplicate, so every client
 * gets a record of "last seen" numbers that never remembers anything. The price: a client whose
 * subscriptions overlap may receive a message once per matching subscription, which QoS 1
 * (at least once) allows anyway.
 */
const NOTHING_SEEN: Record<string, number> = new Proxy(
  {},
  {
    get: () => undefined,
    set: () => true,
  },
);

function disableClusterDedupe(broker: Aedes): void {
  broker.on('client', (client) => {
    (client as unknown as { duplicates: Record<string, number> }).duplicates = NOTHING_SEEN;
  });
}
