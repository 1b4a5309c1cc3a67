/**
 * Simulator-to-point-table latency: the demo building served by the simulator over Modbus TCP on loopback,
 * read by a whole Gateway (drivers, point table, rules, telemetry writer without sinks) on the system clock.
 *
 *   node dist/bench/sim-to-table.js      (after `npm run build`)
 *   npx tsx bench/sim-to-table.ts
 *
 * (a) Poll round trip: from the first request of a device's poll on the wire to that poll's samples in the
 *     point table (the gateway's `samples` event fires right after the table is updated). The gateway has
 *     no hook for its drivers' timing, so each link runs through a small TCP relay in this script that
 *     notes when each request passes (a Modbus TCP frame carries its unit id at byte 6). The relay adds one
 *     loopback hop each way; the driver sends one request at a time per link, so one chunk is one request.
 *     Units of a link poll on the same grid and share its serial queue, so a poll's round trip includes the
 *     wait behind the other units' requests: the relay's request-to-reply time is printed for comparison.
 * (b) Change to table: elevator-2's passenger_trapped bit is flipped in the simulator (start or clear the
 *     `trapped-passenger` scenario; the register changes at once) at a random phase of the poll, and timed
 *     until the point table shows the new value. A change waits for the next poll, so (b) is bounded by one
 *     poll interval plus the round trip (plus the wait behind other units on the same link).
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { SiteConfig } from '../src/config/schema.js';
import { Gateway } from '../src/gateway/gateway.js';
import { silentLogger } from '../src/log.js';
import { splitPointId, type Sample } from '../src/points/sample.js';
import { SystemClock } from '../src/time/clock.js';
import { startSimulator } from '../simulator/simulator.js';

const HOST = '127.0.0.1';
const POLL_INTERVAL_MS = 100;
/** The first polls include connecting and JIT warm-up: round trips before this are not counted. */
const WARMUP_MS = 1_000;
const FLIPS = 60;
/** A flip whose value has not reached the table by then counts as lost. */
const FLIP_DEADLINE_MS = 2_000;
const FLIP_DEVICE = 'elevator-2';
const FLIP_POINT = `${FLIP_DEVICE}.passenger_trapped`;
const FLIP_SCENARIO = 'trapped-passenger';
/** Modbus TCP (MBAP) header: transaction id, protocol id, length, then the unit id. */
const MBAP_UNIT_ID_OFFSET = 6;

type RequestListener = (linkId: string, unitId: number, atMs: number) => void;
/** Time from a request passing the relay to the first bytes of its reply passing back. */
type ReplyListener = (linkId: string, requestToReplyMs: number) => void;

interface Relay {
  port: number;
  close(): Promise<void>;
}

/** A TCP relay in front of one simulator link that reports every request passing towards the device. */
async function startRelay(linkId: string, targetPort: number, onRequest: RequestListener, onReply: ReplyListener): Promise<Relay> {
  const sockets = new Set<Socket>();
  const track = (socket: Socket): void => {
    socket.setNoDelay(true);
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  };
  const server: Server = createServer((client) => {
    const upstream = connect({ host: HOST, port: targetPort });
    track(client);
    track(upstream);
    let requestAt: number | undefined;
    client.on('data', (chunk: Buffer) => {
      requestAt = performance.now();
      const unitId = chunk[MBAP_UNIT_ID_OFFSET];
      if (unitId !== undefined) onRequest(linkId, unitId, requestAt);
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (requestAt !== undefined) onReply(linkId, performance.now() - requestAt);
      requestAt = undefined;
      client.write(chunk);
    });
    const end = (): void => {
      client.destroy();
      upstream.destroy();
    };
    for (const socket of [client, upstream]) {
      socket.on('error', end);
      socket.on('close', end);
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, HOST, () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('relay has no port');
  return {
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

function percentile(sorted: readonly number[], q: number): number {
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)] ?? Number.NaN;
}

function summary(values: readonly number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  const ms = (n: number): string => n.toFixed(1).padStart(6);
  return `p50 ${ms(percentile(sorted, 0.5))}   p95 ${ms(percentile(sorted, 0.95))}   p99 ${ms(percentile(sorted, 0.99))}   max ${ms(sorted.at(-1) ?? Number.NaN)} ms   (n = ${sorted.length})`;
}

const clock = new SystemClock();
const simulator = await startSimulator({ clock, controlPort: null });
const site = simulator.siteConfig();
const linkOf = new Map(site.devices.map((d) => [d.id, d.link]));
const relays: Relay[] = [];
let gateway: Gateway | undefined;

/** Per device: when the first request of its current poll passed the relay. */
const pollStartedAt = new Map<string, number>();
/** Per link: poll round trips, and request-to-reply times at the relay. */
const roundTripsMs = new Map<string, number[]>();
const requestToReplyMs: number[] = [];
const changeLatenciesMs: number[] = [];
let lostFlips = 0;

try {
  const deviceByUnit = new Map(site.devices.map((d) => [`${d.link}/${d.unitId}`, d.id]));
  let measuring = false;
  const onRequest: RequestListener = (linkId, unitId, atMs) => {
    const device = deviceByUnit.get(`${linkId}/${unitId}`);
    if (device !== undefined && !pollStartedAt.has(device)) pollStartedAt.set(device, atMs);
  };
  const onReply: ReplyListener = (_linkId, ms) => {
    if (measuring) requestToReplyMs.push(ms);
  };
  const relayPorts: Record<string, number> = {};
  for (const [linkId, port] of Object.entries(simulator.ports)) {
    const relay = await startRelay(linkId, port, onRequest, onReply);
    relays.push(relay);
    relayPorts[linkId] = relay.port;
  }
  const config: SiteConfig = {
    ...site,
    links: site.links.map((link) => (link.type === 'modbus-tcp' ? { ...link, port: relayPorts[link.id] ?? link.port } : link)),
    devices: site.devices.map((d) => ({ ...d, pollIntervalMs: POLL_INTERVAL_MS })),
    sinks: [],
  };
  gateway = new Gateway({ config, clock, logger: silentLogger() });

  /** Called on each batch after the point table holds it: ends the round trip and any flip waiting for it. */
  let flipWaiter: (() => void) | undefined;
  gateway.events.on('samples', 'bench', (samples: Sample[]) => {
    const now = performance.now();
    const first = samples[0];
    if (first === undefined) return;
    const device = splitPointId(first.point).device;
    const startedPoll = pollStartedAt.get(device);
    pollStartedAt.delete(device);
    const link = linkOf.get(device);
    if (measuring && startedPoll !== undefined && link !== undefined) {
      const list = roundTripsMs.get(link) ?? [];
      list.push(now - startedPoll);
      roundTripsMs.set(link, list);
    }
    flipWaiter?.();
  });

  await gateway.start();
  await clock.sleep(WARMUP_MS);
  measuring = true;

  const points = gateway.points;
  let trapped = points.get(FLIP_POINT)?.value === true;
  for (let i = 0; i < FLIPS; i++) {
    // A random phase relative to the poll grid.
    await clock.sleep(Math.random() * POLL_INTERVAL_MS);
    const target = !trapped;
    const flippedAt = performance.now();
    if (target) simulator.startScenario(FLIP_SCENARIO, FLIP_DEVICE);
    else simulator.clearScenario(FLIP_SCENARIO, FLIP_DEVICE);
    const landed = await new Promise<boolean>((resolve) => {
      const timer = clock.setTimeout(() => resolve(false), FLIP_DEADLINE_MS);
      flipWaiter = () => {
        if (points.get(FLIP_POINT)?.value !== target) return;
        changeLatenciesMs.push(performance.now() - flippedAt);
        clock.clearTimeout(timer);
        resolve(true);
      };
    });
    flipWaiter = undefined;
    if (!landed) lostFlips++;
    trapped = target;
  }
} finally {
  await gateway?.stop();
  await Promise.all(relays.map((r) => r.close()));
  await simulator.stop();
}

const allRoundTrips = [...roundTripsMs.values()].flat();
const flipLink = linkOf.get(FLIP_DEVICE) ?? '';
const flipLinkRoundTrips = [...(roundTripsMs.get(flipLink) ?? [])].sort((a, b) => a - b);
const boundMs = POLL_INTERVAL_MS + percentile(flipLinkRoundTrips, 0.99);
const maxChangeMs = Math.max(...changeLatenciesMs);
const units = (link: string): string => `${link}, ${site.devices.filter((d) => d.link === link).length} units`.padEnd(21);
console.log(`sim-to-table: demo building via a Gateway, poll interval ${POLL_INTERVAL_MS} ms, system clock, node ${process.version}`);
console.log(`  (a) poll round trip     ${summary(allRoundTrips)}`);
for (const [link, values] of roundTripsMs) console.log(`      ${units(link)} ${summary(values)}`);
console.log(`      one request (relay)  ${summary(requestToReplyMs)}`);
console.log(`      first request of a poll on the wire → its samples in the point table; after ${WARMUP_MS} ms warm-up`);
console.log(`  (b) change → table      ${summary(changeLatenciesMs)}`);
console.log(`      ${FLIP_POINT} flipped ${FLIPS} times at a random phase of the poll; ${lostFlips} not seen within ${FLIP_DEADLINE_MS} ms`);
console.log(
  `  bound on (b)            poll interval + p99 round trip on ${flipLink} = ${boundMs.toFixed(1)} ms; max observed ${maxChangeMs.toFixed(1)} ms` +
    (maxChangeMs <= boundMs ? ': within' : ': over (timer lateness, or the wait behind other units on the link)'),
);
if (lostFlips > 0) process.exitCode = 1;
