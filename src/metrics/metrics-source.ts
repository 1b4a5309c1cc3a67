import type { ActiveAlarmCounts } from '../alarms/active-alarms.js';
import type { AlarmStateCounts } from '../alarms/alarm-service.js';
import type { DeviceHealth, LinkHealth } from '../drivers/driver.js';
import type { MqttLinkStats } from '../drivers/mqtt/mqtt-driver.js';
import type { NorthboundStatus } from '../northbound/mqtt-publisher.js';
import type { AlarmPriority } from '../profiles/types.js';
import type { RuleEngineStats } from '../rules/engine.js';
import type { SinkStatus } from '../telemetry/batching-sink.js';
import type { RuleTiming } from './rule-timing.js';

/**
 * What the self-metrics read from a gateway: the snapshots it already keeps for /health, read at scrape
 * time. Narrow on purpose, so that the metrics can be tested with a plain object and no gateway. Each
 * figure type picks only the fields it uses from the gateway's own type, so the two stay in step.
 */

export type DeviceFigures = Pick<DeviceHealth, 'device' | 'state' | 'requests' | 'errors' | 'overruns' | 'consecutiveFailures'>;

export type LinkFigures = Pick<LinkHealth, 'link' | 'protocol' | 'state' | 'reconnects' | 'queueDepth'> & {
  devices: readonly DeviceFigures[];
};

/**
 * A telemetry sink. The spool fields are optional: sinks without an on-disk spool have none, and the
 * spool's status fields are being added while this is written, so they are read only when they are numbers.
 */
export type SinkFigures = Pick<
  SinkStatus,
  'id' | 'type' | 'connected' | 'linesWritten' | 'linesDropped' | 'linesRejected' | 'linesBuffered' | 'writeErrors' | 'consecutiveFailures'
> & {
  /** Lines held in the on-disk spool. */
  spoolLines?: number | null;
  /** Size of the on-disk spool, bytes. */
  spoolBytes?: number | null;
};

export type NorthboundFigures = Pick<NorthboundStatus, 'connected' | 'published' | 'dropped' | 'queued'>;

export type MqttLinkFigures = Pick<MqttLinkStats, 'messages' | 'unmatched' | 'oversize'> & { link: string };

export type RuleFigures = Pick<RuleEngineStats, 'evaluated' | 'unchanged' | 'events' | 'listenerErrors' | 'pendingTimers'>;

export type AlarmCountFigures = Pick<ActiveAlarmCounts, 'raises' | 'clears' | 'unmatched'>;

/** The fields of `Gateway.stats()` the metrics use. */
export interface GatewayFigures {
  /** Samples received from every driver since start-up. */
  samplesIn: number;
  /** Compiled rules. */
  rules: number;
  /** When the gateway started, ms since the epoch; null before start(). */
  startedAt: number | null;
}

/** Functions rather than methods: a source is usually a handful of closures over a gateway. */
export interface MetricsSource {
  /** Site id: a label of `facility_gw_info` and the `site` tag of the InfluxDB health lines. */
  readonly site: string;
  /** Package version, for `facility_gw_info`. */
  readonly version: string;
  /** The gateway's rule timer, when it has one; otherwise the metrics make their own (and nothing feeds it). */
  readonly ruleTiming?: RuleTiming;
  gateway: () => GatewayFigures;
  links: () => readonly LinkFigures[];
  sinks: () => readonly SinkFigures[];
  /** undefined when no northbound publisher is configured. */
  northbound: () => NorthboundFigures | undefined;
  activeAlarms: () => readonly { priority: AlarmPriority }[];
  alarmCounts: () => AlarmCountFigures;
  /** Link-level MQTT counters; optional because the gateway does not expose its drivers' `stats()` yet. */
  mqttLinks?: () => readonly MqttLinkFigures[];
  /** Rule-engine counters; optional because the gateway does not expose `RuleEngine.stats()` yet. */
  rules?: () => RuleFigures;
  /** Managed alarms by ISA-18.2 state and overlay. */
  alarmStates?: () => AlarmStateCounts;
  /** Alarm notifications per channel (webhook, chat bots, e-mail), besides northbound MQTT. */
  notificationChannels?: () => readonly NotificationChannelFigures[];
}

export interface NotificationChannelFigures {
  channel: string;
  sent: number;
  failed: number;
  retried: number;
}

/** Northbound MQTT is the only outbound channel today; notifications by e-mail or SMS will add their own. */
export const NORTHBOUND_CHANNEL = 'mqtt-northbound';

/** A device counts as up while it answers: `online`, or `degraded` (answering, with some errors). */
export function deviceAnswers(state: DeviceFigures['state']): boolean {
  switch (state) {
    case 'online':
    case 'degraded':
      return true;
    case 'unknown':
    case 'offline':
    case 'disabled':
      return false;
  }
}

/** A count read defensively from a status object: a finite, non-negative number, else undefined. */
export function countOrUndefined(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
}
