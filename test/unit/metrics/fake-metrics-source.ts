import type { AlarmStateCounts } from '../../../src/alarms/alarm-service.js';
import type { AlarmPriority } from '../../../src/profiles/types.js';
import type {
  GatewayFigures,
  LinkFigures,
  MetricsSource,
  MqttLinkFigures,
  NorthboundFigures,
  NotificationChannelFigures,
  RuleFigures,
  SinkFigures,
} from '../../../src/metrics/metrics-source.js';
import { RuleTiming } from '../../../src/metrics/rule-timing.js';

/** Plain, mutable snapshots behind a MetricsSource: a test changes a field and scrapes again. */
export interface FakeGatewayState {
  gateway: GatewayFigures;
  links: LinkFigures[];
  sinks: SinkFigures[];
  northbound: NorthboundFigures | undefined;
  alarms: { priority: AlarmPriority }[];
  alarmCounts: { raises: number; clears: number; unmatched: number };
  mqttLinks: MqttLinkFigures[];
  rules: RuleFigures;
  alarmStates: AlarmStateCounts;
  notificationChannels: NotificationChannelFigures[];
}

export function fakeGatewayState(): FakeGatewayState {
  return {
    gateway: { samplesIn: 1234, rules: 7, startedAt: 1_700_000_000_000 },
    links: [
      {
        link: 'plant',
        protocol: 'modbus',
        state: 'connected',
        reconnects: 2,
        queueDepth: 3,
        devices: [
          { device: 'pump-1', state: 'online', requests: 100, errors: 4, overruns: 1, consecutiveFailures: 0 },
          { device: 'pump-2', state: 'offline', requests: 50, errors: 50, overruns: 0, consecutiveFailures: 9 },
        ],
      },
      {
        link: 'doors',
        protocol: 'mqtt',
        state: 'disconnected',
        reconnects: 0,
        queueDepth: 0,
        devices: [{ device: 'door "east"', state: 'degraded', requests: 30, errors: 2, overruns: 0, consecutiveFailures: 1 }],
      },
    ],
    sinks: [
      { id: 'influx', type: 'influxdb-v2', connected: true, linesWritten: 900, linesDropped: 5, linesRejected: 2, linesBuffered: 40, writeErrors: 3, consecutiveFailures: 0, spoolLines: 120, spoolBytes: 40_960 },
      { id: 'vm', type: 'influxdb-v1', connected: false, linesWritten: 10, linesDropped: 0, linesRejected: 0, linesBuffered: 0, writeErrors: 1, consecutiveFailures: 1 },
    ],
    northbound: { connected: true, published: 77, dropped: 6, queued: 8 },
    alarms: [{ priority: 'high' }, { priority: 'high' }, { priority: 'low' }],
    alarmCounts: { raises: 11, clears: 8, unmatched: 1 },
    mqttLinks: [{ link: 'doors', messages: 500, unmatched: 12, oversize: 3 }],
    rules: { evaluated: 600, unchanged: 400, events: 19, listenerErrors: 0, pendingTimers: 2 },
    alarmStates: { byState: { normal: 10, 'unack-active': 2, 'ack-active': 1, 'rtn-unack': 3 }, shelved: 1, suppressed: 2, outOfService: 0 },
    notificationChannels: [{ channel: 'wecom-room', sent: 14, failed: 1, retried: 4 }],
  };
}

export function fakeMetricsSource(state: FakeGatewayState, ruleTiming = new RuleTiming()): MetricsSource {
  return {
    site: 'demo',
    version: '1.2.3',
    ruleTiming,
    gateway: () => state.gateway,
    links: () => state.links,
    sinks: () => state.sinks,
    northbound: () => state.northbound,
    activeAlarms: () => state.alarms,
    alarmCounts: () => state.alarmCounts,
    mqttLinks: () => state.mqttLinks,
    rules: () => state.rules,
    alarmStates: () => state.alarmStates,
    notificationChannels: () => state.notificationChannels,
  };
}
