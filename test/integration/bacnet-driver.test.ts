import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import type { AlarmEvent } from '../../src/alarms/events.js';
import type { BacnetLinkConfig } from '../../src/config/bacnet-schema.js';
import { BacnetDriver } from '../../src/drivers/bacnet/bacnet-driver.js';
import type { DeviceStatusEvent, DriverContext } from '../../src/drivers/driver.js';
import { silentLogger } from '../../src/log.js';
import type { Sample } from '../../src/points/sample.js';
import type { BacnetProfile } from '../../src/profiles/types.js';
import { SystemClock, VirtualClock, type Clock } from '../../src/time/clock.js';
import { startBacnetDeviceServer, type BacnetDeviceServer, type BacnetDeviceServerOptions } from '../../simulator/bacnet/device-server.js';
import { TEST_PROFILE, bacnetDevice, bacnetLink, entry, testObjects } from './bacnet-support.js';

/**
 * BacnetDriver against simulated devices over real UDP on loopback. The gateway binds 127.0.0.1:47841;
 * devices listen on 127.0.0.41.. port 47808.
 */

const GATEWAY_PORT = 47841;
const LINK = 'bacnet-test';

class Recorder {
  readonly samples: Sample[] = [];
  readonly statuses: DeviceStatusEvent[] = [];
  readonly alarms: AlarmEvent[] = [];
  constructor(readonly clock: Clock) {}
  context(): DriverContext {
    return {
      clock: this.clock,
      logger: silentLogger(),
      onSamples: (s) => this.samples.push(...s),
      onDeviceStatus: (s) => this.statuses.push(s),
      onEvents: () => undefined,
      onDeviceAlarms: (a) => this.alarms.push(...a),
    };
  }
  latest(point: string): Sample | undefined {
    return this.samples.filter((s) => s.point === point).at(-1);
  }
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function device(address: string, instance: number, options: Partial<BacnetDeviceServerOptions> = {}): Promise<BacnetDeviceServer> {
  const server = await startBacnetDeviceServer({ address, deviceInstance: instance, deviceName: `Device ${instance}`, objects: testObjects(), ...options });
  cleanups.push(() => server.stop());
  return server;
}

async function driverFor(recorder: Recorder, devices: Array<{ id: string; address: string; instance: number; maxApdu?: number }>, link: Partial<BacnetLinkConfig> = {}, profile: BacnetProfile = TEST_PROFILE): Promise<BacnetDriver> {
  const driver = new BacnetDriver({
    link: bacnetLink(LINK, GATEWAY_PORT, link),
    siteId: 'site',
    devices: devices.map((d) => entry(bacnetDevice(d.id, LINK, d.address, d.instance, d.maxApdu === undefined ? {} : { maxApdu: d.maxApdu }), profile)),
    context: recorder.context(),
  });
  cleanups.push(() => driver.stop());
  await driver.start();
  return driver;
}

async function until(what: string, condition: () => boolean, timeoutMs = 4000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

const allGood = (r: Recorder, deviceId: string) => TEST_PROFILE.points.every((p) => r.samples.some((s) => s.point === `${deviceId}.${p.name}` && s.quality === 'good'));

describe('BacnetDriver reads', () => {
  it('reads every object kind with ReadPropertyMultiple, with values decoded per type', async () => {
    const server = await device('127.0.0.41', 4101);
    const r = new Recorder(new SystemClock());
    const driver = await driverFor(r, [{ id: 'p1', address: '127.0.0.41', instance: 4101 }]);
    await until('all points good', () => allGood(r, 'p1'));
    expect(r.latest('p1.room_temperature')?.value).toBeCloseTo(21.5, 5);
    expect(r.latest('p1.supply_ok')?.value).toBe(true);
    // Enum points arrive as their state names, as from Modbus; a number the profile does not name as unknown_<n>.
    expect(r.latest('p1.panel_mode')?.value).toBe('normal');
    expect(r.latest('p1.zone_1_state')?.value).toBe('unknown_0');
    expect(r.latest('p1.zone_1_mode')?.value).toBe('unknown_1');
    expect(server.stats().requests).toHaveProperty('read-property-multiple');
    expect(server.stats().requests['read-property'] ?? 0).toBeLessThanOrEqual(2);
    expect(driver.health().devices[0]?.state).toBe('online');
  });

  it('falls back to ReadProperty on a device without ReadPropertyMultiple', async () => {
    const server = await device('127.0.0.42', 4102, { supportsReadPropertyMultiple: false });
    const r = new Recorder(new SystemClock());
    await driverFor(r, [{ id: 'p2', address: '127.0.0.42', instance: 4102 }]);
    await until('all points good', () => allGood(r, 'p2'));
    const before = server.stats().requests['read-property-multiple'] ?? 0;
    await sleep(400);
    expect(before).toBeGreaterThan(0);
    // Once refused, RPM is not tried again.
    expect(server.stats().requests['read-property-multiple'] ?? 0).toBe(before);
    expect(server.stats().requests['read-property'] ?? 0).toBeGreaterThan(5);
  });

  it('splits reads to fit a small max APDU, without a too-big abort', async () => {
    const objects = Array.from({ length: 40 }, (_, i) => ({ type: 'analog-value' as const, instance: 100 + i, name: `AV ${i}`, units: 62, presentValue: i }));
    const profile: BacnetProfile = {
      ...TEST_PROFILE,
      points: objects.map((o) => ({ name: `av_${o.instance}`, description: o.name, kind: 'analog' as const, unit: 'degC', object: { type: o.type, instance: o.instance }, cov: false })),
    };
    const server = await device('127.0.0.43', 4103, { maxApdu: 206, objects });
    const r = new Recorder(new SystemClock());
    await driverFor(r, [{ id: 'p3', address: '127.0.0.43', instance: 4103 }], {}, profile);
    await until('all 40 values', () => profile.points.every((p) => r.samples.some((s) => s.point === `p3.${p.name}` && s.quality === 'good')));
    expect(r.latest('p3.av_139')?.value).toBe(39);
    expect(server.stats().rejected).toBe(0);
    expect(server.stats().requests['read-property-multiple'] ?? 0).toBeGreaterThan(4);
  });

  it('shrinks batches by itself when the configured max APDU is too optimistic', async () => {
    const objects = Array.from({ length: 40 }, (_, i) => ({ type: 'analog-value' as const, instance: 100 + i, name: `AV ${i}`, presentValue: i }));
    const profile: BacnetProfile = {
      ...TEST_PROFILE,
      points: objects.map((o) => ({ name: `av_${o.instance}`, description: o.name, kind: 'analog' as const, unit: 'degC', object: { type: o.type, instance: o.instance }, cov: false })),
    };
    const server = await device('127.0.0.44', 4104, { maxApdu: 206, objects });
    const r = new Recorder(new SystemClock());
    await driverFor(r, [{ id: 'p4', address: '127.0.0.44', instance: 4104, maxApdu: 1476 }], {}, profile);
    await until('all 40 values', () => profile.points.every((p) => r.samples.some((s) => s.point === `p4.${p.name}` && s.quality === 'good')));
    const rejectedAfterLearning = server.stats().rejected;
    expect(rejectedAfterLearning).toBeGreaterThan(0);
    await sleep(500);
    expect(server.stats().rejected).toBe(rejectedAfterLearning);
  });

  it('marks an unknown object bad with a message naming device, object and property, and reads the rest', async () => {
    await device('127.0.0.45', 4105);
    const profile: BacnetProfile = {
      ...TEST_PROFILE,
      points: [...TEST_PROFILE.points, { name: 'ghost', description: 'Not on the device', kind: 'analog', unit: 'degC', object: { type: 'analog-input', instance: 999 } }],
    };
    const r = new Recorder(new SystemClock());
    const driver = await driverFor(r, [{ id: 'p5', address: '127.0.0.45', instance: 4105 }], {}, profile);
    await until('ghost bad and the rest good', () => allGood(r, 'p5') && r.latest('p5.ghost')?.quality === 'bad');
    expect(r.latest('p5.ghost')?.error).toMatch(/p5.*analog-input 999.*present-value.*unknown object/);
    expect(driver.health().devices[0]?.state).toBe('degraded');
  });

  it('maps status flags and reliability to quality', async () => {
    const server = await device('127.0.0.46', 4106);
    const r = new Recorder(new SystemClock());
    await driverFor(r, [{ id: 'p6', address: '127.0.0.46', instance: 4106 }], { covInitialNotificationMs: 200 });
    await until('all good', () => allGood(r, 'p6'));
    server.set('analog-input', 1, 'status-flags', { inAlarm: false, fault: false, overridden: false, outOfService: true });
    await until('out of service is uncertain', () => r.latest('p6.room_temperature')?.quality === 'uncertain');
    server.set('analog-input', 1, 'reliability', 4);
    server.set('analog-input', 1, 'status-flags', { inAlarm: false, fault: true, overridden: false, outOfService: false });
    await until('fault is bad', () => r.latest('p6.room_temperature')?.quality === 'bad');
    expect(r.latest('p6.room_temperature')?.error).toMatch(/open-loop|fault/);
    server.set('analog-input', 1, 'reliability', 0);
    server.set('analog-input', 1, 'status-flags', { inAlarm: true, fault: false, overridden: false, outOfService: false });
    await until('in alarm alone is good', () => r.latest('p6.room_temperature')?.quality === 'good');
  });

  it('reports a device that falls silent offline once, turns its points stale, and online again when it answers', async () => {
    const server = await device('127.0.0.47', 4107);
    const r = new Recorder(new SystemClock());
    const driver = await driverFor(r, [{ id: 'p7', address: '127.0.0.47', instance: 4107 }], { apduTimeoutMs: 150 });
    await until('all good', () => allGood(r, 'p7'));
    server.setSilent(true);
    await until('offline', () => r.statuses.some((s) => !s.online));
    await sleep(1000);
    expect(r.statuses.map((s) => s.online)).toEqual([true, false]);
    const stale = r.samples.filter((s) => s.quality === 'stale');
    expect(stale.map((s) => s.point).sort()).toEqual(TEST_PROFILE.points.map((p) => `p7.${p.name}`).sort());
    expect(stale.find((s) => s.point === 'p7.room_temperature')?.value).toBeCloseTo(21.5, 5);
    expect(driver.health().devices[0]?.state).toBe('offline');
    server.setSilent(false);
    await until('online again', () => r.statuses.length === 3);
    expect(r.statuses.map((s) => s.online)).toEqual([true, false, true]);
  });
});

describe('BacnetDriver COV', () => {
  it('subscribes, takes values from notifications, and stops polling those points', async () => {
    const server = await device('127.0.0.51', 4201);
    const r = new Recorder(new SystemClock());
    const driver = await driverFor(r, [{ id: 'c1', address: '127.0.0.51', instance: 4201 }]);
    await until('cov active', () => driver.health().devices[0]?.cov === 'active');
    expect(server.covSubscriptions().map((s) => `${s.objectType}:${s.instance}`).sort()).toEqual(['analog-input:1', 'binary-input:2', 'life-safety-zone:4', 'multi-state-value:3']);
    server.set('analog-input', 1, 'present-value', 30.25);
    await until('notified value', () => r.latest('c1.room_temperature')?.value === 30.25, 1000);
    // Polls now carry only what COV does not: the zone's mode and the detector without COV.
    const polled = new Set<string>();
    const from = r.samples.length;
    await sleep(500);
    for (const s of r.samples.slice(from)) polled.add(s.point);
    expect([...polled].sort()).toEqual(['c1.detector_5_state', 'c1.zone_1_mode']);
  });

  it('falls back to polling when the device refuses COV, and says so in health', async () => {
    await device('127.0.0.52', 4202, { supportsCov: false });
    const r = new Recorder(new SystemClock());
    const driver = await driverFor(r, [{ id: 'c2', address: '127.0.0.52', instance: 4202 }]);
    await until('cov polling', () => driver.health().devices[0]?.cov === 'polling');
    expect(driver.health().devices[0]?.covReason).toMatch(/SubscribeCOV/);
    expect(allGood(r, 'c2')).toBe(true);
  });

  it('falls back to polling when the initial notification does not come (muted device)', async () => {
    const server = await device('127.0.0.53', 4203);
    server.setCovBehaviour({ mute: true });
    const r = new Recorder(new SystemClock());
    const driver = await driverFor(r, [{ id: 'c3', address: '127.0.0.53', instance: 4203 }], { covInitialNotificationMs: 300 });
    await until('cov polling', () => driver.health().devices[0]?.cov === 'polling');
    expect(driver.health().devices[0]?.covReason).toMatch(/no initial COV notification/);
    server.set('analog-input', 1, 'present-value', 12.5);
    await until('polled value', () => r.latest('c3.room_temperature')?.value === 12.5, 1000);
  });

  it('renews before the lifetime ends, and a verification read catches notifications that stopped (virtual clock)', async () => {
    const clock = new VirtualClock();
    const server = await device('127.0.0.54', 4204, { clock });
    const r = new Recorder(clock);
    const driver = await driverFor(r, [{ id: 'c4', address: '127.0.0.54', instance: 4204 }], { covLifetimeS: 60, covVerifyIntervalMs: 30_000, covInitialNotificationMs: 2000 });
    const step = async (ms: number) => {
      await clock.advance(ms);
      await sleep(25);
    };
    for (let i = 0; i < 40 && driver.health().devices[0]?.cov !== 'active'; i++) await step(150);
    expect(driver.health().devices[0]?.cov).toBe('active');
    const firstExpiry = server.covSubscriptions().find((s) => s.objectType === 'analog-input')?.expiresAt ?? 0;
    // 75 % of 60 s: the renewal moves the expiry forward before the subscription lapses.
    for (let t = 0; t < 50_000; t += 1000) await step(1000);
    const renewedExpiry = server.covSubscriptions().find((s) => s.objectType === 'analog-input')?.expiresAt ?? 0;
    expect(renewedExpiry).toBeGreaterThan(firstExpiry);
    expect(driver.health().devices[0]?.cov).toBe('active');
    // Notifications stop; the value changes; the next verification read finds it.
    server.setCovBehaviour({ mute: true });
    server.set('analog-input', 1, 'present-value', 40);
    for (let t = 0; t < 31_000 && driver.health().devices[0]?.cov === 'active'; t += 1000) await step(1000);
    expect(driver.health().devices[0]?.cov).not.toBe('active');
    expect(driver.health().devices[0]?.covReason).toMatch(/notifications stopped/);
    expect(r.latest('c4.room_temperature')?.value).toBe(40);
  });
});

describe('BacnetDriver intrinsic alarms', () => {
  it('turns confirmed and unconfirmed event notifications into alarm events', async () => {
    const server = await device('127.0.0.61', 4301, { eventRecipients: [{ address: '127.0.0.1', port: GATEWAY_PORT, confirmed: true }] });
    const r = new Recorder(new SystemClock());
    const driver = await driverFor(r, [{ id: 'f1', address: '127.0.0.61', instance: 4301 }]);
    await until('online', () => r.statuses.length > 0);
    await server.notifyEvent({ type: 'life-safety-zone', instance: 4, fromState: 0, toState: 5, priority: 10, message: 'Fire zone 1', confirmed: true });
    await until('raise', () => r.alarms.length === 1);
    await server.notifyEvent({ type: 'life-safety-zone', instance: 4, fromState: 5, toState: 0, priority: 200, confirmed: false });
    await until('clear', () => r.alarms.length === 2);
    const [raise, clear] = r.alarms;
    expect(raise).toMatchObject({ type: 'raise', alarmId: 'f1:life-safety-zone_4', device: 'f1', site: 'site', point: 'f1.zone_1_state', kind: 'intrinsic', priority: 'critical', lifeSafety: true });
    expect(raise?.message).toMatch(/zone_1_state \(life-safety-zone 4\): life-safety-alarm — Fire zone 1/);
    expect(clear).toMatchObject({ type: 'clear', alarmId: 'f1:life-safety-zone_4', priority: 'low' });
    // The confirmed notification was acknowledged: the device counted it sent without retrying.
    expect(server.stats().eventNotificationsSent).toBe(2);
    expect(driver.health().rejectedFrames).toBe(0);
  });
});
