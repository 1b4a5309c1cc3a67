import type { GatewayView } from '../api/gateway-view.js';
import type { ActiveAlarmView, DevicePoints, DeviceSummary, Health } from '../api/schemas.js';
import type { DeviceHealth } from '../drivers/driver.js';
import type { AlarmPriority } from '../profiles/types.js';
import type { Gateway } from './gateway.js';

/** Reads a running Gateway into the shapes the HTTP API serves. */
export class GatewayApiView implements GatewayView {
  constructor(private readonly gateway: Gateway) {}

  health(): Health {
    const gw = this.gateway;
    const { site } = gw.config;
    const stats = gw.stats();
    const links = gw.linkHealth();
    const sinks = gw.telemetry.status();
    const northbound = gw.northboundStatus();
    const alarmHealth = gw.alarmService.health();
    const alarmCounts = gw.alarmService.counts();
    const degraded =
      alarmHealth.storeError !== null ||
      links.some((l) => l.state !== 'connected' || l.devices.some((d) => d.state === 'offline')) ||
      sinks.some((s) => !s.connected || s.spoolError !== null) ||
      (northbound !== undefined && !northbound.connected);
    const now = gw.clock.now();
    const startedAt = stats.startedAt ?? now;
    return {
      status: degraded ? 'degraded' : 'ok',
      site: { id: site.id, name: site.name, timezone: site.timezone },
      startedAt,
      uptimeS: (now - startedAt) / 1000,
      links,
      telemetry: { enabled: sinks.length > 0, sinks },
      rules: { rules: stats.rules, samplesEvaluated: stats.samplesIn, alarmEvents: stats.alarmEvents },
      mqtt: { embeddedBroker: gw.embeddedBrokerUrl() ?? null, northbound: gw.northboundStatus() ?? null },
      alarms: {
        active: gw.alarms.list().length,
        unacknowledged: alarmCounts.byState['unack-active'] + alarmCounts.byState['rtn-unack'],
        shelved: alarmCounts.shelved,
        suppressed: alarmCounts.suppressed,
        outOfService: alarmCounts.outOfService,
        storeError: alarmHealth.storeError,
      },
    };
  }

  devices(): DeviceSummary[] {
    const healthByDevice = new Map<string, DeviceHealth>();
    for (const link of this.gateway.linkHealth()) for (const d of link.devices) healthByDevice.set(d.device, d);
    const alarmCounts = new Map<string, number>();
    for (const a of this.gateway.alarms.list()) alarmCounts.set(a.device, (alarmCounts.get(a.device) ?? 0) + 1);
    return this.gateway.devices.map(({ config }) => {
      const health = healthByDevice.get(config.id);
      return {
        id: config.id,
        name: config.name ?? null,
        location: config.location ?? null,
        type: config.type,
        profile: config.profile,
        link: config.link,
        unitId: config.unitId ?? null,
        parent: config.parent ?? null,
        pollIntervalMs: config.pollIntervalMs,
        state: config.enabled ? (health?.state ?? 'unknown') : 'disabled',
        lastSeen: health?.lastSeen ?? null,
        lastError: health?.lastError ?? null,
        activeAlarms: alarmCounts.get(config.id) ?? 0,
      };
    });
  }

  devicePoints(deviceId: string): DevicePoints | undefined {
    if (!this.gateway.devices.some((d) => d.config.id === deviceId)) return undefined;
    const now = this.gateway.clock.now();
    return {
      device: deviceId,
      points: this.gateway.points.pointsOf(deviceId).map(({ meta, sample }) => ({
        name: meta.name,
        description: meta.description ?? null,
        kind: meta.kind,
        unit: meta.unit ?? null,
        value: sample?.value ?? null,
        quality: sample?.quality ?? null,
        ts: sample?.ts ?? null,
        ageMs: sample ? Math.max(0, now - sample.ts) : null,
        error: sample?.error ?? null,
      })),
    };
  }

  activeAlarms(filter?: { device?: string; priority?: string }): ActiveAlarmView[] {
    return this.gateway.alarms
      .list({ device: filter?.device, priority: filter?.priority as AlarmPriority | undefined })
      .map((a) => ({
        alarmId: a.alarmId,
        device: a.device,
        point: a.point ?? null,
        rule: a.rule,
        kind: a.kind,
        priority: a.priority,
        message: a.message,
        value: a.value ?? null,
        limit: a.limit ?? null,
        raisedAt: a.raisedAt,
        conditionSince: a.conditionSince,
      }));
  }
}
