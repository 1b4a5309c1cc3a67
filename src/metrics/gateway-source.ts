import type { AlarmStateCounts } from '../alarms/alarm-service.js';
import type { LinkHealth } from '../drivers/driver.js';
import type { AlarmPriority } from '../profiles/types.js';
import type {
  AlarmCountFigures,
  GatewayFigures,
  MetricsSource,
  MqttLinkFigures,
  NorthboundFigures,
  RuleFigures,
  SinkFigures,
} from './metrics-source.js';
import type { RuleTiming } from './rule-timing.js';

/**
 * The part of a running Gateway the metrics read, described structurally so that this module does not
 * depend on the gateway's wiring (and the gateway can use it for its health lines without a cycle).
 */
export interface MetricsGateway {
  readonly config: { readonly site: { readonly id: string } };
  readonly alarms: {
    list(): readonly { priority: AlarmPriority }[];
    counts(): AlarmCountFigures;
  };
  readonly telemetry: { status(): readonly SinkFigures[] };
  linkHealth(): readonly LinkHealth[];
  stats(): GatewayFigures;
  northboundStatus(): NorthboundFigures | undefined;
  readonly ruleTiming: RuleTiming;
  ruleStats(): RuleFigures;
  mqttLinkStats(): readonly MqttLinkFigures[];
  readonly alarmService?: { counts(): AlarmStateCounts };
  readonly notifier?: { stats(): { channels: Record<string, { sent: number; failed: number; retried: number }> } } | undefined;
}

/** Adapts a gateway to the narrow interface the metrics read; every call reads the gateway's state afresh. */
export function metricsSourceOf(gateway: MetricsGateway, version: string): MetricsSource {
  const source: MetricsSource = {
    site: gateway.config.site.id,
    version,
    ruleTiming: gateway.ruleTiming,
    gateway: () => gateway.stats(),
    links: () => gateway.linkHealth(),
    sinks: () => gateway.telemetry.status(),
    northbound: () => gateway.northboundStatus(),
    activeAlarms: () => gateway.alarms.list(),
    alarmCounts: () => gateway.alarms.counts(),
  };
  source.rules = () => gateway.ruleStats();
  source.mqttLinks = () => gateway.mqttLinkStats();
  if (gateway.notifier !== undefined) {
    const notifier = gateway.notifier;
    source.notificationChannels = () =>
      Object.entries(notifier.stats().channels).map(([channel, c]) => ({ channel, sent: c.sent, failed: c.failed, retried: c.retried }));
  }
  if (gateway.alarmService !== undefined) {
    const service = gateway.alarmService;
    source.alarmStates = () => service.counts();
  }
  return source;
}
