import { createLogger } from '../src/log.js';
import { SystemClock } from '../src/time/clock.js';
import { demoBuilding } from './demo-building.js';
import { parseScenarioArgs } from './scenario-args.js';
import { startSimulator } from './simulator.js';

/**
 * Runs the simulator on the system clock until SIGINT or SIGTERM (`facility-gw simulate` calls this).
 * Links get consecutive ports from `basePort` in the demo building's link order (elevators, plant-room).
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
}

const DEFAULT_BASE_PORT = 15020;
const DEFAULT_CONTROL_PORT = 8099;

export async function runSimulatorCli(opts: SimulatorCliOptions = {}): Promise<void> {
  const rootLogger = createLogger();
  const logger = rootLogger.child({ module: 'simulator.cli' });
  const basePort = opts.basePort ?? DEFAULT_BASE_PORT;
  const building = demoBuilding();
  const ports = Object.fromEntries(building.links.map((link, i) => [link.id, basePort === 0 ? 0 : basePort + i]));

  const sim = await startSimulator({
    clock: new SystemClock(),
    seed: opts.seed,
    host: opts.host,
    ports,
    scenarios: parseScenarioArgs(opts.scenarios ?? []),
    controlPort: opts.controlPort ?? DEFAULT_CONTROL_PORT,
    logger: rootLogger,
  });

  for (const link of building.links) {
    const port = sim.ports[link.id];
    const devices = building.devices.filter((d) => d.link === link.id).map((d) => `${d.id}@${d.unitId}`);
    logger.info({ link: link.id, host: sim.host, port, devices }, `Modbus TCP ${link.id} on ${sim.host}:${port}: ${devices.join(', ')}`);
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
}
