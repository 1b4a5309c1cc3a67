import type { BacnetObjectType } from './types.js';

/**
 * The layout of the demo tower's addressable fire-alarm panel, written once: the profile
 * (`fire-panel-bacnet-v1`) and the simulated panel are both generated from it, so point names, object
 * instances and descriptions always agree.
 *
 * - 4 detector loops of 60 addresses each (life-safety-point, instance loop × 1000 + address), point names
 *   `l<loop>_d<address>`; each loop covers 4 of the 16 zones, 15 addresses per zone, the 15th of them a
 *   manual call point.
 * - 16 zones (life-safety-zone, instance = zone number), point names `zone_<nn>`.
 * - Supervisory inputs (binary-input 1..): sprinkler zone valves closed, fire-pump controller not in auto.
 * - Linkages: the panel's start output (binary-value 1..) and the field feedback (binary-input 101..).
 * - The panel's own power faults (binary-input 201..).
 */

/** BACnetLifeSafetyState, named as the standard names them. */
export const LIFE_SAFETY_STATES: Readonly<Record<number, string>> = {
  0: 'quiet', 1: 'pre-alarm', 2: 'alarm', 3: 'fault', 4: 'fault-pre-alarm', 5: 'fault-alarm', 6: 'not-ready', 7: 'active',
  8: 'tamper', 9: 'test-alarm', 10: 'test-active', 11: 'test-fault', 12: 'test-fault-alarm', 13: 'holdup', 14: 'duress',
  15: 'tamper-alarm', 16: 'abnormal', 17: 'emergency-power', 18: 'delayed', 19: 'blocked', 20: 'local-alarm',
  21: 'general-alarm', 22: 'supervisory', 23: 'test-supervisory',
};

/** BACnetLifeSafetyMode, named as the standard names them. */
export const LIFE_SAFETY_MODES: Readonly<Record<number, string>> = {
  0: 'off', 1: 'on', 2: 'test', 3: 'manned', 4: 'unmanned', 5: 'armed', 6: 'disarmed', 7: 'prearmed', 8: 'slow', 9: 'fast',
  10: 'disconnected', 11: 'enabled', 12: 'disabled', 13: 'automatic-release-disabled', 14: 'default',
};

/** A state's number from its name (throws on a name the standard does not have: a typo in the layout). */
export function lifeSafetyState(name: string): number {
  return numberOf(LIFE_SAFETY_STATES, name, 'BACnetLifeSafetyState');
}

export function lifeSafetyMode(name: string): number {
  return numberOf(LIFE_SAFETY_MODES, name, 'BACnetLifeSafetyMode');
}

function numberOf(table: Readonly<Record<number, string>>, name: string, what: string): number {
  const entry = Object.entries(table).find(([, n]) => n === name);
  if (!entry) throw new Error(`no ${what} named "${name}"`);
  return Number(entry[0]);
}

export type DetectorKind = 'smoke detector' | 'heat detector' | 'manual call point';

export interface FireZone {
  number: number;
  /** Where it is, as the operator's zone chart says it. */
  area: string;
  /** Car parks and plant rooms get heat detectors: exhaust fumes and dust make smoke detectors false-alarm. */
  detectors: 'smoke' | 'heat';
}

export interface FireLinkage {
  /** snake_case, part of the point names `linkage_<id>_start` / `linkage_<id>_feedback`. */
  id: string;
  /** What the panel starts, and what the feedback confirms. */
  equipment: string;
  feedback: string;
}

export interface FirePanelLayout {
  loops: number;
  addressesPerLoop: number;
  /** Zones in loop order: loop 1 covers the first `zonesPerLoop`, and so on. */
  zones: FireZone[];
  supervisory: Array<{ id: string; description: string }>;
  linkages: FireLinkage[];
  panelFaults: Array<{ id: string; description: string }>;
}

export const FIRE_PANEL_LAYOUT: FirePanelLayout = {
  loops: 4,
  addressesPerLoop: 60,
  zones: [
    { number: 1, area: 'B2 car park and plant room', detectors: 'heat' },
    { number: 2, area: 'B1 car park', detectors: 'heat' },
    { number: 3, area: 'L1 lobby and retail', detectors: 'smoke' },
    { number: 4, area: 'L2-L3 offices', detectors: 'smoke' },
    { number: 5, area: 'L4-L5 offices', detectors: 'smoke' },
    { number: 6, area: 'L6-L7 offices', detectors: 'smoke' },
    { number: 7, area: 'L8-L9 offices', detectors: 'smoke' },
    { number: 8, area: 'L10-L11 offices', detectors: 'smoke' },
    { number: 9, area: 'L12-L13 offices', detectors: 'smoke' },
    { number: 10, area: 'L14-L15 offices', detectors: 'smoke' },
    { number: 11, area: 'L16-L17 offices', detectors: 'smoke' },
    { number: 12, area: 'L18-L19 offices', detectors: 'smoke' },
    { number: 13, area: 'L20 offices and kitchen', detectors: 'smoke' },
    { number: 14, area: 'Roof plant and lift machine room', detectors: 'heat' },
    { number: 15, area: 'Stair A and risers', detectors: 'smoke' },
    { number: 16, area: 'Stair B and risers', detectors: 'smoke' },
  ],
  supervisory: [
    ...[1, 2, 3, 4, 5, 6, 7, 8].map((n) => ({ id: `valve_closed_${n}`, description: `Sprinkler zone control valve ${n} closed (tamper switch)` })),
    { id: 'fire_pump_not_auto', description: 'Fire-pump controller not in automatic' },
  ],
  linkages: [
    { id: 'fan_1', equipment: 'Smoke exhaust fan 1 (roof, stair A side)', feedback: 'running' },
    { id: 'fan_2', equipment: 'Smoke exhaust fan 2 (roof, stair B side)', feedback: 'running' },
    { id: 'pressurisation_a', equipment: 'Stair A pressurisation fan', feedback: 'running' },
    { id: 'pressurisation_b', equipment: 'Stair B pressurisation fan', feedback: 'running' },
    { id: 'smoke_dampers', equipment: 'Smoke dampers of the fire floor and the floors above and below', feedback: 'open' },
    { id: 'elevator_recall', equipment: 'Elevator recall to the main landing (fire service)', feedback: 'all cars at the main landing, doors open' },
    { id: 'door_release', equipment: 'Access-control release of escape-route doors', feedback: 'doors released' },
    { id: 'sounders', equipment: 'Alarm sounders and strobes', feedback: 'sounding' },
  ],
  panelFaults: [
    { id: 'mains_fault', description: 'Panel mains supply failed (running on battery)' },
    { id: 'battery_fault', description: 'Panel standby battery fault (missing, disconnected or low)' },
    { id: 'earth_fault', description: 'Earth fault on the panel wiring' },
  ],
};

export type FirePanelRole = 'detector' | 'zone' | 'supervisory' | 'linkage-start' | 'linkage-feedback' | 'panel-fault';

/** One object of the panel, with what the profile and the simulator both need to know about it. */
export interface FirePanelObjectDef {
  role: FirePanelRole;
  /** object-name, and the name of the point reading its present value. */
  name: string;
  description: string;
  object: { type: BacnetObjectType; instance: number };
  loop?: number;
  address?: number;
  zone?: number;
  detector?: DetectorKind;
  linkage?: string;
  /** Linkages: the equipment started. */
  equipment?: string;
}

export const LINKAGE_START_BASE = 0;
export const LINKAGE_FEEDBACK_BASE = 100;
export const PANEL_FAULT_BASE = 200;
/** Intrinsic-reporting notification class of every life-safety object. */
export const FIRE_NOTIFICATION_CLASS = 1;

export function detectorInstance(loop: number, address: number): number {
  return loop * 1000 + address;
}

export function detectorName(loop: number, address: number): string {
  return `l${loop}_d${String(address).padStart(3, '0')}`;
}

export function zoneName(zone: number): string {
  return `zone_${String(zone).padStart(2, '0')}`;
}

/** Every object of the panel, in a stable order: detectors by loop and address, zones, supervisory, linkages, panel. */
export function firePanelObjects(layout: FirePanelLayout = FIRE_PANEL_LAYOUT): FirePanelObjectDef[] {
  const zonesPerLoop = layout.zones.length / layout.loops;
  if (!Number.isInteger(zonesPerLoop) || zonesPerLoop < 1) throw new Error(`fire panel layout: ${layout.zones.length} zones do not divide over ${layout.loops} loops`);
  const perZone = layout.addressesPerLoop / zonesPerLoop;
  if (!Number.isInteger(perZone)) throw new Error(`fire panel layout: ${layout.addressesPerLoop} addresses do not divide over ${zonesPerLoop} zones per loop`);
  const defs: FirePanelObjectDef[] = [];
  for (let loop = 1; loop <= layout.loops; loop++) {
    for (let address = 1; address <= layout.addressesPerLoop; address++) {
      const zone = layout.zones[(loop - 1) * zonesPerLoop + Math.floor((address - 1) / perZone)];
      if (!zone) throw new Error(`fire panel layout: no zone for loop ${loop} address ${address}`);
      const detector: DetectorKind = address % perZone === 0 ? 'manual call point' : zone.detectors === 'heat' ? 'heat detector' : 'smoke detector';
      defs.push({
        role: 'detector', name: detectorName(loop, address), loop, address, zone: zone.number, detector,
        description: `Loop ${loop} address ${String(address).padStart(3, '0')}: ${detector}, zone ${zone.number} (${zone.area})`,
        object: { type: 'life-safety-point', instance: detectorInstance(loop, address) },
      });
    }
  }
  for (const zone of layout.zones) {
    defs.push({ role: 'zone', name: zoneName(zone.number), zone: zone.number, description: `Zone ${zone.number}: ${zone.area}`, object: { type: 'life-safety-zone', instance: zone.number } });
  }
  layout.supervisory.forEach((s, i) => defs.push({ role: 'supervisory', name: s.id, description: s.description, object: { type: 'binary-input', instance: i + 1 } }));
  layout.linkages.forEach((l, i) => {
    defs.push({ role: 'linkage-start', name: `linkage_${l.id}_start`, linkage: l.id, equipment: l.equipment, description: `Linkage started by the panel: ${l.equipment}`, object: { type: 'binary-value', instance: LINKAGE_START_BASE + i + 1 } });
    defs.push({ role: 'linkage-feedback', name: `linkage_${l.id}_feedback`, linkage: l.id, equipment: l.equipment, description: `Linkage feedback (${l.feedback}): ${l.equipment}`, object: { type: 'binary-input', instance: LINKAGE_FEEDBACK_BASE + i + 1 } });
  });
  layout.panelFaults.forEach((f, i) => defs.push({ role: 'panel-fault', name: f.id, description: f.description, object: { type: 'binary-input', instance: PANEL_FAULT_BASE + i + 1 } }));
  return defs;
}

/** The mode point of a detector or zone. */
export function modePointName(name: string): string {
  return `${name}_mode`;
}
