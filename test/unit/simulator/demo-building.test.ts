import { Value } from '@sinclair/typebox/value';
import { describe, expect, it } from 'vitest';
import { SiteConfigSchema } from '../../../src/config/schema.js';
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
    // Valid as-is: filling defaults changes nothing.
    expect(Value.Default(SiteConfigSchema, structuredClone(config))).toEqual(config);
    expect(config.site).toEqual({ id: 'demo-tower', name: 'Demo Tower (simulated)', timezone: 'Asia/Shanghai' });
    expect(config.links.map((l) => [l.id, l.type === 'modbus-tcp' ? l.port : null])).toEqual([
      ['elevators', 15020],
      ['plant-room', 15021],
    ]);
    for (const d of config.devices) {
      expect(d).toMatchObject({ pollIntervalMs: 1000, staleAfterPolls: 3, commLossDelayMs: 10_000, enabled: true, disableThresholds: [] });
    }
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
