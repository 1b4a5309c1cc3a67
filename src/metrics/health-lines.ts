import { encodeLine, type FieldInput } from '../telemetry/line-protocol.js';
import { countOrUndefined, deviceAnswers, NORTHBOUND_CHANNEL, type DeviceFigures, type MetricsSource } from './metrics-source.js';

/**
 * A few health figures of the gateway as InfluxDB lines of the `gateway` measurement, so that dashboards
 * built on InfluxDB can show the gateway's own health beside the equipment it reads. Meant to be written
 * every few tens of seconds through the telemetry writer.
 *
 * Fields that count since start-up end in `_total`, as their Prometheus names do (a dashboard takes their
 * `non_negative_derivative()`); the others are levels at `ts`. Numbers are floats, like every number this
 * gateway writes; states are booleans. One line per scope:
 * - `gateway,site=…`: samples_total, devices_online, devices_offline, alarms_active
 * - `gateway,link=…,site=…`: connected, queue_depth, devices_online, devices_offline, requests_total, errors_total, overruns_total
 * - `gateway,sink=…,site=…`: connected, lines_written_total, lines_dropped_total, lines_rejected_total,
 *   lines_buffered, and spool_lines / spool_bytes when the sink has a spool
 * - `gateway,channel=mqtt-northbound,site=…`: connected, published_total, dropped_total, queued
 *
 * A device counts as online while it answers (online or degraded) and as offline once it stopped answering;
 * a device not yet heard from counts as neither.
 */

export const HEALTH_MEASUREMENT = 'gateway';

/** The health lines at time `ts` (ms since the epoch, from the gateway's clock). */
export function gatewayHealthLines(source: MetricsSource, ts: number): string[] {
  const { site } = source;
  const links = source.links();
  const allDevices = links.flatMap((l) => l.devices);
  const lines: (string | undefined)[] = [
    line({ site }, ts, {
      samples_total: source.gateway().samplesIn,
      devices_online: countWhere(allDevices, isOnline),
      devices_offline: countWhere(allDevices, isOffline),
      alarms_active: source.activeAlarms().length,
    }),
  ];
  for (const link of links) {
    lines.push(
      line({ site, link: link.link }, ts, {
        connected: link.state === 'connected',
        queue_depth: link.queueDepth,
        devices_online: countWhere(link.devices, isOnline),
        devices_offline: countWhere(link.devices, isOffline),
        requests_total: sum(link.devices, (d) => d.requests),
        errors_total: sum(link.devices, (d) => d.errors),
        overruns_total: sum(link.devices, (d) => d.overruns),
      }),
    );
  }
  for (const sink of source.sinks()) {
    lines.push(
      line({ site, sink: sink.id }, ts, {
        connected: sink.connected,
        lines_written_total: sink.linesWritten,
        lines_dropped_total: sink.linesDropped,
        lines_rejected_total: sink.linesRejected,
        lines_buffered: sink.linesBuffered,
        spool_lines: countOrUndefined(sink.spoolLines),
        spool_bytes: countOrUndefined(sink.spoolBytes),
      }),
    );
  }
  const northbound = source.northbound();
  if (northbound !== undefined) {
    lines.push(
      line({ site, channel: NORTHBOUND_CHANNEL }, ts, {
        connected: northbound.connected,
        published_total: northbound.published,
        dropped_total: northbound.dropped,
        queued: northbound.queued,
      }),
    );
  }
  return lines.filter((l): l is string => l !== undefined);
}

/** One line; fields whose value is undefined (a sink without a spool) are left out. */
function line(tags: Record<string, string>, ts: number, fields: Record<string, number | boolean | undefined>): string | undefined {
  const inputs: FieldInput[] = [];
  for (const [name, value] of Object.entries(fields)) {
    if (value !== undefined) inputs.push({ name, value, quality: 'good' });
  }
  return encodeLine({ measurement: HEALTH_MEASUREMENT, tags, ts, fields: inputs });
}

function isOnline(device: DeviceFigures): boolean {
  return deviceAnswers(device.state);
}

function isOffline(device: DeviceFigures): boolean {
  return device.state === 'offline';
}

function countWhere<T>(items: readonly T[], predicate: (item: T) => boolean): number {
  let count = 0;
  for (const item of items) if (predicate(item)) count++;
  return count;
}

function sum<T>(items: readonly T[], value: (item: T) => number): number {
  let total = 0;
  for (const item of items) total += value(item);
  return total;
}
