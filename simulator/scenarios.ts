import type { AccessComm } from './access/access-system.js';
import type { ControllerModel } from './access/controller-model.js';
import type { DoorModel } from './access/door-model.js';
import type { FirePanelModel } from './bacnet/fire-panel.js';
import type { ElevatorModel } from './models/elevator.js';
import type { FireSet } from './models/pump-systems.js';
import type { PumpUnit } from './models/pump.js';
import type { CommBehaviour } from './modbus-server.js';

/**
 * Named fault scenarios, each applied to one device (with a sensible default), started and cleared on
 * demand from the CLI, the HTTP control endpoint or a test. Equipment faults act on the models (what the
 * device reports); communication faults act on how the device answers on Modbus, or on how an access
 * controller talks to its MQTT broker.
 *
 * `door-forced` and `badge-denials` happen once per start: to see them again, clear and start again.
 *
 * Fire-panel scenarios act on one point of the panel: the device is `fire-panel-1` (the scenario's
 * default point) or `fire-panel-1/<point>`, e.g. `fire-alarm:fire-panel-1/l3_d005`. The panel sends its
 * own event notifications for them.
 */

export const SCENARIO_NAMES = [
  'pump-overheat',
  'low-discharge-pressure',
  'jockey-short-cycle',
  'trapped-passenger',
  'leveling-fault',
  'no-answer',
  'modbus-exception',
  'swapped-float',
  'door-forced',
  'door-held-open',
  'badge-denials',
  'tamper',
  'mains-failure',
  'controller-offline',
  'controller-dropped',
  'malformed-payloads',
  'fire-alarm',
  'detector-fault',
  'detector-disabled',
  'valve-closed',
  'panel-silent',
  'detector-flood',
  'linkage-failure',
] as const;

export type ScenarioName = (typeof SCENARIO_NAMES)[number];

export interface ScenarioInfo {
  name: ScenarioName;
  description: string;
  defaultDevice: string;
  /** Which devices it can be applied to. */
  appliesTo: string;
}

export interface ActiveScenario {
  name: ScenarioName;
  device: string;
  /** Simulated time it started, ms since the epoch. */
  sinceMs: number;
}

/** The devices scenarios act on, supplied by the simulator. */
export interface ScenarioTargets {
  hasDevice(id: string): boolean;
  /** Whether the device is served over Modbus (an elevator or a pump). */
  isModbus(id: string): boolean;
  elevator(id: string): ElevatorModel | undefined;
  pump(id: string): PumpUnit | undefined;
  /** The fire set a jockey pump belongs to (undefined for any other device). */
  fireSetOfJockey(id: string): FireSet | undefined;
  accessController(id: string): ControllerModel | undefined;
  door(id: string): DoorModel | undefined;
  /** The fire panel with this device id (without a `/point` suffix). */
  firePanel(id: string): FirePanelModel | undefined;
  /** Simulated now. */
  nowMs(): number;
}

export type ScenarioErrorKind = 'unknown-scenario' | 'unknown-device' | 'wrong-device' | 'conflict';

export class ScenarioError extends Error {
  constructor(
    readonly kind: ScenarioErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'ScenarioError';
  }
}

interface ScenarioDef {
  description: string;
  defaultDevice: string;
  appliesTo: string;
  /** Applies the fault; throws a ScenarioError when the device does not fit. */
  start(t: ScenarioTargets, device: string): void;
  clear(t: ScenarioTargets, device: string): void;
}

function elevatorOf(t: ScenarioTargets, device: string): ElevatorModel {
  const model = t.elevator(device);
  if (!model) throw new ScenarioError('wrong-device', `${device} is not an elevator`);
  return model;
}

function pumpOf(t: ScenarioTargets, device: string): PumpUnit {
  const unit = t.pump(device);
  if (!unit) throw new ScenarioError('wrong-device', `${device} is not a pump`);
  return unit;
}

function fireSetOf(t: ScenarioTargets, device: string): FireSet {
  const set = t.fireSetOfJockey(device);
  if (!set) throw new ScenarioError('wrong-device', `${device} is not a jockey pump`);
  return set;
}

function controllerOf(t: ScenarioTargets, device: string): ControllerModel {
  const controller = t.accessController(device);
  if (!controller) throw new ScenarioError('wrong-device', `${device} is not an access controller`);
  return controller;
}

function doorOf(t: ScenarioTargets, device: string): DoorModel {
  const door = t.door(device);
  if (!door) throw new ScenarioError('wrong-device', `${device} is not a door`);
  return door;
}

function startElevatorFault(t: ScenarioTargets, device: string, fault: 'trapped-passenger' | 'leveling-fault'): void {
  const car = elevatorOf(t, device);
  const active = car.activeFault();
  if (active !== null && active !== fault) throw new ScenarioError('conflict', `${device} already has ${active}: clear it first`);
  if (active === null) car.startFault(fault);
}

/** Default points of the fire-panel scenarios. */
export const FIRE_SCENARIO_POINTS = { fire: 'l2_d017', fault: 'l1_d033', disabled: 'l4_d012', valve: 'valve_closed_3', linkage: 'fan_1' } as const;
/** The flood: 30 detectors of loop 3 (zones 9 and 10), one every 2 s: 30 fire alarms within a minute. */
export const FLOOD_DETECTORS = Array.from({ length: 30 }, (_, i) => `l3_d${String(i + 1).padStart(3, '0')}`);
export const FLOOD_INTERVAL_MS = 2_000;

/** `fire-panel-1/l2_d017` → the panel and the point (the default point when none is given). */
function panelPoint(t: ScenarioTargets, device: string, defaultPoint: string): { panel: FirePanelModel; point: string } {
  const slash = device.indexOf('/');
  const id = slash < 0 ? device : device.slice(0, slash);
  const point = slash < 0 ? defaultPoint : device.slice(slash + 1);
  const panel = t.firePanel(id);
  if (!panel) throw new ScenarioError('wrong-device', `${id} is not a fire panel`);
  if (!panel.has(point) && !panel.linkageIds().includes(point)) throw new ScenarioError('unknown-device', `${id} has no point "${point}"`);
  return { panel, point };
}

function detectorOf(t: ScenarioTargets, device: string, defaultPoint: string): { panel: FirePanelModel; point: string } {
  const target = panelPoint(t, device, defaultPoint);
  if (!target.panel.isDetector(target.point)) throw new ScenarioError('wrong-device', `${target.point} is not a detector (names look like l1_d001)`);
  return target;
}

/** Communication scenarios change nothing in the model: the Modbus server asks `comm()` per request. */
const modbusCommOnly = {
  start: (t: ScenarioTargets, d: string) => {
    if (!t.isModbus(d)) throw new ScenarioError('wrong-device', `${d} is not on Modbus`);
  },
  clear: () => undefined,
  appliesTo: 'any Modbus device (elevators and pumps)',
};

/** Nor do these: the access system asks `accessComm()` and `sendsMalformed()` as it publishes. */
const controllerCommOnly = {
  start: (t: ScenarioTargets, d: string) => {
    controllerOf(t, d);
  },
  clear: () => undefined,
  appliesTo: 'access controllers',
};

const FIRE_PANEL_DEFAULT = 'fire-panel-1';

const SCENARIOS: Record<ScenarioName, ScenarioDef> = {
  'pump-overheat': {
    description: 'Cooling fan failed on a pump left running in hand: motor temperature climbs past 110 degC, then the motor trips (fault, fault_code motor_overtemperature)',
    defaultDevice: 'booster-1',
    appliesTo: 'any pump',
    start: (t, d) => pumpOf(t, d).startFault('overheat', t.nowMs()),
    clear: (t, d) => pumpOf(t, d).clearFault('overheat'),
  },
  'low-discharge-pressure': {
    description: 'Pump lost its prime: while it runs, its discharge pressure and flow stay near zero and it vibrates',
    defaultDevice: 'booster-2',
    appliesTo: 'pumps with a pump-side discharge transmitter (booster and sump pumps)',
    start: (t, d) => {
      const unit = pumpOf(t, d);
      if (unit.spec.dischargeSensor !== 'pump-side') throw new ScenarioError('wrong-device', `${d} measures the system pressure, not its own: use a booster or sump pump`);
      unit.startFault('lost-prime', t.nowMs());
    },
    clear: (t, d) => pumpOf(t, d).clearFault('lost-prime'),
  },
  'jockey-short-cycle': {
    description: 'A leak on the fire main: the jockey pump starts many times an hour',
    defaultDevice: 'jockey-pump-1',
    appliesTo: 'jockey pumps',
    start: (t, d) => fireSetOf(t, d).setLeak(true),
    clear: (t, d) => fireSetOf(t, d).setLeak(false),
  },
  'trapped-passenger': {
    description: 'Car stops between floors with a passenger inside (passenger_trapped, fault_code passenger_trapped); the alarm button is pressed after a while',
    defaultDevice: 'elevator-2',
    appliesTo: 'elevators (Modbus, and the BACnet gateway cars when it is served)',
    start: (t, d) => startElevatorFault(t, d, 'trapped-passenger'),
    clear: (t, d) => elevatorOf(t, d).clearFault('trapped-passenger'),
  },
  'leveling-fault': {
    description: 'Car stops outside the door zone of its landing (leveling_error, fault_code leveling_error)',
    defaultDevice: 'elevator-3',
    appliesTo: 'elevators',
    start: (t, d) => startElevatorFault(t, d, 'leveling-fault'),
    clear: (t, d) => elevatorOf(t, d).clearFault('leveling-fault'),
  },
  'no-answer': { ...modbusCommOnly, description: 'Device stops answering: every request to its unit id times out', defaultDevice: 'elevator-4' },
  'modbus-exception': { ...modbusCommOnly, description: 'Device answers every request with Modbus exception 4 (server device failure)', defaultDevice: 'sump-1' },
  'swapped-float': {
    ...modbusCommOnly,
    description: 'Device serves its float32 points in the other word order (ABCD <-> CDAB): values read as garbage',
    defaultDevice: 'fire-pump-1',
  },
  'door-forced': {
    description: 'Door pushed open without a grant as soon as it is closed and locked: a forced event; it stands open for 20 s (once per start)',
    defaultDevice: 'door-carpark-bike-room',
    appliesTo: 'doors',
    start: (t, d) => doorOf(t, d).startForced(),
    clear: (t, d) => doorOf(t, d).stopForced(),
  },
  'door-held-open': {
    description: 'Door wedged open after a grant: it stays open (past the 10 s held-open limit) until cleared',
    defaultDevice: 'door-lobby-mailroom',
    appliesTo: 'doors',
    start: (t, d) => doorOf(t, d).startHeldOpen(),
    clear: (t, d) => doorOf(t, d).stopHeldOpen(),
  },
  'badge-denials': {
    description: 'Someone tries an unknown badge again and again: 6 denied reads 8 s apart at one door (once per start)',
    defaultDevice: 'door-plant-switch-room',
    appliesTo: 'doors',
    start: (t, d) => doorOf(t, d).startDenialBurst(),
    clear: (t, d) => doorOf(t, d).stopDenialBurst(),
  },
  tamper: {
    description: 'Controller enclosure opened: tamper true until cleared',
    defaultDevice: 'acs-carpark',
    appliesTo: 'access controllers',
    start: (t, d) => controllerOf(t, d).setTamper(true),
    clear: (t, d) => controllerOf(t, d).setTamper(false),
  },
  'mains-failure': {
    description: 'Controller loses mains and runs on its backup battery, whose voltage sags slowly; cleared: mains back, battery recharges',
    defaultDevice: 'acs-lobby',
    appliesTo: 'access controllers',
    start: (t, d) => controllerOf(t, d).setMains(false),
    clear: (t, d) => controllerOf(t, d).setMains(true),
  },
  'controller-offline': {
    ...controllerCommOnly,
    description: 'Controller firmware hangs: no heartbeats and no state, but its MQTT connection stays up (only the heartbeat timeout tells)',
    defaultDevice: 'acs-stairs',
  },
  'controller-dropped': {
    ...controllerCommOnly,
    description: "Controller's connection is cut abruptly: the broker publishes its last will (status offline); cleared: it reconnects",
    defaultDevice: 'acs-roof',
  },
  'malformed-payloads': {
    ...controllerCommOnly,
    description: 'Controller publishes garbage on its door topics every 2 s (not JSON, wrong types, missing fields), the first one 1 MiB',
    defaultDevice: 'acs-plant',
  },
  'fire-alarm': {
    description: `Detector in fire alarm (default ${FIRE_SCENARIO_POINTS.fire}): detector and zone go to alarm with change-of-life-safety events, every linkage starts and confirms; cleared: panel reset`,
    defaultDevice: FIRE_PANEL_DEFAULT,
    appliesTo: 'fire-panel detectors (fire-panel-1/<detector>)',
    start: (t, d) => {
      const { panel, point } = detectorOf(t, d, FIRE_SCENARIO_POINTS.fire);
      panel.setFire(point, true);
    },
    clear: (t, d) => {
      const { panel, point } = detectorOf(t, d, FIRE_SCENARIO_POINTS.fire);
      panel.setFire(point, false);
    },
  },
  'detector-fault': {
    description: `Detector head removed (default ${FIRE_SCENARIO_POINTS.fault}): state fault, reliability no-sensor, fault event; the zone shows the fault`,
    defaultDevice: FIRE_PANEL_DEFAULT,
    appliesTo: 'fire-panel detectors (fire-panel-1/<detector>)',
    start: (t, d) => {
      const { panel, point } = detectorOf(t, d, FIRE_SCENARIO_POINTS.fault);
      panel.setFault(point, true);
    },
    clear: (t, d) => {
      const { panel, point } = detectorOf(t, d, FIRE_SCENARIO_POINTS.fault);
      panel.setFault(point, false);
    },
  },
  'detector-disabled': {
    description: `Detector disabled (shielded) at the panel, e.g. for dusty works nearby (default ${FIRE_SCENARIO_POINTS.disabled}): mode disabled, it reports nothing`,
    defaultDevice: FIRE_PANEL_DEFAULT,
    appliesTo: 'fire-panel detectors (fire-panel-1/<detector>)',
    start: (t, d) => {
      const { panel, point } = detectorOf(t, d, FIRE_SCENARIO_POINTS.disabled);
      panel.setDisabled(point, true);
    },
    clear: (t, d) => {
      const { panel, point } = detectorOf(t, d, FIRE_SCENARIO_POINTS.disabled);
      panel.setDisabled(point, false);
    },
  },
  'valve-closed': {
    description: `Sprinkler zone control valve closed (default ${FIRE_SCENARIO_POINTS.valve}): a supervisory signal with a change-of-state event`,
    defaultDevice: FIRE_PANEL_DEFAULT,
    appliesTo: 'fire-panel supervisory inputs (fire-panel-1/valve_closed_<n>, fire-panel-1/fire_pump_not_auto)',
    start: (t, d) => {
      const { panel, point } = panelPoint(t, d, FIRE_SCENARIO_POINTS.valve);
      if (!panel.isSupervisory(point)) throw new ScenarioError('wrong-device', `${point} is not a supervisory input`);
      panel.setSupervisory(point, true);
    },
    clear: (t, d) => {
      const { panel, point } = panelPoint(t, d, FIRE_SCENARIO_POINTS.valve);
      if (panel.isSupervisory(point)) panel.setSupervisory(point, false);
    },
  },
  'panel-silent': {
    description: 'Fire panel stops answering on BACnet (network module failed): no replies, no COV, no events; GB 25201 wants that seen within 100 s',
    defaultDevice: FIRE_PANEL_DEFAULT,
    appliesTo: 'fire panels',
    // The simulator asks `bacnetSilent()` and switches the device server.
    start: (t, d) => {
      panelPoint(t, d, FIRE_SCENARIO_POINTS.fire);
      if (d.includes('/')) throw new ScenarioError('wrong-device', 'panel-silent applies to the whole panel: give fire-panel-1');
    },
    clear: () => undefined,
  },
  'detector-flood': {
    description: `Smoke spreading through loop 3: ${FLOOD_DETECTORS.length} detectors go into fire alarm, one every ${FLOOD_INTERVAL_MS / 1000} s (an alarm flood, all fire signals); cleared: reset`,
    defaultDevice: FIRE_PANEL_DEFAULT,
    appliesTo: 'fire panels',
    start: (t, d) => panelPoint(t, d, FIRE_SCENARIO_POINTS.fire).panel.startFlood(FLOOD_DETECTORS, FLOOD_INTERVAL_MS),
    clear: (t, d) => panelPoint(t, d, FIRE_SCENARIO_POINTS.fire).panel.stopFlood(FLOOD_DETECTORS),
  },
  'linkage-failure': {
    description: `A linkage's equipment fails to confirm (default ${FIRE_SCENARIO_POINTS.linkage}: smoke exhaust fan 1 tripped): started on the next fire alarm, no feedback`,
    defaultDevice: FIRE_PANEL_DEFAULT,
    appliesTo: 'fire-panel linkages (fire-panel-1/<linkage id>, e.g. fire-panel-1/elevator_recall)',
    start: (t, d) => {
      const { panel, point } = panelPoint(t, d, FIRE_SCENARIO_POINTS.linkage);
      panel.setLinkageFailed(linkageId(panel, point), true);
    },
    clear: (t, d) => {
      const { panel, point } = panelPoint(t, d, FIRE_SCENARIO_POINTS.linkage);
      panel.setLinkageFailed(linkageId(panel, point), false);
    },
  },
};

function linkageId(panel: FirePanelModel, point: string): string {
  if (!panel.linkageIds().includes(point)) throw new ScenarioError('wrong-device', `${point} is not a linkage; known: ${panel.linkageIds().join(', ')}`);
  return point;
}

export function isScenarioName(name: string): name is ScenarioName {
  return (SCENARIO_NAMES as readonly string[]).includes(name);
}

export class ScenarioManager {
  private readonly running = new Map<string, ActiveScenario>();

  constructor(private readonly targets: ScenarioTargets) {}

  available(): ScenarioInfo[] {
    return SCENARIO_NAMES.map((name) => {
      const def = SCENARIOS[name];
      return { name, description: def.description, defaultDevice: def.defaultDevice, appliesTo: def.appliesTo };
    });
  }

  active(): ActiveScenario[] {
    return [...this.running.values()].map((a) => ({ ...a }));
  }

  /** Starts a scenario on a device (default: the scenario's default device). Starting it again is a no-op. */
  start(name: string, device?: string): ActiveScenario {
    const def = this.definition(name);
    const target = device ?? def.defaultDevice;
    if (!this.targets.hasDevice(target)) throw new ScenarioError('unknown-device', `no device "${target}"`);
    const key = keyOf(name, target);
    const existing = this.running.get(key);
    if (existing) return { ...existing };
    def.start(this.targets, target);
    const active: ActiveScenario = { name: name as ScenarioName, device: target, sinceMs: this.targets.nowMs() };
    this.running.set(key, active);
    return { ...active };
  }

  /** Clears a scenario on one device, or on every device when `device` is omitted; returns how many were cleared. */
  clear(name: string, device?: string): number {
    const def = this.definition(name);
    let cleared = 0;
    for (const [key, active] of this.running) {
      if (active.name !== name || (device !== undefined && active.device !== device)) continue;
      def.clear(this.targets, active.device);
      this.running.delete(key);
      cleared++;
    }
    return cleared;
  }

  /** How the device answers on Modbus now: not answering wins over answering with exceptions. */
  comm(deviceId: string): CommBehaviour {
    if (this.running.has(keyOf('no-answer', deviceId))) return 'no-answer';
    if (this.running.has(keyOf('modbus-exception', deviceId))) return 'exception';
    return 'normal';
  }

  swapsFloats(deviceId: string): boolean {
    return this.running.has(keyOf('swapped-float', deviceId));
  }

  /** How an access controller talks to its broker now: a dropped connection wins over a hung firmware. */
  accessComm(controllerId: string): AccessComm {
    if (this.running.has(keyOf('controller-dropped', controllerId))) return 'dropped';
    if (this.running.has(keyOf('controller-offline', controllerId))) return 'silent';
    return 'normal';
  }

  sendsMalformed(controllerId: string): boolean {
    return this.running.has(keyOf('malformed-payloads', controllerId));
  }

  /** Whether a BACnet device is silent now (communication loss). */
  bacnetSilent(deviceId: string): boolean {
    return this.running.has(keyOf('panel-silent', deviceId));
  }

  private definition(name: string): ScenarioDef {
    if (!isScenarioName(name)) throw new ScenarioError('unknown-scenario', `no scenario "${name}"; known: ${SCENARIO_NAMES.join(', ')}`);
    return SCENARIOS[name];
  }
}

function keyOf(name: string, device: string): string {
  return `${name}@${device}`;
}
