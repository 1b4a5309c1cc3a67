import type { Logger } from 'pino';
import type { SiteConfig } from '../config/schema.js';
import { ActiveAlarms } from '../alarms/active-alarms.js';
import type { AlarmEvent } from '../alarms/events.js';
import { createDrivers } from '../drivers/create-drivers.js';
import type { DeviceStatusEvent, Driver, LinkHealth } from '../drivers/driver.js';
import { EventBus } from '../events/event-bus.js';
import type { DeviceEvent } from '../points/device-event.js';
import { PointTable } from '../points/point-table.js';
import type { Sample } from '../points/sample.js';
import { findProfile as findBuiltInProfile } from '../profiles/index.js';
import type { DeviceProfile } from '../profiles/types.js';
import { compileRules } from '../rules/compile.js';
import { RuleEngine } from '../rules/engine.js';
import { TelemetryWriter } from '../telemetry/telemetry-writer.js';
import type { Clock } from '../time/clock.js';
import { definePoints, resolveDevices, type DeviceEntry } from './device-catalog.js';

export interface GatewayEvents extends Record<string, unknown> {
  samples: Sample[];
  alarm: AlarmEvent;
  deviceStatus: DeviceStatusEvent;
  deviceEvent: DeviceEvent;
}

export interface GatewayOptions {
  config: SiteConfig;
  clock: Clock;
  logger: Logger;
  findProfile?: (id: string) => DeviceProfile | undefined;
}

/**
 * Wires one site together: drivers feed samples into the point table, the rule engine and the telemetry
 * writer; rule events feed the active-alarm list. It owns start and stop order and nothing else.
 */
export class Gateway {
  readonly config: SiteConfig;
  readonly clock: Clock;
  readonly points = new PointTable();
  readonly alarms = new ActiveAlarms();
  readonly events: EventBus<GatewayEvents>;
  readonly devices: readonly DeviceEntry[];
  readonly telemetry: TelemetryWriter;
  private readonly logger: Logger;
  private readonly rules: RuleEngine;
  private readonly drivers: Driver[];
  private readonly ruleCount: number;
  private samplesIn = 0;
  private alarmEventCount = 0;
  private startedAt: number | null = null;

  constructor(options: GatewayOptions) {
    this.config = options.config;
    this.clock = options.clock;
    this.logger = options.logger;
    this.events = new EventBus<GatewayEvents>(options.logger.child({ module: 'events' }));
    const findProfile = options.findProfile ?? findBuiltInProfile;
    this.devices = resolveDevices(options.config, findProfile);
    definePoints(this.points, this.devices);

    const compiled = compileRules(options.config, findProfile);
    this.ruleCount = compiled.thresholdCount + compiled.commLossByDevice.size;
    this.rules = new RuleEngine({
      site: options.config.site.id,
      rules: compiled,
      clock: options.clock,
      logger: options.logger.child({ module: 'rules' }),
      onAlarm: (event) => this.handleAlarm(event),
    });

    this.telemetry = new TelemetryWriter({
      site: options.config.site.id,
      sinks: options.config.sinks,
      clock: options.clock,
      logger: options.logger.child({ module: 'telemetry' }),
    });
    for (const { config } of this.devices) this.telemetry.registerDevice(config.id, config.type);

    const enabled = this.devices.filter((d) => d.config.enabled);
    this.drivers = createDrivers(options.config.links, enabled, {
      clock: options.clock,
      logger: options.logger,
      onSamples: (samples) => this.handleSamples(samples),
      onDeviceStatus: (status) => this.handleDeviceStatus(status),
      onEvents: (events) => this.handleEvents(events),
    });
  }

  async start(): Promise<void> {
    this.startedAt = this.clock.now();
    this.telemetry.start();
    await Promise.all(this.drivers.map((d) => d.start()));
    this.logger.info(
      { site: this.config.site.id, links: this.drivers.length, devices: this.devices.length, rules: this.ruleCount },
      'gateway started',
    );
  }

  async stop(): Promise<void> {
    await Promise.all(this.drivers.map((d) => d.stop()));
    this.rules.stop();
    await this.telemetry.stop();
    this.logger.info('gateway stopped');
  }

  /** The hot path: every batch of samples from every driver. */
  private handleSamples(samples: Sample[]): void {
    for (const sample of samples) {
      this.points.update(sample);
      this.rules.onSample(sample);
    }
    this.samplesIn += samples.length;
    this.telemetry.write(samples);
    this.events.emit('samples', samples);
  }

  private handleEvents(events: DeviceEvent[]): void {
    for (const event of events) this.events.emit('deviceEvent', event);
  }

  private handleDeviceStatus(status: DeviceStatusEvent): void {
    this.rules.onDeviceStatus(status);
    this.events.emit('deviceStatus', status);
  }

  private handleAlarm(event: AlarmEvent): void {
    this.alarmEventCount++;
    this.alarms.apply(event);
    const log = { alarmId: event.alarmId, priority: event.priority, value: event.value, limit: event.limit };
    if (event.type === 'raise') this.logger.warn(log, `alarm raised: ${event.message}`);
    else this.logger.info(log, `alarm cleared: ${event.message}`);
    this.events.emit('alarm', event);
  }

  linkHealth(): LinkHealth[] {
    return this.drivers.map((d) => d.health());
  }

  stats(): { startedAt: number | null; samplesIn: number; rules: number; alarmEvents: number } {
    return { startedAt: this.startedAt, samplesIn: this.samplesIn, rules: this.ruleCount, alarmEvents: this.alarmEventCount };
  }
}
