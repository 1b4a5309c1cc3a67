/**
 * BACnet read benchmark: requests and time per poll cycle of a 240-point fire panel (life-safety points
 * served by the simulator's device server over real UDP on loopback), with ReadPropertyMultiple versus
 * one ReadProperty per property (a device without RPM).
 *
 *   node dist/bench/bacnet-rpm.js      (after `npm run build`)
 *   npx tsx bench/bacnet-rpm.ts
 *
 * Figures per mode: requests per cycle (counted by the device), cycle time (ms, median of the cycles run),
 * and points per second. COV is off so every cycle reads every point.
 */
import { BacnetDriver } from '../src/drivers/bacnet/bacnet-driver.js';
import { silentLogger } from '../src/log.js';
import type { Sample } from '../src/points/sample.js';
import type { BacnetProfile } from '../src/profiles/types.js';
import { SystemClock } from '../src/time/clock.js';
import { startBacnetDeviceServer } from '../simulator/bacnet/device-server.js';

const POINTS = 240;
const CYCLES = 10;
/** Back to back: the next poll is due before one ends, so the time between two ends is the poll's own duration. */
const POLL_INTERVAL_MS = 1;

const profile: BacnetProfile = {
  id: 'bench-fire-panel',
  protocol: 'bacnet',
  equipment: 'fire-panel',
  description: '240 detectors',
  thresholds: [],
  points: Array.from({ length: POINTS }, (_, i) => ({ name: `detector_${i + 1}`, description: `Detector ${i + 1}`, kind: 'enum' as const, object: { type: 'life-safety-point' as const, instance: i + 1 }, cov: false })),
};

async function run(mode: 'rpm' | 'rp', address: string, port: number): Promise<{ requestsPerCycle: number; cycleMs: number }> {
  const server = await startBacnetDeviceServer({
    address,
    deviceInstance: 9000,
    deviceName: 'Bench panel',
    supportsReadPropertyMultiple: mode === 'rpm',
    objects: profile.points.map((p) => ({ type: 'life-safety-point' as const, instance: p.object.instance, name: p.description, presentValue: 0, mode: 1, trackingValue: 0 })),
  });
  const cycleEnds: number[] = [];
  const driver = new BacnetDriver({
    link: { id: 'bench', type: 'bacnet', interface: '127.0.0.1', port, broadcastAddress: '127.255.255.255', apduTimeoutMs: 2000, retries: 0, backoffInitialMs: 1000, backoffMaxMs: 1000, covLifetimeS: 300, covConfirmed: false, covInitialNotificationMs: 5000, covVerifyIntervalMs: 600_000, covRetryMs: 600_000 },
    siteId: 'bench',
    devices: [{ config: { id: 'panel', type: 'fire-panel', profile: profile.id, link: 'bench', address, deviceInstance: 9000, topicVars: {}, pollIntervalMs: POLL_INTERVAL_MS, staleAfterPolls: 3, commLossDelayMs: 0, enabled: true, thresholds: [], disableThresholds: [], eventRules: [] }, profile }],
    context: { clock: new SystemClock(), logger: silentLogger(), onSamples: (s: Sample[]) => { if (s.length === POINTS) cycleEnds.push(performance.now()); }, onDeviceStatus: () => undefined, onEvents: () => undefined, onDeviceAlarms: () => undefined },
  });
  await driver.start();
  // The first cycle learns (max APDU, RPM support); measure the ones after it.
  while (cycleEnds.length < 2) await new Promise((r) => setTimeout(r, 5));
  const before = { ...server.stats().requests };
  const startCount = cycleEnds.length;
  const t0 = performance.now();
  while (cycleEnds.length < startCount + CYCLES) await new Promise((r) => setTimeout(r, 5));
  const after = server.stats().requests;
  await driver.stop();
  await server.stop();
  const sum = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);
  const cycles = cycleEnds.length - startCount;
  const durations = cycleEnds.slice(startCount).map((end, i) => end - (cycleEnds[startCount + i - 1] ?? t0));
  durations.sort((a, b) => a - b);
  return { requestsPerCycle: (sum(after) - sum(before)) / cycles, cycleMs: durations[Math.floor(durations.length / 2)] ?? 0 };
}

const rpm = await run('rpm', '127.0.0.201', 47871);
const rp = await run('rp', '127.0.0.202', 47872);
console.log(`fire panel, ${POINTS} life-safety points, polls back to back, ${CYCLES} cycles (median cycle time)`);
console.log(`ReadPropertyMultiple: ${rpm.requestsPerCycle.toFixed(1)} requests/cycle, cycle ${rpm.cycleMs.toFixed(1)} ms`);
console.log(`ReadProperty only:    ${rp.requestsPerCycle.toFixed(1)} requests/cycle, cycle ${rp.cycleMs.toFixed(1)} ms`);
console.log(`requests saved by RPM: ${(rp.requestsPerCycle / Math.max(1, rpm.requestsPerCycle)).toFixed(0)}×`);
