import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { DeviceConfig, ModbusTcpLinkConfig } from '../../../src/config/schema.js';
import type { DeviceStatusEvent } from '../../../src/drivers/driver.js';
import { encodeRegisters } from '../../../src/drivers/modbus/codec.js';
import { connectionError, exceptionError, timeoutError } from '../../../src/drivers/modbus/errors.js';
import { ModbusDriver } from '../../../src/drivers/modbus/modbus-driver.js';
import type { ModbusTransport, ReadValues } from '../../../src/drivers/modbus/transport.js';
import type { PointValue, Sample } from '../../../src/points/sample.js';
import { elevatorProfile } from '../../../src/profiles/elevator.js';
import { pumpProfile } from '../../../src/profiles/pump.js';
import { isBitTable, type ByteOrder, type ModbusProfile, type RegisterTable } from '../../../src/profiles/types.js';
import { VirtualClock } from '../../../src/time/clock.js';

const POLL_MS = 1000;
const TIMEOUT_MS = 300;
const CONNECT_MS = 5;
const LATENCY_MS = 10;
const BACKOFF_INITIAL_MS = 1000;
const BACKOFF_MAX_MS = 4000;
const ELEVATOR_UNIT = 1;
const PUMP_UNIT = 2;

const LINK: ModbusTcpLinkConfig = {
  id: 'bus',
  type: 'modbus-tcp',
  host: 'fake',
  port: 502,
  connectTimeoutMs: 3000,
  timeoutMs: TIMEOUT_MS,
  retries: 1,
  maxGapRegisters: 8,
  maxRegistersPerRead: 125,
  maxBitsPerRead: 2000,
  interRequestDelayMs: 0,
  backoffInitialMs: BACKOFF_INITIAL_MS,
  backoffMaxMs: BACKOFF_MAX_MS,
};

const PUMP_VALUES: Record<string, PointValue> = {
  running: true,
  fault: false,
  remote: true,
  discharge_pressure: 6.5,
  suction_pressure: 1.25,
  flow: 42.5,
  motor_current: 12.3,
  frequency: 49.99,
  motor_temperature: -5.4,
  bearing_temperature: 48.2,
  vibration: 2.1,
  level: 3.45,
  run_hours: 1234.5,
  start_count: 321,
  fault_code: 'none',
  pressure_setpoint: 6.5,
};

const ELEVATOR_VALUES: Record<string, PointValue> = {
  floor: -2,
  direction: 'up',
  door_state: 'closed',
  mode: 'in_service',
  fault_code: 'none',
  alarm_button: false,
  passenger_trapped: true,
  in_door_zone: true,
  overload: false,
  leveling_error: false,
  safety_circuit_open: true,
  load: 45,
  run_count: 100_000,
  run_hours: 5321.5,
  door_cycles: 200_000,
  speed: -1.25,
};

type Memory = Map<string, number | boolean>;

function cell(table: RegisterTable, address: number): string {
  return `${table}:${address}`;
}

/** Lays out a profile's values as a device would serve them; `orders` serves some points in another order. */
function memoryOf(profile: ModbusProfile, values: Record<string, PointValue>, orders: Record<string, ByteOrder> = {}): Memory {
  const memory: Memory = new Map();
  for (const def of profile.points) {
    const value = values[def.name];
    if (value === undefined) continue;
    if (isBitTable(def.table)) {
      memory.set(cell(def.table, def.address), value === true);
      continue;
    }
    encodeRegisters({ ...def, order: orders[def.name] ?? def.order }, value).forEach((register, i) => {
      const previous = memory.get(cell(def.table, def.address + i));
      memory.set(cell(def.table, def.address + i), def.type === 'bit' && typeof previous === 'number' ? previous | register : register);
    });
  }
  return memory;
}

interface FakeUnit {
  memory: Memory;
  /** No reply at all: every read times out. */
  silent?: boolean;
  /** No reply to reads of these tables only. */
  silentTables?: RegisterTable[];
  latencyMs?: number;
}

interface Request {
  at: number;
  unitId: number;
  table: RegisterTable;
  start: number;
  count: number;
}

/** An in-memory Modbus link on the virtual clock; unknown addresses answer illegal data address, like a real device. */
class FakeTransport implements ModbusTransport {
  readonly units = new Map<number, FakeUnit>();
  readonly requests: Request[] = [];
  readonly connectAttempts: number[] = [];
  refuse = false;
  open = false;
  inFlight = 0;
  maxInFlight = 0;
  private closeListener: (() => void) | undefined;

  constructor(private readonly clock: VirtualClock) {}

  async connect(): Promise<void> {
    this.connectAttempts.push(this.clock.now());
    await this.clock.sleep(CONNECT_MS);
    if (this.refuse) throw connectionError('connection refused (ECONNREFUSED) to fake:502');
    this.open = true;
  }

  close(): Promise<void> {
    this.open = false;
    return Promise.resolve();
  }

  isOpen(): boolean {
    return this.open;
  }

  onClose(listener: () => void): void {
    this.closeListener = listener;
  }

  /** The peer closes the connection. */
  drop(): void {
    this.open = false;
    this.closeListener?.();
  }

  async read(unitId: number, table: RegisterTable, start: number, count: number): Promise<ReadValues> {
    this.requests.push({ at: this.clock.now(), unitId, table, start, count });
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      if (!this.open) throw connectionError('link not open');
      const unit = this.units.get(unitId);
      if (unit === undefined || unit.silent === true || unit.silentTables?.includes(table) === true) {
        await this.clock.sleep(TIMEOUT_MS);
        throw timeoutError(TIMEOUT_MS);
      }
      await this.clock.sleep(unit.latencyMs ?? LATENCY_MS);
      if (!this.open) throw timeoutError(TIMEOUT_MS);
      const values: Array<number | boolean> = [];
      for (let a = start; a < start + count; a++) {
        const value = unit.memory.get(cell(table, a));
        if (value === undefined) throw exceptionError(2, { unitId, table, start, count });
        values.push(value);
      }
      return isBitTable(table) ? values.map((v) => v === true) : values.map((v) => (typeof v === 'number' ? v : 0));
    } finally {
      this.inFlight--;
    }
  }
}

function deviceConfig(id: string, unitId: number, profile: ModbusProfile, extra: Partial<DeviceConfig> = {}): DeviceConfig {
  return {
    id,
    type: profile.equipment,
    profile: profile.id,
    link: LINK.id,
    unitId,
    pollIntervalMs: POLL_MS,
    staleAfterPolls: 3,
    commLossDelayMs: 10_000,
    enabled: true,
    thresholds: [],
    disableThresholds: [],
    topicVars: {},
    eventRules: [],
    ...extra,
  };
}

interface LogLine {
  level: number;
  msg: string;
  device?: string;
  what?: string;
  err?: string;
}

const WARN = 40;

function setup(options: { link?: Partial<ModbusTcpLinkConfig>; devices?: Array<{ config: DeviceConfig; profile: ModbusProfile }> } = {}) {
  const clock = new VirtualClock();
  const transport = new FakeTransport(clock);
  transport.units.set(ELEVATOR_UNIT, { memory: memoryOf(elevatorProfile, ELEVATOR_VALUES) });
  transport.units.set(PUMP_UNIT, { memory: memoryOf(pumpProfile, PUMP_VALUES) });
  const batches: Sample[][] = [];
  const statuses: DeviceStatusEvent[] = [];
  const logs: LogLine[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => logs.push(JSON.parse(line) as LogLine) });
  const devices = options.devices ?? [
    { config: deviceConfig('lift-1', ELEVATOR_UNIT, elevatorProfile), profile: elevatorProfile },
    { config: deviceConfig('pump-1', PUMP_UNIT, pumpProfile), profile: pumpProfile },
  ];
  const driver = new ModbusDriver({
    link: { ...LINK, ...options.link },
    devices,
    transport,
    context: { clock, logger, onSamples: (s) => batches.push(s), onDeviceStatus: (s) => statuses.push(s), onEvents: () => undefined, onDeviceAlarms: () => undefined },
  });
  const batchesOf = (device: string) => batches.filter((b) => b[0]?.point.startsWith(`${device}.`));
  const sampleOf = (batch: Sample[] | undefined, point: string) => batch?.find((s) => s.point === point);
  const deviceHealth = (device: string) => driver.health().devices.find((d) => d.device === device);
  const warnings = (msg: string) => logs.filter((l) => l.level === WARN && l.msg === msg);
  return { clock, transport, driver, batches, statuses, logs, batchesOf, sampleOf, deviceHealth, warnings };
}

describe('ModbusDriver: reading', () => {
  it('emits one batch per poll with a good sample per point, decoded', async () => {
    const { clock, driver, batchesOf, transport } = setup();
    await driver.start();
    await clock.advance(POLL_MS / 2);
    const [pump] = batchesOf('pump-1');
    const [lift] = batchesOf('lift-1');
    expect(pump).toHaveLength(pumpProfile.points.length);
    expect(lift).toHaveLength(elevatorProfile.points.length);
    for (const sample of [...(pump ?? []), ...(lift ?? [])]) {
      const [device, name] = sample.point.split('.') as [string, string];
      const expected = device === 'pump-1' ? PUMP_VALUES[name] : ELEVATOR_VALUES[name];
      expect(sample, sample.point).toMatchObject({ value: expected, quality: 'good' });
      expect(sample.ts).toBeGreaterThan(Date.UTC(2026, 0, 1));
    }
    // Elevator: one block; pump: discrete inputs, input registers, holding register.
    expect(transport.requests.filter((r) => r.unitId === ELEVATOR_UNIT)).toHaveLength(1);
    expect(transport.requests.filter((r) => r.unitId === PUMP_UNIT).map((r) => `${r.table} ${r.start}+${r.count}`)).toEqual([
      'discrete 0+3',
      'input 0+19',
      'holding 0+1',
    ]);
    await driver.stop();
  });

  it('polls every device on its own interval, one request at a time', async () => {
    const slowPump = { config: deviceConfig('pump-1', PUMP_UNIT, pumpProfile, { pollIntervalMs: 2 * POLL_MS }), profile: pumpProfile };
    const lift = { config: deviceConfig('lift-1', ELEVATOR_UNIT, elevatorProfile), profile: elevatorProfile };
    const { clock, driver, batchesOf, transport } = setup({ devices: [lift, slowPump] });
    await driver.start();
    await clock.advance(10 * POLL_MS + POLL_MS / 2);
    expect(batchesOf('lift-1')).toHaveLength(11);
    expect(batchesOf('pump-1')).toHaveLength(6);
    expect(transport.maxInFlight).toBe(1);
    const health = driver.health();
    expect(health).toMatchObject({ link: 'bus', protocol: 'modbus-tcp', state: 'connected', reconnects: 0, lastError: null, queueDepth: 0 });
    expect(health.devices.find((d) => d.device === 'pump-1')).toMatchObject({ state: 'online', requests: 18, errors: 0, overruns: 0, nextAttemptAt: null });
    await driver.stop();
  });

  it('marks points bad on a Modbus exception but keeps the device online, logging once', async () => {
    const { clock, driver, transport, batchesOf, sampleOf, statuses, deviceHealth, warnings } = setup();
    // The pump does not implement its holding register.
    transport.units.set(PUMP_UNIT, { memory: memoryOf(pumpProfile, { ...PUMP_VALUES, pressure_setpoint: undefined as unknown as PointValue }) });
    await driver.start();
    await clock.advance(5 * POLL_MS);
    const last = batchesOf('pump-1').at(-1);
    expect(sampleOf(last, 'pump-1.pressure_setpoint')).toMatchObject({
      value: null,
      quality: 'bad',
      error: 'Modbus exception 2 (illegal data address) from unit 2 reading holding 0+1',
    });
    expect(sampleOf(last, 'pump-1.flow')).toMatchObject({ value: 42.5, quality: 'good' });
    expect(statuses.filter((s) => s.device === 'pump-1')).toEqual([{ device: 'pump-1', online: true, ts: expect.any(Number) as number }]);
    expect(deviceHealth('pump-1')).toMatchObject({ state: 'degraded', consecutiveFailures: 0 });
    expect(deviceHealth('pump-1')?.lastError).toMatch(/illegal data address/);
    // Not retried: an illegal address stays illegal.
    expect(transport.requests.filter((r) => r.table === 'holding')).toHaveLength(batchesOf('pump-1').length);
    expect(warnings('read problem')).toHaveLength(1);
    await driver.stop();
  });

  it('keeps a unit online when only one block times out, and logs that block once', async () => {
    const { clock, driver, transport, batchesOf, sampleOf, statuses, deviceHealth, warnings } = setup();
    transport.units.set(PUMP_UNIT, { memory: memoryOf(pumpProfile, PUMP_VALUES), silentTables: ['holding'] });
    await driver.start();
    await clock.advance(4 * POLL_MS);
    const last = batchesOf('pump-1').at(-1);
    expect(sampleOf(last, 'pump-1.pressure_setpoint')).toMatchObject({ value: null, quality: 'bad', error: `timeout after ${TIMEOUT_MS} ms` });
    expect(sampleOf(last, 'pump-1.level')).toMatchObject({ value: 3.45, quality: 'good' });
    expect(statuses.filter((s) => s.device === 'pump-1').map((s) => s.online)).toEqual([true]);
    expect(deviceHealth('pump-1')).toMatchObject({ state: 'degraded', consecutiveFailures: 0 });
    expect(warnings('read problem')).toHaveLength(1);
    await driver.stop();
  });

  it('catches a float served in swapped word order as out of range', async () => {
    const { clock, driver, transport, batchesOf, sampleOf, warnings } = setup();
    // 12.34 = 0x414570A4; served low word first it reads as 0x70A44145 ≈ 4.07e29.
    transport.units.set(PUMP_UNIT, { memory: memoryOf(pumpProfile, { ...PUMP_VALUES, discharge_pressure: 12.34 }, { discharge_pressure: 'CDAB' }) });
    await driver.start();
    await clock.advance(3 * POLL_MS);
    const sample = sampleOf(batchesOf('pump-1').at(-1), 'pump-1.discharge_pressure');
    expect(sample?.quality).toBe('bad');
    expect(sample?.value).toBeNull();
    expect(sample?.error).toBe('out of range: 4.06676e+29 not in [0, 25] bar');
    expect(warnings('read problem')).toHaveLength(1);
    await driver.stop();
  });

  it('marks NaN bad', async () => {
    const { clock, driver, transport, batchesOf, sampleOf } = setup();
    transport.units.set(PUMP_UNIT, { memory: memoryOf(pumpProfile, { ...PUMP_VALUES, flow: Number.NaN }) });
    await driver.start();
    await clock.advance(POLL_MS / 2);
    expect(sampleOf(batchesOf('pump-1')[0], 'pump-1.flow')).toMatchObject({ value: null, quality: 'bad', error: 'not a finite number: NaN' });
    await driver.stop();
  });
});

describe('ModbusDriver: dead units', () => {
  it('backs off a dead unit while the other unit keeps its schedule', async () => {
    const { clock, driver, transport, batchesOf, deviceHealth } = setup();
    transport.units.set(PUMP_UNIT, { memory: new Map(), silent: true });
    await driver.start();
    await clock.advance(20 * POLL_MS);
    const liftBatches = batchesOf('lift-1');
    // A poll every second; at most the first one waited behind the dead unit's timeouts.
    expect(liftBatches.length).toBeGreaterThanOrEqual(20);
    expect(liftBatches.every((b) => b.every((s) => s.quality === 'good'))).toBe(true);
    expect(deviceHealth('lift-1')?.overruns).toBe(0);
    // The pump is probed at back-off times only, one block plus one retry each, never all three blocks.
    const probes = transport.requests.filter((r) => r.unitId === PUMP_UNIT);
    expect(probes.every((r) => r.table === 'discrete')).toBe(true);
    const probeStarts = probes.filter((_, i) => i % 2 === 0).map((r) => r.at);
    const gaps = probeStarts.slice(1).map((t, i) => t - (probeStarts[i] ?? 0));
    expect(gaps.length).toBeGreaterThanOrEqual(3);
    for (let i = 1; i < gaps.length; i++) expect(gaps[i]).toBeGreaterThanOrEqual(gaps[i - 1] ?? 0);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(BACKOFF_MAX_MS + POLL_MS);
    const pump = deviceHealth('pump-1');
    expect(pump?.state).toBe('offline');
    expect(pump?.lastError).toBe(`timeout after ${TIMEOUT_MS} ms`);
    expect(pump?.nextAttemptAt).toBeGreaterThan(clock.now() - POLL_MS);
    expect(pump?.consecutiveFailures).toBe(probeStarts.length);
    expect(pump?.errors).toBe(probes.length);
    await driver.stop();
  });

  it('emits offline once when a unit stops answering and online once when it is back', async () => {
    const { clock, driver, transport, statuses, batchesOf, sampleOf, warnings, logs } = setup();
    await driver.start();
    await clock.advance(2 * POLL_MS);
    const pump = transport.units.get(PUMP_UNIT);
    if (pump === undefined) throw new Error('no pump');
    pump.silent = true;
    await clock.advance(15 * POLL_MS);
    const offline = statuses.filter((s) => s.device === 'pump-1' && !s.online);
    expect(offline).toHaveLength(1);
    expect(offline[0]?.error).toBe(`timeout after ${TIMEOUT_MS} ms`);
    // The failed poll marks every point bad.
    const failed = batchesOf('pump-1').find((b) => b.every((s) => s.quality === 'bad'));
    expect(sampleOf(failed, 'pump-1.flow')).toMatchObject({ value: null, error: `timeout after ${TIMEOUT_MS} ms` });
    pump.silent = false;
    await clock.advance(BACKOFF_MAX_MS + POLL_MS);
    expect(statuses.filter((s) => s.device === 'pump-1').map((s) => s.online)).toEqual([true, false, true]);
    expect(sampleOf(batchesOf('pump-1').at(-1), 'pump-1.flow')).toMatchObject({ value: 42.5, quality: 'good' });
    expect(warnings('unit not answering')).toHaveLength(1);
    expect(logs.filter((l) => l.msg === 'unit answering again')).toHaveLength(1);
    // Timeouts are the unit's problem, not a block's: no per-block warnings.
    expect(warnings('read problem')).toHaveLength(0);
    expect(statuses.filter((s) => s.device === 'lift-1').map((s) => s.online)).toEqual([true]);
    await driver.stop();
  });

  it('turns values stale once, with the last good value, when no poll ends for staleAfterPolls intervals', async () => {
    const { clock, driver, transport, batchesOf } = setup({ link: { timeoutMs: 20 * POLL_MS } });
    await driver.start();
    await clock.advance(2 * POLL_MS + POLL_MS / 2);
    const pump = transport.units.get(PUMP_UNIT);
    if (pump === undefined) throw new Error('no pump');
    // The unit still answers, but so slowly that no poll completes for several intervals.
    pump.latencyMs = 6 * POLL_MS;
    const before = batchesOf('pump-1').length;
    await clock.advance(5 * POLL_MS);
    const after = batchesOf('pump-1').slice(before);
    expect(after.map((b) => b[0]?.quality)).toEqual(['stale']);
    const [stale] = after as [Sample[]];
    expect(stale).toHaveLength(pumpProfile.points.length);
    expect(stale.find((s) => s.point === 'pump-1.flow')).toMatchObject({ value: 42.5, quality: 'stale' });
    expect(stale.find((s) => s.point === 'pump-1.fault_code')).toMatchObject({ value: 'none', quality: 'stale' });
    await driver.stop();
  });

  it('keeps a silent unit\'s points bad between back-off probes instead of flipping them to stale', async () => {
    const longBackoff = { backoffInitialMs: 10 * POLL_MS, backoffMaxMs: 10 * POLL_MS };
    const { clock, driver, transport, batchesOf } = setup({ link: longBackoff });
    await driver.start();
    await clock.advance(2 * POLL_MS + POLL_MS / 2);
    const pump = transport.units.get(PUMP_UNIT);
    if (pump === undefined) throw new Error('no pump');
    pump.silent = true;
    const before = batchesOf('pump-1').length;
    await clock.advance(9 * POLL_MS);
    const after = batchesOf('pump-1').slice(before);
    expect(after.map((b) => b[0]?.quality)).toEqual(['bad']);
    expect(after[0]?.every((s) => s.value === null && s.error?.startsWith('timeout'))).toBe(true);
    await driver.stop();
  });

  it('counts an overrun instead of piling polls up on a slow unit', async () => {
    const { clock, driver, transport, deviceHealth } = setup({ link: { timeoutMs: 5000 } });
    transport.units.set(ELEVATOR_UNIT, { memory: memoryOf(elevatorProfile, ELEVATOR_VALUES), latencyMs: 1500 });
    await driver.start();
    await clock.advance(10 * POLL_MS);
    const lift = deviceHealth('lift-1');
    expect(lift?.overruns).toBeGreaterThanOrEqual(3);
    // Each poll is one request; polls never overlap, so requests ≈ elapsed / latency.
    expect(lift?.requests).toBeLessThanOrEqual(7);
    expect(transport.maxInFlight).toBe(1);
    expect(driver.health().queueDepth).toBeLessThanOrEqual(1);
    await driver.stop();
  });
});

describe('ModbusDriver: link', () => {
  it('fails polls fast with the connect error and reports devices offline while the link is down', async () => {
    const { clock, driver, transport, statuses, batchesOf, warnings } = setup();
    transport.refuse = true;
    await driver.start();
    await clock.advance(3 * POLL_MS);
    expect(transport.requests).toHaveLength(0);
    expect(statuses.filter((s) => !s.online).map((s) => s.device).sort()).toEqual(['lift-1', 'pump-1']);
    expect(statuses[0]?.error).toBe('connection refused (ECONNREFUSED) to fake:502');
    expect(batchesOf('lift-1')[0]?.every((s) => s.quality === 'bad')).toBe(true);
    expect(driver.health()).toMatchObject({ state: 'disconnected', lastError: 'connection refused (ECONNREFUSED) to fake:502' });
    expect(warnings('cannot connect')).toHaveLength(1);
    await driver.stop();
  });

  it('reconnects after a dropped link with exponential back-off, logging the loss once', async () => {
    const { clock, driver, transport, statuses, batchesOf, warnings, logs } = setup();
    await driver.start();
    await clock.advance(3 * POLL_MS);
    transport.refuse = true;
    const droppedAt = clock.now();
    transport.drop();
    await clock.advance(12 * POLL_MS);
    const attempts = transport.connectAttempts.filter((t) => t >= droppedAt).map((t) => t - droppedAt);
    // 1 s, then 2 s, 4 s, 4 s (max) after each failed attempt (each attempt takes CONNECT_MS).
    expect(attempts.slice(0, 4)).toEqual([1000, 3005, 7010, 11015]);
    expect(warnings('link lost')).toHaveLength(1);
    expect(driver.health().state).toBe('disconnected');
    expect(statuses.filter((s) => !s.online)).toHaveLength(2);
    transport.refuse = false;
    await clock.advance(BACKOFF_MAX_MS + POLL_MS / 2);
    const health = driver.health();
    expect(health).toMatchObject({ state: 'connected', reconnects: 1, lastError: null });
    expect(logs.filter((l) => l.msg === 'link restored')).toHaveLength(1);
    expect(statuses.filter((s) => s.online)).toHaveLength(4);
    expect(batchesOf('pump-1').at(-1)?.every((s) => s.quality === 'good')).toBe(true);
    await driver.stop();
  });

  it('notices a link that closed silently when a read fails', async () => {
    const { clock, driver, transport } = setup();
    await driver.start();
    await clock.advance(POLL_MS / 2);
    transport.open = false; // no close event, as modbus-serial does after a reset
    await clock.advance(POLL_MS);
    expect(driver.health().state).not.toBe('connected');
    await clock.advance(BACKOFF_INITIAL_MS + POLL_MS);
    expect(driver.health()).toMatchObject({ state: 'connected', reconnects: 1 });
    await driver.stop();
  });
});

describe('ModbusDriver: lifecycle', () => {
  it('start() resolves at once even if the connect hangs; stop() cancels everything', async () => {
    const { clock, driver, transport, batches } = setup();
    transport.connect = () => new Promise<void>(() => undefined);
    await driver.start();
    expect(driver.health().state).toBe('connecting');
    await clock.advance(5 * POLL_MS);
    // Polls are skipped while connecting; values turn stale (null: never read).
    expect(batches.map((b) => b[0]?.quality)).toEqual(['stale', 'stale']);
    expect(batches[0]?.[0]?.value).toBeNull();
    await driver.stop();
    expect(driver.health().state).toBe('stopped');
    expect(clock.pending()).toBe(0);
    await expect(driver.start()).rejects.toThrow(/stopped/);
  });

  it('emits nothing after stop and closes the link', async () => {
    const { clock, driver, transport, batches } = setup();
    await driver.start();
    await clock.advance(POLL_MS / 2);
    const count = batches.length;
    await driver.stop();
    expect(transport.open).toBe(false);
    await clock.advance(5 * POLL_MS);
    expect(batches).toHaveLength(count);
  });

  it('keeps disabled devices out of the schedule but in the health report', async () => {
    const devices = [
      { config: deviceConfig('lift-1', ELEVATOR_UNIT, elevatorProfile), profile: elevatorProfile },
      { config: deviceConfig('pump-1', PUMP_UNIT, pumpProfile, { enabled: false }), profile: pumpProfile },
    ];
    const { clock, driver, transport, deviceHealth } = setup({ devices });
    await driver.start();
    await clock.advance(3 * POLL_MS);
    expect(transport.requests.some((r) => r.unitId === PUMP_UNIT)).toBe(false);
    expect(deviceHealth('pump-1')?.state).toBe('disabled');
    await driver.stop();
  });

  it('refuses a device configured on another link', () => {
    const config = deviceConfig('pump-1', PUMP_UNIT, pumpProfile, { link: 'other' });
    expect(() => setup({ devices: [{ config, profile: pumpProfile }] })).toThrow(/on link other, not bus/);
  });
});
