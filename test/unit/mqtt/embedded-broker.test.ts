import mqtt, { type MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/log.js';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../../src/mqtt/embedded-broker.js';

const DELIVERY_WAIT_MS = 1000;

describe('embedded MQTT broker', () => {
  let broker: EmbeddedBroker | undefined;
  const clients: MqttClient[] = [];
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.endAsync(true)));
    await broker?.stop();
  });

  async function connect(options: mqtt.IClientOptions = {}): Promise<MqttClient> {
    if (!broker) throw new Error('no broker');
    const client = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0, ...options });
    clients.push(client);
    return client;
  }

  it('delivers retained messages to live subscribers even when a plain message follows at once', async () => {
    broker = await startEmbeddedBroker({ host: '127.0.0.1', port: 0, logger: silentLogger() });
    const subscriber = await connect({ clientId: 'gateway', clean: false });
    await subscriber.subscribeAsync('door/#', { qos: 1 });
    const received: string[] = [];
    subscriber.on('message', (topic) => received.push(topic));
    const sameClient = await connect();
    const otherClient = await connect();
    for (let i = 0; i < 20; i++) {
      sameClient.publish('door/1/state', `{"open":${i % 2 === 0}}`, { qos: 0, retain: true });
      sameClient.publish('door/1/event', '{"type":"granted"}', { qos: 0 });
      sameClient.publish('door/2/state', `{"open":${i % 2 === 0}}`, { qos: 1, retain: true });
      otherClient.publish('door/2/event', '{"type":"granted"}', { qos: 0 });
    }
    await new Promise((resolve) => setTimeout(resolve, DELIVERY_WAIT_MS));
    const count = (topic: string) => received.filter((t) => t === topic).length;
    expect([count('door/1/state'), count('door/1/event'), count('door/2/state'), count('door/2/event')]).toEqual([20, 20, 20, 20]);
  });

  it('keeps persistent sessions and gives a late subscriber the retained value', async () => {
    broker = await startEmbeddedBroker({ host: '127.0.0.1', port: 0, logger: silentLogger() });
    const publisher = await connect();
    await publisher.publishAsync('door/3/state', '{"open":false}', { qos: 1, retain: true });
    const late = await connect();
    const first = new Promise<string>((resolve) => late.once('message', (_topic, payload: Buffer) => resolve(payload.toString())));
    await late.subscribeAsync('door/3/state', { qos: 1 });
    expect(await first).toBe('{"open":false}');
    expect(broker.connectedClients()).toBe(2);
  });
});
