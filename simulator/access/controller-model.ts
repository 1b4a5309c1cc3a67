import type { PointValue } from '../../src/points/sample.js';
import type { Rng } from '../rng.js';
import type { DoorSpec } from './door-model.js';

/**
 * One door controller, stepped on simulated time: its power (mains, and a 12 V lead-acid backup battery
 * that the charger holds at float voltage and that sags slowly once mains is lost), its enclosure tamper
 * switch and its heartbeat. It reports what an access-controller-mqtt-v1 device publishes: a heartbeat
 * every 10 s carrying its uptime, and its state (`mains`, `battery_v`, `tamper`) whenever that changes.
 */

export interface ControllerSpec {
  /** Device id in the site config. */
  id: string;
  /** The controller's name on the wire: the `{controller}` of its topics. */
  controller: string;
  name: string;
  location: string;
  doors: DoorSpec[];
}

/** Field names as on the wire (access-controller-mqtt-v1). */
export interface ControllerState {
  mains: boolean;
  battery_v: number;
  tamper: boolean;
}

export type ControllerOutput = { kind: 'heartbeat'; atMs: number; uptimeS: number } | { kind: 'state'; atMs: number; state: ControllerState };

export interface ControllerContext {
  rng: Rng;
  /** Simulated time the model starts at, ms since the epoch. */
  startMs: number;
}

export const HEARTBEAT_INTERVAL_MS = 10_000;
/** The charger holds the battery here while mains is present. */
const FLOAT_V = 13.6;
/** Without the charger the surface charge is gone within seconds: the voltage drops this much at once. */
const CHARGER_OFF_DROP_V = 0.5;
/** Sag on battery while the battery is well charged, and faster past the knee of the discharge curve. */
const SAG_V_PER_H = 0.25;
const KNEE_V = 12.0;
const SAG_PAST_KNEE_V_PER_H = 0.6;
/** The controller's low-voltage disconnect protects the battery below this. */
const CUTOFF_V = 10.5;
const RECHARGE_V_PER_H = 0.8;
/** Published to this resolution, so a slowly sagging battery changes the retained state now and then, not every step. */
const REPORTED_V_STEP = 0.1;
const MS_PER_HOUR = 3_600_000;
const MS_PER_DAY = 24 * MS_PER_HOUR;
/** Controllers have been running a while when the simulation starts. */
const INITIAL_UPTIME_DAYS = { min: 1, max: 120 } as const;

export class ControllerModel {
  readonly id: string;
  readonly spec: ControllerSpec;

  private mains = true;
  private batteryV: number;
  private tamper = false;
  private uptimeMs: number;
  private untilHeartbeatMs: number;
  private reported: ControllerState;
  private outputs: ControllerOutput[] = [];
  private nowMs: number;

  constructor(spec: ControllerSpec, ctx: ControllerContext) {
    this.id = spec.id;
    this.spec = spec;
    this.nowMs = ctx.startMs;
    this.uptimeMs = Math.round(ctx.rng.range(INITIAL_UPTIME_DAYS.min, INITIAL_UPTIME_DAYS.max) * MS_PER_DAY);
    // Controllers booted at different times do not beat in step.
    this.untilHeartbeatMs = ctx.rng.range(0, HEARTBEAT_INTERVAL_MS);
    this.batteryV = FLOAT_V;
    this.reported = this.current();
  }

  step(dtMs: number, nowMs: number): void {
    if (dtMs <= 0) return;
    this.nowMs = nowMs;
    this.uptimeMs += dtMs;
    const hours = dtMs / MS_PER_HOUR;
    if (this.mains) this.batteryV = Math.min(FLOAT_V, this.batteryV + RECHARGE_V_PER_H * hours);
    else this.batteryV = Math.max(CUTOFF_V, this.batteryV - (this.batteryV > KNEE_V ? SAG_V_PER_H : SAG_PAST_KNEE_V_PER_H) * hours);
    this.untilHeartbeatMs -= dtMs;
    while (this.untilHeartbeatMs <= 0) {
      this.outputs.push({ kind: 'heartbeat', atMs: nowMs, uptimeS: Math.floor(this.uptimeMs / 1000) });
      this.untilHeartbeatMs += HEARTBEAT_INTERVAL_MS;
    }
    this.report();
  }

  /** mains-failure: the controller runs on its battery. */
  setMains(on: boolean): void {
    if (on === this.mains) return;
    this.mains = on;
    if (!on) this.batteryV -= CHARGER_OFF_DROP_V;
    this.report();
  }

  /** tamper: the enclosure is opened. */
  setTamper(on: boolean): void {
    this.tamper = on;
    this.report();
  }

  state(): ControllerState {
    return { ...this.reported };
  }

  values(): Record<string, PointValue> {
    return { mains_ok: this.reported.mains, battery_voltage: this.reported.battery_v, tamper: this.reported.tamper };
  }

  /** What happened since the last call, oldest first. */
  drain(): ControllerOutput[] {
    const out = this.outputs;
    this.outputs = [];
    return out;
  }

  private current(): ControllerState {
    return { mains: this.mains, battery_v: roundTo(this.batteryV, REPORTED_V_STEP), tamper: this.tamper };
  }

  private report(): void {
    const now = this.current();
    const before = this.reported;
    if (now.mains === before.mains && now.battery_v === before.battery_v && now.tamper === before.tamper) return;
    this.reported = now;
    this.outputs.push({ kind: 'state', atMs: this.nowMs, state: { ...now } });
  }
}

function roundTo(value: number, step: number): number {
  // Through the number of steps, so 12.3 comes out as 12.3 and not 12.299999999999999.
  return Number((Math.round(value / step) * step).toFixed(6));
}
