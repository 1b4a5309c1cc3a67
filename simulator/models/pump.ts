import type { PointValue } from '../../src/points/sample.js';
import type { Rng } from '../rng.js';

/**
 * Pumps stepped on simulated time. A PumpUnit is one pump with its motor and VFD (what one pump-vfd-v1
 * device serves); the systems around it decide when it runs and what it pumps against:
 * - BoosterSet: domestic-water booster, lead/lag staging on header pressure between cut-in and cut-out;
 * - SumpPit: a sump pump started on high pit level and stopped on low;
 * - FireSet: a fire pump kept idle while its jockey pump holds the fire main pressure.
 * Values come out by the profile's point names, rounded to the register resolution.
 */

export interface PumpCurve {
  /** Head at zero flow and rated speed. */
  shutoffHeadBar: number;
  ratedFlowM3h: number;
  ratedHeadBar: number;
}

export interface PumpUnitSpec {
  id: string;
  ratedPowerKw: number;
  ratedCurrentA: number;
  curve: PumpCurve;
  /**
   * Where the discharge transmitter sits: between the pump and its check valve (reads the pump's own
   * pressure; a stopped pump reads its suction) or on the system side (reads the header or fire main).
   */
  dischargeSensor: 'pump-side' | 'system-side';
  pressureSetpointBar: number;
  /** Counters at simulation start are drawn between half of these and these. */
  initialRunHours: number;
  initialStarts: number;
}

export type PumpFault = 'overheat' | 'lost-prime';
type PumpFaultCode = 'none' | 'motor_overtemperature';

/** What the system around a pump sees at the end of a step. */
interface Surroundings {
  suctionBar: number;
  systemBar: number;
  flowM3h: number;
  levelM: number;
}

export const BAR_PER_METRE_WATER = 0.0981;
const RATED_FREQUENCY_HZ = 50;
const RAMP_HZ_PER_S = 12.5;
const AMBIENT_C = 26;
/** Winding temperature rise over ambient at rated current. */
const MOTOR_RISE_AT_RATED_K = 65;
/** Extra rise with a failed cooling fan: enough to pass the alarm limit (110 degC) and then the trip. */
const OVERHEAT_EXTRA_RISE_K = 110;
/** The motor's thermistor relay trips here. */
const MOTOR_TRIP_C = 135;
const MOTOR_HEATING_TAU_MS = 10 * 60_000;
/** A stopped motor cools slower: its fan stands still. */
const MOTOR_COOLING_TAU_MS = 25 * 60_000;
const BEARING_RISE_K = 22;
const BEARING_TAU_MS = 20 * 60_000;
/** An unprimed pump makes a few percent of its head. */
const LOST_PRIME_HEAD_FACTOR = 0.04;
/** Cavitation and air in the casing shake the pump. */
const CAVITATION_VIBRATION_MM_S = 4.8;
const PUMP_EFFICIENCY = 0.65;
/** Share of rated power drawn by friction and fan at zero flow. */
const NO_LOAD_POWER_SHARE = 0.12;
/** Share of rated current that is magnetising current, present at any load. */
const MAGNETISING_CURRENT_SHARE = 0.3;
const MS_PER_HOUR = 3_600_000;

export class PumpUnit {
  readonly id: string;
  readonly spec: PumpUnitSpec;
  private readonly rng: Rng;
  private running = false;
  private tripped = false;
  private faultCode: PumpFaultCode = 'none';
  private remote = true;
  /** Started by hand at the panel: the controller cannot stop it. */
  private held = false;
  private readonly faults = new Set<PumpFault>();
  private frequencyHz = 0;
  private startedAtMs = 0;
  private motorTempC = AMBIENT_C;
  private bearingTempC = AMBIENT_C;
  private readonly vibrationBaseMmS: number;
  private runHours: number;
  private startCount: number;
  private snapshot: Record<string, PointValue> = {};

  constructor(spec: PumpUnitSpec, rng: Rng) {
    this.id = spec.id;
    this.spec = spec;
    this.rng = rng;
    this.vibrationBaseMmS = rng.range(0.9, 2.0);
    this.runHours = rng.range(0.5, 1) * spec.initialRunHours;
    this.startCount = Math.round(rng.range(0.5, 1) * spec.initialStarts);
  }

  get isRunning(): boolean {
    return this.running;
  }

  /** Running, or still spinning down after a stop. */
  get isTurning(): boolean {
    return this.frequencyHz > 0;
  }

  get isHeld(): boolean {
    return this.held;
  }

  /** May the controller start it: not tripped and the selector in auto. */
  get isAvailable(): boolean {
    return !this.tripped && this.remote;
  }

  get runningSinceMs(): number {
    return this.startedAtMs;
  }

  hasFault(fault: PumpFault): boolean {
    return this.faults.has(fault);
  }

  start(nowMs: number): void {
    if (this.running || this.tripped) return;
    this.running = true;
    this.startedAtMs = nowMs;
    this.startCount++;
  }

  stop(): void {
    if (!this.held) this.running = false;
  }

  startFault(fault: PumpFault, nowMs: number): void {
    this.faults.add(fault);
    switch (fault) {
      case 'overheat':
        // Cooling fan failed on a pump left running in hand at the panel, so the heat builds up
        // without waiting for the controller to call the pump.
        this.remote = false;
        this.start(nowMs);
        this.held = this.running;
        break;
      case 'lost-prime':
        break;
    }
  }

  clearFault(fault: PumpFault): void {
    this.faults.delete(fault);
    switch (fault) {
      case 'overheat':
        this.held = false;
        this.remote = true;
        // A technician resets the trip; the motor still has to cool down.
        if (this.faultCode === 'motor_overtemperature') {
          this.tripped = false;
          this.faultCode = 'none';
        }
        break;
      case 'lost-prime':
        break;
    }
  }

  /** The VFD ramps toward rated frequency while running, toward zero when stopped. */
  drive(dtMs: number): void {
    const target = this.running ? RATED_FREQUENCY_HZ : 0;
    const stepHz = (RAMP_HZ_PER_S * dtMs) / 1000;
    this.frequencyHz = target > this.frequencyHz ? Math.min(target, this.frequencyHz + stepHz) : Math.max(target, this.frequencyHz - stepHz);
  }

  /**
   * Flow against a system that needs `staticHeadBar` across the pump plus `systemLossK`·Q² of pipe loss:
   * where the pump curve H0·(f/fN)² − k·Q² meets the system curve.
   */
  flowAgainst(staticHeadBar: number, systemLossK = 0): number {
    const excess = this.shutoffHeadNow() - staticHeadBar;
    if (excess <= 0) return 0;
    return Math.sqrt(excess / (this.curveK() + systemLossK));
  }

  /** Heats, cools, trips, counts and publishes the values for this step. */
  settle(dtMs: number, around: Surroundings): void {
    // The thermistor relay acts on the temperature reached in the previous step.
    if (this.motorTempC >= MOTOR_TRIP_C && !this.tripped) {
      this.tripped = true;
      this.faultCode = 'motor_overtemperature';
      this.held = false;
      this.running = false;
      // A trip cuts the drive output: the motor coasts, the current drops at once.
      this.frequencyHz = 0;
    }
    const speed = this.frequencyHz / RATED_FREQUENCY_HZ;
    const flow = speed > 0 ? around.flowM3h : 0;
    const headBar = Math.max(0, this.shutoffHeadNow() - this.curveK() * flow * flow);
    const hydraulicKw = (flow / 3600) * headBar * 100;
    const shaftKw = hydraulicKw / PUMP_EFFICIENCY + NO_LOAD_POWER_SHARE * this.spec.ratedPowerKw * speed;
    const loadShare = shaftKw / this.spec.ratedPowerKw;
    const currentA = speed > 0 ? this.spec.ratedCurrentA * (MAGNETISING_CURRENT_SHARE * speed + (1 - MAGNETISING_CURRENT_SHARE) * loadShare) : 0;

    const currentShare = currentA / this.spec.ratedCurrentA;
    const overheating = this.faults.has('overheat') && speed > 0;
    const motorTarget = AMBIENT_C + MOTOR_RISE_AT_RATED_K * currentShare * currentShare + (overheating ? OVERHEAT_EXTRA_RISE_K * speed : 0);
    this.motorTempC = approach(this.motorTempC, motorTarget, dtMs, speed > 0 ? MOTOR_HEATING_TAU_MS : MOTOR_COOLING_TAU_MS);
    this.bearingTempC = approach(this.bearingTempC, AMBIENT_C + BEARING_RISE_K * speed, dtMs, BEARING_TAU_MS);
    if (this.running) this.runHours += dtMs / MS_PER_HOUR;

    const discharge = this.spec.dischargeSensor === 'system-side' ? around.systemBar : around.suctionBar + headBar;
    const cavitation = this.faults.has('lost-prime') ? CAVITATION_VIBRATION_MM_S * speed : 0;
    const vibration = speed > 0 ? this.vibrationBaseMmS * speed * speed + cavitation + 0.05 * this.rng.normal() : 0.02;
    this.snapshot = {
      running: this.running,
      fault: this.tripped,
      remote: this.remote,
      discharge_pressure: round(Math.max(0, discharge + 0.01 * this.rng.normal()), 3),
      suction_pressure: round(around.suctionBar + 0.005 * this.rng.normal(), 3),
      flow: round(Math.max(0, flow * (1 + 0.01 * this.rng.normal())), 2),
      motor_current: round(currentA, 1),
      frequency: round(this.frequencyHz, 2),
      motor_temperature: round(this.motorTempC + 0.1 * this.rng.normal(), 1),
      bearing_temperature: round(this.bearingTempC + 0.1 * this.rng.normal(), 1),
      vibration: round(Math.max(0, vibration), 2),
      level: round(Math.max(0, around.levelM), 2),
      run_hours: this.runHours,
      start_count: this.startCount,
      fault_code: this.faultCode,
      pressure_setpoint: this.spec.pressureSetpointBar,
    };
  }

  /** Measurements as of the last step; states and counters as of now (a scenario shows at once). */
  values(): Record<string, PointValue> {
    return {
      ...this.snapshot,
      running: this.running,
      fault: this.tripped,
      remote: this.remote,
      run_hours: this.runHours,
      start_count: this.startCount,
      fault_code: this.faultCode,
    };
  }

  private shutoffHeadNow(): number {
    const speed = this.frequencyHz / RATED_FREQUENCY_HZ;
    const prime = this.faults.has('lost-prime') ? LOST_PRIME_HEAD_FACTOR : 1;
    return this.spec.curve.shutoffHeadBar * speed * speed * prime;
  }

  private curveK(): number {
    const { shutoffHeadBar, ratedHeadBar, ratedFlowM3h } = this.spec.curve;
    return (shutoffHeadBar - ratedHeadBar) / (ratedFlowM3h * ratedFlowM3h);
  }
}

/** First-order lag: moves `value` toward `target` with time constant `tauMs`. */
export function approach(value: number, target: number, dtMs: number, tauMs: number): number {
  return target + (value - target) * Math.exp(-dtMs / tauMs);
}

export function round(value: number, decimals: number): number {
  const f = 10 ** decimals;
  return Math.round(value * f) / f;
}

/**
 * A mean-reverting random walk around 1 (Ornstein-Uhlenbeck), to make demand wander instead of
 * following the daily table exactly.
 */
export class Wander {
  private value = 1;

  constructor(
    private readonly rng: Rng,
    private readonly tauMs: number,
    private readonly spread: number,
  ) {}

  step(dtMs: number): number {
    const pull = (1 - this.value) * (dtMs / this.tauMs);
    const kick = this.spread * Math.sqrt((2 * dtMs) / this.tauMs) * this.rng.normal();
    this.value = Math.max(0, this.value + pull + kick);
    return this.value;
  }
}

/** The pump a controller stops next: the latest started among those it may stop (not held in hand). */
export function latestStopCandidate(units: readonly PumpUnit[]): PumpUnit | undefined {
  return units.filter((u) => u.isRunning && !u.isHeld).sort((a, b) => b.runningSinceMs - a.runningSinceMs)[0];
}
