import { describe, expect, it } from 'vitest';
import { builtInProfiles } from '../../../src/profiles/index.js';
import { isBitTable, registerCount, type DeviceProfile, type ModbusPointDef, type MqttProfile } from '../../../src/profiles/types.js';

/** One check over every profile, so a new register map cannot slip in with a broken definition. */
describe.each(builtInProfiles.map((p) => [p.id, p] as const))('profile %s', (_id, profile: DeviceProfile) => {
  it('has unique, snake_case point names', () => {
    const names = profile.points.map((p) => p.name);
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) expect(name).toMatch(/^[a-z][a-z0-9_]*$/);
  });

  it('gives every analog and counter point a unit, and every point a description', () => {
    for (const p of profile.points) {
      if (p.kind === 'analog' || p.kind === 'counter') expect(p.unit, p.name).toBeTruthy();
      expect(p.description, p.name).toBeTruthy();
    }
  });

  it('uses a type that fits its table, its register count and its kind (Modbus)', () => {
    if (profile.protocol !== 'modbus') return;
    for (const p of profile.points) {
      expect(p.address, p.name).toBeGreaterThanOrEqual(0);
      expect(p.address + registerCount(p.type) - 1, p.name).toBeLessThanOrEqual(65535);
      if (isBitTable(p.table)) expect(p.type, `${p.name}: coils and discrete inputs hold single bits`).toBe('bool');
      else expect(p.type, `${p.name}: bool needs a coil or discrete input`).not.toBe('bool');
      if (p.type === 'bit') {
        expect(p.bit, p.name).toBeGreaterThanOrEqual(0);
        expect(p.bit, p.name).toBeLessThanOrEqual(15);
      } else {
        expect(p.bit, `${p.name}: only type bit takes a bit index`).toBeUndefined();
      }
      if (p.type === 'enum' || p.kind === 'enum') {
        expect(p.type, p.name).toBe('enum');
        expect(p.kind, p.name).toBe('enum');
        expect(Object.keys(p.states ?? {}).length, `${p.name}: enum needs states`).toBeGreaterThan(0);
      }
      if (p.kind === 'binary') expect(['bool', 'bit'], p.name).toContain(p.type);
      if (p.order !== undefined) expect(registerCount(p.type), `${p.name}: byte order on a one-register type`).toBeGreaterThan(1);
      if (p.scale !== undefined) expect(p.scale, p.name).not.toBe(0);
      if (p.range) expect(p.range.min, p.name).toBeLessThan(p.range.max);
      if (p.writable) expect(p.range, `${p.name}: a writable point needs a range`).toBeDefined();
    }
  });

  it('has enum states exactly on enum points, and binary points decoded as booleans', () => {
    for (const p of profile.points) {
      if (p.kind === 'enum') expect(Object.keys(p.states ?? {}).length, `${p.name}: enum needs states`).toBeGreaterThan(0);
      else expect(p.states, `${p.name}: only enum points name states`).toBeUndefined();
    }
  });

  it('has well-formed topics, decoders, events and event rules (MQTT)', () => {
    if (profile.protocol !== 'mqtt') return;
    checkMqtt(profile);
  });

  it('has no overlapping registers (bits of one register excepted, each bit once)', () => {
    if (profile.protocol !== 'modbus') return;
    const owner = new Map<string, ModbusPointDef>();
    for (const p of profile.points) {
      for (let i = 0; i < registerCount(p.type); i++) {
        const cell = `${p.table}:${p.address + i}`;
        const other = owner.get(cell);
        if (other) {
          const sharedBits = other.type === 'bit' && p.type === 'bit' && other.bit !== p.bit;
          expect(sharedBits, `${p.name} overlaps ${other.name} at ${cell}`).toBe(true);
        }
        owner.set(cell, p);
      }
    }
    const bits = profile.points.filter((p) => p.type === 'bit').map((p) => `${p.address}.${p.bit}`);
    expect(new Set(bits).size).toBe(bits.length);
  });

  it('has thresholds on existing numeric points with exactly one limit', () => {
    const byName = new Map(profile.points.map((p) => [p.name, p]));
    const ids = profile.thresholds.map((t) => t.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const t of profile.thresholds) {
      const point = byName.get(t.point);
      expect(point, `${t.id}: point ${t.point}`).toBeDefined();
      expect(point?.kind, t.id).not.toBe('enum');
      expect((t.high === undefined) !== (t.low === undefined), `${t.id}: exactly one of high/low`).toBe(true);
      const limit = t.high ?? t.low ?? 0;
      if (point?.range) {
        expect(limit, `${t.id}: limit inside the point's range`).toBeGreaterThanOrEqual(point.range.min);
        expect(limit, `${t.id}: limit inside the point's range`).toBeLessThanOrEqual(point.range.max);
      }
    }
  });
});

describe('profile registry', () => {
  it('has unique profile ids', () => {
    const ids = builtInProfiles.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

const PLACEHOLDER = /\{([a-z][a-z0-9_]*)\}/g;

function checkTopic(topic: string, what: string): void {
  expect(topic, what).not.toBe('');
  expect(topic.startsWith('/'), `${what}: no leading slash`).toBe(false);
  const levels = topic.split('/');
  levels.forEach((level, i) => {
    if (level.includes('#')) expect(level === '#' && i === levels.length - 1, `${what}: # only as the last level`).toBe(true);
    if (level.includes('+')) expect(level, `${what}: + only as a whole level`).toBe('+');
  });
  for (const [, name] of topic.matchAll(PLACEHOLDER)) expect(name, what).toMatch(/^[a-z][a-z0-9_]*$/);
}

function checkMqtt(profile: MqttProfile): void {
  for (const p of profile.points) {
    checkTopic(p.topic, p.name);
    if (p.decode.format !== 'json') expect(p.decode.path, `${p.name}: a path needs JSON`).toBeUndefined();
  }
  const events = profile.events.map((e) => e.name);
  expect(new Set(events).size).toBe(events.length);
  for (const e of profile.events) {
    checkTopic(e.topic, e.name);
    expect(e.name).toMatch(/^[a-z][a-z0-9_]*$/);
  }
  const ruleIds = [...profile.thresholds, ...profile.eventRules].map((r) => r.id);
  expect(new Set(ruleIds).size, 'rule ids unique across thresholds and event rules').toBe(ruleIds.length);
  for (const r of profile.eventRules) {
    expect(events, `${r.id}: event ${r.event}`).toContain(r.event);
    expect(r.count, r.id).toBeGreaterThanOrEqual(1);
    expect(r.windowMs, r.id).toBeGreaterThan(0);
  }
  const a = profile.availability;
  if (a?.statusTopic) {
    checkTopic(a.statusTopic, 'statusTopic');
    expect(a.offlineValue, 'statusTopic needs an offlineValue').toBeTruthy();
  }
  if (a?.heartbeatTopic) {
    checkTopic(a.heartbeatTopic, 'heartbeatTopic');
    expect(a.heartbeatTimeoutMs, 'heartbeatTopic needs a timeout').toBeGreaterThan(0);
  }
}
