import { createSocket } from 'node:dgram';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { BacnetDriver } from '../../src/drivers/bacnet/bacnet-driver.js';
import { silentLogger } from '../../src/log.js';
import type { Sample } from '../../src/points/sample.js';
import { SystemClock } from '../../src/time/clock.js';
import { startBacnetDeviceServer } from '../../simulator/bacnet/device-server.js';
import { TEST_PROFILE, bacnetDevice, bacnetLink, entry, testObjects } from './bacnet-support.js';

/**
 * 10,000 random, truncated and corrupted BVLC/NPDU/APDU frames fired at the gateway's BACnet port while it
 * reads a good device: the process keeps running, the device keeps delivering, and every refused frame is
 * counted in the link's health. Gateway 127.0.0.1:47851, device 127.0.0.71, fuzzer on its own socket.
 */

const FRAMES = 10_000;

/** xorshift32: the same frames every run. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x1_0000_0000;
  };
}

/** Valid frames to mutate: an I-Am, an unconfirmed COV and event notification, an RPM ACK. */
const TEMPLATES = [
  '810b001501001000c4020010bb2205c49103220104',
  '810a00280100100209001c02000fa12c0000000139004e09552e4441ac00002f096f2e8204002f4f',
  '810a00260100100309001c02000fa12c058000043e19003f4901590a69088900a905b900c900',
  '810a00200100300e0e0c000000011e29553e4441ac00003f296f3e8204003f1f',
];

function frame(random: () => number, i: number): Buffer {
  const pick = (n: number) => Math.floor(random() * n);
  switch (i % 5) {
    case 0: {
      // Pure noise.
      const b = Buffer.alloc(pick(64));
      for (let k = 0; k < b.length; k++) b[k] = pick(256);
      return b;
    }
    case 1: {
      // A valid frame cut short (the BVLC length left as it was).
      const t = Buffer.from(TEMPLATES[pick(TEMPLATES.length)] ?? '', 'hex');
      return t.subarray(0, pick(t.length));
    }
    case 2: {
      // A valid frame cut short with a consistent BVLC length: the NPDU/APDU decoders meet the truncation.
      const t = Buffer.from(TEMPLATES[pick(TEMPLATES.length)] ?? '', 'hex');
      const cut = Buffer.from(t.subarray(0, 4 + pick(t.length - 3)));
      cut.writeUInt16BE(cut.length, 2);
      return cut;
    }
    case 3: {
      // A valid header with random bytes flipped behind it.
      const t = Buffer.from(TEMPLATES[pick(TEMPLATES.length)] ?? '', 'hex');
      for (let k = 0; k < 1 + pick(4); k++) {
        const at = 4 + pick(t.length - 4);
        t[at] = pick(256);
      }
      return t;
    }
    default: {
      // Valid BVLC and NPDU, random APDU of random length.
      const apdu = Buffer.alloc(1 + pick(40));
      for (let k = 0; k < apdu.length; k++) apdu[k] = pick(256);
      const b = Buffer.concat([Buffer.from([0x81, 0x0a, 0, 0, 0x01, 0x00]), apdu]);
      b.writeUInt16BE(b.length, 2);
      return b;
    }
  }
}

describe('BACnet port under malformed frames', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  it(`keeps serving a good device through ${FRAMES} bad frames and counts them`, async () => {
    const server = await startBacnetDeviceServer({ address: '127.0.0.71', deviceInstance: 7101, deviceName: 'Good', objects: testObjects() });
    cleanups.push(() => server.stop());
    const samples: Sample[] = [];
    const driver = new BacnetDriver({
      link: bacnetLink('fuzz', 47851, { apduTimeoutMs: 500, covVerifyIntervalMs: 1000 }),
      siteId: 'site',
      devices: [entry(bacnetDevice('good', 'fuzz', '127.0.0.71', 7101, { pollIntervalMs: 100 }))],
      context: { clock: new SystemClock(), logger: silentLogger(), onSamples: (s) => samples.push(...s), onDeviceStatus: () => undefined, onEvents: () => undefined, onDeviceAlarms: () => undefined },
    });
    cleanups.push(() => driver.stop());
    await driver.start();
    const deadline = Date.now() + 3000;
    while (!TEST_PROFILE.points.every((p) => samples.some((s) => s.point === `good.${p.name}` && s.quality === 'good'))) {
      if (Date.now() > deadline) throw new Error('device never read');
      await sleep(10);
    }

    const fuzzer = createSocket('udp4');
    await new Promise<void>((resolve) => fuzzer.bind(0, '127.0.0.72', resolve));
    cleanups.push(() => new Promise<void>((resolve) => fuzzer.close(() => resolve())));
    const random = rng(20260101);
    const acceptedBefore = driver.client.transport.accepted;
    const before = samples.length;
    for (let i = 0; i < FRAMES; i++) {
      const f = frame(random, i);
      await new Promise<void>((resolve) => fuzzer.send(f, 47851, '127.0.0.1', () => resolve()));
      // Paced so the kernel does not drop datagrams from a full receive buffer: every frame must arrive.
      if (i % 25 === 24) await sleep(1);
    }
    await sleep(500);

    const health = driver.health();
    // Every frame is accounted for: refused (and counted by reason), ignored (network-layer messages), or
    // well-formed enough to hand to the library (e.g. a Who-Is or a request the library answers with an
    // error), which then did not throw. Most of this traffic must be refused.
    const transport = driver.client.transport;
    const fromDevice = transport.accepted - acceptedBefore;
    expect((health.rejectedFrames ?? 0) + transport.ignored + fromDevice).toBeGreaterThanOrEqual(FRAMES);
    expect(health.rejectedFrames ?? 0).toBeGreaterThan(FRAMES * 0.8);
    expect(health.rejectedFrames ?? 0).toBeLessThanOrEqual(FRAMES);
    const byReason = driver.rejectedFrames();
    for (const reason of ['bvlc', 'npdu', 'apdu', 'unsolicited'] as const) expect(byReason[reason], reason).toBeGreaterThan(0);
    expect(health.devices[0]?.state).toBe('online');
    const fresh = samples.slice(before).filter((s) => s.quality === 'good');
    expect(fresh.length).toBeGreaterThan(0);
    expect(samples.slice(before).filter((s) => s.quality === 'bad' || s.quality === 'stale')).toEqual([]);
    // Still reading after the storm.
    const after = samples.length;
    await sleep(400);
    expect(samples.length).toBeGreaterThan(after);
  });
});
