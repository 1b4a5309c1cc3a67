import { describe, expect, it } from 'vitest';
import {
  FIRE_PANEL_LAYOUT,
  firePanelObjects,
  LIFE_SAFETY_MODES,
  LIFE_SAFETY_STATES,
  lifeSafetyMode,
  lifeSafetyState,
  type FirePanelLayout,
} from '../../../src/profiles/fire-panel-layout.js';
import { buildFirePanelProfile, firePanelProfile, LINKAGE_FEEDBACK_DELAY_MS } from '../../../src/profiles/fire-panel.js';
import { findProfile } from '../../../src/profiles/index.js';
import type { BacnetPointDef, ConditionAlarmDef } from '../../../src/profiles/types.js';
import { compileCondition } from '../../../src/rules/expr/compile.js';

const points = new Map(firePanelProfile.points.map((p) => [p.name, p]));
const alarms = firePanelProfile.alarms ?? [];
const alarm = (id: string): ConditionAlarmDef | undefined => alarms.find((a) => a.id === id);
const kinds = new Map(firePanelProfile.points.map((p) => [p.name, p.kind]));

describe('fire-panel-bacnet-v1 profile', () => {
  it('is registered as a BACnet fire-panel profile', () => {
    expect(findProfile('fire-panel-bacnet-v1')).toBe(firePanelProfile);
    expect(firePanelProfile).toMatchObject({ protocol: 'bacnet', equipment: 'fire-panel' });
  });

  it('has 240 detectors over 4 loops and 16 zones, each with a state and a mode point', () => {
    const lsp = firePanelProfile.points.filter((p) => p.object.type === 'life-safety-point' && p.property === undefined);
    const lsz = firePanelProfile.points.filter((p) => p.object.type === 'life-safety-zone' && p.property === undefined);
    expect(lsp).toHaveLength(240);
    expect(lsz).toHaveLength(16);
    for (const p of [...lsp, ...lsz]) expect(points.get(`${p.name}_mode`)).toMatchObject({ object: p.object, property: 'mode', kind: 'enum' });
    expect(new Set(lsp.map((p) => p.name.slice(0, 2)))).toEqual(new Set(['l1', 'l2', 'l3', 'l4']));
  });

  it('names detectors l<loop>_d<address> and describes loop, address, kind and zone', () => {
    expect(points.get('l1_d001')).toMatchObject({ object: { type: 'life-safety-point', instance: 1001 } });
    expect(points.get('l1_d001')?.description).toBe('Loop 1 address 001: heat detector, zone 1 (B2 car park and plant room)');
    expect(points.get('l2_d017')?.description).toBe('Loop 2 address 017: smoke detector, zone 6 (L6-L7 offices)');
    expect(points.get('l4_d060')?.description).toBe('Loop 4 address 060: manual call point, zone 16 (Stair B and risers)');
    expect(points.get('zone_07')).toMatchObject({ description: 'Zone 7: L8-L9 offices', object: { type: 'life-safety-zone', instance: 7 } });
  });

  it('has unique snake_case names, one point per object property, and nothing writable', () => {
    const names = firePanelProfile.points.map((p) => p.name);
    expect(new Set(names).size).toBe(names.length);
    for (const n of names) expect(n).toMatch(/^[a-z][a-z0-9_]*$/);
    const reads = firePanelProfile.points.map((p) => `${p.object.type}:${p.object.instance}:${p.property ?? 'present-value'}`);
    expect(new Set(reads).size).toBe(reads.length);
    for (const p of firePanelProfile.points) expect(p.writable, p.name).toBeFalsy();
  });

  it('names enum states with the standard kebab-case BACnetLifeSafetyState and Mode names', () => {
    expect(LIFE_SAFETY_STATES[2]).toBe('alarm');
    expect(LIFE_SAFETY_STATES[21]).toBe('general-alarm');
    expect(LIFE_SAFETY_MODES[12]).toBe('disabled');
    expect([lifeSafetyState('fault-alarm'), lifeSafetyMode('on')]).toEqual([5, 1]);
    expect(() => lifeSafetyState('fire')).toThrow('no BACnetLifeSafetyState named "fire"');
    for (const p of firePanelProfile.points.filter((x) => x.kind === 'enum')) {
      for (const name of Object.values(p.states ?? {})) expect(name, p.name).toMatch(/^[a-z]+(-[a-z]+)*$/);
    }
  });

  it('has supervisory inputs, linkages with feedback and the panel power faults as binary points', () => {
    expect(points.get('valve_closed_1')).toMatchObject({ kind: 'binary', object: { type: 'binary-input', instance: 1 } });
    expect(points.get('linkage_fan_1_start')).toMatchObject({ kind: 'binary', object: { type: 'binary-value', instance: 1 } });
    expect(points.get('linkage_fan_1_feedback')).toMatchObject({ kind: 'binary', object: { type: 'binary-input', instance: 101 } });
    for (const id of ['elevator_recall', 'door_release', 'smoke_dampers']) expect(points.has(`linkage_${id}_start`), id).toBe(true);
    expect(points.get('mains_fault')).toMatchObject({ object: { type: 'binary-input', instance: 201 } });
    expect(points.get('battery_fault')).toMatchObject({ object: { type: 'binary-input', instance: 202 } });
  });
});

describe('fire-panel alarms', () => {
  it('has unique ids, existing points, existing state names and rationale text on every alarm', () => {
    const ids = alarms.map((a) => a.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const a of alarms) {
      expect(a.rationale?.cause, a.id).toBeTruthy();
      expect(a.rationale?.consequence, a.id).toBeTruthy();
      expect(a.rationale?.action, a.id).toBeTruthy();
      checkAlarmReferences(a, points);
    }
  });

  it('ranks signal kinds fire > supervisory > fault > disabled, with fire as undelayed life-safety', () => {
    const fire = alarm('l3_d042_fire');
    expect(fire).toMatchObject({ kind: 'state', point: 'l3_d042', priority: 'critical', lifeSafety: true });
    expect(fire?.kind === 'state' ? fire.states : []).toEqual(expect.arrayContaining(['alarm', 'fault-alarm', 'local-alarm', 'general-alarm']));
    expect(alarm('zone_11_fire')).toMatchObject({ priority: 'critical', lifeSafety: true });
    expect(alarm('valve_closed_3')).toMatchObject({ priority: 'high', states: [true] });
    expect(alarm('l3_d042_fault')).toMatchObject({ priority: 'medium' });
    expect(alarm('l3_d042_disabled')).toMatchObject({ point: 'l3_d042_mode', priority: 'low', states: ['disabled', 'off', 'disconnected'] });
    expect(alarm('mains_fault')).toMatchObject({ priority: 'medium' });
    for (const a of alarms.filter((x) => x.lifeSafety)) {
      expect(a.onDelayMs ?? 0, a.id).toBe(0);
      expect(a.suppressWhen, a.id).toBeUndefined();
    }
    expect(alarms.filter((a) => a.priority === 'critical').every((a) => a.lifeSafety === true)).toBe(true);
  });

  it('raises a delayed high alarm for a linkage started without feedback, with a valid expression', () => {
    const a = alarm('linkage_fan_1_no_feedback');
    expect(a).toMatchObject({ kind: 'expression', when: 'linkage_fan_1_start and not linkage_fan_1_feedback', onDelayMs: LINKAGE_FEEDBACK_DELAY_MS, priority: 'high' });
    const linkageAlarms = alarms.filter((x) => x.kind === 'expression');
    expect(linkageAlarms).toHaveLength(FIRE_PANEL_LAYOUT.linkages.length);
    for (const x of linkageAlarms) if (x.kind === 'expression') expect(() => compileCondition(x.when, kinds), x.id).not.toThrow();
  });

  it('builds from another layout and refuses one whose zones do not divide over the loops', () => {
    const small: FirePanelLayout = { ...FIRE_PANEL_LAYOUT, loops: 2, addressesPerLoop: 20, zones: FIRE_PANEL_LAYOUT.zones.slice(0, 4) };
    const profile = buildFirePanelProfile(small);
    expect(profile.points.filter((p) => p.object.type === 'life-safety-point' && !p.property)).toHaveLength(40);
    expect(() => firePanelObjects({ ...small, zones: FIRE_PANEL_LAYOUT.zones.slice(0, 3) })).toThrow('3 zones do not divide over 2 loops');
  });
});

/** The alarm's points exist and its states are states those points can take. */
function checkAlarmReferences(a: ConditionAlarmDef, byName: ReadonlyMap<string, BacnetPointDef>): void {
  if (a.kind !== 'state') return;
  const point = byName.get(a.point);
  expect(point, `${a.id}: point ${a.point}`).toBeDefined();
  for (const s of a.states) {
    if (point?.kind === 'binary') expect(typeof s, `${a.id}: binary states are booleans`).toBe('boolean');
    else expect(Object.values(point?.states ?? {}), `${a.id}: state ${String(s)}`).toContain(s);
  }
}
