import { describe, expect, it } from 'vitest';
import { demoBuilding } from '../../../simulator/demo-building.js';
import { BoosterSet, FireSet, SumpPit, type PumpSystem } from '../../../simulator/models/pump-systems.js';
import { PumpUnit, type PumpUnitSpec } from '../../../simulator/models/pump.js';
import { Rng } from '../../../simulator/rng.js';

const STEP_MS = 100;
const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
const START_MS = Date.UTC(2026, 0, 1); // Thursday 08:00 in Shanghai

/** Steps a system, calling `each` after every step with the simulated time. */
function run(system: PumpSystem, startMs: number, durationMs: number, each: (nowMs: number) => void = () => undefined): void {
  for (let t = STEP_MS; t <= durationMs; t += STEP_MS) {
    system.step(STEP_MS, startMs + t);
    each(startMs + t);
  }
}

describe('booster set', () => {
  const spec = demoBuilding().booster;

  it('starts pumps below cut-in and stops them above cut-out, keeping the header in its band', () => {
    const set = new BoosterSet(spec, new Rng(1), START_MS);
    let wasRunning = set.units.map((u) => u.isRunning);
    const startsAt: number[] = [];
    const stopsAt: number[] = [];
    run(set, START_MS, 2 * HOUR_MS, () => {
      const header = set.headerPressureBar;
      set.units.forEach((u, i) => {
        if (u.isRunning && !wasRunning[i]) startsAt.push(header);
        if (!u.isRunning && wasRunning[i]) stopsAt.push(header);
      });
      wasRunning = set.units.map((u) => u.isRunning);
      expect(header).toBeGreaterThan(spec.cutInBar - 0.5);
      expect(header).toBeLessThan(spec.cutOutBar + 0.5);
    });
    expect(startsAt.length).toBeGreaterThan(10);
    expect(stopsAt.length).toBeGreaterThan(10);
    // Decided on the pressure at the start of a step; the header moves by a few mbar per step.
    for (const p of startsAt) expect(p).toBeLessThan(spec.cutInBar + 0.05);
    for (const p of stopsAt) expect(p).toBeGreaterThan(spec.cutOutBar - 0.05);
  });

  it('rotates the lead pump and runs a lag pump at the morning peak but not at night', () => {
    const set = new BoosterSet(spec, new Rng(2), START_MS);
    const startCounts = set.units.map((u) => u.values().start_count as number);
    let maxRunningMorning = 0;
    run(set, START_MS, HOUR_MS, () => {
      maxRunningMorning = Math.max(maxRunningMorning, set.units.filter((u) => u.isRunning).length);
    });
    set.units.forEach((u, i) => expect(u.values().start_count as number).toBeGreaterThan(startCounts[i] as number));
    expect(maxRunningMorning).toBeGreaterThanOrEqual(2);

    const night = Date.UTC(2026, 0, 1, 18); // 02:00 local
    const quiet = new BoosterSet(spec, new Rng(2), night);
    let maxRunningNight = 0;
    run(quiet, night, HOUR_MS, () => {
      maxRunningNight = Math.max(maxRunningNight, quiet.units.filter((u) => u.isRunning).length);
    });
    expect(maxRunningNight).toBe(1);
  });

  it('accumulates run hours while running, counts starts, and reports a running pump plausibly', () => {
    const set = new BoosterSet(spec, new Rng(3), START_MS);
    const hoursBefore = set.units.map((u) => u.values().run_hours as number);
    const runningMs = set.units.map(() => 0);
    run(set, START_MS, HOUR_MS, () => {
      set.units.forEach((u, i) => {
        if (u.isRunning) runningMs[i] = (runningMs[i] ?? 0) + STEP_MS;
      });
    });
    set.units.forEach((u, i) => {
      const gained = ((u.values().run_hours as number) - (hoursBefore[i] as number)) * HOUR_MS;
      expect(gained).toBeCloseTo(runningMs[i] as number, -1);
    });
    // Find a moment with a pump running at full speed.
    let seen = false;
    run(set, START_MS + HOUR_MS, 10 * MINUTE_MS, () => {
      for (const u of set.units) {
        const v = u.values();
        if (!seen && v.running === true && v.frequency === 50) {
          seen = true;
          expect(v.discharge_pressure as number).toBeGreaterThan(spec.cutInBar - 0.5);
          expect(v.flow as number).toBeGreaterThan(5);
          expect(v.motor_current as number).toBeGreaterThan(3);
          expect(v.motor_current as number).toBeLessThan(12);
          expect(v.vibration as number).toBeLessThan(2.8);
          expect(v.fault).toBe(false);
        }
      }
    });
    expect(seen).toBe(true);
  });

  it('warms a running motor toward a steady state with thermal lag, and cools it slower when stopped', () => {
    const unit = new PumpUnit(spec.pumps[0] as PumpUnitSpec, new Rng(4));
    const around = { suctionBar: 0.2, systemBar: 5, flowM3h: 20, levelM: 2 };
    const temperatureAfter = (minutes: number): number => {
      for (let t = 0; t < minutes * MINUTE_MS; t += STEP_MS) {
        unit.drive(STEP_MS);
        unit.settle(STEP_MS, around);
      }
      return unit.values().motor_temperature as number;
    };
    unit.settle(0, around);
    const ambient = unit.values().motor_temperature as number;
    unit.start(START_MS);
    const after10 = temperatureAfter(10);
    const after60 = temperatureAfter(50);
    const after90 = temperatureAfter(30);
    // One time constant gets most of the way but not all of it; then it levels off.
    expect(after10 - ambient).toBeGreaterThan(0.5 * (after60 - ambient));
    expect(after10 - ambient).toBeLessThan(0.75 * (after60 - ambient));
    expect(Math.abs(after90 - after60)).toBeLessThan(1);
    expect(after60).toBeGreaterThan(45);
    expect(after60).toBeLessThan(100);
    unit.stop();
    const cooled10 = temperatureAfter(10);
    expect(after60 - cooled10).toBeLessThan(after10 - ambient);
    expect(cooled10).toBeLessThan(after60);
  });
});

describe('sump pit', () => {
  it('starts its pump on high level and stops it on low level', () => {
    const spec = demoBuilding().sump;
    const pit = new SumpPit(spec, new Rng(1));
    let was = false;
    const levelsAtStart: number[] = [];
    const levelsAtStop: number[] = [];
    run(pit, START_MS, 6 * HOUR_MS, () => {
      const v = pit.units[0]?.values() ?? {};
      if (v.running === true && !was) levelsAtStart.push(v.level as number);
      if (v.running === false && was) levelsAtStop.push(v.level as number);
      was = v.running === true;
      expect(v.level as number).toBeLessThan(spec.startLevelM + 0.05);
    });
    expect(levelsAtStart.length).toBeGreaterThanOrEqual(2);
    for (const l of levelsAtStart) expect(l).toBeGreaterThanOrEqual(spec.startLevelM - 0.01);
    for (const l of levelsAtStop) expect(l).toBeLessThanOrEqual(spec.stopLevelM + 0.01);
  });
});

describe('fire set', () => {
  const spec = demoBuilding().fire;

  it('keeps the fire pump idle while the jockey pump starts only occasionally', () => {
    const set = new FireSet(spec, new Rng(1));
    const [fire, jockey] = [set.firePump, set.jockey];
    const jockeyStarts = jockey.values().start_count as number;
    const fireStarts = fire.values().start_count as number;
    let lowest = Infinity;
    run(set, START_MS, 8 * HOUR_MS, () => {
      lowest = Math.min(lowest, set.mainPressureBar);
    });
    expect(lowest).toBeGreaterThan(spec.jockeyCutInBar - 0.3);
    const starts = (jockey.values().start_count as number) - jockeyStarts;
    expect(starts).toBeGreaterThanOrEqual(1);
    expect(starts).toBeLessThanOrEqual(10);
    expect(fire.values().start_count).toBe(fireStarts);
    expect(fire.values().running).toBe(false);
  });

  it('runs the weekly fire-pump test on Monday at 09:00 local time for five minutes', () => {
    const monday0855 = Date.UTC(2026, 0, 5, 0, 55);
    const set = new FireSet(spec, new Rng(1));
    let ranMs = 0;
    let maxMain = 0;
    run(set, monday0855, 20 * MINUTE_MS, () => {
      if (set.firePump.isRunning) ranMs += STEP_MS;
      maxMain = Math.max(maxMain, set.mainPressureBar);
    });
    expect(Math.abs(ranMs - 5 * MINUTE_MS)).toBeLessThanOrEqual(1000);
    expect(maxMain).toBeGreaterThan(spec.reliefOpenBar);
    expect(maxMain).toBeLessThan(spec.firePump.curve.shutoffHeadBar + 0.5);
    expect(set.firePump.values().running).toBe(false);
  });

  it('short-cycles the jockey pump with a leak on the fire main', () => {
    const set = new FireSet(spec, new Rng(1));
    set.setLeak(true);
    const before = set.jockey.values().start_count as number;
    run(set, START_MS, HOUR_MS);
    expect((set.jockey.values().start_count as number) - before).toBeGreaterThan(12);
  });
});
