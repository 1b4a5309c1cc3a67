import type { Logger } from 'pino';
import type { MqttLinkConfig, SiteConfig } from '../config/schema.js';
import { ActiveAlarms } from '../alarms/active-alarms.js';
import { AlarmService } from '../alarms/alarm-service.js';
import { AckLinkStore } from '../alarms/ack-link-store.js';
import { AckLinks, resolveAckSecret } from '../alarms/ack-links.js';
import { AlarmManagementSchema, withDefaults, type AlarmManagementConfig } from '../config/alarm-management-schema.js';
import { createSampleRecorder, type SampleRecorder } from '../recording/sample-recorder.js';
import { AlarmWorkOrders } from '../workorders/alarm-coupling.js';
import { WorkOrderService } from '../workorders/service.js';
import { WorkOrderStore } from '../workorders/store.js';
import type { CompiledAlarmDefinition } from '../rules/alarm-definition.js';
import type { AlarmNotifier } from '../alarms/notify/index.js';
import { createAlarmNotifier } from './alarm-notifications.js';
import { diffRules, restartRequiredChanges, ruleFingerprints, withNextRules, type RuleReloadReport } from './rule-reload.js';
import { RuleStateKeeper } from './rule-state-keeper.js';
import { WorkOrderParts } from './work-order-parts.js';
import { GATEWAY_MIGRATIONS } from './store-migrations.js';
import type { AlarmEvent } from '../alarms/events.js';
import { createDrivers } from '../drivers/create-drivers.js';
import { MqttDriver, type MqttLinkStats } from '../drivers/mqtt/mqtt-driver.js';
import { metricsSourceOf } from '../metrics/gateway-source.js';
import { gatewayHealthLines } from '../metrics/health-lines.js';
import type { MetricsSource } from '../metrics/metrics-source.js';
import { RuleTiming } from '../metrics/rule-timing.js';
import type { DeviceStatusEvent, Driver, DriverContext, LinkHealth } from '../drivers/driver.js';
import { EventBus } from '../events/event-bus.js';
import { startEmbeddedBroker, type EmbeddedBroker } from '../mqtt/embedded-broker.js';
import { NorthboundPublisher, type NorthboundStatus } from '../northbound/mqtt-publisher.js';
import type { DeviceEvent } from '../points/device-event.js';
import { PointTable } from '../points/point-table.js';
import type { Sample } from '../points/sample.js';
import { findProfile as findBuiltInProfile } from '../profiles/index.js';
import type { AlarmRationale, DeviceProfile } from '../profiles/types.js';
import { compileRules, RuleCompileError, type CompiledRuleSet } from '../rules/compile.js';
import { RuleEngine, type RuleEngineStats } from '../rules/engine.js';
import { workOrderEventLine } from '../telemetry/event-lines.js';
import { TelemetryWriter } from '../telemetry/telemetry-writer.js';
import type { Clock, TimerHandle } from '../time/clock.js';
import { packageVersion } from '../version.js';
import { definePoints, resolveDevices, type DeviceEntry } from './device-catalog.js';

const DEFAULT_HEALTH_LINES_INTERVAL_MS = 10_000;

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
  /** How often the gateway writes its own health figures to telemetry; default 10 s. */
  healthLinesIntervalMs?: number;
}

/**
 * Wires one site together: drivers feed samples into the point table, the rule engine and the telemetry
 * writer; rule events feed the active-alarm list. It owns start and stop order and nothing else.
 */
export class Gateway {
  /** The running config; a rule reload replaces its rules. */
  private currentConfig: SiteConfig;
  readonly clock: Clock;
  readonly points = new PointTable();
  readonly alarms = new ActiveAlarms();
  /** Managed alarms (ISA-18.2 lifecycle, audit log), kept in the store. */
  readonly alarmService: AlarmService;
  /** Work orders, in the same store. */
  readonly workOrders: WorkOrderService;
  /** Signed acknowledge links for pushes, when `alarmManagement.ackLinks` is configured. */
  readonly ackLinks: AckLinks | undefined = undefined;
  /** Pushes alarms to people and group chats, when `notifications` is configured. */
  readonly notifier: AlarmNotifier | undefined = undefined;
  private readonly alarmSettings: AlarmManagementConfig;
  /** Every alarm the rules can emit; one map, refilled in place by a rule reload, so its readers see the new set. */
  private readonly alarmDefinitions = new Map<string, CompiledAlarmDefinition>();
  private compiled: CompiledRuleSet;
  private readonly findProfile: (id: string) => DeviceProfile | undefined;
  private lastReload: RuleReloadReport | undefined;
  private readonly ruleState: RuleStateKeeper;
  private readonly alarmWorkOrders: AlarmWorkOrders;
  /** Planned maintenance and the CMMS hand-off, when configured. */
  readonly workOrderParts: WorkOrderParts;
  /** Records the sample stream for back-tests and bug reports, when `recording` is configured. */
  private readonly recorder: SampleRecorder | undefined;
  readonly events: EventBus<GatewayEvents>;
  readonly devices: readonly DeviceEntry[];
  readonly telemetry: TelemetryWriter;
  /** Rule evaluation time per sample, for GET /metrics. */
  readonly ruleTiming = new RuleTiming();
  private readonly logger: Logger;
  private healthTimer: TimerHandle | undefined;
  private readonly healthLinesIntervalMs: number;
  private rules: RuleEngine;
  private readonly driverContext: DriverContext;
  private drivers: Driver[] = [];
  private broker: EmbeddedBroker | undefined;
  private northbound: NorthboundPublisher | undefined;
  private ruleCount: number;
  private samplesIn = 0;
  private alarmEventCount = 0;
  private startedAt: number | null = null;

  constructor(options: GatewayOptions) {
    this.currentConfig = options.config;
    this.clock = options.clock;
    this.logger = options.logger;
    this.healthLinesIntervalMs = options.healthLinesIntervalMs ?? DEFAULT_HEALTH_LINES_INTERVAL_MS;
    this.events = new EventBus<GatewayEvents>(options.logger.child({ module: 'events' }));
    const findProfile = options.findProfile ?? findBuiltInProfile;
    this.devices = resolveDevices(options.config, findProfile);
    definePoints(this.points, this.devices);

    const compiled = compileRules(options.config, findProfile);
    this.findProfile = findProfile;
    this.compiled = compiled;
    for (const [id, d] of compiled.alarmDefinitions) this.alarmDefinitions.set(id, d);
    this.ruleCount = countRules(compiled);

    this.alarmSettings = withDefaults(AlarmManagementSchema, options.config.alarmManagement);
    this.alarmService = new AlarmService({
      clock: options.clock,
      logger: options.logger.child({ module: 'alarms' }),
      settings: this.alarmSettings,
      // A config loaded from a file always names a store (default data/facility-gw.db); one built in code
      // without `store` (tests, benchmarks) keeps alarm state in memory.
      storePath: options.config.store?.path ?? ':memory:',
      migrations: GATEWAY_MIGRATIONS,
      site: options.config.site.id,
      definitions: this.alarmDefinitions,
    });
    const database = this.alarmService.store.database;
    this.workOrders = new WorkOrderService(new WorkOrderStore(database), options.clock, (err) =>
      this.logger.error({ err }, 'work-order listener failed'),
    );
    // Work-order transitions go to telemetry beside the values, for the maintenance dashboards.
    this.workOrders.subscribe((order, event) => {
      const line = workOrderEventLine(order, event, this.telemetry.equipmentOf(order.asset));
      if (line !== undefined) this.telemetry.writeLines([line]);
    });
    this.workOrderParts = new WorkOrderParts({
      config: options.config,
      database,
      orders: this.workOrders,
      findProfile,
      clock: options.clock,
      logger: options.logger,
      version: packageVersion(),
      onSlaAlarm: (event) => this.handleAlarm(event),
      chatter: { cycles: this.alarmSettings.chatter.cycles, windowMs: this.alarmSettings.chatter.windowSeconds * 1000 },
    });
    this.recorder = createSampleRecorder(options.config.recording, { clock: options.clock, logger: options.logger.child({ module: 'recording' }) });
    this.alarmWorkOrders = new AlarmWorkOrders({
      orders: this.workOrders,
      alarms: this.alarmService,
      templates: options.config.workOrders?.templates ?? [],
      definitions: this.alarmDefinitions,
      assets: new Map(this.devices.map(({ config }) => [config.id, { type: config.type, name: config.name, location: config.location }])),
      site: options.config.site.id,
      clock: options.clock,
      logger: options.logger.child({ module: 'workorders' }),
    });
    const ackLinks = this.alarmSettings.ackLinks;
    if (ackLinks !== undefined) {
      const store = new AckLinkStore(database);
      this.ackLinks = new AckLinks({
        secret: resolveAckSecret(ackLinks.secret, store, options.clock),
        baseUrl: ackLinks.baseUrl,
        expiryMs: ackLinks.expiryMinutes * 60_000,
        clock: options.clock,
        store,
      });
    }

    if (options.config.notifications !== undefined) {
      this.notifier = createAlarmNotifier({
        config: options.config.notifications,
        site: options.config.site,
        alarms: this.alarmService,
        definitions: this.alarmDefinitions,
        devices: this.devices,
        ackLinks: this.ackLinks,
        clock: options.clock,
        logger: options.logger.child({ module: 'notify' }),
      });
    }

    this.rules = this.createRuleEngine(compiled, (event) => this.handleAlarm(event));
    this.ruleState = new RuleStateKeeper(() => this.rules, this.alarmService.store, options.clock, options.logger.child({ module: 'rules' }));

    this.telemetry = new TelemetryWriter({
      site: options.config.site.id,
      sinks: options.config.sinks,
      clock: options.clock,
      logger: options.logger.child({ module: 'telemetry' }),
    });
    for (const { config } of this.devices) this.telemetry.registerDevice(config.id, config.type);

    this.driverContext = {
      clock: options.clock,
      logger: options.logger,
      onSamples: (samples) => this.handleSamples(samples),
      onDeviceStatus: (status) => this.handleDeviceStatus(status),
      onEvents: (events) => this.handleEvents(events),
      onDeviceAlarms: (events) => {
        for (const event of events) this.handleAlarm(event);
      },
    };
  }

  /**
   * Starts the embedded broker first when an MQTT link or the northbound publisher has no broker URL, then
   * the drivers (which connect in the background: a dead device or broker never holds up the start), then
   * the northbound publisher.
   */
  async start(): Promise<void> {
    this.startedAt = this.clock.now();
    const { config } = this;
    // Alarm state first, then the rules' pending delays and windows: the first rule events must find the
    // alarms as they were before the restart.
    this.alarmService.start();
    if (this.notifier !== undefined) {
      const notifier = this.notifier;
      this.alarmService.subscribe((t) => notifier.handle(t));
      notifier.start();
    }
    this.alarmWorkOrders.start();
    this.workOrderParts.start();
    this.restoreActiveAlarms();
    this.ruleState.restore();
    if (needsEmbeddedBroker(config)) {
      this.broker = await startEmbeddedBroker({ ...config.embeddedBroker, logger: this.logger });
    }
    const brokerUrlFor = (link: MqttLinkConfig | undefined): string => {
      const url = link?.url ?? this.broker?.url;
      if (url === undefined) throw new Error(`MQTT link ${link?.id ?? '(northbound)'} has no broker URL and no embedded broker runs`);
      return url;
    };
    this.drivers = createDrivers({
      siteId: config.site.id,
      links: config.links,
      devices: this.devices.filter((d) => d.config.enabled),
      context: this.driverContext,
      brokerUrlFor,
    });
    this.telemetry.start();
    if (config.sinks.length > 0) this.scheduleHealthLines(metricsSourceOf(this, packageVersion()));
    await Promise.all(this.drivers.map((d) => d.start()));
    if (config.northbound) {
      const link = northboundLink(config);
      this.northbound = new NorthboundPublisher({
        siteId: config.site.id,
        prefix: config.northbound.prefix,
        qos: config.northbound.qos,
        pointMinIntervalMs: config.northbound.pointMinIntervalMs,
        maxQueued: config.northbound.maxQueued,
        brokerUrl: brokerUrlFor(link),
        link,
        clock: this.clock,
        logger: this.logger.child({ module: 'northbound' }),
        units: (id) => this.points.getMeta(id)?.unit,
      });
      this.northbound.attach(this.events);
      await this.northbound.start();
    }
    this.logger.info(
      { site: this.config.site.id, links: this.drivers.length, devices: this.devices.length, rules: this.ruleCount },
      'gateway started',
    );
  }

  async stop(): Promise<void> {
    this.clock.clearTimeout(this.healthTimer);
    await this.northbound?.stop();
    await Promise.all(this.drivers.map((d) => d.stop()));
    this.ruleState.flush();
    this.rules.stop();
    await this.notifier?.stop();
    await this.workOrderParts.stop();
    this.alarmWorkOrders.stop();
    await this.recorder?.close();
    this.alarmService.stop();
    await this.telemetry.stop();
    await this.broker?.stop();
    this.logger.info('gateway stopped');
  }

  get config(): SiteConfig {
    return this.currentConfig;
  }

  private createRuleEngine(compiled: CompiledRuleSet, onAlarm: (event: AlarmEvent) => void): RuleEngine {
    return new RuleEngine({
      site: this.config.site.id,
      rules: compiled,
      clock: this.clock,
      logger: this.logger.child({ module: 'rules' }),
      onAlarm,
      onSuppression: (alarmId, suppressed, reason) => this.alarmService.setSuppressed(alarmId, suppressed, reason),
      onStateChange: () => this.ruleState.changed(),
    });
  }

  /**
   * Applies the rules of `next` (a freshly loaded site config) without a restart, atomically: the new set
   * is compiled first and refused whole when anything is wrong, leaving the running rules untouched.
   * Unchanged rules keep their state (active episodes, pending delays, windows); changed and added rules
   * are evaluated against the current values at once; a removed rule's active alarm clears ("rule
   * removed"). Settings other than rules are compared and reported as needing a restart.
   */
  reloadRules(next: SiteConfig): RuleReloadReport {
    const at = this.clock.now();
    const restartRequired = restartRequiredChanges(this.config, next);
    let compiled: CompiledRuleSet;
    try {
      compiled = compileRules(withNextRules(this.config, next), this.findProfile);
    } catch (err) {
      if (!(err instanceof RuleCompileError)) throw err;
      const report: RuleReloadReport = { applied: false, errors: [...err.problems], added: [], removed: [], changed: [], unchanged: 0, restartRequired, at };
      this.logger.warn({ errors: report.errors }, 'rule reload refused: the running rules are unchanged');
      return (this.lastReload = report);
    }
    const diff = diffRules(ruleFingerprints(this.compiled), ruleFingerprints(compiled));
    const keep = new Set(diff.unchanged);
    const reevaluated = new Set([...diff.changed, ...diff.added]);

    // The new engine resumes the unchanged rules' state and judges the others against the current values.
    const snapshot = this.rules.snapshotState();
    const kept = { ...snapshot, alarms: Object.fromEntries(Object.entries(snapshot.alarms).filter(([id]) => keep.has(id))) };
    const alreadyActive = (alarmId: string) => this.alarmService.get(alarmId)?.conditionActive === true;
    const engine = this.createRuleEngine(compiled, (event) => {
      // A changed rule that still holds must not raise a second time: its alarm is active already.
      if (event.type === 'raise' && reevaluated.has(event.alarmId) && alreadyActive(event.alarmId)) return;
      this.handleAlarm(event);
    });
    engine.restoreState(kept);
    for (const link of this.linkHealth()) {
      for (const d of link.devices) if (d.state === 'offline') engine.onDeviceStatus({ device: d.device, online: false, ts: at });
    }
    engine.onSamples(this.points.samples());

    const old = this.rules;
    this.rules = engine;
    this.currentConfig = withNextRules(this.currentConfig, next);
    old.stop();
    this.compiled = compiled;
    this.ruleCount = countRules(compiled);
    this.alarmDefinitions.clear();
    for (const [id, d] of compiled.alarmDefinitions) {
      this.alarmDefinitions.set(id, d);
      if (!keep.has(id)) this.alarmService.define(id, d);
    }
    // Changed rules whose condition no longer holds, and removed rules, clear what they had raised.
    const stillActive = new Set(engine.activeAlarms().map((a) => a.alarmId));
    for (const id of diff.changed) if (alreadyActive(id) && !stillActive.has(id)) this.clearByReload(id, 'rule changed: its condition no longer holds');
    for (const id of diff.removed) if (alreadyActive(id)) this.clearByReload(id, 'rule removed');
    this.ruleState.changed();

    const report: RuleReloadReport = { applied: true, errors: [], ...diff, unchanged: diff.unchanged.length, restartRequired, at };
    this.logger.info({ added: diff.added.length, changed: diff.changed.length, removed: diff.removed.length, unchanged: diff.unchanged.length, restartRequired }, 'rules reloaded');
    return (this.lastReload = report);
  }

  /** The last rule reload, for the API. */
  lastRuleReload(): RuleReloadReport | undefined {
    return this.lastReload;
  }

  private clearByReload(alarmId: string, reason: string): void {
    const s = this.alarmService.get(alarmId);
    const active = this.alarms.get(alarmId);
    const now = this.clock.now();
    const [device = s?.device ?? '', rule = alarmId] = alarmId.split(':');
    this.handleAlarm({
      type: 'clear',
      alarmId,
      site: s?.site ?? this.config.site.id,
      device: active?.device ?? device,
      rule: active?.rule ?? rule,
      kind: active?.kind ?? 'threshold-high',
      priority: s?.priority ?? active?.priority ?? 'low',
      message: `${s?.message ?? alarmId} (${reason})`,
      conditionSince: now,
      ts: now,
    });
  }

  /** The alarms whose condition was active before a restart, back into the live list (/alarms/active). */
  private restoreActiveAlarms(): void {
    for (const s of this.alarmService.list({ skipQuiet: false })) {
      const def = this.alarmDefinitions.get(s.alarmId);
      if (!s.conditionActive || def === undefined || s.raisedAt === undefined) continue;
      this.alarms.restore({
        alarmId: s.alarmId,
        site: s.site ?? this.config.site.id,
        device: def.device,
        rule: def.rule,
        kind: def.kind,
        priority: s.priority ?? def.priority,
        message: s.message ?? def.message,
        ...(def.point !== undefined ? { point: def.point } : {}),
        lifeSafety: def.lifeSafety,
        ...(def.rationale !== undefined ? { rationale: def.rationale } : {}),
        conditionSince: s.raisedAt,
        raisedAt: s.raisedAt,
      });
    }
  }

  /** Writes the gateway's own figures (links, sinks, alarms) to telemetry, for the gateway-health dashboard. */
  private scheduleHealthLines(source: MetricsSource): void {
    this.healthTimer = this.clock.setTimeout(() => {
      this.telemetry.writeLines(gatewayHealthLines(source, this.clock.now()));
      this.scheduleHealthLines(source);
    }, this.healthLinesIntervalMs);
  }

  /** The hot path: every batch of samples from every driver. */
  private handleSamples(samples: Sample[]): void {
    for (const sample of samples) this.points.update(sample);
    // Rules do not read the point table, so it is updated first, which keeps it out of the rule timing.
    const rulesStartedAt = this.ruleTiming.now();
    this.rules.onSamples(samples);
    this.ruleTiming.observeBatch(rulesStartedAt, samples.length);
    this.workOrderParts.onSamples(samples);
    this.recorder?.record(samples);
    this.samplesIn += samples.length;
    this.telemetry.write(samples);
    this.events.emit('samples', samples);
  }

  private handleEvents(events: DeviceEvent[]): void {
    this.rules.onEvents(events);
    this.recorder?.recordEvents(events);
    this.telemetry.writeDeviceEvents(events);
    for (const event of events) this.events.emit('deviceEvent', event);
  }

  private handleDeviceStatus(status: DeviceStatusEvent): void {
    this.rules.onDeviceStatus(status);
    this.recorder?.recordStatus(status);
    this.events.emit('deviceStatus', status);
  }

  private handleAlarm(event: AlarmEvent): void {
    this.alarmEventCount++;
    this.alarms.apply(event);
    this.alarmService.onAlarmEvent(event);
    this.telemetry.writeAlarmEvent(event);
    const log = { alarmId: event.alarmId, priority: event.priority, value: event.value, limit: event.limit };
    if (event.type === 'raise') this.logger.warn(log, `alarm raised: ${event.message}`);
    else this.logger.info(log, `alarm cleared: ${event.message}`);
    this.events.emit('alarm', event);
  }

  /**
   * Hands the gateway samples from a source outside its drivers (a simulation on the virtual clock, a
   * replay): they take exactly the path a driver's samples take (point table, rules, maintenance, telemetry).
   */
  ingest(samples: Sample[]): void {
    this.driverContext.onSamples(samples);
  }

  /** URL of the embedded broker, when one runs (the demo's simulated doors publish to it). */
  embeddedBrokerUrl(): string | undefined {
    return this.broker?.url;
  }

  northboundStatus(): NorthboundStatus | undefined {
    return this.northbound?.status();
  }

  /** The rationalisation (cause, consequence, action) of an alarm, from its definition. */
  rationaleOf(alarmId: string): AlarmRationale | undefined {
    return this.alarmDefinitions.get(alarmId)?.rationale;
  }

  ruleStats(): RuleEngineStats {
    return this.rules.stats();
  }

  mqttLinkStats(): Array<MqttLinkStats & { link: string }> {
    return this.drivers.flatMap((d) => (d instanceof MqttDriver ? [{ link: d.linkId, ...d.stats() }] : []));
  }

  linkHealth(): LinkHealth[] {
    return this.drivers.map((d) => d.health());
  }

  stats(): { startedAt: number | null; samplesIn: number; rules: number; alarmEvents: number } {
    return { startedAt: this.startedAt, samplesIn: this.samplesIn, rules: this.ruleCount, alarmEvents: this.alarmEventCount };
  }
}

function countRules(compiled: CompiledRuleSet): number {
  return compiled.thresholdCount + compiled.eventRuleCount + compiled.conditionAlarmCount + compiled.commLossByDevice.size;
}

/** An MQTT link without a URL, or a northbound publisher with no link of its own, uses the embedded broker. */
function needsEmbeddedBroker(config: SiteConfig): boolean {
  const linkWithoutUrl = config.links.some((l) => l.type === 'mqtt' && l.url === undefined);
  const northboundWithoutUrl = config.northbound !== undefined && northboundLink(config)?.url === undefined;
  return linkWithoutUrl || northboundWithoutUrl;
}

/** The MQTT link northbound publishes through: the configured one, else the first MQTT link, else none. */
function northboundLink(config: SiteConfig): MqttLinkConfig | undefined {
  const mqttLinks = config.links.filter((l): l is MqttLinkConfig => l.type === 'mqtt');
  const wanted = config.northbound?.link;
  return wanted === undefined ? mqttLinks[0] : mqttLinks.find((l) => l.id === wanted);
}
