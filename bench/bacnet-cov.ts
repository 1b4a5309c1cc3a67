/**
 * COV benchmark: how many COV notifications per second the driver turns into samples. A simulated device
 * with 50 analog values (real UDP on loopback) changes its values as fast as it can send; the driver is
 * subscribed to all of them.
 *
 *   node dist/bench/bacnet-cov.js      (after `npm run build`)
 *   npx tsx bench/bacnet-cov.ts
 *
 * Figures: notifications sent by the device, samples delivered by the driver, samples per second, and
 * the share of notifications that became samples (UDP on loopback may drop under load).
 */
import { BacnetDriver } from '../src/drivers/bacnet/bacnet-driver.js';
import { silentLogger } from '../src/log.js';
import type { BacnetProfile } from '../src/profiles/types.js';
import { SystemClock } from '../src/time/clock.js';
import { startBacnetDeviceServer } from '../simulator/bacnet/device-server.js';

const OBJECTS = 50;
const RUN_MS = 3000;
/** Changes sent between two yields to the event loop. */
const BURST = 50;

const profile: BacnetProfile = {
  id: 'bench-cov',
  protocol: 'bacnet',
  equipment: 'pump',
  description: 'analog values',
  thresholds: [],
  points: Array.from({ length: OBJECTS }, (_, i) => ({ name: `value_${i}`, description: `Value ${i}`, kind: 'analog' as const, unit: 'bar', object: { type: 'analog-value' as const, instance: i } })),
};

const server = await startBacnetDeviceServer({
  address: '127.0.0.203',
  deviceInstance: 9100,
  deviceName: 'COV bench',
  objects: profile.points.map((p) => ({ type: 'analog-value' as const, instance: p.object.instance, name: p.description, presentValue: 0 })),
});
let samples = 0;
const driver = new BacnetDriver({
  link: { id: 'bench', type: 'bacnet', interface: '127.0.0.1', port: 47873, broadcastAddress: '127.255.255.255', apduTimeoutMs: 2000, retries: 0, backoffInitialMs: 1000, backoffMaxMs: 1000, covLifetimeS: 300, covConfirmed: false, covInitialNotificationMs: 5000, covVerifyIntervalMs: 600_000, covRetryMs: 600_000 },
  siteId: 'bench',
  devices: [{ config: { id: 'dev', type: 'pump', profile: profile.id, link: 'bench', address: '127.0.0.203', deviceInstance: 9100, topicVars: {}, pollIntervalMs: 1000, staleAfterPolls: 3, commLossDelayMs: 0, enabled: true, thresholds: [], disableThresholds: [], eventRules: [] }, profile }],
  context: { clock: new SystemClock(), logger: silentLogger(), onSamples: (s) => (samples += s.length), onDeviceStatus: () => undefined, onEvents: () => undefined, onDeviceAlarms: () => undefined },
});
await driver.start();
while (driver.health().devices[0]?.cov !== 'active') await new Promise((r) => setTimeout(r, 10));
await new Promise((r) => setTimeout(r, 200));

const sentBefore = server.stats().covNotificationsSent;
const samplesBefore = samples;
const t0 = performance.now();
let value = 0;
while (performance.now() - t0 < RUN_MS) {
  for (let i = 0; i < BURST; i++) server.set('analog-value', (value + i) % OBJECTS, 'present-value', ++value);
  await new Promise((r) => setImmediate(r));
}
await new Promise((r) => setTimeout(r, 300));
const seconds = (performance.now() - t0) / 1000;
const sent = server.stats().covNotificationsSent - sentBefore;
const delivered = samples - samplesBefore;
await driver.stop();
await server.stop();
console.log(`COV: ${OBJECTS} analog values, ${RUN_MS} ms of changes`);
console.log(`notifications sent ${sent}, samples delivered ${delivered} (${((100 * delivered) / Math.max(1, sent)).toFixed(1)} %)`);
console.log(`${(delivered / seconds).toFixed(0)} samples/s from COV notifications (device and gateway in one process)`);
