import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/loader.js';
import { ConfigError } from '../../../src/config/config-error.js';
import type { ConditionAlarmDef } from '../../../src/profiles/types.js';
import { boosterErrors, boosterProfile, compileBooster } from './condition-harness.js';

const dryRun: ConditionAlarmDef = { kind: 'state', id: 'dry_run', point: 'fault_code', states: ['dry_run'], priority: 'high', message: 'Pump fault' };
const lowWhileRunning: ConditionAlarmDef = { kind: 'expression', id: 'low_while_running', when: 'pressure < 2 and running', priority: 'high', message: 'Pressure low while running' };

describe('compiling condition alarms', () => {
  it('names device, alarm and the known states for an unknown state name', () => {
    expect(boosterErrors([{ ...dryRun, states: ['dry_running'] }])).toEqual([
      'devices[bp-1].alarms[dry_run].states (from profile booster-test-v1): device bp-1, alarm dry_run: "dry_running" is not a state of point "fault_code" in profile booster-test-v1 (known: ok (0), overcurrent (3), dry_run (7))',
    ]);
  });

  it('reports unknown points, wrong point kinds and expression errors with their column', () => {
    const problems = boosterErrors([], {
      alarms: [
        { ...dryRun, point: 'fault' },
        { kind: 'rate', id: 'mode_rate', point: 'mode', risePerMinute: 1, windowMs: 60_000, priority: 'low', message: 'm' },
        { ...lowWhileRunning, when: 'pressure < 2 and runing' },
        { ...lowWhileRunning, id: 'syntax', when: 'pressure < (2' },
        { kind: 'repeat', id: 'not_bool', when: 'pressure + 1', count: 2, windowMs: 1000, priority: 'low', message: 'm' },
      ],
    });
    expect(problems).toEqual([
      'devices[bp-1].alarms[dry_run].point: point "fault" is not in profile booster-test-v1',
      'devices[bp-1].alarms[mode_rate].point: point "mode" is enum; a rate of change needs an analog or counter point',
      'devices[bp-1].alarms[low_while_running].when: unknown point "runing" at column 18 of "pressure < 2 and runing"',
      'devices[bp-1].alarms[syntax].when: syntax error: Unclosed ( at column 14 of "pressure < (2"', // the end of the text
      'devices[bp-1].alarms[not_bool].when: a condition must be true or false, this expression is a number at column 1 of "pressure + 1"',
    ]);
  });

  it('refuses an on-delay or a suppressWhen on a life-safety alarm, on every kind of definition', () => {
    expect(
      boosterErrors([{ ...dryRun, lifeSafety: true, onDelayMs: 1000 }], {
        thresholds: [{ id: 'pressure_high', point: 'pressure', high: 8, priority: 'high', message: 'm', lifeSafety: true, suppressWhen: 'mode == "maintenance"' }],
      }),
    ).toEqual([
      'devices[bp-1].thresholds[pressure_high].suppressWhen: a life-safety alarm is never suppressed: remove suppressWhen (or lifeSafety)',
      'devices[bp-1].alarms[dry_run].onDelayMs (from profile booster-test-v1): a life-safety alarm is never delayed: remove onDelayMs (or lifeSafety)',
    ]);
  });

  it('reports a bad suppressWhen with its column, and ids shared between kinds', () => {
    expect(
      boosterErrors([{ ...dryRun, suppressWhen: 'mode = "maintenance"' }], { alarms: [{ ...lowWhileRunning, id: 'pressure_high' }] }),
    ).toEqual([
      'devices[bp-1].alarms[pressure_high]: the id "pressure_high" is also a threshold of this device; a rule id names one rule',
      'devices[bp-1].alarms[dry_run].suppressWhen (from profile booster-test-v1): syntax error: assignment is not allowed (compare with ==) at column 6 of "mode = \\"maintenance\\""'.replace(/\\"/g, '"'),
    ]);
  });

  it('lets device alarms replace profile alarms by id and add new ones; disableAlarms and disableThresholds switch any kind off', () => {
    const rules = compileBooster([dryRun, lowWhileRunning], {
      alarms: [{ ...dryRun, states: ['overcurrent'], message: 'Overcurrent' }, { kind: 'state', id: 'manual', point: 'mode', states: ['manual'], priority: 'low', message: 'Manual' }],
      disableAlarms: ['low_while_running'],
      disableThresholds: ['pressure_high'],
    });
    const alarms = rules.conditionAlarmsByDevice.get('bp-1') ?? [];
    expect(alarms.map((a) => [a.rule, a.message])).toEqual([['dry_run', 'Overcurrent'], ['manual', 'Manual']]);
    expect(alarms[0]).toMatchObject({ kind: 'state', states: ['overcurrent', 3], binary: false });
    expect(rules.thresholdCount).toBe(0);
    expect(rules.conditionAlarmCount).toBe(2);
    expect(boosterErrors([], { disableAlarms: ['nope'] })).toEqual([
      'devices[bp-1].disableAlarms[nope]: no threshold or alarm "nope" in profile booster-test-v1 or in the device\'s thresholds or alarms',
    ]);
  });

  it('exposes every alarm id with its settings in alarmDefinitions, communication loss included', () => {
    const rationale = { cause: 'c', consequence: 'q', action: 'a' };
    const rules = compileBooster([{ ...dryRun, latched: true, reAlarmMs: 600_000, workOrder: 'wo-pump-fault', rationale, suppressWhen: 'mode == "maintenance"' }]);
    expect(Object.fromEntries(rules.alarmDefinitions)).toEqual({
      'bp-1:pressure_high': { alarmId: 'bp-1:pressure_high', device: 'bp-1', rule: 'pressure_high', kind: 'threshold-high', priority: 'medium', message: 'Pressure high', point: 'bp-1.pressure', lifeSafety: false, latched: false },
      'bp-1:dry_run': {
        alarmId: 'bp-1:dry_run', device: 'bp-1', rule: 'dry_run', kind: 'state', priority: 'high', message: 'Pump fault', point: 'bp-1.fault_code',
        lifeSafety: false, latched: true, reAlarmMs: 600_000, rationale, workOrder: 'wo-pump-fault', suppressWhen: 'mode == "maintenance"',
      },
      'bp-1:comm_loss': { alarmId: 'bp-1:comm_loss', device: 'bp-1', rule: 'comm_loss', kind: 'comm-loss', priority: 'high', message: 'Communication lost with bp-1', lifeSafety: false, latched: false },
    });
    expect(rules.suppressionsByDevice.get('bp-1')?.map((s) => [s.alarmId, s.inputs])).toEqual([['bp-1:dry_run', ['bp-1.mode']]]);
  });
});

describe('facility-gw validate: rule errors located by file, line and path', () => {
  const yaml = (alarms: string): string => `site: {id: hq, name: HQ}
links:
  - {id: plant, type: modbus-tcp, host: 127.0.0.1}
devices:
  - id: bp-1
    type: pump
    profile: booster-test-v1
    link: plant
    unitId: 1
    alarms:
${alarms}
`;
  const errors = (alarms: string): string[] => {
    const profile = boosterProfile([]);
    try {
      parseConfig(yaml(alarms), { findProfile: (id) => (id === profile.id ? profile : undefined) });
    } catch (err) {
      if (err instanceof ConfigError) return err.message.split('\n');
      throw err;
    }
    return [];
  };

  it('reports expression, state and life-safety problems at their entries', () => {
    expect(
      errors(`      - {kind: expression, id: a, when: "pressure < 2 and runing", priority: high, message: m}
      - {kind: state, id: b, point: mode, states: [service], priority: low, message: m}
      - {kind: state, id: c, point: running, states: [true], lifeSafety: true, onDelayMs: 5000, priority: critical, message: m}`),
    ).toEqual([
      'site.yaml:11 devices[0].alarms[0].when: unknown point "runing" at column 18 of "pressure < 2 and runing"',
      'site.yaml:12 devices[0].alarms[1].states: device bp-1, alarm b: "service" is not a state of point "mode" in profile booster-test-v1 (known: auto (0), manual (1), maintenance (2))',
      'site.yaml:13 devices[0].alarms[2].onDelayMs: a life-safety alarm is never delayed: remove onDelayMs (or lifeSafety)',
    ]);
  });

  it('reports a wrong kind once, through the discriminator', () => {
    expect(errors('      - {kind: ratio, id: a, point: level, priority: high, message: m}')).toEqual([
      'site.yaml:11 devices[0].alarms[0].kind: unknown type "ratio"',
    ]);
  });

  it('accepts a sound config', () => {
    expect(errors('      - {kind: repeat, id: starts, when: running, count: 6, windowMs: 3600000, priority: medium, message: m, suppressWhen: mode == "maintenance"}')).toEqual([]);
  });
});
