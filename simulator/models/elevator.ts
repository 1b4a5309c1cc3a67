import type { PointValue } from '../../src/points/sample.js';
import type { Rng } from '../rng.js';

/**
 * One traction elevator, stepped on simulated time: passengers call it at random (seeded), the car travels
 * between landings with a trapezoidal speed profile, doors open, dwell and close, counters grow. Values
 * come out by the point names of the elevator-modbus-v1 profile, already rounded to the register
 * resolution, so what the HTTP endpoint shows is what a Modbus client reads.
 */

/** Passenger traffic at one moment, from the building's daily pattern. */
export interface TrafficNow {
  callsPerMinute: number;
  /** Share of calls that start at an entrance floor (morning up-peak). */
  fromEntranceShare: number;
  /** Share of calls that go to an entrance floor (evening down-peak). */
  toEntranceShare: number;
}

export interface ElevatorSpec {
  id: string;
  /** Lowest and highest floor served; floor 0 does not exist (1 is the ground floor, basements negative). */
  lowestFloor: number;
  highestFloor: number;
  /** Where people enter the building: the lobby and, for a car that serves them, the car-park levels. */
  entranceFloors: number[];
  floorHeightM: number;
  ratedSpeedMps: number;
  accelerationMps2: number;
  ratedLoadKg: number;
  traffic: (nowMs: number) => TrafficNow;
}

export type ElevatorFault = 'trapped-passenger' | 'leveling-fault';

type DoorState = 'closed' | 'opening' | 'open' | 'closing' | 'obstructed';
type CarPhase = 'idle' | 'travelling' | 'doors' | 'halted';
type FaultCode = 'none' | 'passenger_trapped' | 'leveling_error';

interface Passenger {
  from: number;
  to: number;
  weightKg: number;
  boarded: boolean;
}

export interface ElevatorContext {
  rng: Rng;
}

const DOOR_OPENING_MS = 2_500;
const DOOR_CLOSING_MS = 3_000;
const DOOR_DWELL_MS = 4_000;
const DWELL_PER_BOARDING_MS = 800;
const OVERLOAD_EXIT_MS = 3_000;
const OBSTRUCTED_MS = 1_500;
/** Chance that someone steps into the closing doors, per closing. */
const OBSTRUCTION_CHANCE = 0.04;
/** Half-height of the door zone around a landing (door-zone switches are typically ±75 to ±200 mm). */
const DOOR_ZONE_M = 0.15;
/** How far from the landing a car with a leveling fault stops: outside the door zone. */
const LEVELING_FAULT_OFFSET_M = 0.3;
/** Where a car that stops between floors ends up, at least this far from a landing. */
const BETWEEN_FLOORS_M = 1.2;
/** A trapped passenger presses the alarm button after this long. */
const ALARM_BUTTON_AFTER_MS = 20_000;
/** Rescue (re-leveling) speed after a fault is cleared. */
const RESCUE_SPEED_MPS = 0.3;
const PASSENGER_MIN_KG = 55;
const PASSENGER_MAX_KG = 95;
/** No new calls beyond this backlog: people take the stairs or another car. */
const MAX_WAITING = 25;
const MS_PER_HOUR = 3_600_000;
const ARRIVAL_EPSILON_M = 0.002;

export class ElevatorModel {
  readonly id: string;
  private readonly spec: ElevatorSpec;
  private readonly rng: Rng;
  private readonly landings: number[];

  private phase: CarPhase = 'idle';
  private positionM: number;
  /** Signed: positive up. */
  private velocityMps = 0;
  private targetIndex: number | null = null;
  private speedLimitMps: number;
  private lastDirection: 1 | -1 = 1;

  private door: DoorState = 'closed';
  private doorTimerMs = 0;
  private dwellLeftMs = 0;
  private obstructAtMs: number | null = null;

  private passengers: Passenger[] = [];
  private fault: ElevatorFault | null = null;
  private faultForMs = 0;
  private alarmButton = false;

  private runCount: number;
  private runHours: number;
  private doorCycles: number;

  constructor(spec: ElevatorSpec, ctx: ElevatorContext) {
    this.id = spec.id;
    this.spec = spec;
    this.rng = ctx.rng;
    this.landings = [];
    for (let f = spec.lowestFloor; f <= spec.highestFloor; f++) if (f !== 0) this.landings.push(f);
    const home = spec.entranceFloors[0] ?? spec.lowestFloor;
    this.positionM = this.landingPos(this.indexOfFloor(home));
    this.speedLimitMps = spec.ratedSpeedMps;
    // A car commissioned some years ago: counters do not start at zero.
    this.runCount = this.rng.int(120_000, 480_000);
    this.runHours = Math.round((this.runCount * this.rng.range(18, 30)) / 3600);
    this.doorCycles = Math.round(this.runCount * this.rng.range(1.02, 1.12));
  }

  step(dtMs: number, nowMs: number): void {
    if (dtMs <= 0) return;
    this.arrivals(dtMs, nowMs);
    switch (this.phase) {
      case 'idle':
        this.dispatch();
        break;
      case 'travelling':
        this.travel(dtMs);
        break;
      case 'doors':
        this.cycleDoors(dtMs);
        break;
      case 'halted':
        this.whileHalted(dtMs);
        break;
    }
  }

  startFault(fault: ElevatorFault): void {
    const movingDir = Math.sign(this.velocityMps);
    const heading = this.targetIndex;
    this.fault = fault;
    this.faultForMs = 0;
    this.alarmButton = false;
    this.phase = 'halted';
    this.door = 'closed';
    this.targetIndex = null;
    this.velocityMps = 0;
    const last = this.landings.length - 1;
    switch (fault) {
      case 'trapped-passenger': {
        // The car stops dead; if it happens to be near a landing, it is a car that left and stopped short.
        const nearest = this.nearestIndex();
        if (Math.abs(this.positionM - this.landingPos(nearest)) < BETWEEN_FLOORS_M) {
          const away = movingDir !== 0 ? movingDir : nearest < last ? 1 : -1;
          const dir = (nearest === 0 && away < 0) || (nearest === last && away > 0) ? -away : away;
          this.positionM = this.landingPos(nearest) + dir * BETWEEN_FLOORS_M;
        }
        if (!this.passengers.some((p) => p.boarded)) {
          const floor = this.floorAt(nearest);
          this.passengers.push({ from: floor, to: floor, weightKg: this.passengerWeight(), boarded: true });
        }
        break;
      }
      case 'leveling-fault': {
        // The car arrives at its landing and stops short of it (or past it), outside the door zone.
        const landing = heading ?? this.nearestIndex();
        const side = movingDir !== 0 ? -movingDir : -1;
        const offset = landing === 0 ? 1 : landing === last ? -1 : side;
        this.positionM = this.landingPos(landing) + offset * LEVELING_FAULT_OFFSET_M;
        break;
      }
    }
  }

  /** Clears the fault if it is the active one: the car re-levels slowly to the nearest landing and lets people out. */
  clearFault(fault: ElevatorFault): void {
    if (this.fault !== fault) return;
    this.fault = null;
    this.alarmButton = false;
    const landing = this.nearestIndex();
    const floor = this.floorAt(landing);
    for (const p of this.passengers) if (p.boarded) p.to = floor;
    this.targetIndex = landing;
    this.speedLimitMps = RESCUE_SPEED_MPS;
    this.phase = 'travelling';
  }

  activeFault(): ElevatorFault | null {
    return this.fault;
  }

  values(): Record<string, PointValue> {
    const nearest = this.nearestIndex();
    const loadKg = this.loadKg();
    return {
      floor: this.floorAt(nearest),
      direction: this.velocityMps > 0 ? 'up' : this.velocityMps < 0 ? 'down' : 'stopped',
      door_state: this.door,
      mode: this.fault ? 'out_of_service' : 'in_service',
      fault_code: this.faultCode(),
      alarm_button: this.alarmButton,
      passenger_trapped: this.fault === 'trapped-passenger',
      in_door_zone: Math.abs(this.positionM - this.landingPos(nearest)) <= DOOR_ZONE_M,
      overload: loadKg > this.spec.ratedLoadKg,
      leveling_error: this.fault === 'leveling-fault',
      safety_circuit_open: false,
      load: Math.round((loadKg / this.spec.ratedLoadKg) * 100),
      run_count: this.runCount,
      run_hours: this.runHours,
      door_cycles: this.doorCycles,
      speed: Math.round(this.velocityMps * 100) / 100,
    };
  }

  private faultCode(): FaultCode {
    if (this.fault === null) return 'none';
    switch (this.fault) {
      case 'trapped-passenger':
        return 'passenger_trapped';
      case 'leveling-fault':
        return 'leveling_error';
    }
  }

  /** New passengers arrive as a Poisson process whose rate follows the building's daily pattern. */
  private arrivals(dtMs: number, nowMs: number): void {
    const traffic = this.spec.traffic(nowMs);
    const chance = (traffic.callsPerMinute / 60_000) * dtMs;
    if (!this.rng.chance(chance)) return;
    if (this.passengers.filter((p) => !p.boarded).length >= MAX_WAITING) return;
    const entrances = this.spec.entranceFloors;
    const from = this.rng.chance(traffic.fromEntranceShare) ? this.rng.pick(entrances) : this.rng.pick(this.landings);
    let to = this.rng.chance(traffic.toEntranceShare) ? this.rng.pick(entrances) : this.rng.pick(this.landings);
    if (to === from) to = this.rng.pick(this.landings.filter((f) => f !== from));
    this.passengers.push({ from, to, weightKg: this.passengerWeight(), boarded: false });
  }

  /** Picks the next stop, collective-selective style: keep going the same way while there are stops ahead. */
  private dispatch(): void {
    const stops = this.stopIndices();
    if (stops.length === 0) return;
    const here = this.nearestIndex();
    if (stops.includes(here) && this.atLanding(here)) {
      this.openDoors();
      return;
    }
    const ahead = stops.filter((i) => (i - here) * this.lastDirection > 0);
    const pool = ahead.length > 0 ? ahead : stops;
    const target = pool.reduce((best, i) => (Math.abs(i - here) < Math.abs(best - here) ? i : best));
    this.lastDirection = target > here ? 1 : -1;
    this.targetIndex = target;
    this.speedLimitMps = this.spec.ratedSpeedMps;
    this.runCount++;
    this.phase = 'travelling';
  }

  private travel(dtMs: number): void {
    if (this.targetIndex === null) {
      this.phase = 'idle';
      return;
    }
    this.maybeStopEarlier();
    const dtS = dtMs / 1000;
    const accel = this.spec.accelerationMps2;
    const delta = this.landingPos(this.targetIndex) - this.positionM;
    const distance = Math.abs(delta);
    const speed = Math.min(Math.abs(this.velocityMps) + accel * dtS, this.speedLimitMps, Math.sqrt(2 * accel * distance));
    const move = speed * dtS;
    if (distance <= Math.max(move, ARRIVAL_EPSILON_M)) {
      this.positionM = this.landingPos(this.targetIndex);
      this.velocityMps = 0;
      this.targetIndex = null;
      this.openDoors();
    } else {
      this.positionM += Math.sign(delta) * move;
      this.velocityMps = Math.sign(delta) * speed;
    }
    this.runHours += dtMs / MS_PER_HOUR;
  }

  /** A call that appears at a landing the car is about to pass is served if the car can still stop there. */
  private maybeStopEarlier(): void {
    if (this.targetIndex === null || this.speedLimitMps !== this.spec.ratedSpeedMps) return;
    const dir = Math.sign(this.velocityMps);
    if (dir === 0) return;
    const brakingM = (this.velocityMps * this.velocityMps) / (2 * this.spec.accelerationMps2);
    for (const i of this.stopIndices()) {
      const ahead = (this.landingPos(i) - this.positionM) * dir;
      const beforeTarget = (this.landingPos(this.targetIndex) - this.landingPos(i)) * dir > 0;
      if (beforeTarget && ahead >= brakingM) this.targetIndex = i;
    }
  }

  private openDoors(): void {
    this.phase = 'doors';
    this.door = 'opening';
    this.doorTimerMs = 0;
  }

  private cycleDoors(dtMs: number): void {
    this.doorTimerMs += dtMs;
    switch (this.door) {
      case 'opening':
        if (this.doorTimerMs >= DOOR_OPENING_MS) {
          this.door = 'open';
          this.doorTimerMs = 0;
          this.dwellLeftMs = DOOR_DWELL_MS + this.exchangePassengers() * DWELL_PER_BOARDING_MS;
        }
        break;
      case 'open':
        this.dwellLeftMs -= dtMs;
        if (this.dwellLeftMs > 0) break;
        if (this.loadKg() > this.spec.ratedLoadKg) {
          // The overload buzzer sounds until the last one in steps out again (and takes the next car).
          this.dropLastBoarded();
          this.dwellLeftMs = OVERLOAD_EXIT_MS;
          break;
        }
        this.door = 'closing';
        this.doorTimerMs = 0;
        this.obstructAtMs = this.rng.chance(OBSTRUCTION_CHANCE) ? this.rng.range(0.2, 0.8) * DOOR_CLOSING_MS : null;
        break;
      case 'closing':
        if (this.obstructAtMs !== null && this.doorTimerMs >= this.obstructAtMs) {
          this.door = 'obstructed';
          this.doorTimerMs = 0;
          this.obstructAtMs = null;
        } else if (this.doorTimerMs >= DOOR_CLOSING_MS) {
          this.door = 'closed';
          this.doorCycles++;
          this.phase = 'idle';
        }
        break;
      case 'obstructed':
        if (this.doorTimerMs >= OBSTRUCTED_MS) this.openDoors();
        break;
      case 'closed':
        this.phase = 'idle';
        break;
    }
  }

  /** Lets out those who arrived and takes in those waiting here; returns how many boarded. */
  private exchangePassengers(): number {
    const floor = this.floorAt(this.nearestIndex());
    this.passengers = this.passengers.filter((p) => !(p.boarded && p.to === floor));
    let boarded = 0;
    for (const p of this.passengers) {
      if (!p.boarded && p.from === floor) {
        p.boarded = true;
        boarded++;
      }
    }
    return boarded;
  }

  private dropLastBoarded(): void {
    for (let i = this.passengers.length - 1; i >= 0; i--) {
      if (this.passengers[i]?.boarded) {
        this.passengers.splice(i, 1);
        return;
      }
    }
  }

  private whileHalted(dtMs: number): void {
    this.faultForMs += dtMs;
    if (this.fault === 'trapped-passenger' && this.faultForMs >= ALARM_BUTTON_AFTER_MS) {
      // Latched by the controller until the fault is reset.
      this.alarmButton = true;
    }
  }

  private stopIndices(): number[] {
    const floors = new Set<number>();
    for (const p of this.passengers) floors.add(p.boarded ? p.to : p.from);
    return [...floors].map((f) => this.indexOfFloor(f));
  }

  private loadKg(): number {
    return this.passengers.reduce((sum, p) => (p.boarded ? sum + p.weightKg : sum), 0);
  }

  private passengerWeight(): number {
    return Math.round(this.rng.range(PASSENGER_MIN_KG, PASSENGER_MAX_KG));
  }

  private atLanding(index: number): boolean {
    return Math.abs(this.positionM - this.landingPos(index)) < ARRIVAL_EPSILON_M;
  }

  private nearestIndex(): number {
    const index = Math.round(this.positionM / this.spec.floorHeightM);
    return Math.min(Math.max(index, 0), this.landings.length - 1);
  }

  private landingPos(index: number): number {
    return index * this.spec.floorHeightM;
  }

  private floorAt(index: number): number {
    return this.landings[index] ?? this.spec.lowestFloor;
  }

  private indexOfFloor(floor: number): number {
    const index = this.landings.indexOf(floor);
    if (index < 0) throw new Error(`${this.id}: floor ${floor} is not served`);
    return index;
  }
}
