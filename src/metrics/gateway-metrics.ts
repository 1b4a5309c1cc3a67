import { collectDefaultMetrics, Registry } from 'prom-client';
import type { AlarmPriority } from '../profiles/types.js';
import {
  countOrUndefined,
  deviceAnswers,
  type DeviceFigures,
  type LinkFigures,
  NORTHBOUND_CHANNEL,
  type MetricsSource,
  type NotificationChannelFigures,
  type RuleFigures,
  type SinkFigures,
} from './metrics-source.js';
import { presentOnly, registerSnapshotHistogram, seriesOf, snapshotCounter, snapshotGauge } from './prom-families.js';
import { RuleTiming } from './rule-timing.js';

/**
 * The gateway's self-metrics for `GET /metrics`, in the Prometheus text format. Every family but the rule
 * timing histogram is read at scrape time from the snapshots the gateway keeps for /health, so the metrics
 * cost nothing between scrapes. Each gateway gets its own Registry (never prom-client's global one): tests
 * run several gateways in one process.
 *
 * Naming: counters end in `_total`, durations are in seconds, 0/1 states end in `_up`. The site is not a
 * label of every series (Prometheus adds target labels for that); it is a label of `facility_gw_info`.
 */

export const METRIC_PREFIX = 'facility_gw_';

const PRIORITIES: readonly AlarmPriority[] = ['critical', 'high', 'medium', 'low'];
const MS_PER_S = 1000;

export interface GatewayMetricsOptions {
  /**
   * Node process metrics (CPU, memory, event-loop lag, GC) under the `facility_gw_` prefix. Default true.
   * prom-client cannot stop them once started (its GC observer stays), so tests that build many gateways
   * should turn them off.
   */
  processMetrics?: boolean;
}

export interface GatewayMetrics {
  readonly registry: Registry;
  /** Fed around each batch's rule evaluation (see RuleTiming): the source's own, or a new one. */
  readonly ruleTiming: RuleTiming;
  /** The Content-Type of `render()`'s text: `text/plain; version=0.0.4; charset=utf-8`. */
  readonly contentType: string;
  /** The whole registry in the Prometheus text format. */
  render(): Promise<string>;
}

export function createGatewayMetrics(source: MetricsSource, options: GatewayMetricsOptions = {}): GatewayMetrics {
  const registry = new Registry();
  const ruleTiming = source.ruleTiming ?? new RuleTiming();
  registerGatewayFamilies(registry, source);
  registerLinkFamilies(registry, source);
  registerDeviceFamilies(registry, source);
  registerTelemetryFamilies(registry, source);
  registerOutboundFamilies(registry, source);
  registerAlarmFamilies(registry, source);
  registerRuleFamilies(registry, source, ruleTiming);
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: METRIC_PREFIX });
  return { registry, ruleTiming, contentType: registry.contentType, render: () => registry.metrics() };
}

function name(suffix: string): string {
  return METRIC_PREFIX + suffix;
}

const noLabels = (): Record<never, string> => ({});
const bit = (flag: boolean): number => (flag ? 1 : 0);

function registerGatewayFamilies(registry: Registry, source: MetricsSource): void {
  const gateway = () => [source.gateway()];
  snapshotGauge({
    registry, name: name('info'), help: 'Always 1; the labels name the site and the gateway version.', labelNames: ['site', 'version'],
    read: (emit) => emit({ site: source.site, version: source.version }, 1),
  });
  snapshotGauge({
    registry, name: name('start_time_seconds'), help: 'When the gateway started, seconds since the Unix epoch.', labelNames: [],
    read: seriesOf(gateway, noLabels, (g) => (g.startedAt === null ? undefined : g.startedAt / MS_PER_S)),
  });
  snapshotCounter({
    registry, name: name('samples_total'), help: 'Samples received from all drivers (rate() gives samples per second).', labelNames: [],
    read: seriesOf(gateway, noLabels, (g) => g.samplesIn),
  });
}

function registerLinkFamilies(registry: Registry, source: MetricsSource): void {
  const links = () => source.links();
  const labels = (l: LinkFigures) => ({ link: l.link, protocol: l.protocol });
  const labelNames = ['link', 'protocol'] as const;
  snapshotGauge({
    registry, name: name('link_up'), help: 'Whether the link (Modbus connection, MQTT broker session) is connected: 1 or 0.', labelNames,
    read: seriesOf(links, labels, (l) => bit(l.state === 'connected')),
  });
  snapshotCounter({
    registry, name: name('link_reconnects_total'), help: 'Reconnections of the link.', labelNames,
    read: seriesOf(links, labels, (l) => l.reconnects),
  });
  snapshotGauge({
    registry, name: name('link_queue_depth'), help: "Requests waiting in the link's serial queue.", labelNames,
    read: seriesOf(links, labels, (l) => l.queueDepth),
  });
}

/** Per device (unit) on its link: polls, errors, overruns, reachability. */
function registerDeviceFamilies(registry: Registry, source: MetricsSource): void {
  const devices = function* (): Generator<{ link: string; device: DeviceFigures }> {
    for (const link of source.links()) for (const device of link.devices) yield { link: link.link, device };
  };
  const labels = (d: { link: string; device: DeviceFigures }) => ({ link: d.link, device: d.device.device });
  const labelNames = ['link', 'device'] as const;
  snapshotCounter({
    registry, name: name('device_requests_total'), help: 'Requests to the device: Modbus block reads; for MQTT, messages received for it.', labelNames,
    read: seriesOf(devices, labels, (d) => d.device.requests),
  });
  snapshotCounter({
    registry, name: name('device_errors_total'), help: 'Failed requests (timeouts, exceptions) or, for MQTT, undecodable messages.', labelNames,
    read: seriesOf(devices, labels, (d) => d.device.errors),
  });
  snapshotCounter({
    registry, name: name('poll_overruns_total'), help: 'Poll cycles that started late because the previous one was still running.', labelNames,
    read: seriesOf(devices, labels, (d) => d.device.overruns),
  });
  snapshotGauge({
    registry, name: name('device_up'), help: 'Whether the device answers (online, or degraded by some errors): 1 or 0.', labelNames,
    read: seriesOf(devices, labels, (d) => bit(deviceAnswers(d.device.state))),
  });
  snapshotGauge({
    registry, name: name('device_consecutive_failures'), help: 'Failed requests in a row; 0 after a success.', labelNames,
    read: seriesOf(devices, labels, (d) => d.device.consecutiveFailures),
  });
}

/** Telemetry sinks: lines written, refused, dropped and waiting; failed writes; spool depth and size. */
function registerTelemetryFamilies(registry: Registry, source: MetricsSource): void {
  const sinks = () => source.sinks();
  const labels = (s: SinkFigures) => ({ sink: s.id });
  const labelNames = ['sink'] as const;
  snapshotGauge({
    registry, name: name('telemetry_sink_up'), help: 'Whether the last write to the sink succeeded: 1 or 0.', labelNames,
    read: seriesOf(sinks, labels, (s) => bit(s.connected)),
  });
  snapshotCounter({
    registry, name: name('telemetry_lines_written_total'), help: 'Lines the sink accepted.', labelNames,
    read: seriesOf(sinks, labels, (s) => s.linesWritten),
  });
  snapshotCounter({
    registry, name: name('telemetry_lines_rejected_total'), help: 'Lines the server refused for good (4xx): sent, not stored, not retried.', labelNames,
    read: seriesOf(sinks, labels, (s) => s.linesRejected),
  });
  snapshotCounter({
    registry, name: name('telemetry_lines_dropped_total'), help: 'Lines lost unsent: the oldest, past the buffer bound, and any still held at shutdown.', labelNames,
    read: seriesOf(sinks, labels, (s) => s.linesDropped),
  });
  snapshotCounter({
    registry, name: name('telemetry_write_failures_total'), help: 'Failed write requests; each retriable one is retried after a back-off.', labelNames,
    read: seriesOf(sinks, labels, (s) => s.writeErrors),
  });
  snapshotGauge({
    registry, name: name('telemetry_consecutive_failures'), help: 'Failed write requests in a row; 0 after a success.', labelNames,
    read: seriesOf(sinks, labels, (s) => s.consecutiveFailures),
  });
  snapshotGauge({
    registry, name: name('telemetry_lines_buffered'), help: 'Lines waiting in memory, including a batch in flight or waiting for its retry.', labelNames,
    read: seriesOf(sinks, labels, (s) => s.linesBuffered),
  });
  snapshotGauge({
    registry, name: name('spool_lines'), help: "Lines held in the sink's on-disk spool (only sinks that have one).", labelNames,
    read: seriesOf(sinks, labels, (s) => countOrUndefined(s.spoolLines)),
  });
  snapshotGauge({
    registry, name: name('spool_bytes'), help: "Size of the sink's on-disk spool, bytes (only sinks that have one).", labelNames,
    read: seriesOf(sinks, labels, (s) => countOrUndefined(s.spoolBytes)),
  });
}

/** Northbound MQTT publishing (also shown as the first notification channel) and MQTT link counters. */
function registerOutboundFamilies(registry: Registry, source: MetricsSource): void {
  const northbound = () => presentOnly(source.northbound());
  snapshotGauge({
    registry, name: name('northbound_up'), help: 'Whether the northbound publisher is connected to its broker: 1 or 0.', labelNames: [],
    read: seriesOf(northbound, noLabels, (n) => bit(n.connected)),
  });
  snapshotCounter({
    registry, name: name('northbound_published_total'), help: 'Northbound messages the broker acknowledged (QoS 1) or received (QoS 0).', labelNames: [],
    read: seriesOf(northbound, noLabels, (n) => n.published),
  });
  snapshotCounter({
    registry, name: name('northbound_dropped_total'), help: 'Northbound messages given up: outbox full, failed, or undelivered at stop.', labelNames: [],
    read: seriesOf(northbound, noLabels, (n) => n.dropped),
  });
  snapshotGauge({
    registry, name: name('northbound_queued'), help: 'Northbound messages waiting for the broker.', labelNames: [],
    read: seriesOf(northbound, noLabels, (n) => n.queued),
  });

  // Northbound MQTT carries every alarm too, so it counts as a channel beside the notifier's.
  const channels = (): NotificationChannelFigures[] => [
    ...northbound().map((n) => ({ channel: NORTHBOUND_CHANNEL, sent: n.published, failed: n.dropped, retried: 0 })),
    ...(source.notificationChannels?.() ?? []),
  ];
  const channel = (c: NotificationChannelFigures) => ({ channel: c.channel });
  snapshotCounter({
    registry, name: name('notifications_sent_total'), help: 'Notifications delivered, by channel (mqtt-northbound and the alarm notification channels).', labelNames: ['channel'],
    read: seriesOf(channels, channel, (c) => c.sent),
  });
  snapshotCounter({
    registry, name: name('notifications_failed_total'), help: 'Notifications given up after their retries, by channel.', labelNames: ['channel'],
    read: seriesOf(channels, channel, (c) => c.failed),
  });
  snapshotCounter({
    registry, name: name('notifications_retried_total'), help: 'Delivery attempts after the first, by channel.', labelNames: ['channel'],
    read: seriesOf(channels, channel, (c) => c.retried),
  });

  const mqttLinks = () => source.mqttLinks?.() ?? [];
  const link = (l: { link: string }) => ({ link: l.link });
  snapshotCounter({
    registry, name: name('mqtt_messages_total'), help: 'Messages received on the MQTT link, routed or not.', labelNames: ['link'],
    read: seriesOf(mqttLinks, link, (l) => l.messages),
  });
  snapshotCounter({
    registry, name: name('mqtt_messages_unmatched_total'), help: 'MQTT messages on a topic no device listens on.', labelNames: ['link'],
    read: seriesOf(mqttLinks, link, (l) => l.unmatched),
  });
  snapshotCounter({
    registry, name: name('mqtt_messages_oversize_total'), help: 'MQTT messages over maxPayloadBytes, rejected before parsing.', labelNames: ['link'],
    read: seriesOf(mqttLinks, link, (l) => l.oversize),
  });
}

function registerAlarmFamilies(registry: Registry, source: MetricsSource): void {
  snapshotGauge({
    registry, name: name('alarms_active'), help: 'Alarms active now, by priority (every priority is present, 0 when none).', labelNames: ['priority'],
    read: (emit) => {
      const byPriority = new Map<AlarmPriority, number>(PRIORITIES.map((p) => [p, 0]));
      for (const { priority } of source.activeAlarms()) byPriority.set(priority, (byPriority.get(priority) ?? 0) + 1);
      for (const [priority, count] of byPriority) emit({ priority }, count);
    },
  });
  const states = () => presentOnly(source.alarmStates?.());
  snapshotGauge({
    registry, name: name('alarms_by_state'), help: 'Managed alarms by ISA-18.2 state (normal, unack-active, ack-active, rtn-unack).', labelNames: ['state'],
    read: (emit) => {
      for (const s of states()) for (const [state, count] of Object.entries(s.byState)) emit({ state }, count);
    },
  });
  snapshotGauge({
    registry, name: name('alarms_overlaid'), help: 'Managed alarms not annunciated, by overlay (shelved, suppressed, out-of-service).', labelNames: ['overlay'],
    read: (emit) => {
      for (const s of states()) {
        emit({ overlay: 'shelved' }, s.shelved);
        emit({ overlay: 'suppressed' }, s.suppressed);
        emit({ overlay: 'out-of-service' }, s.outOfService);
      }
    },
  });
  const counts = () => [source.alarmCounts()];
  snapshotCounter({
    registry, name: name('alarms_raised_total'), help: 'Raise events that made an alarm active.', labelNames: [],
    read: seriesOf(counts, noLabels, (c) => c.raises),
  });
  snapshotCounter({
    registry, name: name('alarms_cleared_total'), help: 'Clear events that ended an active alarm.', labelNames: [],
    read: seriesOf(counts, noLabels, (c) => c.clears),
  });
  snapshotCounter({
    registry, name: name('alarm_events_unmatched_total'), help: 'Raises of an active alarm and clears of an inactive one: a duplicated stream or lost state.', labelNames: [],
    read: seriesOf(counts, noLabels, (c) => c.unmatched),
  });
}

function registerRuleFamilies(registry: Registry, source: MetricsSource, ruleTiming: RuleTiming): void {
  registerSnapshotHistogram({
    registry,
    name: name('rule_evaluation_seconds'),
    help: "Rule evaluation time per sample: each batch's average, counted once per sample of the batch.",
    snapshot: () => ruleTiming.snapshot(),
    reset: () => ruleTiming.reset(),
  });
  snapshotGauge({
    registry, name: name('rules'), help: 'Compiled rules.', labelNames: [],
    read: seriesOf(() => [source.gateway()], noLabels, (g) => g.rules),
  });
  const stats = () => presentOnly<RuleFigures>(source.rules?.());
  snapshotCounter({
    registry, name: name('rule_samples_evaluated_total'), help: 'Samples that reached their rules (value or quality changed).', labelNames: [],
    read: seriesOf(stats, noLabels, (s) => s.evaluated),
  });
  snapshotCounter({
    registry, name: name('rule_samples_unchanged_total'), help: 'Samples the rules skipped because value and quality repeated.', labelNames: [],
    read: seriesOf(stats, noLabels, (s) => s.unchanged),
  });
  snapshotCounter({
    registry, name: name('rule_alarm_events_total'), help: 'Raise and clear events the rules emitted.', labelNames: [],
    read: seriesOf(stats, noLabels, (s) => s.events),
  });
  snapshotCounter({
    registry, name: name('rule_listener_errors_total'), help: 'Alarm listeners that threw or rejected.', labelNames: [],
    read: seriesOf(stats, noLabels, (s) => s.listenerErrors),
  });
  snapshotGauge({
    registry, name: name('rule_pending_timers'), help: 'Rule delays and event windows waiting to fire.', labelNames: [],
    read: seriesOf(stats, noLabels, (s) => s.pendingTimers),
  });
}
