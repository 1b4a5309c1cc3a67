import { createLogger } from '../src/log.js';
import { startEmbeddedBroker, type EmbeddedBroker } from '../src/mqtt/embedded-broker.js';
import { SystemClock } from '../src/time/clock.js';
import { DEFAULT_BACNET_ADDRESSES } from './bacnet/demo-bacnet.js';
import { startSimulatorWithBacnet } from './start-with-bacnet.js';
import type { BacnetEventRecipient } from './bacnet/device-server.js';
import { demoBuilding, demoPorts } from './demo-building.js';
import { parseScenarioArgs } from './scenario-args.js';
import { connectableHost, type SimulatorHandle, type SimulatorOptions } from './simulator.js';

/**
 * Runs the simulator on the system clock until SIGINT or SIGTERM (`facility-gw simulate` calls this).
 * Modbus links get consecutive ports from `basePort` in the demo building's link order (elevators,
 * plant-room). The door controllers publish to `mqttUrl`, or else to a broker started here.
 */

export interface SimulatorCliOptions {
  seed?: number;
  host?: string;
  /** First link's port; default 15020. 0 takes free ports. */
  basePort?: number;
  /** "name" or "name:device", e.g. "trapped-passenger:elevator-2". */
  scenarios?: string[];
  /** HTTP control port on 127.0.0.1; default 8099, 0 for any free port. */
  controlPort?: number;
  /** Broker for the door controllers; without it the simulator starts its own on `host`. */
  mqttUrl?: string;
  /** Port of the broker started when there is no `mqttUrl`; default 1883, 0 for any free port. */
  mqttPort?: number;
  /**
   * BACnet/IP devices on loopback: the fire panel (default 127.0.0.2:47808) and the elevator gateway's cars
   * (default 127.0.0.3, ports 47808 and up); `false` serves none.
   */
  bacnet?: false | {
    firePanel?: { address: string; port?: number };
    elevatorGateway?: { address: string; basePort?: number };
    /** Where the fire panel sends its event notifications (the gateway's BACnet address); default none. */
    eventRecipients?: BacnetEventRecipient[];
  };
}

export const DEFAULT_BASE_PORT = 15020;
const DEFAULT_CONTROL_PORT = 8099;
const DEFAULT_MQTT_PORT = 1883;

export async function runSimulatorCli(opts: SimulatorCliOptions = {}): Promise<void> {
  const rootLogger = createLogger();
  const logger = rootLogger.child({ module: 'simulator.cli' });
  const basePort = opts.basePort ?? DEFAULT_BASE_PORT;
  const building = demoBuilding();
  const ports = demoPorts(basePort);

  const host = opts.host ?? '127.0.0.1';

  let broker: EmbeddedBroker | undefined;
  let mqttUrl = opts.mqttUrl;
  if (mqttUrl === undefined) {
    broker = await startEmbeddedBroker({ host, port: opts.mqttPort ?? DEFAULT_MQTT_PORT, logger: rootLogger });
    // The broker names the address it listens on; a wildcard one is reached on loopback.
    mqttUrl = `mqtt://${connectableHost(host)}:${broker.port}`;
  }
  const bacnet: SimulatorOptions['bacnet'] =
    opts.bacnet === false
      ? undefined
      : {
          firePanel: { ...(opts.bacnet?.firePanel ?? DEFAULT_BACNET_ADDRESSES.firePanel), eventRecipients: opts.bacnet?.eventRecipients ?? [] },
          elevatorGateway: opts.bacnet?.elevatorGateway ?? DEFAULT_BACNET_ADDRESSES.elevatorGateway,
        };
  let sim: SimulatorHandle;
  try {
    sim = await startSimulatorWithBacnet(
      {
        clock: new SystemClock(),
        seed: opts.seed,
        host,
        ports,
        scenarios: parseScenarioArgs(opts.scenarios ?? []),
        controlPort: opts.controlPort ?? DEFAULT_CONTROL_PORT,
        logger: rootLogger,
        mqttUrl,
        ...(bacnet !== undefined ? { bacnet } : {}),
      },
      logger,
    );
  } catch (err) {
    await broker?.stop();
    throw err;
  }

  for (const link of building.links) {
    const port = sim.ports[link.id];
    const devices = building.devices.filter((d) => d.link === link.id).map((d) => `${d.id}@${d.unitId}`);
    logger.info({ link: link.id, host: sim.host, port, devices }, `Modbus TCP ${link.id} on ${sim.host}:${port}: ${devices.join(', ')}`);
  }
  const access = building.access;
  logger.info(
    { url: mqttUrl, embedded: broker !== undefined, controllers: access.controllers.map((c) => c.id) },
    `door controllers on MQTT ${mqttUrl}${broker ? ' (broker started here)' : ''}: ${access.controllers.length} controllers, ` +
      `${access.controllers.reduce((n, c) => n + c.doors.length, 0)} doors under acs/#`,
  );
  for (const b of sim.bacnetEndpoints()) {
    logger.info({ device: b.id, address: b.address, port: b.port, deviceInstance: b.deviceInstance }, `BACnet/IP ${b.id} (device ${b.deviceInstance}) on ${b.address}:${b.port}`);
  }
  if (sim.controlPort !== null) {
    const url = `http://127.0.0.1:${sim.controlPort}`;
    logger.info({ url }, `control endpoint ${url} (GET /scenarios, POST /scenarios/:name, DELETE /scenarios/:name?device=, GET /devices)`);
  }
  const active = sim.scenarios().active;
  if (active.length > 0) logger.info({ scenarios: active }, 'scenarios active from the start');

  await new Promise<void>((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      logger.info({ signal }, 'stopping simulator');
      resolve();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  await sim.stop();
  await broker?.stop();
}
