import type { Rng } from '../rng.js';
import { BAR_PER_METRE_WATER, latestStopCandidate, PumpUnit, Wander, type PumpUnitSpec } from './pump.js';

/**
 * The hydraulic systems around the pumps, each with its controller: who starts and stops when, and what
 * pressure and flow result. Each system owns its PumpUnits; the simulator serves each unit as one device.
 */
export interface PumpSystem {
  readonly units: readonly PumpUnit[];
  step(dtMs: number, nowMs: number): void;
}

const DEMAND_WANDER_TAU_MS = 5 * 60_000;
const DEMAND_WANDER_SPREAD = 0.15;

export interface BoosterSetSpec {
  pumps: PumpUnitSpec[];
  /** Start a pump below this header pressure; stop one above cut-out. */
  cutInBar: number;
  cutOutBar: number;
  /** A lag pump starts if the header is still below cut-in this long after the last start. */
  lagStartDelayMs: number;
  /** Pumps are stopped one at a time, this far apart. */
  stageStopDelayMs: number;
  /** Anti-short-cycling: no pump stops before it has run this long. */
  minRunMs: number;
  /** Pressure-tank volume taken in or given out per bar of header pressure change. */
  headerComplianceM3PerBar: number;
  breakTank: { areaM2: number; refillOnM: number; refillOffM: number; refillM3h: number; initialM: number };
  /** Building water demand at the nominal header pressure, by time of day. */
  demandM3h: (nowMs: number) => number;
}

/** Domestic-water booster set: lead/lag staging on header pressure; the lead rotates to even out run hours. */
export class BoosterSet implements PumpSystem {
  readonly units: PumpUnit[];
  private headerBar: number;
  private tankM: number;
  private refilling = false;
  private lead = 0;
  private lastStagingMs: number;
  private readonly wander: Wander;
  private readonly nominalBar: number;

  constructor(
    private readonly spec: BoosterSetSpec,
    rng: Rng,
    startMs: number,
  ) {
    this.units = spec.pumps.map((p) => new PumpUnit(p, rng.fork(p.id)));
    this.nominalBar = (spec.cutInBar + spec.cutOutBar) / 2;
    this.headerBar = this.nominalBar;
    this.tankM = spec.breakTank.initialM;
    this.lastStagingMs = startMs - spec.lagStartDelayMs;
    this.wander = new Wander(rng.fork('demand'), DEMAND_WANDER_TAU_MS, DEMAND_WANDER_SPREAD);
    this.publish(0);
  }

  get headerPressureBar(): number {
    return this.headerBar;
  }

  step(dtMs: number, nowMs: number): void {
    this.control(nowMs);
    for (const u of this.units) u.drive(dtMs);
    const dtS = dtMs / 1000;
    const suction = this.suctionBar();
    const flows = this.units.map((u) => u.flowAgainst(this.headerBar - suction));
    const pumped = flows.reduce((a, b) => a + b, 0);
    // Taps deliver more at higher pressure: demand scales with the square root of the header pressure.
    const demand = this.spec.demandM3h(nowMs) * this.wander.step(dtMs) * Math.sqrt(Math.max(0, this.headerBar) / this.nominalBar);
    this.headerBar = Math.max(0, this.headerBar + ((pumped - demand) / 3600 / this.spec.headerComplianceM3PerBar) * dtS);
    const tank = this.spec.breakTank;
    if (this.tankM <= tank.refillOnM) this.refilling = true;
    if (this.tankM >= tank.refillOffM) this.refilling = false;
    const inflow = this.refilling ? tank.refillM3h : 0;
    this.tankM = Math.max(0, this.tankM + ((inflow - pumped) / 3600 / tank.areaM2) * dtS);
    this.publish(dtMs, flows);
  }

  private control(nowMs: number): void {
    const sinceStaging = nowMs - this.lastStagingMs;
    if (this.headerBar < this.spec.cutInBar) {
      const anyRunning = this.units.some((u) => u.isRunning);
      if (anyRunning && sinceStaging < this.spec.lagStartDelayMs) return;
      const next = this.rotation().find((u) => u.isAvailable && !u.isRunning);
      if (!next) return;
      next.start(nowMs);
      this.lastStagingMs = nowMs;
    } else if (this.headerBar > this.spec.cutOutBar) {
      const last = latestStopCandidate(this.units);
      if (!last || sinceStaging < this.spec.stageStopDelayMs || nowMs - last.runningSinceMs < this.spec.minRunMs) return;
      last.stop();
      this.lastStagingMs = nowMs;
      if (!this.units.some((u) => u.isRunning)) this.lead = (this.lead + 1) % this.units.length;
    }
  }

  /** The pumps in staging order, lead first. */
  private rotation(): PumpUnit[] {
    return [...this.units.slice(this.lead), ...this.units.slice(0, this.lead)];
  }

  private suctionBar(): number {
    return this.tankM * BAR_PER_METRE_WATER;
  }

  private publish(dtMs: number, flows: number[] = []): void {
    const suction = this.suctionBar();
    this.units.forEach((u, i) => u.settle(dtMs, { suctionBar: suction, systemBar: this.headerBar, flowM3h: flows[i] ?? 0, levelM: this.tankM }));
  }
}

export interface SumpSpec {
  pump: PumpUnitSpec;
  pitAreaM2: number;
  pitDepthM: number;
  startLevelM: number;
  stopLevelM: number;
  initialLevelM: number;
  /** Height to lift the water out, as pressure. */
  staticLiftBar: number;
  /** Pipe loss of the rising main: bar per (m3/h)². */
  pipeLossK: number;
  /** Drainage and ground water flowing into the pit, by time of day. */
  inflowM3h: (nowMs: number) => number;
}

/** Below this the pump sucks air instead of water. */
const SUMP_SNORE_LEVEL_M = 0.05;

/** A sump pit whose pump starts on high level and stops on low. */
export class SumpPit implements PumpSystem {
  readonly units: PumpUnit[];
  private readonly pump: PumpUnit;
  private levelM: number;
  private readonly wander: Wander;

  constructor(
    private readonly spec: SumpSpec,
    rng: Rng,
  ) {
    this.pump = new PumpUnit(spec.pump, rng.fork(spec.pump.id));
    this.units = [this.pump];
    this.levelM = spec.initialLevelM;
    this.wander = new Wander(rng.fork('inflow'), DEMAND_WANDER_TAU_MS, DEMAND_WANDER_SPREAD);
    this.pump.settle(0, this.surroundings(0));
  }

  step(dtMs: number, nowMs: number): void {
    if (this.levelM >= this.spec.startLevelM && this.pump.isAvailable) this.pump.start(nowMs);
    if (this.levelM <= this.spec.stopLevelM) this.pump.stop();
    this.pump.drive(dtMs);
    const submergence = this.levelM * BAR_PER_METRE_WATER;
    const flow = this.levelM > SUMP_SNORE_LEVEL_M ? this.pump.flowAgainst(this.spec.staticLiftBar - submergence, this.spec.pipeLossK) : 0;
    const inflow = this.spec.inflowM3h(nowMs) * this.wander.step(dtMs);
    const level = this.levelM + ((inflow - flow) / 3600 / this.spec.pitAreaM2) * (dtMs / 1000);
    this.levelM = Math.min(this.spec.pitDepthM, Math.max(0, level));
    this.pump.settle(dtMs, this.surroundings(flow));
  }

  private surroundings(flow: number) {
    const suction = this.levelM * BAR_PER_METRE_WATER;
    return { suctionBar: suction, systemBar: this.spec.staticLiftBar + this.spec.pipeLossK * flow * flow, flowM3h: flow, levelM: this.levelM };
  }
}

export interface FireSetSpec {
  firePump: PumpUnitSpec;
  jockey: PumpUnitSpec;
  jockeyCutInBar: number;
  jockeyCutOutBar: number;
  /** The fire pump starts below this: the jockey could not hold the main (a sprinkler opened). */
  fireCutInBar: number;
  /** Once started on pressure the fire pump runs at least this long. */
  fireMinRunMs: number;
  mainComplianceM3PerBar: number;
  /** Leakage of a sound system at jockey cut-out pressure: the jockey starts a few times a day. */
  normalLeakM3h: number;
  /** Leakage with a leaking valve or pipe: the jockey short-cycles. */
  faultLeakM3h: number;
  reliefOpenBar: number;
  reliefM3hPerBar: number;
  tankLevelM: number;
  /** True during the weekly automatic fire-pump test run. */
  isWeeklyTest: (nowMs: number) => boolean;
}

/** Hydraulic sub-step: the fire main is stiff (little water, a big pump and a relief valve). */
const FIRE_MAIN_SUBSTEP_MS = 25;
/** Sub-step once the main gets this close to the relief valve's opening pressure. */
const RELIEF_MARGIN_BAR = 0.5;

/** A fire pump kept idle while its jockey pump makes up the fire main's leakage. */
export class FireSet implements PumpSystem {
  readonly units: PumpUnit[];
  readonly firePump: PumpUnit;
  readonly jockey: PumpUnit;
  private mainBar: number;
  private leaking = false;
  private fireStartedBy: 'none' | 'pressure' | 'test' = 'none';
  private testedThisWindow = false;
  private readonly leakScale: number;

  constructor(
    private readonly spec: FireSetSpec,
    rng: Rng,
  ) {
    this.firePump = new PumpUnit(spec.firePump, rng.fork(spec.firePump.id));
    this.jockey = new PumpUnit(spec.jockey, rng.fork(spec.jockey.id));
    this.units = [this.firePump, this.jockey];
    this.mainBar = rng.range(spec.jockeyCutInBar + 0.3, spec.jockeyCutOutBar);
    this.leakScale = rng.range(0.7, 1.4);
    this.publish(0, 0, 0);
  }

  /** A leak on the fire main: the jockey pump starts many times an hour. */
  setLeak(leaking: boolean): void {
    this.leaking = leaking;
  }

  get isLeaking(): boolean {
    return this.leaking;
  }

  get mainPressureBar(): number {
    return this.mainBar;
  }

  step(dtMs: number, nowMs: number): void {
    this.control(nowMs);
    this.firePump.drive(dtMs);
    this.jockey.drive(dtMs);
    const suction = this.spec.tankLevelM * BAR_PER_METRE_WATER;
    const leakM3h = this.leaking ? this.spec.faultLeakM3h : this.spec.normalLeakM3h * this.leakScale;
    const leakCoef = leakM3h / Math.sqrt(this.spec.jockeyCutOutBar);
    // Only the fire pump and the relief valve make the main stiff; the jockey alone is slow.
    const stiff = this.firePump.isTurning || this.mainBar >= this.spec.reliefOpenBar - RELIEF_MARGIN_BAR;
    const substepMs = stiff ? FIRE_MAIN_SUBSTEP_MS : dtMs;
    let fireFlow = 0;
    let jockeyFlow = 0;
    for (let done = 0; done < dtMs; done += substepMs) {
      const sub = Math.min(substepMs, dtMs - done);
      fireFlow = this.firePump.flowAgainst(this.mainBar - suction);
      jockeyFlow = this.jockey.flowAgainst(this.mainBar - suction);
      const leak = leakCoef * Math.sqrt(Math.max(0, this.mainBar));
      const relief = Math.max(0, this.mainBar - this.spec.reliefOpenBar) * this.spec.reliefM3hPerBar;
      const net = fireFlow + jockeyFlow - leak - relief;
      this.mainBar = Math.max(0, this.mainBar + (net / 3600 / this.spec.mainComplianceM3PerBar) * (sub / 1000));
    }
    this.publish(dtMs, fireFlow, jockeyFlow);
  }

  private control(nowMs: number): void {
    const { jockey, firePump, spec } = this;
    if (this.mainBar < spec.jockeyCutInBar && jockey.isAvailable) jockey.start(nowMs);
    if (this.mainBar >= spec.jockeyCutOutBar) jockey.stop();

    const testWindow = spec.isWeeklyTest(nowMs);
    if (!testWindow) this.testedThisWindow = false;
    if (testWindow && !this.testedThisWindow && firePump.isAvailable) {
      this.testedThisWindow = true;
      if (!firePump.isRunning) this.fireStartedBy = 'test';
      firePump.start(nowMs);
    }
    if (this.mainBar < spec.fireCutInBar && firePump.isAvailable && !firePump.isRunning) {
      firePump.start(nowMs);
      this.fireStartedBy = 'pressure';
    }
    const ranLongEnough = nowMs - firePump.runningSinceMs >= spec.fireMinRunMs;
    const testOver = this.fireStartedBy === 'test' && !testWindow;
    const pressureBack = this.fireStartedBy === 'pressure' && ranLongEnough && this.mainBar >= spec.jockeyCutOutBar;
    if (firePump.isRunning && (testOver || pressureBack)) {
      firePump.stop();
      if (!firePump.isRunning) this.fireStartedBy = 'none';
    }
  }

  private publish(dtMs: number, fireFlow: number, jockeyFlow: number): void {
    const suction = this.spec.tankLevelM * BAR_PER_METRE_WATER;
    const common = { suctionBar: suction, systemBar: this.mainBar, levelM: this.spec.tankLevelM };
    this.firePump.settle(dtMs, { ...common, flowM3h: fireFlow });
    this.jockey.settle(dtMs, { ...common, flowM3h: jockeyFlow });
  }
}
