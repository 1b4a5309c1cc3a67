import type { Logger } from 'pino';
import { DriverOutput, noteProblem } from '../driver-output.js';
import type { DeviceConfig } from '../../config/schema.js';
import { pointId, type PointValue, type Sample } from '../../points/sample.js';
import { isBitTable, registerCount, type ModbusProfile, type ModbusPointDef } from '../../profiles/types.js';
import type { Clock, TimerHandle } from '../../time/clock.js';
import type { DeviceHealth, DeviceState, Driver, DriverContext, LinkHealth, LinkState } from '../driver.js';
import { CircuitBreaker } from './backoff.js';
import { decodeBit, decodeRegisters } from './codec.js';
import { ModbusError, connectionError, decodeError, timeoutError, toConnectError, toModbusError, type RequestDescription } from './errors.js';
import { valueProblem } from './plausibility.js';
import { planReads, type PlannedPoint, type ReadBlock } from './planner.js';
import { SerialQueue } from './serial-queue.js';
import { ModbusSerialTransport, linkTarget, type ModbusLinkConfig, type ModbusTransport, type ReadValues } from './transport.js';

/**
 * Safety net on top of the transport's own timeout: a read that has not settled this long after the link's
 * timeoutMs (a library bug, a port destroyed mid-request) is failed so the serial queue cannot stall.
 */
const WATCHDOG_GRACE_MS = 500;

export interface ModbusDriverOptions {
  link: ModbusLinkConfig;
  /** The devices on this link (each device's `link` must be this link's id). */
  devices: ReadonlyArray<{ config: DeviceConfig; profile: ModbusProfile }>;
  context: DriverContext;
  /** Defaults to modbus-serial over the link's TCP host or serial port. */
  transport?: ModbusTransport;
}

type BlockOutcome = { block: ReadBlock; ok: true; values: ReadValues } | { block: ReadBlock; ok: false; error: ModbusError };

interface DeviceRuntime {
  readonly id: string;
  readonly config: DeviceConfig;
  readonly unitId: number;
  readonly points: readonly ModbusPointDef[];
  readonly blocks: readonly ReadBlock[];
  readonly breaker: CircuitBreaker;
  state: DeviceState;
  timer: TimerHandle | undefined;
  nextDueAt: number;
  polling: boolean;
  /** Due time of the last poll that produced samples (or of the start): staleness counts from here. */
  freshAt: number;
  /** No stale batch is due: one was emitted, or the last poll already marked every point bad. */
  stale: boolean;
  readonly lastGood: Map<string, PointValue>;
  /** Last logged problem per block or point, so each is logged once per change. */
  readonly problems: Map<string, string>;
  lastSeen: number | null;
  requests: number;
  errors: number;
  /** The error of the last poll, null once a poll reads every block. */
  lastError: string | null;
  overruns: number;
}

/**
 * Polls the devices of one Modbus link (a TCP connection or an RTU bus).
 *
 * - Schedule: each enabled device polls every pollIntervalMs on the clock. A poll still running when the
 *   next is due counts an overrun; polls never pile up. Every request of the link goes through one serial
 *   queue. A device's blocks are read in order; when a block gets no answer (after `retries`), the rest of
 *   that poll is failed with the same error rather than spending bus time on a silent unit.
 * - Reachability (one breaker per device): a poll in which the unit answered nothing (timeout, link down,
 *   gateway exception 10/11) is a failed poll. The first failed poll opens the breaker and emits
 *   online:false; polls are then skipped until the breaker's back-off is over, and the probe poll closes
 *   it or doubles the wait. The first poll with any answer (data or a Modbus exception) emits online:true.
 *   A unit that answers but refuses some blocks stays online, with state `degraded`.
 * - Samples: every poll that runs emits one batch with a sample per point: good, or bad (value null, error)
 *   when its block failed or its value is NaN, infinite or outside the point's range. When no poll has ended
 *   for staleAfterPolls intervals while the values were last good (a slow unit, overruns), one batch of
 *   stale samples carrying the last good values is emitted; the next poll that ends clears it. Points of a
 *   unit that did not answer stay bad until it answers: bad says more than stale.
 * - Link: connects in the background and reconnects forever with exponential back-off; while it is down,
 *   polls fail at once without queueing. Once it is up again every device is polled at once.
 * - Logs: link, unit and per-block/per-point problems are logged once per change, not per poll.
 * - The driver only reads.
 */
export class ModbusDriver implements Driver {
  readonly linkId: string;
  private readonly link: ModbusLinkConfig;
  private readonly target: string;
  private readonly clock: Clock;
  private readonly context: DriverContext;
  private readonly log: Logger;
  private readonly output: DriverOutput;
  private readonly transport: ModbusTransport;
  private readonly queue: SerialQueue;
  private readonly linkBreaker: CircuitBreaker;
  private readonly devices: DeviceRuntime[];
  private linkState: LinkState = 'disconnected';
  /** Why the link is down; null while it is up (or before the first attempt). */
  private linkError: ModbusError | null = null;
  private reconnects = 0;
  private reconnectTimer: TimerHandle | undefined;
  private started = false;
  private stopped = false;

  constructor(options: ModbusDriverOptions) {
    this.link = options.link;
    this.linkId = options.link.id;
    this.target = linkTarget(options.link);
    this.context = options.context;
    this.clock = options.context.clock;
    this.log = options.context.logger.child({ module: 'modbus', link: options.link.id });
    this.output = new DriverOutput(options.context, this.log, () => this.stopped);
    this.transport = options.transport ?? new ModbusSerialTransport({ link: options.link, clock: this.clock });
    this.transport.onClose(() => this.linkLost(connectionError(`link closed by ${this.target}`)));
    this.queue = new SerialQueue({ clock: this.clock, interRequestDelayMs: options.link.interRequestDelayMs });
    this.linkBreaker = this.newBreaker();
    const ids = new Set<string>();
    this.devices = options.devices.map(({ config, profile }) => {
      if (config.link !== this.linkId) throw new Error(`device ${config.id} is on link ${config.link}, not ${this.linkId}`);
      if (ids.has(config.id)) throw new Error(`device ${config.id} appears twice on link ${this.linkId}`);
      ids.add(config.id);
      if (profile.points.length === 0) this.log.warn({ device: config.id, profile: profile.id }, 'profile has no points; device not polled');
      return this.newDevice(config, profile);
    });
  }

  /** Resolves at once; the link connects in the background so a dead device cannot hold up start-up. */
  start(): Promise<void> {
    if (this.stopped) return Promise.reject(new Error(`modbus driver ${this.linkId} was stopped; create a new one`));
    if (this.started) return Promise.resolve();
    this.started = true;
    const now = this.clock.now();
    for (const device of this.polledDevices()) {
      device.freshAt = now;
      this.schedule(device, now + device.config.pollIntervalMs);
    }
    this.connectInBackground();
    return Promise.resolve();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.linkState = 'stopped';
    this.clock.clearTimeout(this.reconnectTimer);
    for (const device of this.devices) this.clock.clearTimeout(device.timer);
    this.queue.clear(new Error('driver stopped'));
    await this.closeTransport();
    this.log.info('stopped');
  }

  health(): LinkHealth {
    return {
      link: this.linkId,
      protocol: this.link.type,
      state: this.linkState,
      reconnects: this.reconnects,
      lastError: this.linkError?.message ?? null,
      queueDepth: this.queue.depth,
      devices: this.devices.map((d): DeviceHealth => ({
        device: d.id,
        state: d.state,
        lastSeen: d.lastSeen,
        requests: d.requests,
        errors: d.errors,
        consecutiveFailures: d.breaker.consecutiveFailures,
        lastError: d.lastError,
        nextAttemptAt: d.breaker.state === 'closed' ? null : d.breaker.nextAttemptAt,
        overruns: d.overruns,
      })),
    };
  }

  /** Enabled devices with something to read. */
  private polledDevices(): DeviceRuntime[] {
    return this.devices.filter((d) => d.state !== 'disabled' && d.blocks.length > 0);
  }

  private newBreaker(): CircuitBreaker {
    return new CircuitBreaker({ clock: this.clock, backoffInitialMs: this.link.backoffInitialMs, backoffMaxMs: this.link.backoffMaxMs });
  }

  private newDevice(config: DeviceConfig, profile: ModbusProfile): DeviceRuntime {
    // The config loader requires a unit id on Modbus links; a device built by hand without one is a bug.
    if (config.unitId === undefined) throw new Error(`device ${config.id} on Modbus link ${this.linkId} has no unitId`);
    return {
      id: config.id,
      config,
      unitId: config.unitId,
      points: profile.points,
      blocks: planReads(profile.points, this.link),
      breaker: this.newBreaker(),
      state: config.enabled ? 'unknown' : 'disabled',
      timer: undefined,
      nextDueAt: 0,
      polling: false,
      freshAt: 0,
      stale: false,
      lastGood: new Map(),
      problems: new Map(),
      lastSeen: null,
      requests: 0,
      errors: 0,
      lastError: null,
      overruns: 0,
    };
  }

  // ── Link ────────────────────────────────────────────────────────────────────────────────────────────

  private connectInBackground(): void {
    this.connect().catch((err: unknown) => this.log.error({ err }, 'connect failed unexpectedly'));
  }

  private async connect(): Promise<void> {
    this.reconnectTimer = undefined;
    if (this.stopped) return;
    this.linkState = 'connecting';
    try {
      await this.transport.connect();
    } catch (err) {
      if (!this.stopped) this.linkDown(toConnectError(err, this.target));
      return;
    }
    if (this.stopped) {
      await this.closeTransport();
      return;
    }
    const wasDown = this.linkError !== null;
    if (wasDown) this.reconnects++;
    this.linkError = null;
    this.linkState = 'connected';
    this.linkBreaker.recordSuccess();
    this.log.info({ target: this.target }, wasDown ? 'link restored' : 'link connected');
    // Units that failed only because the link was down deserve a prompt retry, not their full back-off.
    const now = this.clock.now();
    for (const device of this.polledDevices()) {
      device.breaker.retryNow();
      this.schedule(device, now);
    }
  }

  /** The link dropped while connected (peer closed, reset, port gone). Ignored in any other state. */
  private linkLost(error: ModbusError): void {
    if (this.linkState !== 'connected') return;
    void this.closeTransport();
    this.linkDown(error);
  }

  /** A connect failed or the link dropped: record it, log on the change only, and schedule a reconnect. */
  private linkDown(error: ModbusError): void {
    const wasUp = this.linkState === 'connected';
    const firstFailure = this.linkError === null;
    this.linkError = error;
    this.linkState = 'disconnected';
    this.linkBreaker.recordFailure();
    const retryAt = this.linkBreaker.nextAttemptAt ?? this.clock.now();
    const fields = { target: this.target, err: error.message, retryInMs: retryAt - this.clock.now() };
    if (firstFailure) this.log.warn(fields, wasUp ? 'link lost' : 'cannot connect');
    else this.log.debug(fields, 'reconnect failed');
    this.clock.clearTimeout(this.reconnectTimer);
    this.reconnectTimer = this.clock.setTimeout(() => this.connectInBackground(), retryAt - this.clock.now());
  }

  private linkDownError(): ModbusError {
    return this.linkError ?? connectionError(`link ${this.linkState}`);
  }

  private async closeTransport(): Promise<void> {
    try {
      await this.transport.close();
    } catch (err) {
      this.log.debug({ err }, 'closing the link failed');
    }
  }

  // ── Schedule ────────────────────────────────────────────────────────────────────────────────────────

  private schedule(device: DeviceRuntime, dueAt: number): void {
    this.clock.clearTimeout(device.timer);
    device.nextDueAt = dueAt;
    device.timer = this.clock.setTimeout(() => this.tick(device), dueAt - this.clock.now());
  }

  private tick(device: DeviceRuntime): void {
    device.timer = undefined;
    if (this.stopped) return;
    const dueAt = device.nextDueAt;
    const intervalMs = device.config.pollIntervalMs;
    const now = this.clock.now();
    // Stay on the grid; if the process stalled past whole slots, skip them rather than fire a burst.
    const next = dueAt + intervalMs > now ? dueAt + intervalMs : now + intervalMs;
    this.schedule(device, next);
    if (device.polling) {
      device.overruns++;
      this.checkStale(device);
      return;
    }
    // Order matters: canAttempt() lets a backed-off unit's probe through, so ask it only if we will poll.
    if (this.linkState === 'connecting' || !device.breaker.canAttempt()) {
      this.checkStale(device);
      return;
    }
    device.polling = true;
    void this.poll(device, dueAt).finally(() => {
      device.polling = false;
    });
  }

  // ── Poll ────────────────────────────────────────────────────────────────────────────────────────────

  /** Never rejects: every outcome becomes samples, state and logs. */
  private async poll(device: DeviceRuntime, dueAt: number): Promise<void> {
    try {
      const outcomes =
        this.linkState === 'connected'
          ? await this.readBlocks(device)
          : device.blocks.map((block): BlockOutcome => ({ block, ok: false, error: this.linkDownError() }));
      if (this.stopped) return;
      this.finishPoll(device, dueAt, outcomes);
    } catch (err) {
      this.log.error({ err, device: device.id }, 'poll failed unexpectedly');
    }
  }

  private async readBlocks(device: DeviceRuntime): Promise<BlockOutcome[]> {
    const outcomes: BlockOutcome[] = [];
    let silent: ModbusError | undefined;
    for (const block of device.blocks) {
      if (silent !== undefined) {
        outcomes.push({ block, ok: false, error: silent });
        continue;
      }
      try {
        outcomes.push({ block, ok: true, values: await this.readBlock(device, block) });
      } catch (err) {
        const error = err instanceof ModbusError ? err : decodeError(String(err), err);
        outcomes.push({ block, ok: false, error });
        if (error.unitUnreachable) silent = error;
      }
    }
    return outcomes;
  }

  /** One block, with the link's retries for errors worth retrying. Throws ModbusError. */
  private async readBlock(device: DeviceRuntime, block: ReadBlock): Promise<ReadValues> {
    const request: RequestDescription = {
      unitId: device.unitId,
      table: block.table,
      start: block.start,
      count: block.count,
      timeoutMs: this.link.timeoutMs,
    };
    for (let attempt = 0; ; attempt++) {
      if (this.linkState !== 'connected') throw this.linkDownError();
      device.requests++;
      try {
        const values = await this.queue.run(() => (this.linkState === 'connected' ? this.request(request) : Promise.reject(this.linkDownError())));
        if (values.length < block.count) throw decodeError(`short reply from unit ${request.unitId}: ${values.length} of ${block.count} values`);
        return values;
      } catch (err) {
        device.errors++;
        const error = toModbusError(err, request);
        // modbus-serial does not always announce a reset socket; an unexpectedly closed port tells us.
        if (error.kind === 'connection' || !this.transport.isOpen()) this.linkLost(error.kind === 'connection' ? error : connectionError('link closed'));
        if (!error.retryable || attempt >= this.link.retries) throw error;
      }
    }
  }

  private request(request: RequestDescription): Promise<ReadValues> {
    return new Promise<ReadValues>((resolve, reject) => {
      const watchdog = this.clock.setTimeout(() => reject(timeoutError(request.timeoutMs)), request.timeoutMs + WATCHDOG_GRACE_MS);
      // modbus-serial's own error objects are not Error instances: map, never wrap.
      const fail = (err: unknown) => {
        this.clock.clearTimeout(watchdog);
        reject(toModbusError(err, request));
      };
      try {
        this.transport.read(request.unitId, request.table, request.start, request.count).then((values) => {
          this.clock.clearTimeout(watchdog);
          resolve(values);
        }, fail);
      } catch (err) {
        fail(err);
      }
    });
  }

  private finishPoll(device: DeviceRuntime, dueAt: number, outcomes: readonly BlockOutcome[]): void {
    const now = this.clock.now();
    const samples: Sample[] = [];
    const failures: Array<{ block: ReadBlock; error: ModbusError }> = [];
    // Answered: some reply came back, data or a refusal (a Modbus exception): the unit is alive.
    let answered = false;
    for (const outcome of outcomes) {
      const { block } = outcome;
      if (outcome.ok) {
        answered = true;
        noteProblem(device.problems, this.log, device.id, blockKey(block), undefined);
        for (const planned of block.points) samples.push(this.sampleOf(device, block, planned, outcome.values, now));
        continue;
      }
      const { error } = outcome;
      failures.push({ block, error });
      if (!error.unitUnreachable) answered = true;
      for (const { def } of block.points) samples.push(badSample(pointId(device.id, def.name), now, error.message));
    }
    device.freshAt = dueAt;
    // A poll the unit did not answer has just marked every point bad: turning them stale between two
    // back-off probes would only flip their quality back and forth, so no stale batch follows it.
    device.stale = !answered;
    device.lastError = failures.at(-1)?.error.message ?? null;
    if (answered) {
      device.lastSeen = now;
      device.breaker.recordSuccess();
      // Only a unit that is otherwise answering has block problems; a silent unit is logged once as a whole.
      for (const { block, error } of failures) noteProblem(device.problems, this.log, device.id, blockKey(block), error.message);
      this.setState(device, failures.length === 0 ? 'online' : 'degraded', now);
    } else {
      device.breaker.recordFailure();
      this.setState(device, 'offline', now, failures.find((f) => f.error.unitUnreachable)?.error);
    }
    this.output.samples(samples);
  }

  private sampleOf(device: DeviceRuntime, block: ReadBlock, planned: PlannedPoint, values: ReadValues, now: number): Sample {
    const { def, offset } = planned;
    const point = pointId(device.id, def.name);
    let value: PointValue;
    try {
      value = isBitTable(block.table) ? decodeBit(def, bitAt(values, offset)) : decodeRegisters(def, registersAt(values, offset, registerCount(def.type)));
    } catch (err) {
      const message = `decode failed: ${err instanceof Error ? err.message : String(err)}`;
      noteProblem(device.problems, this.log, device.id, `point ${def.name}`, message);
      return badSample(point, now, message);
    }
    const problem = valueProblem(def, value);
    noteProblem(device.problems, this.log, device.id, `point ${def.name}`, problem);
    if (problem !== undefined) return badSample(point, now, problem);
    device.lastGood.set(def.name, value);
    return { point, value, ts: now, quality: 'good' };
  }

  private checkStale(device: DeviceRuntime): void {
    const now = this.clock.now();
    const { staleAfterPolls, pollIntervalMs } = device.config;
    if (device.stale || now - device.freshAt < staleAfterPolls * pollIntervalMs) return;
    device.stale = true;
    const error = `no fresh value for ${staleAfterPolls} poll intervals`;
    this.output.samples(
      device.points.map((def) => ({ point: pointId(device.id, def.name), value: device.lastGood.get(def.name) ?? null, ts: now, quality: 'stale', error })),
    );
  }

  // ── State, events, logs ─────────────────────────────────────────────────────────────────────────────

  private setState(device: DeviceRuntime, next: DeviceState, now: number, error?: ModbusError): void {
    const previous = device.state;
    device.state = next;
    const wasReachable = previous === 'online' || previous === 'degraded';
    const reachable = next === 'online' || next === 'degraded';
    if (previous !== 'unknown' && wasReachable === reachable) return;
    const fields = { device: device.id, unitId: device.unitId };
    if (reachable) {
      this.log.info(fields, previous === 'offline' ? 'unit answering again' : 'unit answering');
      this.output.status({ device: device.id, online: true, ts: now });
    } else {
      const message = error?.message ?? 'not answering';
      this.log.warn({ ...fields, err: message, retryAt: device.breaker.nextAttemptAt }, 'unit not answering');
      this.output.status({ device: device.id, online: false, ts: now, error: message });
    }
  }

}

function blockKey(block: ReadBlock): string {
  return `${block.table} ${block.start}+${block.count}`;
}

function badSample(point: string, ts: number, error: string): Sample {
  return { point, value: null, ts, quality: 'bad', error };
}

function bitAt(values: ReadValues, offset: number): boolean {
  const bit = values[offset];
  if (typeof bit !== 'boolean') throw new Error(`bit ${offset} of the reply is not a bit`);
  return bit;
}

function registersAt(values: ReadValues, offset: number, count: number): number[] {
  const registers: number[] = [];
  for (let i = offset; i < offset + count; i++) {
    const register = values[i];
    if (typeof register !== 'number') throw new Error(`register ${i} of the reply is not a register`);
    registers.push(register);
  }
  return registers;
}
