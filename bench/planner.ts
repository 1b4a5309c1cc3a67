/**
 * Read-planner benchmark: how many Modbus requests one poll cycle of the demo building costs.
 *
 *   node dist/bench/planner.js      (after `npm run build`)
 *   npx tsx bench/planner.ts
 *
 * Figures:
 * - per device and in total: points; naive requests per cycle (one per point); planned requests (planReads);
 *   the fewest possible (minimalBlockCount, an independent dynamic programme); whether the plan is optimal.
 * - on the wire: the simulator and the real ModbusDriver per link, on the system clock, for a few poll
 *   cycles. A counting transport in front of modbus-serial counts the requests actually sent; per device,
 *   requests up to its last completed poll divided by its completed polls.
 * - the cost of planReads itself, µs per device plan.
 *
 * Targets: planned == minimal for every device; requests on the wire per cycle == planned.
 */
import type { LinkConfig, SiteConfig } from '../src/config/schema.js';
import { ModbusDriver } from '../src/drivers/modbus/modbus-driver.js';
import { minimalBlockCount, planReads } from '../src/drivers/modbus/planner.js';
import { ModbusSerialTransport, isModbusLink, type ModbusLinkConfig, type ModbusTransport, type ReadValues } from '../src/drivers/modbus/transport.js';
import { isModbusEntry, resolveDevices, type DeviceEntry, type ModbusDeviceEntry } from '../src/gateway/device-catalog.js';
import { silentLogger } from '../src/log.js';
import { splitPointId, type Sample } from '../src/points/sample.js';
import { findProfile } from '../src/profiles/index.js';
import type { RegisterTable } from '../src/profiles/types.js';
import { SystemClock } from '../src/time/clock.js';
import { demoSiteConfig } from '../simulator/demo-building.js';
import { startSimulator } from '../simulator/simulator.js';

/** The plan needs no connection: any valid port will do. */
const DUMMY_PORTS = { elevators: 1502, 'plant-room': 1503 };
const PLAN_WARMUP_RUNS = 2_000;
const PLAN_TIMED_RUNS = 20_000;
/** Short polls so a couple of seconds give a dozen cycles per device. */
const WIRE_POLL_INTERVAL_MS = 200;
const WIRE_RUN_MS = 2_500;

interface PlanRow {
  device: string;
  points: number;
  planned: number;
  minimal: number;
}

function linkOf(links: readonly LinkConfig[], entry: DeviceEntry): ModbusLinkConfig {
  const link = links.find((l) => l.id === entry.config.link);
  if (link === undefined || !isModbusLink(link)) throw new Error(`device ${entry.config.id}: no Modbus link ${entry.config.link}`);
  return link;
}

/** The demo building's Modbus devices with their profiles. */
function modbusDevices(site: SiteConfig): ModbusDeviceEntry[] {
  return resolveDevices(site, findProfile).filter(isModbusEntry);
}

function planRows(): PlanRow[] {
  const site = demoSiteConfig({ host: '127.0.0.1', ports: DUMMY_PORTS });
  return modbusDevices(site).map((entry) => {
    const link = linkOf(site.links, entry);
    return {
      device: entry.config.id,
      points: entry.profile.points.length,
      planned: planReads(entry.profile.points, link).length,
      minimal: minimalBlockCount(entry.profile.points, link),
    };
  });
}

/** Mean µs per planReads call over every device of the demo building. */
function timePlanReads(): number {
  const site = demoSiteConfig({ host: '127.0.0.1', ports: DUMMY_PORTS });
  const jobs = modbusDevices(site).map((entry) => ({ points: entry.profile.points, link: linkOf(site.links, entry) }));
  let blocks = 0;
  const runAll = (runs: number): void => {
    for (let i = 0; i < runs; i++) for (const job of jobs) blocks += planReads(job.points, job.link).length;
  };
  runAll(PLAN_WARMUP_RUNS);
  const startNs = process.hrtime.bigint();
  runAll(PLAN_TIMED_RUNS);
  const elapsedNs = Number(process.hrtime.bigint() - startNs);
  // Keeps the result observable so the loop cannot be optimised away.
  if (blocks === 0) throw new Error('no blocks planned');
  return elapsedNs / 1000 / (PLAN_TIMED_RUNS * jobs.length);
}

/** Counts the requests that reach modbus-serial, per unit id. */
class CountingTransport implements ModbusTransport {
  readonly readsByUnit = new Map<number, number>();

  constructor(private readonly inner: ModbusTransport) {}

  connect(): Promise<void> {
    return this.inner.connect();
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  isOpen(): boolean {
    return this.inner.isOpen();
  }

  onClose(listener: () => void): void {
    this.inner.onClose(listener);
  }

  read(unitId: number, table: RegisterTable, start: number, count: number): Promise<ReadValues> {
    this.readsByUnit.set(unitId, (this.readsByUnit.get(unitId) ?? 0) + 1);
    return this.inner.read(unitId, table, start, count);
  }
}

interface WireCount {
  polls: number;
  /** Requests sent up to the end of the device's last completed poll. */
  requests: number;
  notGood: number;
}

/** Runs the real driver against the simulator and returns, per device, polls completed and requests sent. */
async function measureOnTheWire(): Promise<Map<string, WireCount>> {
  const clock = new SystemClock();
  const simulator = await startSimulator({ clock, controlPort: null });
  const counts = new Map<string, WireCount>();
  const drivers: ModbusDriver[] = [];
  try {
    const served = simulator.siteConfig();
    const site = { ...served, devices: served.devices.map((d) => ({ ...d, pollIntervalMs: WIRE_POLL_INTERVAL_MS })) };
    const entries = modbusDevices(site);
    for (const link of site.links.filter(isModbusLink)) {
      const onLink = entries.filter((e) => e.config.link === link.id);
      const transport = new CountingTransport(new ModbusSerialTransport({ link, clock }));
      const unitOf = new Map(onLink.map((e) => [e.config.id, e.config.unitId]));
      const onSamples = (samples: Sample[]): void => {
        const first = samples[0];
        // Stale batches come from a skipped poll, not from requests.
        if (first === undefined || samples.every((s) => s.quality === 'stale')) return;
        const device = splitPointId(first.point).device;
        const count = counts.get(device) ?? { polls: 0, requests: 0, notGood: 0 };
        count.polls++;
        count.requests = transport.readsByUnit.get(unitOf.get(device) ?? -1) ?? 0;
        count.notGood += samples.filter((s) => s.quality !== 'good').length;
        counts.set(device, count);
      };
      const context = { clock, logger: silentLogger(), onSamples, onDeviceStatus: () => undefined, onEvents: () => undefined, onDeviceAlarms: () => undefined };
      drivers.push(new ModbusDriver({ link, devices: onLink, context, transport }));
    }
    await Promise.all(drivers.map((d) => d.start()));
    await clock.sleep(WIRE_RUN_MS);
  } finally {
    await Promise.all(drivers.map((d) => d.stop()));
    await simulator.stop();
  }
  return counts;
}

const fmt = (n: number, digits = 0): string => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const verdict = (ok: boolean): string => (ok ? 'met' : 'MISSED');
const pad = (text: string | number, width: number): string => String(text).padStart(width);

const rows = planRows();
const microsPerPlan = timePlanReads();
const wire = await measureOnTheWire();

const total = rows.reduce((t, r) => ({ points: t.points + r.points, planned: t.planned + r.planned, minimal: t.minimal + r.minimal }), { points: 0, planned: 0, minimal: 0 });
let wireTotal = 0;
let wireMatches = true;
let notGood = 0;
let minPolls = Number.POSITIVE_INFINITY;

console.log(`planner: demo building, ${rows.length} devices; requests per poll cycle (wire: ${fmt(WIRE_RUN_MS / 1000, 1)} s at ${WIRE_POLL_INTERVAL_MS} ms polls)`);
console.log(`  ${'device'.padEnd(14)}${pad('points', 7)}${pad('naive', 7)}${pad('planned', 9)}${pad('minimal', 9)}${pad('optimal', 9)}${pad('wire', 8)}${pad('polls', 7)}`);
for (const row of rows) {
  const count = wire.get(row.device);
  const perCycle = count !== undefined && count.polls > 0 ? count.requests / count.polls : Number.NaN;
  wireTotal += perCycle;
  wireMatches &&= perCycle === row.planned;
  notGood += count?.notGood ?? 0;
  minPolls = Math.min(minPolls, count?.polls ?? 0);
  const optimal = row.planned === row.minimal ? 'yes' : 'NO';
  console.log(`  ${row.device.padEnd(14)}${pad(row.points, 7)}${pad(row.points, 7)}${pad(row.planned, 9)}${pad(row.minimal, 9)}${pad(optimal, 9)}${pad(fmt(perCycle, 2), 8)}${pad(count?.polls ?? 0, 7)}`);
}
const allOptimal = rows.every((r) => r.planned === r.minimal);
console.log(`  ${'total'.padEnd(14)}${pad(total.points, 7)}${pad(total.points, 7)}${pad(total.planned, 9)}${pad(total.minimal, 9)}${pad(allOptimal ? 'yes' : 'NO', 9)}${pad(fmt(wireTotal, 2), 8)}`);
console.log(`  plan            ${fmt(total.points)} naive → ${fmt(total.planned)} planned requests per cycle (${fmt(total.points / total.planned, 1)}× fewer); planned == minimal on ${rows.filter((r) => r.planned === r.minimal).length}/${rows.length} devices: ${verdict(allOptimal)}`);
console.log(`  on the wire     ${fmt(wireTotal, 2)} requests per cycle observed vs ${fmt(total.planned)} planned (≥ ${minPolls} polls per device; ${fmt(notGood)} samples not good): ${verdict(wireMatches)}`);
console.log(`  planReads       ${fmt(microsPerPlan, 2)} µs per device plan (${fmt(PLAN_TIMED_RUNS * rows.length)} plans timed)`);
if (!allOptimal || !wireMatches) process.exitCode = 1;
