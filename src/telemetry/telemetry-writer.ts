import type { AlarmEvent } from '../alarms/events.js';
import type { SinkConfig } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { DeviceEvent } from '../points/device-event.js';
import type { Sample } from '../points/sample.js';
import type { EquipmentType } from '../profiles/types.js';
import type { Clock } from '../time/clock.js';
import type { BatchingSink, RetryTiming, SinkStatus } from './batching-sink.js';
import type { SinkDeps } from './influx-http.js';
import { alarmEventLine, deviceEventLine } from './event-lines.js';
import { createInfluxV1Sink } from './influx-v1-sink.js';
import { createInfluxV2Sink } from './influx-v2-sink.js';
import { SampleEncoder } from './line-protocol.js';

/**
 * The telemetry writer: the one place samples leave for time-series databases. `write()` runs on the poll
 * path, so it only encodes each poll into lines once and appends the same line to every sink's queue; each
 * sink sends on its own timers. An unreachable database therefore never slows polling or rules. A sink with a
 * `spool` keeps its lines on disk until the server took them and replays an outage's backlog at a limited
 * rate (spool/spool-queue.ts); one without buffers in memory, then drops the oldest lines and counts them.
 */
export interface TelemetryWriterContext {
  /** Site id: the `site` tag of every line. */
  site: string;
  sinks: readonly SinkConfig[];
  clock: Clock;
  /** Already bound to the module by the caller (`logger.child({ module: 'telemetry' })`). */
  logger: Logger;
  /** Back-off between failed writes; by default 1 s, doubling up to 60 s. */
  retry?: Partial<RetryTiming>;
  /** Longest stop() spends sending what is still buffered, ms. Default 3000. */
  stopDeadlineMs?: number;
}

export type TelemetrySinkStatus = SinkStatus;

const DEFAULT_STOP_DEADLINE_MS = 3000;
/** After the first, a failure to encode is logged once per this many, to keep a bad stream from flooding logs. */
const ENCODE_FAILURE_LOG_EVERY = 1000;

export class TelemetryWriter {
  private readonly logger: Logger;
  private readonly site: string;
  private readonly sinks: readonly BatchingSink[];
  private readonly encoder: SampleEncoder;
  private readonly equipment = new Map<string, EquipmentType>();
  private readonly stopDeadlineMs: number;
  /** Built once, so write() allocates no closure per call. */
  private readonly appendToSinks: (line: string) => void;
  private started = false;
  private stopped = false;
  private encodeFailures = 0;

  constructor(ctx: TelemetryWriterContext) {
    this.logger = ctx.logger;
    this.site = ctx.site;
    this.stopDeadlineMs = ctx.stopDeadlineMs ?? DEFAULT_STOP_DEADLINE_MS;
    this.encoder = new SampleEncoder(ctx.site, (device) =>
      this.logger.warn({ device }, 'samples of an unregistered device (or without a point name) are not written to telemetry'),
    );
    const deps: SinkDeps = { clock: ctx.clock, logger: this.logger, retry: ctx.retry };
    const sinks = ctx.sinks.map((config) => createSink(config, deps));
    this.sinks = sinks;
    this.appendToSinks = (line) => {
      for (const sink of sinks) sink.append(line);
    };
  }

  /** Declares a device; its equipment type becomes the measurement of its lines. */
  registerDevice(deviceId: string, equipmentType: EquipmentType): void {
    this.encoder.registerDevice(deviceId, equipmentType);
    this.equipment.set(deviceId, equipmentType);
  }

  /** The equipment type a device was registered with. */
  equipmentOf(deviceId: string): EquipmentType | undefined {
    return this.equipment.get(deviceId);
  }

  /** Queues the samples on every sink. Synchronous; never blocks and never throws. A no-op without sinks. */
  write(samples: readonly Sample[]): void {
    if (this.sinks.length === 0 || this.stopped) return;
    try {
      this.encoder.encode(samples, this.appendToSinks);
    } catch (error) {
      this.noteEncodeFailure(error);
    }
  }

  /** Queues an alarm raise or clear as a line of the `alarm` measurement. Never throws. */
  writeAlarmEvent(event: AlarmEvent): void {
    this.appendLine(() => alarmEventLine(event, this.equipment.get(event.device)));
  }

  /** Queues device events (badges, forced doors) as lines of the `device_event` measurement. Never throws. */
  writeDeviceEvents(events: readonly DeviceEvent[]): void {
    for (const event of events) this.appendLine(() => deviceEventLine(this.site, event));
  }

  /** Queues lines already in line protocol (the gateway's own health figures). Never throws. */
  writeLines(lines: readonly string[]): void {
    for (const line of lines) this.appendLine(() => line);
  }

  private appendLine(encode: () => string | undefined): void {
    if (this.sinks.length === 0 || this.stopped) return;
    try {
      const line = encode();
      if (line !== undefined) this.appendToSinks(line);
    } catch (error) {
      this.noteEncodeFailure(error);
    }
  }

  private noteEncodeFailure(error: unknown): void {
    this.encodeFailures++;
    if (this.encodeFailures === 1 || this.encodeFailures % ENCODE_FAILURE_LOG_EVERY === 0) {
      this.logger.error({ err: error, failures: this.encodeFailures }, 'telemetry could not encode; skipped');
    }
  }

  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    if (this.sinks.length === 0) {
      this.logger.info('no telemetry sinks configured: samples are not stored in any time-series database');
      return;
    }
    for (const sink of this.sinks) sink.start();
    this.logger.info({ sinks: this.status().map(({ id, type, url }) => ({ id, type, url })) }, 'telemetry writer started');
  }

  /** Stops every sink after sending what it can within the stop deadline. Never rejects. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await Promise.all(this.sinks.map((sink) => sink.stop(this.stopDeadlineMs)));
  }

  /** Per-sink health for /health; empty without sinks. */
  status(): TelemetrySinkStatus[] {
    return this.sinks.map((sink) => sink.status());
  }
}

function createSink(config: SinkConfig, deps: SinkDeps): BatchingSink {
  switch (config.type) {
    case 'influxdb-v2':
      return createInfluxV2Sink({ ...deps, config });
    case 'influxdb-v1':
      return createInfluxV1Sink({ ...deps, config });
  }
}
