import type { SiteConfig } from '../../src/config/schema.js';
import type { DriverContext } from '../../src/drivers/driver.js';
import { ModbusDriver } from '../../src/drivers/modbus/modbus-driver.js';
import { isModbusEntry, resolveDevices } from '../../src/gateway/device-catalog.js';
import { isModbusLink } from '../../src/drivers/modbus/transport.js';
import { pointId } from '../../src/points/sample.js';
import { findProfile } from '../../src/profiles/index.js';
import { SystemClock } from '../../src/time/clock.js';
import { startSimulator } from '../../simulator/simulator.js';
import { driverContract, type DriverContractFixture } from '../support/driver-contract.js';

/**
 * The driver contract for ModbusDriver, over real TCP on loopback, against the simulator of the demo
 * building. Two lifts of the elevator link: elevator-1 answers, elevator-4 runs the `no-answer` scenario
 * (every request to its unit id goes unanswered, while the link and the other units stay up).
 */

const LINK = 'elevators';
const HEALTHY = 'elevator-1';
const SILENT = 'elevator-4';
const SILENT_SCENARIO = 'no-answer';

// Short timings so the whole suite runs in a few seconds; a silent poll costs (retries + 1) × timeout.
const POLL_INTERVAL_MS = 150;
const TIMEOUT_MS = 150;
const RETRIES = 1;
/** Short back-off so the silent unit is probed (and must stay quiet) several times while the suite watches. */
const BACKOFF_INITIAL_MS = 300;
const BACKOFF_MAX_MS = 1200;
const CONNECT_TIMEOUT_MS = 1000;

/** The simulator's site config cut down to the two lifts, with test timings. */
function contractSite(site: SiteConfig): SiteConfig {
  return {
    ...site,
    links: site.links
      .filter((link) => link.id === LINK)
      .map((link) => ({ ...link, timeoutMs: TIMEOUT_MS, retries: RETRIES, connectTimeoutMs: CONNECT_TIMEOUT_MS, backoffInitialMs: BACKOFF_INITIAL_MS, backoffMaxMs: BACKOFF_MAX_MS })),
    devices: site.devices.filter((d) => d.id === HEALTHY || d.id === SILENT).map((d) => ({ ...d, pollIntervalMs: POLL_INTERVAL_MS })),
  };
}

async function modbusFixture(context: DriverContext): Promise<DriverContractFixture> {
  // The simulator's models run on their own clock: only the driver's clock belongs to the suite.
  const simulator = await startSimulator({ clock: new SystemClock(), controlPort: null });
  try {
    simulator.startScenario(SILENT_SCENARIO, SILENT);
    const site = contractSite(simulator.siteConfig());
    const link = site.links.find((l) => l.id === LINK);
    if (link === undefined || !isModbusLink(link)) throw new Error(`simulator config has no Modbus link ${LINK}`);
    const devices = resolveDevices(site, findProfile).filter(isModbusEntry);
    const driver = new ModbusDriver({ link, devices, context });
    return {
      driver,
      devices: { healthy: HEALTHY, silent: SILENT },
      expectedPoints: (deviceId) => devices.find((d) => d.config.id === deviceId)?.profile.points.map((p) => pointId(deviceId, p.name)) ?? [],
      teardown: () => simulator.stop(),
    };
  } catch (err) {
    await simulator.stop();
    throw err;
  }
}

driverContract('ModbusDriver (TCP, simulator)', modbusFixture);
