/**
 * Maintenance-meter benchmark: the cost of MaintenanceService.onSamples on the gateway's sample path.
 *
 *   node --expose-gc dist/bench/maintenance-meter.js      (after `npm run build`)
 *   npx tsx bench/maintenance-meter.ts
 *
 * Target: the meters must not show beside the rule loop (≥ 500,000 samples/s is its target, it does
 * millions): at least 5,000,000 samples/s through onSamples, one thread.
 *
 * The fleet: 1,000 pumps of the pump profile (16 points each), 1,000 meter schedules: 500 on run hours
 * (the device's counter, every 500 h) and 500 on starts (rising edges of `running`, every 200 starts). Every
 * virtual second each pump reports one poll (a batch of its 16 samples), as a driver hands them to the
 * gateway; so 2 of 16 points of a pump are read by a schedule, the rest cost a map miss. Pumps start and
 * stop every few seconds (the running flag changes) and run hours grow while running, so counters change on
 * most polls. Samples are objects updated in place between polls; only the onSamples calls are timed
 * (process.hrtime around each batch). The counters' flush to SQLite (every 30 s, one transaction) runs on
 * the virtual clock between polls and is timed separately. A last phase drives 200 of the start meters
 * over their limit to time the opening of a work order (one transaction: order, period, counters).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { MaintenanceScheduleConfig } from '../src/config/maintenance-schema.js';
import { migrate } from '../src/alarms/lifecycle/migrations.js';
import { GATEWAY_MIGRATIONS } from '../src/gateway/store-migrations.js';
import { silentLogger } from '../src/log.js';
import { MAINTENANCE_MIGRATIONS } from '../src/maintenance/migrations.js';
import type { MaintenanceDevice } from '../src/maintenance/schedules.js';
import { MaintenanceService } from '../src/maintenance/service.js';
import type { Sample } from '../src/points/sample.js';
import { pumpProfile } from '../src/profiles/pump.js';
import { VirtualClock } from '../src/time/clock.js';
import { WorkOrderService } from '../src/workorders/service.js';
import { WorkOrderStore } from '../src/workorders/store.js';

const PUMPS = 1000;
const CYCLES = 1200;
const TARGET_SAMPLES_PER_S = 5_000_000;
const SECOND_MS = 1000;

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

const dir = mkdtempSync(join(tmpdir(), 'bench-pm-'));
const db = new Database(join(dir, 'gw.db'));
db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL');
migrate(db, [...GATEWAY_MIGRATIONS, ...MAINTENANCE_MIGRATIONS]);
const clock = new VirtualClock(Date.parse('2026-03-02T00:00:00Z'));
const orders = new WorkOrderService(new WorkOrderStore(db), clock);

const devices: MaintenanceDevice[] = [];
const schedules: MaintenanceScheduleConfig[] = [];
for (let i = 0; i < PUMPS; i++) {
  const id = `pump-${i}`;
  devices.push({ id, type: 'pump', name: `Pump ${i}`, points: pumpProfile.points });
  const base = { floating: false, type: 'preventive' as const, checklist: ['Service the pump'], assets: { devices: [id] } };
  schedules.push(
    i % 2 === 0
      ? { ...base, id: `hours-${i}`, kind: 'meter', title: '{deviceName}: 500 h service', meter: { point: 'run_hours', every: 500, count: 'value', from: 'order' } }
      : { ...base, id: `starts-${i}`, kind: 'meter', title: '{deviceName}: contactor check', meter: { point: 'running', every: 200, count: 'rising-edges', from: 'order' } },
  );
}
const service = new MaintenanceService({
  config: { schedules, builtIn: [], evidence: [] },
  site: 'bench',
  timeZone: 'Asia/Shanghai',
  orders,
  db,
  clock,
  logger: silentLogger(),
  devices,
  counterFlushMs: 30_000,
});
service.start();

// One poll batch per pump, its sample objects reused from poll to poll.
const batches: Sample[][] = devices.map((d) => pumpProfile.points.map((p) => ({ point: `${d.id}.${p.name}`, value: 0, ts: clock.now(), quality: 'good' as const })));
const runIdx = pumpProfile.points.findIndex((p) => p.name === 'running');
const hoursIdx = pumpProfile.points.findIndex((p) => p.name === 'run_hours');
const runHours = devices.map((_, i) => 1000 + i);
const running = devices.map(() => false);

function poll(cycle: number): void {
  const now = clock.now();
  for (let i = 0; i < PUMPS; i++) {
    // Each pump starts and stops on its own rhythm (every 3-9 s); run hours grow while it runs.
    if (cycle % (3 + (i % 7)) === 0) running[i] = !running[i];
    if (running[i]) runHours[i] = (runHours[i] ?? 0) + SECOND_MS / 3_600_000;
    const batch = batches[i] as Sample[];
    for (let p = 0; p < batch.length; p++) {
      const s = batch[p] as Sample;
      s.ts = now;
      s.value = p === runIdx ? (running[i] ?? false) : p === hoursIdx ? (runHours[i] ?? 0) : (cycle * 7 + p * 13 + i) % 100;
    }
  }
}

let measuredNs = 0n;
let samples = 0;
let flushNs = 0n;
const batchNs: number[] = [];
for (let cycle = 0; cycle < CYCLES; cycle++) {
  poll(cycle);
  for (let i = 0; i < PUMPS; i++) {
    const batch = batches[i] as Sample[];
    const t0 = process.hrtime.bigint();
    service.onSamples(batch);
    const dt = process.hrtime.bigint() - t0;
    measuredNs += dt;
    if (cycle >= 10) batchNs.push(Number(dt));
    samples += batch.length;
  }
  const f0 = process.hrtime.bigint();
  clock.advanceSync(SECOND_MS);
  flushNs += process.hrtime.bigint() - f0;
}
const seconds = Number(measuredNs) / 1e9;
const samplesPerS = samples / seconds;
batchNs.sort((a, b) => a - b);
const pct = (q: number) => (batchNs[Math.min(batchNs.length - 1, Math.floor(q * batchNs.length))] ?? 0) / 1000;
const flushes = Math.floor((CYCLES * SECOND_MS) / 30_000);
const openedBefore = orders.list().length;

// Order phase: push 200 start meters over their limit, one start at a time.
const startMeters = devices.filter((_, i) => i % 2 === 1).slice(0, 200);
let orderNs = 0n;
let orderCalls = 0;
for (const d of startMeters) {
  const counter = service.status().counters.find((c) => c.point === `${d.id}.running`);
  const missing = 200 - (counter?.total ?? 0);
  for (let k = 0; k < missing; k++) {
    clock.advanceSync(SECOND_MS);
    const on: Sample = { point: `${d.id}.running`, value: true, ts: clock.now(), quality: 'good' };
    const off: Sample = { point: `${d.id}.running`, value: false, ts: clock.now(), quality: 'good' };
    const t0 = process.hrtime.bigint();
    service.onSamples([on]);
    if (k === missing - 1) {
      orderNs += process.hrtime.bigint() - t0;
      orderCalls++;
    }
    service.onSamples([off]);
  }
}
const opened = orders.list().length - openedBefore;
service.stop();
db.close();
rmSync(dir, { recursive: true, force: true });

const ok = samplesPerS >= TARGET_SAMPLES_PER_S;
console.log(`maintenance-meter: ${fmt(PUMPS)} pumps × ${pumpProfile.points.length} points, ${fmt(schedules.length)} meter schedules (500 run-hours, 500 start counts), node ${process.version}`);
console.log(`  throughput      ${fmt(samplesPerS)} samples/s through onSamples (${fmt(samples)} samples in ${fmt(seconds, 3)} s)   target ≥ ${fmt(TARGET_SAMPLES_PER_S)}: ${ok ? 'ok' : 'MISSED'}`);
console.log(`  per poll batch  p50 ${fmt(pct(0.5), 2)} µs   p99 ${fmt(pct(0.99), 2)} µs   max ${fmt(pct(1), 1)} µs   (16 samples, 2 read by a meter)`);
console.log(`  counter flush   ${fmt(flushes)} flushes of up to ${fmt(PUMPS)} counters: ${fmt(Number(flushNs) / 1e6 / Math.max(1, flushes), 2)} ms each on average (timer, off the sample path)`);
console.log(`  order opened    ${fmt(opened)} orders (${fmt(openedBefore)} in the sample phase): ${fmt(Number(orderNs) / 1e6 / Math.max(1, orderCalls), 2)} ms per opening sample (order, period and counters in one transaction)`);
if (!ok || opened !== 200) process.exitCode = 1;
