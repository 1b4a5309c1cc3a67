import type { FastifyInstance } from 'fastify';
import type { ActiveAlarmView, DevicePoints, PointReading } from '../../src/api/schemas.js';
import type { AlarmEvent } from '../../src/alarms/events.js';
import type { SiteConfig, SinkConfig } from '../../src/config/schema.js';
import { Gateway } from '../../src/gateway/gateway.js';
import { buildGatewayApp } from '../../src/gateway/gateway-app.js';
import { silentLogger } from '../../src/log.js';
import { createGatewayMetrics } from '../../src/metrics/gateway-metrics.js';
import { metricsSourceOf } from '../../src/metrics/gateway-source.js';
import { SystemClock } from '../../src/time/clock.js';
import { startSimulator, type SimulatorHandle } from '../../simulator/simulator.js';
import { freeUdpPort } from './ports.js';

export interface DemoGatewayOptions {
  pollIntervalMs: number;
  commLossDelayMs: number;
  sinks?: SinkConfig[];
  seed?: number;
  /** Also serve the BACnet fire panel and lifts (on 127.0.0.60 and 127.0.0.61) and read them. */
  bacnet?: boolean;
}

/**
 * The whole demo over real wire for end-to-end tests: the simulator's Modbus TCP servers, its door
 * controllers on the gateway's embedded MQTT broker, the real gateway, and its HTTP API (driven through
 * `inject`). Timings are shortened so faults show within a test's time.
 */
export class DemoGateway {
  readonly alarmEvents: AlarmEvent[] = [];

  private constructor(
    readonly sim: SimulatorHandle,
    readonly gateway: Gateway,
    readonly app: FastifyInstance,
  ) {
    gateway.events.on('alarm', 'test', (e) => this.alarmEvents.push(e));
  }

  static async start(options: DemoGatewayOptions): Promise<DemoGateway> {
    const clock = new SystemClock();
    const bacnet = options.bacnet === true ? { gateway: { interface: '127.0.0.1', port: await freeUdpPort() } } : undefined;
    const sim = await startSimulator({
      clock,
      seed: options.seed ?? 7,
      controlPort: null,
      ...(bacnet ? { bacnet: { firePanel: { address: '127.0.0.60' }, elevatorGateway: { address: '127.0.0.61' }, gateway: bacnet.gateway } } : {}),
    });
    const gateway = new Gateway({ config: shortTimings(sim.siteConfig(), options), clock, logger: silentLogger(), healthLinesIntervalMs: 1000 });
    await gateway.start();
    const brokerUrl = gateway.embeddedBrokerUrl();
    if (brokerUrl === undefined) throw new Error('the demo config should run the embedded broker');
    await sim.connectAccess(brokerUrl);
    const metrics = createGatewayMetrics(metricsSourceOf(gateway, 'test'), { processMetrics: false });
    const app = await buildGatewayApp(gateway, { logger: silentLogger(), version: 'test', metrics });
    return new DemoGateway(sim, gateway, app);
  }

  async text(url: string): Promise<string> {
    return (await this.app.inject(url)).body;
  }

  async get<T>(url: string): Promise<{ status: number; body: T }> {
    const res = await this.app.inject(url);
    return { status: res.statusCode, body: res.json<T>() };
  }

  async point(device: string, name: string): Promise<PointReading> {
    const { body } = await this.get<DevicePoints>(`/devices/${device}/points`);
    const found = body.points.find((p) => p.name === name);
    if (!found) throw new Error(`no point ${device}.${name}`);
    return found;
  }

  async activeAlarmIds(): Promise<string[]> {
    return (await this.get<ActiveAlarmView[]>('/alarms/active')).body.map((a) => a.alarmId);
  }

  async stop(): Promise<void> {
    await this.app.close();
    await this.gateway.stop();
    await this.sim.stop();
  }
}

function shortTimings(base: SiteConfig, options: DemoGatewayOptions): SiteConfig {
  return {
    ...base,
    links: base.links.map((l) => {
      if (l.type === 'mqtt') return l;
      if (l.type === 'bacnet') return { ...l, apduTimeoutMs: 500, retries: 0, backoffInitialMs: 500, backoffMaxMs: 1000 };
      return { ...l, timeoutMs: 200, retries: 0, backoffInitialMs: 500, backoffMaxMs: 1000 };
    }),
    devices: base.devices.map((d) => ({ ...d, pollIntervalMs: options.pollIntervalMs, commLossDelayMs: options.commLossDelayMs })),
    sinks: options.sinks ?? [],
  };
}
