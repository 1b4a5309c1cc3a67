import type { PointValue } from '../../src/points/sample.js';
import {
  FIRE_NOTIFICATION_CLASS,
  FIRE_PANEL_LAYOUT,
  firePanelObjects,
  LIFE_SAFETY_MODES,
  LIFE_SAFETY_STATES,
  lifeSafetyMode,
  lifeSafetyState,
  modePointName,
  type FirePanelLayout,
  type FirePanelObjectDef,
} from '../../src/profiles/fire-panel-layout.js';
import type { BacnetObjectType } from '../../src/profiles/types.js';
import type { BacnetEventRequest, SettableProperty, SimBacnetObject } from './device-server.js';

/**
 * The demo tower's fire-alarm panel as a model, generated from the same layout as its profile. It keeps
 * the state of every detector, zone, supervisory input, linkage and panel fault, pushes each change to the
 * BACnet device serving it (which sends COV), and sends the panel's intrinsic event notifications
 * (change-of-life-safety for detectors and zones, change-of-state for binary inputs) to its recipients.
 *
 * Behaviour: a zone follows its detectors (alarm if any is in alarm, else fault if any is faulty);
 * the first fire alarm starts every linkage (the panel is in AUTO), whose feedback arrives after the
 * equipment's start-up time unless the linkage has been made to fail; the linkages stop when the last
 * fire alarm is reset. Time comes from `step`, so a VirtualClock drives it exactly.
 */

/** What the model writes to: the BACnet device server (or a test double). */
export interface FirePanelSink {
  setMany(type: BacnetObjectType, instance: number, values: Partial<Record<SettableProperty, unknown>>): void;
  notifyEvent(e: BacnetEventRequest): Promise<void>;
}

/** BACnet event priorities by signal kind, in the bands of ASHRAE 135 Annex M. */
export const EVENT_PRIORITY = { fire: 10, preAlarm: 20, supervisory: 70, fault: 100, normal: 200 } as const;
const EVENT_STATE = { normal: 0, fault: 1, offnormal: 2, lifeSafetyAlarm: 5 } as const;
/** How long each linkage's equipment takes to confirm it started. */
const FEEDBACK_DELAY_MS = 5_000;
const RELIABILITY_NO_SENSOR = 1;
const QUIET = lifeSafetyState('quiet');
const ALARM = lifeSafetyState('alarm');
const FAULT = lifeSafetyState('fault');
const FAULT_ALARM = lifeSafetyState('fault-alarm');
const MODE_ON = lifeSafetyMode('on');
const MODE_DISABLED = lifeSafetyMode('disabled');

interface Detector {
  def: FirePanelObjectDef;
  fire: boolean;
  fault: boolean;
  disabled: boolean;
}

interface LifeSafetyState {
  state: number;
  mode: number;
}

interface Linkage {
  id: string;
  start: FirePanelObjectDef;
  feedback: FirePanelObjectDef;
  started: boolean;
  confirmed: boolean;
  startedAtMs: number;
  failed: boolean;
}

type EventListener = (e: BacnetEventRequest) => void;

export interface FirePanelModelOptions {
  layout?: FirePanelLayout;
  /** Called when an event notification could not be delivered (not acknowledged, or no device yet). */
  onEventError?: (err: unknown, e: BacnetEventRequest) => void;
  /** Simulated now, for changes made between steps (scenarios); default: the time of the last step. */
  now?: () => number;
}

export class FirePanelModel {
  private readonly defs: FirePanelObjectDef[];
  private readonly detectors = new Map<string, Detector>();
  private readonly zones = new Map<number, { def: FirePanelObjectDef; current: LifeSafetyState; disabled: boolean }>();
  private readonly binaries = new Map<string, { def: FirePanelObjectDef; value: boolean }>();
  private readonly linkages: Linkage[] = [];
  private sink: FirePanelSink | null = null;
  private lastStepMs = 0;
  /** Scheduled fire alarms of a flood: detector name and when. */
  private floodQueue: Array<{ name: string; atMs: number }> = [];
  private readonly eventListeners: EventListener[] = [];

  constructor(private readonly opts: FirePanelModelOptions = {}) {
    this.defs = firePanelObjects(opts.layout ?? FIRE_PANEL_LAYOUT);
    for (const def of this.defs) {
      switch (def.role) {
        case 'detector':
          this.detectors.set(def.name, { def, fire: false, fault: false, disabled: false });
          break;
        case 'zone':
          this.zones.set(def.zone ?? 0, { def, current: { state: QUIET, mode: MODE_ON }, disabled: false });
          break;
        case 'supervisory':
        case 'linkage-start':
        case 'linkage-feedback':
        case 'panel-fault':
          this.binaries.set(def.name, { def, value: false });
          break;
      }
    }
    for (const start of this.defs.filter((d) => d.role === 'linkage-start')) {
      const feedback = this.defs.find((d) => d.role === 'linkage-feedback' && d.linkage === start.linkage);
      if (!feedback) throw new Error(`fire panel layout: linkage ${start.linkage ?? '?'} has no feedback`);
      this.linkages.push({ id: start.linkage ?? '', start, feedback, started: false, confirmed: false, startedAtMs: 0, failed: false });
    }
  }

  private get nowMs(): number {
    return this.opts.now?.() ?? this.lastStepMs;
  }

  /** The BACnet objects with their current values, for the device server. */
  objects(): SimBacnetObject[] {
    return this.defs.map((def) => {
      const base = { type: def.object.type, instance: def.object.instance, name: def.name, description: def.description };
      const detector = this.detectors.get(def.name);
      const zone = def.role === 'zone' ? this.zones.get(def.zone ?? 0) : undefined;
      const ls = detector ? this.detectorState(detector) : zone?.current;
      if (ls) {
        const fault = ls.state === FAULT || ls.state === FAULT_ALARM;
        return {
          ...base, presentValue: ls.state, trackingValue: ls.state, mode: ls.mode, notificationClass: FIRE_NOTIFICATION_CLASS,
          reliability: detector?.fault ? RELIABILITY_NO_SENSOR : 0,
          statusFlags: { inAlarm: ls.state === ALARM || ls.state === FAULT_ALARM, fault, overridden: false, outOfService: false },
        };
      }
      const value = this.binaries.get(def.name)?.value ?? false;
      return { ...base, presentValue: value, statusFlags: { inAlarm: value && def.role !== 'linkage-start' && def.role !== 'linkage-feedback', fault: false, overridden: false, outOfService: false } };
    });
  }

  /** Connects the BACnet device; from now on every change is pushed to it. */
  attach(sink: FirePanelSink | null): void {
    this.sink = sink;
  }

  /** Sees every event the panel sends (the simulator logs them; tests count them). */
  onEvent(listener: EventListener): void {
    this.eventListeners.push(listener);
  }

  has(point: string): boolean {
    return this.detectors.has(point) || this.binaries.has(point) || [...this.zones.values()].some((z) => z.def.name === point);
  }

  isDetector(point: string): boolean {
    return this.detectors.has(point);
  }

  isSupervisory(point: string): boolean {
    return this.binaries.get(point)?.def.role === 'supervisory';
  }

  detectorNames(): string[] {
    return [...this.detectors.keys()];
  }

  linkageIds(): string[] {
    return this.linkages.map((l) => l.id);
  }

  /** Point values by the names of the fire-panel-bacnet-v1 profile. */
  values(): Record<string, PointValue> {
    const out: Record<string, PointValue> = {};
    for (const o of this.objects()) {
      const def = this.defs.find((d) => d.name === o.name);
      if (def?.role === 'detector' || def?.role === 'zone') {
        out[o.name] = LIFE_SAFETY_STATES[Number(o.presentValue)] ?? String(o.presentValue);
        out[modePointName(o.name)] = LIFE_SAFETY_MODES[o.mode ?? MODE_ON] ?? String(o.mode);
      } else {
        out[o.name] = o.presentValue;
      }
    }
    return out;
  }

  step(_dtMs: number, nowMs: number): void {
    this.lastStepMs = nowMs;
    while (this.floodQueue.length > 0 && (this.floodQueue[0]?.atMs ?? Infinity) <= nowMs) {
      const next = this.floodQueue.shift();
      if (next) this.setFire(next.name, true);
    }
    for (const l of this.linkages) {
      if (l.started && !l.confirmed && !l.failed && nowMs - l.startedAtMs >= FEEDBACK_DELAY_MS) {
        l.confirmed = true;
        this.setBinary(l.feedback.name, true);
      }
    }
  }

  /** A detector goes into fire alarm (true) or is reset (false). */
  setFire(name: string, fire: boolean): void {
    const d = this.detector(name);
    if (d.fire === fire) return;
    const before = this.detectorState(d);
    d.fire = fire;
    this.updateDetector(d, before, fire ? EVENT_PRIORITY.fire : EVENT_PRIORITY.normal);
    this.updateLinkages();
  }

  setFault(name: string, fault: boolean): void {
    const d = this.detector(name);
    if (d.fault === fault) return;
    const before = this.detectorState(d);
    d.fault = fault;
    this.updateDetector(d, before, fault ? EVENT_PRIORITY.fault : EVENT_PRIORITY.normal);
  }

  /** Disables (shields) a detector at the panel, or enables it again. */
  setDisabled(name: string, disabled: boolean): void {
    const d = this.detector(name);
    if (d.disabled === disabled) return;
    const before = this.detectorState(d);
    d.disabled = disabled;
    this.updateDetector(d, before, EVENT_PRIORITY.fault);
  }

  /** A supervisory input (e.g. `valve_closed_3`) goes off-normal or back. */
  setSupervisory(name: string, active: boolean): void {
    const b = this.binaries.get(name);
    if (b?.def.role !== 'supervisory') throw new Error(`fire panel: no supervisory input "${name}"`);
    if (b.value === active) return;
    this.setBinary(name, active);
    this.emit(b.def, active ? EVENT_STATE.normal : EVENT_STATE.offnormal, active ? EVENT_STATE.offnormal : EVENT_STATE.normal, active ? EVENT_PRIORITY.supervisory : EVENT_PRIORITY.normal, `${active ? 'Supervisory' : 'Restored'}: ${b.def.description}`);
  }

  setPanelFault(name: string, active: boolean): void {
    const b = this.binaries.get(name);
    if (b?.def.role !== 'panel-fault') throw new Error(`fire panel: no panel fault "${name}"`);
    if (b.value === active) return;
    this.setBinary(name, active);
    this.emit(b.def, active ? EVENT_STATE.normal : EVENT_STATE.offnormal, active ? EVENT_STATE.offnormal : EVENT_STATE.normal, active ? EVENT_PRIORITY.fault : EVENT_PRIORITY.normal, `${active ? 'Panel fault' : 'Restored'}: ${b.def.description}`);
  }

  /** Makes a linkage's equipment fail to confirm (or work again). */
  setLinkageFailed(id: string, failed: boolean): void {
    const l = this.linkages.find((x) => x.id === id);
    if (!l) throw new Error(`fire panel: no linkage "${id}"; known: ${this.linkageIds().join(', ')}`);
    l.failed = failed;
    if (failed && l.confirmed) {
      l.confirmed = false;
      this.setBinary(l.feedback.name, false);
    }
    if (!failed) l.startedAtMs = this.nowMs;
  }

  /** Schedules fire alarms on `names`, one every `intervalMs` from now (an alarm flood); replaces a flood in progress. */
  startFlood(names: readonly string[], intervalMs: number): void {
    for (const n of names) this.detector(n);
    this.floodQueue = names.map((name, i) => ({ name, atMs: this.nowMs + i * intervalMs }));
  }

  /** Stops a flood and resets the detectors it had put into alarm. */
  stopFlood(names: readonly string[]): void {
    this.floodQueue = [];
    for (const n of names) this.setFire(n, false);
  }

  private detector(name: string): Detector {
    const d = this.detectors.get(name);
    if (!d) throw new Error(`fire panel: no detector "${name}" (names look like l1_d001)`);
    return d;
  }

  /** Alarm wins over fault (fault-alarm when both); a disabled detector reports neither. */
  private detectorState(d: Detector): LifeSafetyState {
    if (d.disabled) return { state: QUIET, mode: MODE_DISABLED };
    const state = d.fire && d.fault ? FAULT_ALARM : d.fire ? ALARM : d.fault ? FAULT : QUIET;
    return { state, mode: MODE_ON };
  }

  private updateDetector(d: Detector, before: LifeSafetyState, priority: number): void {
    const now = this.detectorState(d);
    this.pushLifeSafety(d.def, now, d.fault);
    if (now.state !== before.state) this.emit(d.def, eventStateOf(before.state), eventStateOf(now.state), priority, `${stateName(now.state)}: ${d.def.description}`);
    this.updateZone(d.def.zone ?? 0);
  }

  private updateZone(zoneNumber: number): void {
    const zone = this.zones.get(zoneNumber);
    if (!zone) return;
    const members = [...this.detectors.values()].filter((d) => d.def.zone === zoneNumber).map((d) => this.detectorState(d).state);
    const anyFire = members.some((s) => s === ALARM || s === FAULT_ALARM);
    const anyFault = members.some((s) => s === FAULT || s === FAULT_ALARM);
    const next: LifeSafetyState = { state: anyFire ? ALARM : anyFault ? FAULT : QUIET, mode: zone.disabled ? MODE_DISABLED : MODE_ON };
    const before = zone.current;
    if (before.state === next.state && before.mode === next.mode) return;
    zone.current = next;
    this.pushLifeSafety(zone.def, next, false);
    if (before.state !== next.state) {
      const priority = anyFire ? EVENT_PRIORITY.fire : anyFault ? EVENT_PRIORITY.fault : EVENT_PRIORITY.normal;
      this.emit(zone.def, eventStateOf(before.state), eventStateOf(next.state), priority, `${stateName(next.state)}: ${zone.def.description}`);
    }
  }

  /** The panel is in AUTO: any fire starts every linkage; the last reset stops them. */
  private updateLinkages(): void {
    const anyFire = [...this.detectors.values()].some((d) => d.fire && !d.disabled);
    for (const l of this.linkages) {
      if (anyFire && !l.started) {
        l.started = true;
        l.startedAtMs = this.nowMs;
        this.setBinary(l.start.name, true);
      } else if (!anyFire && l.started) {
        l.started = false;
        l.confirmed = false;
        this.setBinary(l.start.name, false);
        this.setBinary(l.feedback.name, false);
      }
    }
  }

  private setBinary(name: string, value: boolean): void {
    const b = this.binaries.get(name);
    if (!b) return;
    b.value = value;
    const alarming = b.def.role === 'supervisory' || b.def.role === 'panel-fault';
    this.sink?.setMany(b.def.object.type, b.def.object.instance, {
      'status-flags': { inAlarm: alarming && value, fault: false, overridden: false, outOfService: false },
      'present-value': value,
    });
  }

  private pushLifeSafety(def: FirePanelObjectDef, ls: LifeSafetyState, fault: boolean): void {
    const faulty = ls.state === FAULT || ls.state === FAULT_ALARM;
    this.sink?.setMany(def.object.type, def.object.instance, {
      reliability: fault ? RELIABILITY_NO_SENSOR : 0,
      'status-flags': { inAlarm: ls.state === ALARM || ls.state === FAULT_ALARM, fault: faulty, overridden: false, outOfService: false },
      'tracking-value': ls.state,
      mode: ls.mode,
      'present-value': ls.state,
    });
  }

  private emit(def: FirePanelObjectDef, fromState: number, toState: number, priority: number, message: string): void {
    const e: BacnetEventRequest = { type: def.object.type, instance: def.object.instance, fromState, toState, priority, message };
    for (const listener of this.eventListeners) listener(e);
    if (!this.sink) return;
    this.sink.notifyEvent(e).catch((err: unknown) => this.opts.onEventError?.(err, e));
  }
}

function eventStateOf(state: number): number {
  if (state === ALARM || state === FAULT_ALARM) return EVENT_STATE.lifeSafetyAlarm;
  if (state === FAULT) return EVENT_STATE.fault;
  return EVENT_STATE.normal;
}

function stateName(state: number): string {
  const name = LIFE_SAFETY_STATES[state] ?? String(state);
  return name === 'quiet' ? 'Normal' : name.charAt(0).toUpperCase() + name.slice(1);
}
