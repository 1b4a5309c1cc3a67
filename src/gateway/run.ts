import { randomBytes } from 'node:crypto';
import { loadConfigFile } from '../config/loader.js';
import type { SiteConfig } from '../config/schema.js';
import { createLogger, type Logger } from '../log.js';
import { createGatewayMetrics } from '../metrics/gateway-metrics.js';
import { metricsSourceOf } from '../metrics/gateway-source.js';
import { SystemClock } from '../time/clock.js';
import { DEFAULT_BACNET_ADDRESSES, DEMO_GATEWAY_BACNET } from '../../simulator/bacnet/demo-bacnet.js';
import type { SimulatorHandle } from '../../simulator/simulator.js';
import { startSimulatorWithBacnet } from '../../simulator/start-with-bacnet.js';
import { parseScenarioArgs } from '../../simulator/scenario-args.js';
import { Gateway } from './gateway.js';
import { ConfigReloader } from './config-reloader.js';
import { buildGatewayApp } from './gateway-app.js';

export interface RunOptions {
  configPath?: string;
  httpPort?: number;
  httpHost?: string;
  /** Demo only: simulator fault scenarios, `name` or `name:device`. */
  scenarios: string[];
  seed?: number;
  version: string;
}

const SHUTDOWN_DEADLINE_MS = 10_000;

/**
 * `facility-gw start`: loads the config (a bad one throws before anything starts), or runs the demo
 * building with the simulator in-process; starts the gateway and the API; stops both on SIGINT/SIGTERM.
 */
export async function runGatewayCli(options: RunOptions): Promise<void> {
  const logger = createLogger();
  const clock = new SystemClock();
  let simulator: SimulatorHandle | undefined;
  let config: SiteConfig;
  if (options.configPath) {
    config = loadConfigFile(options.configPath, { displayName: options.configPath });
  } else {
    const bacnet = DEFAULT_BACNET_ADDRESSES;
    simulator = await startSimulatorWithBacnet(
      {
        clock,
        seed: options.seed,
        scenarios: parseScenarioArgs(options.scenarios),
        controlPort: 0,
        logger: logger.child({ module: 'simulator' }),
        // The fire panel and the BACnet lifts on their own loopback addresses. The panel sends no event
        // notifications here: the fire-panel profile's own state alarms watch every detector, and the
        // panel's intrinsic alarms on top would announce each fire twice.
        bacnet: {
          firePanel: bacnet.firePanel,
          elevatorGateway: bacnet.elevatorGateway,
          gateway: DEMO_GATEWAY_BACNET,
        },
      },
      logger,
    );
    config = demoGatewayConfig(simulator.siteConfig(), logger);
    logger.info(
      { modbusPorts: simulator.ports, bacnet: simulator.bacnetEndpoints(), control: `http://127.0.0.1:${simulator.controlPort}` },
      'no --config given: running the simulated demo building in-process',
    );
  }

  const gateway = new Gateway({ config, clock, logger });
  await gateway.start();
  // The demo's doors publish to the gateway's embedded broker, which exists only once the gateway runs.
  const brokerUrl = gateway.embeddedBrokerUrl();
  if (simulator && brokerUrl !== undefined) await simulator.connectAccess(brokerUrl);
  const metrics = createGatewayMetrics(metricsSourceOf(gateway, options.version));
  // From a site file, rules reload on SIGHUP, through the API and when the files change.
  const reloader = options.configPath === undefined ? undefined : new ConfigReloader(options.configPath, gateway, clock, logger.child({ module: 'reload' }));
  reloader?.watch();
  if (reloader) process.on('SIGHUP', () => reloader.reload('SIGHUP'));
  const app = await buildGatewayApp(gateway, {
    logger,
    version: options.version,
    metrics,
    ...(reloader ? { reloader } : {}),
    ...(options.configPath !== undefined ? { configPath: options.configPath } : {}),
  });
  const host = options.httpHost ?? config.http.host;
  const port = options.httpPort ?? config.http.port;
  await app.listen({ host, port });
  logger.info({ url: `http://${host}:${port}` }, 'API listening (GET /health, /devices, /alarms/active, /metrics, /openapi.json)');

  installShutdown(logger, async () => {
    reloader?.stop();
    await app.close();
    await gateway.stop();
    await simulator?.stop();
  });
}

/**
 * The demo keeps its alarm state in data/facility-gw.db under the working directory, and has one admin
 * token so that alarms can be acknowledged through the API: FACILITY_GW_DEMO_TOKEN, or a random one
 * printed at start.
 */
function demoGatewayConfig(site: SiteConfig, logger: Logger): SiteConfig {
  const fromEnv = process.env.FACILITY_GW_DEMO_TOKEN;
  const token = fromEnv !== undefined && fromEnv.length >= 16 ? fromEnv : randomBytes(18).toString('base64url');
  if (token !== fromEnv) logger.info(`demo admin token (set FACILITY_GW_DEMO_TOKEN to choose one): ${token}`);
  return {
    ...site,
    store: { path: 'data/facility-gw.db' },
    auth: { anonymousRead: true, tokens: [{ name: 'demo-admin', role: 'admin', token }] },
  };
}

function installShutdown(logger: Logger, stop: () => Promise<void>): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const deadline = setTimeout(() => {
      logger.error('shutdown took too long: exiting');
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS);
    deadline.unref();
    stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}
