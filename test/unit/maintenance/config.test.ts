import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/config/config-error.js';
import { parseConfig } from '../../../src/config/loader.js';
import { BUILT_IN_TEMPLATES } from '../../../src/maintenance/built-in.js';
import { maintenanceDevices } from '../../../src/maintenance/config-checks.js';
import { compileSchedules } from '../../../src/maintenance/schedules.js';
import { findProfile } from '../../../src/profiles/index.js';

const site = `site:
  id: tower
  name: Tower
  timezone: Asia/Shanghai
links:
  - id: plant
    type: modbus-tcp
    host: 127.0.0.1
devices:
  - id: pump-1
    type: pump
    profile: pump-vfd-v1
    link: plant
    unitId: 1
  - id: lift-1
    type: elevator
    profile: elevator-modbus-v1
    link: plant
    unitId: 2
`;

function issuesOf(maintenance: string): string[] {
  try {
    parseConfig(`${site}maintenance:\n${maintenance}`, { env: {} });
  } catch (err) {
    if (err instanceof ConfigError) return err.message.split('\n');
    throw err;
  }
  return [];
}

describe('maintenance config', () => {
  it('accepts calendar, floating and meter schedules, built-ins and evidence rules', () => {
    const config = parseConfig(
      `${site}maintenance:
  builtIn:
    - elevator-tsg-t5002
    - id: fire-pump-weekly-test
      devices: [pump-1]
  schedules:
    - id: pump-monthly
      kind: calendar
      cron: "0 9 1 * *"
      assets: { devices: [pump-1] }
      title: "{deviceName}: monthly check"
    - id: pump-float
      kind: calendar
      everyDays: 90
      floating: true
      start: "2026-03-01T09:00"
      assets: { equipment: [pump] }
      title: Quarterly
    - id: lift-trips
      kind: meter
      meter: { point: run_count, every: 50000 }
      assets: { equipment: [elevator] }
      title: Ropes after 50,000 trips
  evidence:
    - schedule: fire-pump-weekly-test
      pressurePoint: discharge_pressure
      minPressure: 9
`,
      { env: {} },
    );
    const { schedules, issues } = compileSchedules(config.maintenance, config.site.timezone, maintenanceDevices(config, findProfile));
    expect(issues).toEqual([]);
    expect(schedules.map((s) => s.id)).toEqual(['pump-monthly', 'pump-float', 'lift-trips', 'elevator-15-day', 'elevator-quarterly', 'elevator-half-yearly', 'elevator-yearly', 'fire-pump-weekly-test']);
    expect(schedules.find((s) => s.id === 'fire-pump-weekly-test')?.evidence).toMatchObject({ minPressure: 9, minRunMs: 180_000, complete: false });
    expect(config.maintenance?.schedules[2]?.meter).toMatchObject({ count: 'value', from: 'completion' });
  });

  it('names file, line, path and the problem of a cron that does not parse', () => {
    const schedule = (cron: string) => `  schedules:
    - id: pump-monthly
      kind: calendar
      cron: "${cron}"
      assets: { devices: [pump-1] }
      title: Monthly
`;
    expect(issuesOf(schedule('0 9 31 2 *'))).toEqual(['site.yaml:24 maintenance.schedules[0].cron: does not parse: "0 9 31 2 *" never happens: no month has that day']);
    expect(issuesOf(schedule('0 9 * *'))).toEqual([
      'site.yaml:24 maintenance.schedules[0].cron: does not parse: "0 9 * *" has 4 fields; a cron expression has 5 (minute hour day month weekday) or 6 (second first)',
    ]);
    expect(issuesOf(schedule('0 9 1 13 *'))).toEqual(['site.yaml:24 maintenance.schedules[0].cron: does not parse: "0 9 1 13 *": month 13 is out of range 1-12']);
    expect(issuesOf(schedule('* 9 * * *'))).toEqual([
      'site.yaml:24 maintenance.schedules[0].cron: "* 9 * * *" fires 60 times a day; a maintenance schedule fires at most hourly (give one minute, e.g. "0 9 * * 1")',
    ]);
  });

  it('reports wrong combinations, unknown devices and points, and built-ins that need devices', () => {
    expect(
      issuesOf(`  schedules:
    - id: both
      kind: calendar
      cron: "0 9 1 * *"
      everyDays: 15
      assets: { devices: [pump-9] }
      title: Both
    - id: no-start
      kind: calendar
      everyDays: 15
      assets: { equipment: [pump] }
      title: No start
    - id: bad-start
      kind: calendar
      everyDays: 15
      start: "2026-02-30T09:00"
      assets: { equipment: [pump] }
      title: Bad start
    - id: meter
      kind: meter
      meter: { point: trip_count, every: 1000 }
      assets: { equipment: [elevator] }
      title: Trips
    - id: edges
      kind: meter
      meter: { point: run_hours, every: 10, count: rising-edges }
      assets: { devices: [pump-1] }
      title: Edges
  builtIn:
    - fire-pump-weekly-test
    - lift-monthly
`),
    ).toEqual([
      'site.yaml:22 maintenance.schedules[0]: a calendar schedule needs exactly one of cron (fixed times) or everyDays with start',
      'site.yaml:26 maintenance.schedules[0].assets.devices[0]: device "pump-9" is not defined (or not enabled)',
      'site.yaml:28 maintenance.schedules[1].start: everyDays needs start: the date and time the first order falls due (e.g. "2026-01-05T09:00")',
      'site.yaml:36 maintenance.schedules[2].start: "2026-02-30T09:00" is not a date and time YYYY-MM-DDTHH:MM (or YYYY-MM-DD)',
      'site.yaml:41 maintenance.schedules[3].meter.point: device "lift-1" has no point "trip_count" (its counters: run_count, run_hours, door_cycles)',
      'site.yaml:46 maintenance.schedules[4].meter.count: rising-edges counts a binary point; "run_hours" of device "pump-1" is counter',
      'site.yaml:50 maintenance.builtIn[0]: built-in "fire-pump-weekly-test" needs devices: name the fire pumps in `devices`: to the gateway every pump is a `pump`',
      'site.yaml:51 maintenance.builtIn[1]: unknown built-in template "lift-monthly" (known: elevator-15-day, elevator-quarterly, elevator-half-yearly, elevator-yearly, fire-pump-weekly-test, fire-pump-monthly-start, fire-system-monthly-inspection, elevator-tsg-t5002)',
    ]);
  });

  it('checks evidence rules against their schedule and the devices’ points', () => {
    expect(
      issuesOf(`  schedules:
    - id: pump-monthly
      kind: calendar
      cron: "0 9 1 * *"
      assets: { devices: [pump-1] }
      title: Monthly
  evidence:
    - schedule: pump-weekly
    - schedule: pump-monthly
      runningPoint: run
      minPressure: 8
`),
    ).toEqual([
      'site.yaml:28 maintenance.evidence[0].schedule: no schedule or switched-on built-in "pump-weekly" (known: pump-monthly)',
      'site.yaml:30 maintenance.evidence[1].runningPoint: device "pump-1" has no point "run"',
      'site.yaml:31 maintenance.evidence[1].minPressure: needs pressurePoint: the point whose peak must reach it',
    ]);
  });
});

describe('built-in templates', () => {
  it('every template compiles, has a plain-English checklist and a title naming the device', () => {
    expect(new Set(BUILT_IN_TEMPLATES.map((t) => t.id)).size).toBe(BUILT_IN_TEMPLATES.length);
    for (const t of BUILT_IN_TEMPLATES) {
      expect(t.schedule.checklist.length, t.id).toBeGreaterThanOrEqual(5);
      expect(t.schedule.title, t.id).toContain('{deviceName}');
      const devices = [
        { id: 'lift-1', type: 'elevator' as const, points: findProfile('elevator-modbus-v1')?.points ?? [] },
        { id: 'fp-1', type: 'pump' as const, points: findProfile('pump-vfd-v1')?.points ?? [] },
        { id: 'panel-1', type: 'fire-panel' as const, points: [] },
      ];
      const entry = t.needsDevices !== undefined ? { id: t.id, devices: ['fp-1'] } : t.id;
      const { schedules, issues } = compileSchedules({ schedules: [], builtIn: [entry], evidence: [] }, 'Asia/Shanghai', devices);
      expect(issues, t.id).toEqual([]);
      expect(schedules[0]?.assets.length, t.id).toBe(1);
    }
  });
});
