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
