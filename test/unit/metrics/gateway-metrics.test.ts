import { register as globalRegistry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createGatewayMetrics, type GatewayMetrics } from '../../../src/metrics/gateway-metrics.js';
import { metricsSourceOf, type MetricsGateway } from '../../../src/metrics/gateway-source.js';
import { RuleTiming } from '../../../src/metrics/rule-timing.js';
import { fakeGatewayState, fakeMetricsSource, type FakeGatewayState } from './fake-metrics-source.js';
import { parseExposition, sampleValue, type ExposedFamily } from './parse-exposition.js';

function metricsFor(state: FakeGatewayState, ruleTiming?: RuleTiming): GatewayMetrics {
  return createGatewayMetrics(fakeMetricsSource(state, ruleTiming), { processMetrics: false });
}

async function scrape(metrics: GatewayMetrics): Promise<Map<string, ExposedFamily>> {
  return parseExposition(await metrics.render());
}

/** Every family, its type, and for the fake state one series with its labels and value. */
const EXPECTED: [name: string, type: 'counter' | 'gauge', labels: Record<string, string>, value: number][] = [
  ['facility_gw_info', 'gauge', { site: 'demo', version: '1.2.3' }, 1],
  ['facility_gw_start_time_seconds', 'gauge', {}, 1_700_000_000],
  ['facility_gw_samples_total', 'counter', {}, 1234],
  ['facility_gw_link_up', 'gauge', { link: 'plant', protocol: 'modbus' }, 1],
  ['facility_gw_link_reconnects_total', 'counter', { link: 'plant', protocol: 'modbus' }, 2],
  ['facility_gw_link_queue_depth', 'gauge', { link: 'plant', protocol: 'modbus' }, 3],
  ['facility_gw_device_requests_total', 'counter', { link: 'plant', device: 'pump-1' }, 100],
  ['facility_gw_device_errors_total', 'counter', { link: 'plant', device: 'pump-2' }, 50],
  ['facility_gw_poll_overruns_total', 'counter', { link: 'plant', device: 'pump-1' }, 1],
  ['facility_gw_device_up', 'gauge', { link: 'plant', device: 'pump-1' }, 1],
  ['facility_gw_device_consecutive_failures', 'gauge', { link: 'plant', device: 'pump-2' }, 9],
  ['facility_gw_telemetry_sink_up', 'gauge', { sink: 'vm' }, 0],
  ['facility_gw_telemetry_lines_written_total', 'counter', { sink: 'influx' }, 900],
  ['facility_gw_telemetry_lines_rejected_total', 'counter', { sink: 'influx' }, 2],
  ['facility_gw_telemetry_lines_dropped_total', 'counter', { sink: 'influx' }, 5],
  ['facility_gw_telemetry_write_failures_total', 'counter', { sink: 'influx' }, 3],
  ['facility_gw_telemetry_consecutive_failures', 'gauge', { sink: 'vm' }, 1],
  ['facility_gw_telemetry_lines_buffered', 'gauge', { sink: 'influx' }, 40],
  ['facility_gw_spool_lines', 'gauge', { sink: 'influx' }, 120],
  ['facility_gw_spool_bytes', 'gauge', { sink: 'influx' }, 40_960],
  ['facility_gw_northbound_up', 'gauge', {}, 1],
  ['facility_gw_northbound_published_total', 'counter', {}, 77],
  ['facility_gw_northbound_dropped_total', 'counter', {}, 6],
  ['facility_gw_northbound_queued', 'gauge', {}, 8],
  ['facility_gw_notifications_sent_total', 'counter', { channel: 'mqtt-northbound' }, 77],
  ['facility_gw_notifications_failed_total', 'counter', { channel: 'mqtt-northbound' }, 6],
  ['facility_gw_notifications_retried_total', 'counter', { channel: 'wecom-room' }, 4],
  ['facility_gw_mqtt_messages_total', 'counter', { link: 'doors' }, 500],
  ['facility_gw_mqtt_messages_unmatched_total', 'counter', { link: 'doors' }, 12],
  ['facility_gw_mqtt_messages_oversize_total', 'counter', { link: 'doors' }, 3],
  ['facility_gw_alarms_active', 'gauge', { priority: 'high' }, 2],
  ['facility_gw_alarms_by_state', 'gauge', { state: 'rtn-unack' }, 3],
  ['facility_gw_alarms_overlaid', 'gauge', { overlay: 'suppressed' }, 2],
  ['facility_gw_alarms_raised_total', 'counter', {}, 11],
  ['facility_gw_alarms_cleared_total', 'counter', {}, 8],
  ['facility_gw_alarm_events_unmatched_total', 'counter', {}, 1],
  ['facility_gw_rules', 'gauge', {}, 7],
  ['facility_gw_rule_samples_evaluated_total', 'counter', {}, 600],
  ['facility_gw_rule_samples_unchanged_total', 'counter', {}, 400],
  ['facility_gw_rule_alarm_events_total', 'counter', {}, 19],
  ['facility_gw_rule_listener_errors_total', 'counter', {}, 0],
  ['facility_gw_rule_pending_timers', 'gauge', {}, 2],
];

describe('gateway metrics', () => {
  it('exposes every family with its # TYPE, its labels and the snapshot values', async () => {
    const families = await scrape(metricsFor(fakeGatewayState()));
    for (const [name, type, labels, value] of EXPECTED) {
      expect(families.get(name)?.type, name).toBe(type);
      expect(families.get(name)?.help, name).not.toBe('');
      expect(sampleValue(families, name, labels), `${name} ${JSON.stringify(labels)}`).toBe(value);
    }
    expect(families.get('facility_gw_rule_evaluation_seconds')?.type).toBe('histogram');
    // Exactly the families above and the histogram: nothing unnamed, nothing left over.
    expect([...families.keys()].sort()).toEqual([...EXPECTED.map(([name]) => name), 'facility_gw_rule_evaluation_seconds'].sort());
    for (const [name, type] of EXPECTED) expect(name.endsWith('_total'), name).toBe(type === 'counter');
  });

  it('labels every device with its link, reads device state as up/down, and escapes label values', async () => {
    const families = await scrape(metricsFor(fakeGatewayState()));
    const up = families.get('facility_gw_device_up')?.samples.map((s) => [s.labels.link, s.labels.device, s.value]);
    expect(up).toEqual([
      ['plant', 'pump-1', 1],
      ['plant', 'pump-2', 0],
      ['doors', 'door "east"', 1],
    ]);
    expect(sampleValue(families, 'facility_gw_link_up', { link: 'doors', protocol: 'mqtt' })).toBe(0);
  });

  it('shows every alarm priority, 0 when none is active', async () => {
    const families = await scrape(metricsFor(fakeGatewayState()));
    const active = Object.fromEntries((families.get('facility_gw_alarms_active')?.samples ?? []).map((s): [string, number] => [s.labels.priority ?? '', s.value]));
    expect(active).toEqual({ critical: 0, high: 2, medium: 0, low: 1 });
  });

  it('follows the snapshots from scrape to scrape, and drops series whose device or sink is gone', async () => {
    const state = fakeGatewayState();
    const metrics = metricsFor(state);
    await scrape(metrics);
    state.gateway = { ...state.gateway, samplesIn: 5000 };
    const plant = state.links[0];
    if (!plant) throw new Error('fixture has a plant link');
    state.links = [{ ...plant, devices: plant.devices.slice(0, 1).map((d) => ({ ...d, requests: 180 })) }];
    state.sinks = state.sinks.slice(1);
    state.alarms = [];
    const families = await scrape(metrics);
    expect(sampleValue(families, 'facility_gw_samples_total')).toBe(5000);
    expect(sampleValue(families, 'facility_gw_device_requests_total', { device: 'pump-1' })).toBe(180);
    expect(families.get('facility_gw_device_requests_total')?.samples).toHaveLength(1);
    expect(families.get('facility_gw_telemetry_lines_written_total')?.samples.map((s) => s.labels.sink)).toEqual(['vm']);
    expect(sampleValue(families, 'facility_gw_alarms_active', { priority: 'high' })).toBe(0);
  });

  it('leaves out what the gateway does not have: spool, northbound, MQTT, rule, alarm-state and notification counters', async () => {
    const state = fakeGatewayState();
    state.northbound = undefined;
    const sink = state.sinks[0];
    if (!sink) throw new Error('fixture has a sink');
    state.sinks = [{ ...sink, spoolLines: null, spoolBytes: Number.NaN, linesWritten: -1 }];
    const { mqttLinks: _mqtt, rules: _rules, alarmStates: _states, notificationChannels: _channels, ...withoutOptional } = fakeMetricsSource(state);
    const families = parseExposition(await createGatewayMetrics(withoutOptional, { processMetrics: false }).render());
    for (const name of [
      'facility_gw_spool_lines',
      'facility_gw_spool_bytes',
      'facility_gw_telemetry_lines_written_total',
      'facility_gw_northbound_published_total',
      'facility_gw_notifications_sent_total',
      'facility_gw_mqtt_messages_total',
      'facility_gw_rule_samples_evaluated_total',
      'facility_gw_alarms_by_state',
    ]) {
      // Declared (so dashboards and alerts can name them) but without series.
      expect(families.get(name)?.samples, name).toEqual([]);
    }
    expect(sampleValue(families, 'facility_gw_telemetry_lines_dropped_total', { sink: 'influx' })).toBe(5);
  });

  it('exposes the rule timing histogram: per-sample averages, weighted by batch size', async () => {
    let nowMs = 0;
    const timing = new RuleTiming({ now: () => nowMs });
    const metrics = metricsFor(fakeGatewayState(), timing);
    expect(metrics.ruleTiming).toBe(timing);
    // 10 samples in 20 µs: 2 µs each, in the 2.5 µs bucket.
    nowMs = 0.02;
    timing.observeBatch(0, 10);
    // 1 sample in 3 ms.
    nowMs = 10;
    timing.observeBatch(7, 1);
    const families = await scrape(metrics);
    const bucket = (le: string): number => sampleValue(families, 'facility_gw_rule_evaluation_seconds_bucket', { le });
    expect(bucket('0.000001')).toBe(0);
    expect(bucket('0.0000025')).toBe(10);
    expect(bucket('0.0025')).toBe(10);
    expect(bucket('0.005')).toBe(11);
    expect(bucket('0.01')).toBe(11);
    expect(bucket('+Inf')).toBe(11);
    expect(sampleValue(families, 'facility_gw_rule_evaluation_seconds_count')).toBe(11);
    expect(sampleValue(families, 'facility_gw_rule_evaluation_seconds_sum')).toBeCloseTo(0.00302, 9);
    metrics.registry.resetMetrics();
    expect(sampleValue(await scrape(metrics), 'facility_gw_rule_evaluation_seconds_count')).toBe(0);
  });

  it('keeps each gateway in its own registry, away from the global one', async () => {
    const a = fakeGatewayState();
    const b = fakeGatewayState();
    b.gateway = { ...b.gateway, samplesIn: 1 };
    const metricsA = metricsFor(a);
    const metricsB = metricsFor(b);
    expect(metricsA.registry).not.toBe(metricsB.registry);
    expect(sampleValue(await scrape(metricsA), 'facility_gw_samples_total')).toBe(1234);
    expect(sampleValue(await scrape(metricsB), 'facility_gw_samples_total')).toBe(1);
    expect(globalRegistry.getSingleMetric('facility_gw_samples_total')).toBeUndefined();
  });

  it('adds Node process metrics under the prefix unless turned off, and serves the Prometheus content type', async () => {
    const metrics = createGatewayMetrics(fakeMetricsSource(fakeGatewayState()));
    const families = await scrape(metrics);
    expect(families.get('facility_gw_process_cpu_seconds_total')?.type).toBe('counter');
    expect(families.get('facility_gw_nodejs_heap_size_used_bytes')?.type).toBe('gauge');
    expect(metrics.contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
  });

  it('reads a gateway through metricsSourceOf', async () => {
    const state = fakeGatewayState();
    const timing = new RuleTiming();
    const gateway: MetricsGateway = {
      config: { site: { id: 'plant-room' } },
      alarms: { list: () => state.alarms, counts: () => ({ active: state.alarms.length, ...state.alarmCounts }) },
      telemetry: { status: () => state.sinks },
      linkHealth: () => state.links.map((l) => ({ ...l, lastError: null, devices: l.devices.map((d) => ({ ...d, lastSeen: null, lastError: null, nextAttemptAt: null })) })),
      stats: () => ({ ...state.gateway, alarmEvents: 0 }),
      northboundStatus: () => state.northbound && { ...state.northbound, lastError: null },
      ruleTiming: timing,
      ruleStats: () => state.rules,
      mqttLinkStats: () => [],
    };
    const metrics = createGatewayMetrics(metricsSourceOf(gateway, '9.9.9'), { processMetrics: false });
    expect(metrics.ruleTiming).toBe(timing);
    const families = await scrape(metrics);
    expect(sampleValue(families, 'facility_gw_info', { site: 'plant-room', version: '9.9.9' })).toBe(1);
    expect(sampleValue(families, 'facility_gw_device_errors_total', { device: 'pump-1' })).toBe(4);
    expect(sampleValue(families, 'facility_gw_rule_samples_evaluated_total')).toBe(600);
    expect(families.get('facility_gw_mqtt_messages_total')?.samples).toEqual([]);
  });
});

describe('notification metrics', () => {
  it('count northbound MQTT and every notification channel side by side', async () => {
    const families = await scrape(metricsFor(fakeGatewayState()));
    expect(sampleValue(families, 'facility_gw_notifications_sent_total', { channel: 'wecom-room' })).toBe(14);
    expect(sampleValue(families, 'facility_gw_notifications_failed_total', { channel: 'wecom-room' })).toBe(1);
    expect(sampleValue(families, 'facility_gw_notifications_sent_total', { channel: 'mqtt-northbound' })).toBe(77);
  });
});
