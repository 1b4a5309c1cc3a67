/**
 * Rule-loop benchmark: 10,000 points and 20,000 threshold rules (plus one comm-loss rule per device) fed a
 * realistic stream of samples on a virtual clock.
 *
 *   node --expose-gc dist/bench/rule-loop.js      (after `npm run build`)
 *   npx tsx bench/rule-loop.ts
 *
 * Targets (from the issue): ≥ 500,000 samples/s on one core; p99 evaluation per sample ≤ 100 µs.
 *
 * The stream: 500 pumps × 20 analog points, polled once per virtual second. Each point wanders around its
 * centre on a slow sine of its own amplitude and period plus noise, quantised to 0.01, so most samples
 * change value; about a third of the points cross their limits, so alarms raise and clear all the time
 * (with deadbands, on-delays and off-delays). Every 100 s, ten devices stop answering for 25 s: the driver
 * reports them offline and repeats their last values as stale, which must raise comm-loss alarms only.
 *
 * Measurement:
 * - Throughput is the wall time of whole poll cycles, including the Clock advancing and every delay that
 *   fires, divided by the samples fed. No per-sample timer runs in that phase.
 * - Latency is measured in a separate phase on every 8th sample with process.hrtime.bigint() around one
 *   `onSample` call. The figures include the cost of reading the timer (printed as "timer overhead"), so
 *   they slightly overstate the evaluation. Delays that fire run inside the Clock, not inside onSample: their
 *   cost is in the throughput figure.
 * - The stream is generated up front (100 cycles, replayed), so generating it is not measured.
 *
 * Event phase (after the sample phase, on an engine of its own): 2,000 doors of the door profile under 250
 * controllers, with its event rules (forced open: 1 in 5 min; repeated denials: 5 in 2 min), fed 1,000,000
 * device events. Every virtual 5 s each door reports one event: mostly badges granted (no rule counts
 * them: the lookup-and-return path), about one in six refused, now and then a forced door; one door in
 * twenty is "troubled" and refuses most badges. Repeated-denial alarms raise and clear all the time.
 * Measured like the samples: throughput over whole rounds including the clear timers that fire, latency
 * on every 8th `onEvent` in a separate phase. The issue sets no target for events; the figures are
 * printed for comparison and do not decide the exit code.
 *
 * Condition phase (last, on an engine of its own): the same sample stream plus a mode (enum) and a running
 * flag (binary) per device, judged by state, expression and repeat alarms and a suppressWhen instead of
 * thresholds (conditionProfile below). Measured like the samples; printed for comparison, no target.
 */
import { ActiveAlarms } from '../src/alarms/active-alarms.js';
import type { AlarmEvent } from '../src/alarms/events.js';
import type { DeviceConfig, SiteConfig, ThresholdConfig } from '../src/config/schema.js';
import { silentLogger } from '../src/log.js';
import type { DeviceEvent } from '../src/points/device-event.js';
import { pointId, type Quality, type Sample } from '../src/points/sample.js';
import { findProfile } from '../src/profiles/index.js';
import type { DeviceProfile, ModbusPointDef } from '../src/profiles/types.js';
import { compileRules } from '../src/rules/compile.js';
import { RuleEngine } from '../src/rules/engine.js';
import { VirtualClock } from '../src/time/clock.js';

const DEVICES = 500;
const POINTS_PER_DEVICE = 20;
const POINTS = DEVICES * POINTS_PER_DEVICE;
const POLL_INTERVAL_MS = 1000;
const SECOND_MS = 1000;
const COMM_LOSS_DELAY_MS = 10 * SECOND_MS;

/** Cycles of generated values, replayed; sine periods divide it so the replay is seamless. */
const TABLE_CYCLES = 100;
const PERIODS_CYCLES = [20, 25, 50, 100];
const WARMUP_CYCLES = 100;
const THROUGHPUT_CYCLES = 800;
const LATENCY_CYCLES = 200;
/** Time one sample in this many during the latency phase. */
const LATENCY_STRIDE = 8;

/** Within each replay of the table: ten devices are unreachable from cycle 30 to cycle 54. */
const OUTAGE_DEVICES = 10;
const OUTAGE_FIRST_CYCLE = 30;
const OUTAGE_CYCLES = 25;

const CENTRE = 50;
const NOISE = 0.2;
/** Probability that a point repeats its previous value (a flat reading). */
const REPEAT_PROBABILITY = 0.08;

const TARGET_SAMPLES_PER_S = 500_000;
const TARGET_P99_US = 100;

const DOORS = 2000;
const DOORS_PER_CONTROLLER = 8;
/** Every door reports one event per round. */
const EVENT_ROUND_MS = 5 * SECOND_MS;
const EVENT_TABLE_ROUNDS = 100;
const EVENT_WARMUP_ROUNDS = 100;
const EVENT_THROUGHPUT_ROUNDS = 500; // × 2,000 doors = 1,000,000 events
const EVENT_LATENCY_ROUNDS = 200;
const TROUBLED_DOOR_SHARE = 0.05;
/** Share of refused badges: at 0.15 an ordinary door sees about 3.6 in 2 minutes, so its alarm raises and clears often. */
const DENIAL_PROBABILITY = { normal: 0.15, troubled: 0.6 };
const FORCED_PROBABILITY = 0.0005;
const EVENT_NAMES = ['access_granted', 'access_denied', 'door_forced'] as const;
const GRANTED = 0;
const DENIED = 1;
const FORCED = 2;

// ---- rules: a synthetic profile compiled like a real site ----------------------------------------------

function benchProfile(): DeviceProfile {
  const points: ModbusPointDef[] = [];
  const thresholds: DeviceProfile['thresholds'] = [];
  for (let i = 0; i < POINTS_PER_DEVICE; i++) {
    const name = `p${String(i).padStart(2, '0')}`;
    points.push({ name, description: `Point ${i}`, table: 'input', address: i * 2, type: 'float32', unit: 'degC', kind: 'analog', range: { min: 0, max: 100 } });
    const t = (suffix: string, def: Omit<ThresholdConfig, 'id' | 'point' | 'message'>): void => {
      thresholds.push({ id: `${name}_${suffix}`, point: name, message: `${name} ${suffix}`, ...def });
    };
    // Four mixes of high/low, deadbands and delays, in turn.
    switch (i % 4) {
      case 0:
        t('high', { high: CENTRE + 6, deadband: 0.5, priority: 'medium' });
        t('low', { low: CENTRE - 6, deadband: 0.5, priority: 'medium' });
        break;
      case 1:
        t('warn', { high: CENTRE + 4, deadband: 1, onDelayMs: 5 * SECOND_MS, priority: 'low' });
        t('alarm', { high: CENTRE + 7, deadband: 1, onDelayMs: 2 * SECOND_MS, offDelayMs: 5 * SECOND_MS, priority: 'high' });
        break;
      case 2:
        t('low', { low: CENTRE - 5, deadband: 0.5, offDelayMs: 10 * SECOND_MS, priority: 'medium' });
        t('high', { high: CENTRE + 6, deadband: 0.5, onDelayMs: 3 * SECOND_MS, priority: 'medium' });
        break;
      default:
        t('lolo', { low: CENTRE - 7, deadband: 1, priority: 'critical' });
        t('lo', { low: CENTRE - 4, deadband: 1, onDelayMs: 5 * SECOND_MS, priority: 'low' });
        break;
    }
  }
  return { id: 'bench-v1', protocol: 'modbus', equipment: 'pump', description: 'Synthetic benchmark profile', points, thresholds };
}

function baseDevice(id: string): DeviceConfig {
  return {
    id, type: 'pump', profile: 'bench-v1', link: 'bench', unitId: 1, pollIntervalMs: POLL_INTERVAL_MS,
    staleAfterPolls: 3, commLossDelayMs: COMM_LOSS_DELAY_MS, enabled: true, thresholds: [], disableThresholds: [], topicVars: {}, eventRules: [],
  };
}

function siteOf(devices: DeviceConfig[]): SiteConfig {
  return { site: { id: 'bench', name: 'Benchmark', timezone: 'UTC' }, http: { host: '127.0.0.1', port: 0 }, embeddedBroker: { host: '127.0.0.1', port: 0 }, links: [], devices, sinks: [] };
}

function benchSite(): SiteConfig {
  return siteOf(Array.from({ length: DEVICES }, (_, d) => baseDevice(`pump-${d}`)));
}

/** Controllers and their doors, as an access-control site is configured. */
function doorSite(): SiteConfig {
  const devices: DeviceConfig[] = [];
  for (let c = 0; c < DOORS / DOORS_PER_CONTROLLER; c++) {
    const controller = `ctl-${c}`;
    devices.push({ ...baseDevice(controller), type: 'access-controller', profile: 'access-controller-mqtt-v1', link: 'acs', unitId: undefined, topicVars: { controller } });
    for (let d = 0; d < DOORS_PER_CONTROLLER; d++) {
      const door = `door-${c * DOORS_PER_CONTROLLER + d}`;
      devices.push({ ...baseDevice(door), type: 'door', profile: 'door-mqtt-v1', link: 'acs', unitId: undefined, parent: controller, topicVars: { controller, door } });
    }
  }
  return siteOf(devices);
}

// ---- the stream ------------------------------------------------------------------------------------------

/** mulberry32: a small seeded PRNG, so every run sees the same stream. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const QUALITY_CODES: readonly Quality[] = ['good', 'stale'];
const GOOD = 0;
const STALE = 1;

function isInOutage(device: number, tableCycle: number): boolean {
  return device < OUTAGE_DEVICES && tableCycle >= OUTAGE_FIRST_CYCLE && tableCycle < OUTAGE_FIRST_CYCLE + OUTAGE_CYCLES;
}

function generateStream(): { values: Float64Array; qualities: Uint8Array } {
  const random = seededRandom(20_260_101);
  const values = new Float64Array(TABLE_CYCLES * POINTS);
  const qualities = new Uint8Array(TABLE_CYCLES * POINTS);
  for (let k = 0; k < POINTS; k++) {
    const device = Math.floor(k / POINTS_PER_DEVICE);
    const amplitude = random() * 9; // above ~6 it crosses the limits
    const period = PERIODS_CYCLES[Math.floor(random() * PERIODS_CYCLES.length)] ?? TABLE_CYCLES;
    const phase = random() * 2 * Math.PI;
    let previous = CENTRE;
    for (let c = 0; c < TABLE_CYCLES; c++) {
      let value: number;
      if (isInOutage(device, c)) {
        value = previous; // the driver repeats the last value, marked stale
        qualities[c * POINTS + k] = STALE;
      } else {
        qualities[c * POINTS + k] = GOOD;
        value = random() < REPEAT_PROBABILITY
          ? previous
          : Math.round((CENTRE + amplitude * Math.sin((2 * Math.PI * c) / period + phase) + (random() - 0.5) * 2 * NOISE) * 100) / 100;
      }
      values[c * POINTS + k] = value;
      previous = value;
    }
  }
  return { values, qualities };
}

// ---- the run -----------------------------------------------------------------------------------------------

const gc = (globalThis as { gc?: () => void }).gc;
const MB = 1024 * 1024;
gc?.();
const heapBeforeRules = process.memoryUsage().heapUsed;

const clock = new VirtualClock();
const store = new ActiveAlarms();
let raises = 0;
let clears = 0;
let commLossRaises = 0;
const onAlarm = (event: AlarmEvent): void => {
  if (event.type === 'raise') raises++;
  else clears++;
  if (event.kind === 'comm-loss' && event.type === 'raise') commLossRaises++;
  store.apply(event);
};
const profile = benchProfile();
const rules = compileRules(benchSite(), (id) => (id === profile.id ? profile : undefined));
const engine = new RuleEngine({ site: 'bench', rules, clock, logger: silentLogger(), onAlarm });
gc?.();
const rulesHeap = process.memoryUsage().heapUsed - heapBeforeRules;
const { values, qualities } = generateStream();
/** One reusable Sample per point, as a driver decoding into its own buffers would hand them over. */
const samples: Sample[] = [];
for (let k = 0; k < POINTS; k++) {
  samples.push({ point: pointId(`pump-${Math.floor(k / POINTS_PER_DEVICE)}`, `p${String(k % POINTS_PER_DEVICE).padStart(2, '0')}`), value: 0, ts: 0, quality: 'good' });
}
const latencyNs = new Float64Array(Math.ceil((LATENCY_CYCLES * POINTS) / LATENCY_STRIDE));
let latencyCount = 0;

function reportDeviceStatus(tableCycle: number): void {
  const now = clock.now();
  for (let d = 0; d < OUTAGE_DEVICES; d++) {
    if (isInOutage(d, tableCycle)) engine.onDeviceStatus({ device: `pump-${d}`, online: false, ts: now, error: 'timeout after 1000 ms' });
    else if (tableCycle === OUTAGE_FIRST_CYCLE + OUTAGE_CYCLES) engine.onDeviceStatus({ device: `pump-${d}`, online: true, ts: now });
  }
}

function runCycles(first: number, count: number, timeSamples: boolean): void {
  for (let c = first; c < first + count; c++) {
    const tableCycle = c % TABLE_CYCLES;
    reportDeviceStatus(tableCycle);
    const row = tableCycle * POINTS;
    const ts = clock.now();
    for (let k = 0; k < POINTS; k++) {
      const sample = samples[k];
      if (sample === undefined) continue;
      sample.value = values[row + k] ?? 0;
      sample.quality = QUALITY_CODES[qualities[row + k] ?? GOOD] ?? 'good';
      sample.ts = ts;
      if (timeSamples && k % LATENCY_STRIDE === 0) {
        const start = process.hrtime.bigint();
        engine.onSample(sample);
        latencyNs[latencyCount++] = Number(process.hrtime.bigint() - start);
      } else {
        engine.onSample(sample);
      }
    }
    clock.advanceSync(POLL_INTERVAL_MS);
  }
}

function timerOverheadNs(): number {
  const runs = 100_000;
  const times = new Float64Array(runs);
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    times[i] = Number(process.hrtime.bigint() - start);
  }
  return percentile(times.sort(), 0.5);
}

function percentile(sorted: Float64Array, q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

const fmt = (n: number, digits = 0): string => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const verdict = (ok: boolean): string => (ok ? 'met' : 'MISSED');

runCycles(0, WARMUP_CYCLES, false);
const warmStats = engine.stats();

const startNs = process.hrtime.bigint();
runCycles(WARMUP_CYCLES, THROUGHPUT_CYCLES, false);
const elapsedS = Number(process.hrtime.bigint() - startNs) / 1e9;
const throughputSamples = THROUGHPUT_CYCLES * POINTS;
const samplesPerS = throughputSamples / elapsedS;
const afterThroughput = engine.stats();

runCycles(WARMUP_CYCLES + THROUGHPUT_CYCLES, LATENCY_CYCLES, true);
const sortedLatency = latencyNs.subarray(0, latencyCount).sort();
const p50Us = percentile(sortedLatency, 0.5) / 1000;
const p99Us = percentile(sortedLatency, 0.99) / 1000;
const p999Us = percentile(sortedLatency, 0.999) / 1000;
const maxUs = (sortedLatency[sortedLatency.length - 1] ?? Number.NaN) / 1000;
const overheadNs = timerOverheadNs();

const stats = engine.stats();
gc?.();
const memory = process.memoryUsage();
const evaluatedShare = (afterThroughput.evaluated - warmStats.evaluated) / (afterThroughput.samples - warmStats.samples);
const throughputOk = samplesPerS >= TARGET_SAMPLES_PER_S;
const latencyOk = p99Us <= TARGET_P99_US;

console.log(`rule-loop: ${fmt(POINTS)} points, ${fmt(rules.thresholdCount)} threshold rules + ${fmt(rules.commLossByDevice.size)} comm-loss rules, node ${process.version}`);
console.log(`  throughput      ${fmt(samplesPerS)} samples/s (one thread; ${fmt(throughputSamples)} samples in ${fmt(elapsedS, 2)} s)   target ≥ ${fmt(TARGET_SAMPLES_PER_S)}: ${verdict(throughputOk)}`);
console.log(`  changed share   ${fmt(evaluatedShare * 100, 1)} % of samples evaluated, the rest unchanged`);
console.log(`  latency/sample  p50 ${fmt(p50Us, 2)} µs   p99 ${fmt(p99Us, 2)} µs   p99.9 ${fmt(p999Us, 2)} µs   max ${fmt(maxUs, 1)} µs   target p99 ≤ ${TARGET_P99_US} µs: ${verdict(latencyOk)}`);
console.log(`                  (${fmt(latencyCount)} samples timed, every ${LATENCY_STRIDE}th; includes ~${fmt(overheadNs)} ns timer overhead)`);
const totalCycles = WARMUP_CYCLES + THROUGHPUT_CYCLES + LATENCY_CYCLES;
console.log(
  `  alarm events    ${fmt(stats.events)} (${fmt(raises)} raises, ${fmt(clears)} clears; ${fmt(commLossRaises)} comm-loss raises for` +
    ` ${fmt(OUTAGE_DEVICES * Math.floor(totalCycles / TABLE_CYCLES))} outages); active at end ${fmt(store.size())}; listener errors ${stats.listenerErrors}`,
);
console.log(
  `  memory          RSS ${fmt(memory.rss / MB, 1)} MB, heap used ${fmt(memory.heapUsed / MB, 1)} MB of ${fmt(memory.heapTotal / MB, 1)} MB` +
    ` (compiled rules and engine state: ${fmt(rulesHeap / MB, 1)} MB; the pre-generated stream: ${fmt((values.byteLength + qualities.byteLength) / MB, 1)} MB outside the heap)`,
);
if (gc === undefined) console.log('                  (no --expose-gc: heap figures include garbage)');

// ---- event phase: door events counted by event rules -----------------------------------------------------

function generateEventStream(): Uint8Array {
  const random = seededRandom(20_260_102);
  const codes = new Uint8Array(EVENT_TABLE_ROUNDS * DOORS);
  for (let door = 0; door < DOORS; door++) {
    const denialProbability = random() < TROUBLED_DOOR_SHARE ? DENIAL_PROBABILITY.troubled : DENIAL_PROBABILITY.normal;
    for (let round = 0; round < EVENT_TABLE_ROUNDS; round++) {
      const r = random();
      codes[round * DOORS + door] = r < FORCED_PROBABILITY ? FORCED : r < FORCED_PROBABILITY + denialProbability ? DENIED : GRANTED;
    }
  }
  return codes;
}

function runEventPhase(): void {
  const eventClock = new VirtualClock();
  const eventStore = new ActiveAlarms();
  let eventRaises = 0;
  const eventRules = compileRules(doorSite(), findProfile);
  const eventEngine = new RuleEngine({
    site: 'bench',
    rules: eventRules,
    clock: eventClock,
    logger: silentLogger(),
    onAlarm: (event) => {
      if (event.type === 'raise') eventRaises++;
      eventStore.apply(event);
    },
  });
  const codes = generateEventStream();
  /** One reusable event per door and name, as a driver decoding into its own buffers would hand them over. */
  const deviceEvents: DeviceEvent[] = [];
  for (let door = 0; door < DOORS; door++) {
    for (const event of EVENT_NAMES) deviceEvents.push({ device: `door-${door}`, event, ts: 0, attributes: {} });
  }
  const eventLatencyNs = new Float64Array(Math.ceil((EVENT_LATENCY_ROUNDS * DOORS) / LATENCY_STRIDE));
  let eventLatencyCount = 0;

  const runRounds = (first: number, count: number, timeEvents: boolean): void => {
    for (let round = first; round < first + count; round++) {
      const row = (round % EVENT_TABLE_ROUNDS) * DOORS;
      const ts = eventClock.now();
      for (let door = 0; door < DOORS; door++) {
        const event = deviceEvents[door * EVENT_NAMES.length + (codes[row + door] ?? GRANTED)];
        if (event === undefined) continue;
        event.ts = ts;
        if (timeEvents && door % LATENCY_STRIDE === 0) {
          const start = process.hrtime.bigint();
          eventEngine.onEvent(event);
          eventLatencyNs[eventLatencyCount++] = Number(process.hrtime.bigint() - start);
        } else {
          eventEngine.onEvent(event);
        }
      }
      eventClock.advanceSync(EVENT_ROUND_MS);
    }
  };

  runRounds(0, EVENT_WARMUP_ROUNDS, false);
  const eventStart = process.hrtime.bigint();
  runRounds(EVENT_WARMUP_ROUNDS, EVENT_THROUGHPUT_ROUNDS, false);
  const eventElapsedS = Number(process.hrtime.bigint() - eventStart) / 1e9;
  const throughputEvents = EVENT_THROUGHPUT_ROUNDS * DOORS;
  runRounds(EVENT_WARMUP_ROUNDS + EVENT_THROUGHPUT_ROUNDS, EVENT_LATENCY_ROUNDS, true);
  const sorted = eventLatencyNs.subarray(0, eventLatencyCount).sort();
  const eventStats = eventEngine.stats();

  console.log(
    `rule-loop events: ${fmt(DOORS)} doors under ${fmt(eventRules.commLossByDevice.size)} controllers, ${fmt(eventRules.eventRuleCount)} event rules` +
      ` (${fmt(eventRules.commLossByDevice.size)} comm-loss rules: none per door)`,
  );
  console.log(`  throughput      ${fmt(throughputEvents / eventElapsedS)} events/s (one thread; ${fmt(throughputEvents)} events in ${fmt(eventElapsedS, 2)} s)`);
  console.log(
    `  latency/event   p50 ${fmt(percentile(sorted, 0.5) / 1000, 2)} µs   p99 ${fmt(percentile(sorted, 0.99) / 1000, 2)} µs` +
      `   p99.9 ${fmt(percentile(sorted, 0.999) / 1000, 2)} µs   max ${fmt((sorted[sorted.length - 1] ?? Number.NaN) / 1000, 1)} µs` +
      `   (${fmt(eventLatencyCount)} events timed, every ${LATENCY_STRIDE}th)`,
  );
  console.log(
    `  alarm events    ${fmt(eventStats.events)} (${fmt(eventRaises)} raises); of ${fmt(eventStats.deviceEvents)} device events` +
      ` ${fmt(eventStats.eventsWithoutRule)} had no rule; active at end ${fmt(eventStore.size())}; listener errors ${eventStats.listenerErrors}`,
  );
}

runEventPhase();

// ---- condition phase: expression and state rules ----------------------------------------------------------

/**
 * The sample stream of the first phase on an engine of its own whose profile adds, per device, an operating
 * mode (enum) and a running flag (binary) and, instead of thresholds, condition alarms: two state alarms,
 * three expressions over several points (one with an on-delay), a repeat, and a suppressWhen. The mode and
 * the running flag change now and then, so the state and suppression rules raise, clear and change too.
 */
function conditionProfile(): DeviceProfile {
  const base = benchProfile();
  const points: ModbusPointDef[] = [
    ...(base.points as ModbusPointDef[]),
    { name: 'mode', description: 'Mode', table: 'input', address: 100, type: 'enum', kind: 'enum', states: { 0: 'auto', 1: 'manual', 2: 'maintenance' } },
    { name: 'running', description: 'Running', table: 'discrete', address: 0, type: 'bool', kind: 'binary' },
  ];
  const common = { priority: 'medium', message: 'bench' } as const;
  return {
    id: 'bench-cond-v1', protocol: 'modbus', equipment: 'pump', description: 'Synthetic benchmark profile with condition alarms', points, thresholds: [],
    alarms: [
      { kind: 'state', id: 'manual', point: 'mode', states: ['manual'], ...common },
      { kind: 'state', id: 'stopped', point: 'running', states: [false], onDelayMs: 3 * SECOND_MS, ...common },
      { kind: 'expression', id: 'hot_running', when: `p00 > ${CENTRE + 5} and running`, onDelayMs: 2 * SECOND_MS, ...common },
      { kind: 'expression', id: 'spread', when: `abs(p04 - p05) > 8 or p06 < ${CENTRE - 6}`, suppressWhen: 'mode == "maintenance"', ...common },
      { kind: 'expression', id: 'band', when: `p08 > ${CENTRE + 4} and p09 > ${CENTRE + 4} and mode != "maintenance"`, ...common },
      { kind: 'repeat', id: 'p10_excursions', when: `p10 > ${CENTRE + 5}`, count: 3, windowMs: 60 * SECOND_MS, ...common },
    ],
  };
}

function runConditionPhase(): void {
  const condClock = new VirtualClock();
  let condRaises = 0;
  let suppressionChanges = 0;
  const condProfile = conditionProfile();
  const condSite = siteOf(Array.from({ length: DEVICES }, (_, d) => ({ ...baseDevice(`pump-${d}`), profile: condProfile.id })));
  const condRules = compileRules(condSite, (id) => (id === condProfile.id ? condProfile : undefined));
  const condEngine = new RuleEngine({
    site: 'bench',
    rules: condRules,
    clock: condClock,
    logger: silentLogger(),
    onAlarm: (event) => {
      if (event.type === 'raise') condRaises++;
    },
    onSuppression: () => {
      suppressionChanges++;
    },
  });
  const modes = ['auto', 'manual', 'maintenance'] as const;
  const discrete: Sample[] = [];
  for (let d = 0; d < DEVICES; d++) {
    discrete.push({ point: pointId(`pump-${d}`, 'mode'), value: 'auto', ts: 0, quality: 'good' });
    discrete.push({ point: pointId(`pump-${d}`, 'running'), value: true, ts: 0, quality: 'good' });
  }
  const perCycle = POINTS + discrete.length;
  const condLatencyNs = new Float64Array(Math.ceil((LATENCY_CYCLES * perCycle) / LATENCY_STRIDE) + 1);
  let condLatencyCount = 0;
  const feed = (sample: Sample, timed: boolean): void => {
    if (timed) {
      const start = process.hrtime.bigint();
      condEngine.onSample(sample);
      condLatencyNs[condLatencyCount++] = Number(process.hrtime.bigint() - start);
    } else {
      condEngine.onSample(sample);
    }
  };
  const runCondCycles = (first: number, count: number, timeSamples: boolean): void => {
    for (let c = first; c < first + count; c++) {
      const tableCycle = c % TABLE_CYCLES;
      const row = tableCycle * POINTS;
      const ts = condClock.now();
      let n = 0;
      for (let k = 0; k < POINTS; k++) {
        const sample = samples[k];
        if (sample === undefined) continue;
        sample.value = values[row + k] ?? 0;
        sample.quality = QUALITY_CODES[qualities[row + k] ?? GOOD] ?? 'good';
        sample.ts = ts;
        feed(sample, timeSamples && n++ % LATENCY_STRIDE === 0);
      }
      for (let d = 0; d < DEVICES; d++) {
        const mode = discrete[2 * d];
        const running = discrete[2 * d + 1];
        if (mode === undefined || running === undefined) continue;
        // Each device changes mode every 40 cycles and stops for 5 cycles in 30, at its own phase.
        mode.value = modes[Math.floor((c + d) / 40) % modes.length] ?? 'auto';
        running.value = (c + d) % 30 >= 5;
        mode.ts = ts;
        running.ts = ts;
        feed(mode, timeSamples && n++ % LATENCY_STRIDE === 0);
        feed(running, timeSamples && n++ % LATENCY_STRIDE === 0);
      }
      condClock.advanceSync(POLL_INTERVAL_MS);
    }
  };

  runCondCycles(0, WARMUP_CYCLES, false);
  const condStart = process.hrtime.bigint();
  runCondCycles(WARMUP_CYCLES, THROUGHPUT_CYCLES, false);
  const condElapsedS = Number(process.hrtime.bigint() - condStart) / 1e9;
  const condSamples = THROUGHPUT_CYCLES * perCycle;
  runCondCycles(WARMUP_CYCLES + THROUGHPUT_CYCLES, LATENCY_CYCLES, true);
  const sorted = condLatencyNs.subarray(0, condLatencyCount).sort();
  const condStats = condEngine.stats();
  const snapStart = process.hrtime.bigint();
  const snapshotJson = JSON.stringify(condEngine.snapshotState());
  const snapMs = Number(process.hrtime.bigint() - snapStart) / 1e6;

  console.log(
    `rule-loop conditions: ${fmt(DEVICES)} devices × ${POINTS_PER_DEVICE + 2} points, ${fmt(condRules.conditionAlarmCount)} condition alarms` +
      ` (2 state, 3 expression, 1 repeat per device; ${fmt(condRules.suppressionsByDevice.size)} devices with a suppressWhen)`,
  );
  console.log(`  throughput      ${fmt(condSamples / condElapsedS)} samples/s (one thread; ${fmt(condSamples)} samples in ${fmt(condElapsedS, 2)} s)`);
  console.log(
    `  latency/sample  p50 ${fmt(percentile(sorted, 0.5) / 1000, 2)} µs   p99 ${fmt(percentile(sorted, 0.99) / 1000, 2)} µs` +
      `   p99.9 ${fmt(percentile(sorted, 0.999) / 1000, 2)} µs   max ${fmt((sorted[sorted.length - 1] ?? Number.NaN) / 1000, 1)} µs` +
      `   (${fmt(condLatencyCount)} samples timed, every ${LATENCY_STRIDE}th)`,
  );
  console.log(
    `  alarm events    ${fmt(condStats.events)} (${fmt(condRaises)} raises); suppression changes ${fmt(suppressionChanges)}; listener errors ${condStats.listenerErrors}`,
  );
  console.log(`  snapshot        ${fmt(snapshotJson.length / 1024, 1)} KiB JSON, taken and serialised in ${fmt(snapMs, 1)} ms`);
}

runConditionPhase();
if (!throughputOk || !latencyOk) process.exitCode = 1;
