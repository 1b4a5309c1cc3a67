import { Value } from '@sinclair/typebox/value';
import type { SiteConfig } from '../../../src/config/schema.js';
import { describe, expect, it } from 'vitest';
import { SiteConfigSchema } from '../../../src/config/schema.js';
import { checkSemantics } from '../../../src/config/semantic-checks.js';
import { findProfile } from '../../../src/profiles/index.js';
import { demoBuilding, demoSiteConfig, localTime } from '../../../simulator/demo-building.js';

const ports = { elevators: 15020, 'plant-room': 15021 };

describe('demo building', () => {
  it('has four elevators and six pumps, one of the elevators serving two basement levels', () => {
    const b = demoBuilding();
    expect(b.devices.filter((d) => d.type === 'elevator').map((d) => d.id)).toEqual(['elevator-1', 'elevator-2', 'elevator-3', 'elevator-4']);
    expect(b.devices.filter((d) => d.type === 'pump').map((d) => d.id)).toEqual(['booster-1', 'booster-2', 'booster-3', 'sump-1', 'fire-pump-1', 'jockey-pump-1']);
    expect(b.elevators.filter((e) => e.lowestFloor === -2)).toHaveLength(1);
    expect(Math.max(...b.elevators.map((e) => e.highestFloor))).toBe(20);
  });

  it('gives unit ids unique per link and profiles that exist', () => {
    const b = demoBuilding();
    for (const link of b.links) {
      const ids = b.devices.filter((d) => d.link === link.id).map((d) => d.unitId);
      expect(new Set(ids).size).toBe(ids.length);
    }
    for (const d of b.devices) expect(findProfile(d.profile), d.id).toBeDefined();
  });

  it('makes a site config that is valid as-is against the schema and points at the given ports', () => {
    const config = demoSiteConfig({ host: '127.0.0.1', ports });
    const errors = [...Value.Errors(SiteConfigSchema, config)].map((e) => `${e.path}: ${e.message}`);
    expect(errors).toEqual([]);
    // Valid as-is: filling defaults changes nothing, except the store it leaves out on purpose (a config built
    // in code keeps alarm state in memory; `npm start` names data/facility-gw.db) and the CMMS hand-off the
    // demo has none of.
    const { store: _store, cmms: _cmms, ...filled } = Value.Default(SiteConfigSchema, structuredClone(config)) as SiteConfig;
    expect(filled).toEqual(config);
    expect(config.site).toEqual({ id: 'demo-tower', name: 'Demo Tower (simulated)', timezone: 'Asia/Shanghai' });
    expect(config.links.map((l) => [l.id, l.type === 'modbus-tcp' ? l.port : null])).toEqual([
      ['elevators', 15020],
      ['plant-room', 15021],
      ['access', null],
    ]);
    expect(checkSemantics(config, findProfile)).toEqual([]);
    for (const d of config.devices) {
      expect(d).toMatchObject({ pollIntervalMs: 1000, staleAfterPolls: 3, commLossDelayMs: 10_000, enabled: true, disableThresholds: [] });
    }
  });

  it('has at least 4 door controllers and 32 doors, each door on its own topics', () => {
    const { access } = demoBuilding();
    expect(access.controllers.length).toBeGreaterThanOrEqual(4);
    const doors = access.controllers.flatMap((c) => c.doors.map((d) => `${c.controller}/${d.door}`));
    expect(doors.length).toBeGreaterThanOrEqual(32);
    expect(new Set(doors).size).toBe(doors.length);
    expect(new Set(access.controllers.map((c) => c.controller)).size).toBe(access.controllers.length);
  });

  it('puts the access devices on one MQTT link: controllers with their topic, doors under their controller', () => {
    const config = demoSiteConfig({ host: '127.0.0.1', ports });
    expect(config.links.find((l) => l.id === 'access')).toEqual({
      id: 'access', type: 'mqtt', keepaliveS: 30, reconnectPeriodMs: 1000, connectTimeoutMs: 10_000, maxPayloadBytes: 65_536,
    });
    const controllers = config.devices.filter((d) => d.type === 'access-controller');
    const doors = config.devices.filter((d) => d.type === 'door');
    expect(controllers.map((c) => c.id)).toEqual(['acs-lobby', 'acs-carpark', 'acs-plant', 'acs-stairs', 'acs-roof']);
    expect(doors.length).toBeGreaterThanOrEqual(32);
    for (const c of controllers) {
      expect(c).toMatchObject({ profile: 'access-controller-mqtt-v1', link: 'access', topicVars: { controller: c.id.replace('acs-', '') }, eventRules: [], thresholds: [] });
      expect(c).not.toHaveProperty('unitId');
      expect(c).not.toHaveProperty('parent');
    }
    const lobby = doors.find((d) => d.id === 'door-lobby-main-entrance-1');
    expect(lobby).toMatchObject({ profile: 'door-mqtt-v1', link: 'access', parent: 'acs-lobby', topicVars: { controller: 'lobby', door: 'main-entrance-1' } });
    for (const d of doors) {
      expect(controllers.find((c) => c.id === d.parent)?.topicVars.controller, d.id).toBe(d.topicVars.controller);
      expect(d).not.toHaveProperty('unitId');
    }
  });

  it('points the access link at a given broker', () => {
    const config = demoSiteConfig({ host: '127.0.0.1', ports, mqttUrl: 'mqtt://127.0.0.1:1884' });
    expect(config.links.find((l) => l.id === 'access')).toMatchObject({ type: 'mqtt', url: 'mqtt://127.0.0.1:1884' });
    expect([...Value.Errors(SiteConfigSchema, config)]).toEqual([]);
  });

  it('has extra thresholds on points the profile has', () => {
    const config = demoSiteConfig({ host: '127.0.0.1', ports });
    const sump = config.devices.find((d) => d.id === 'sump-1');
    expect(sump?.thresholds.map((t) => t.id)).toContain('pit_level_high');
    for (const d of config.devices) {
      const names = new Set(findProfile(d.profile)?.points.map((p) => p.name));
      for (const t of d.thresholds) expect(names.has(t.point), `${d.id}.${t.point}`).toBe(true);
    }
  });

  it('refuses a missing port', () => {
    expect(() => demoSiteConfig({ host: '127.0.0.1', ports: { elevators: 502 } })).toThrow(/plant-room/);
  });

  it('tells local time in Shanghai (UTC+8, no daylight saving)', () => {
    expect(localTime(Date.UTC(2026, 0, 1, 0, 30))).toEqual({ hour: 8.5, weekday: 4 });
    expect(localTime(Date.UTC(2026, 6, 5, 20, 0))).toEqual({ hour: 4, weekday: 1 });
  });
});
