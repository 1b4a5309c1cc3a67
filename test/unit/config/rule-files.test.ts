import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkRuleFiles } from '../../../src/cli/rules-check.js';
import { ConfigError, formatIssue, type ConfigIssue } from '../../../src/config/config-error.js';
import { loadConfigFile } from '../../../src/config/loader.js';

const SITE = (ruleFiles: string[], deviceThresholds = '[]') => `
site: { id: tower, name: Tower }
links:
  - { id: plant, type: modbus-tcp, host: 127.0.0.1, port: 1502 }
devices:
  - id: pump-1
    type: pump
    profile: pump-vfd-v1
    link: plant
    unitId: 1
    thresholds: ${deviceThresholds}
  - { id: pump-2, type: pump, profile: pump-vfd-v1, link: plant, unitId: 2 }
  - { id: lift-1, type: elevator, profile: elevator-modbus-v1, link: plant, unitId: 3 }
ruleFiles: ${JSON.stringify(ruleFiles)}
`;

describe('rule files', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'rule-files-'));
    mkdirSync(join(dir, 'rules'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, text: string) => writeFileSync(join(dir, name), text);

  it('applies profile, then the rule files in order, then the device’s own rules; disable lists add up', () => {
    write('rules/10-pumps.yaml', `
rules:
  - for: { type: pump }
    thresholds:
      - { id: flow_high, point: flow, high: 400, priority: medium, message: Flow high }
      - { id: motor_temperature_high, point: motor_temperature, high: 100, priority: high, message: Hotter limit }
    disable: [vibration_high]
`);
    write('rules/20-site.yaml', `
rules:
  - for: { devices: [pump-2] }
    thresholds:
      - { id: flow_high, point: flow, high: 300, priority: high, message: Pump 2 flow high }
`);
    write('site.yaml', SITE(['rules'], '[{ id: flow_high, point: flow, high: 450, priority: low, message: Mine }]'));
    const config = loadConfigFile(join(dir, 'site.yaml'));
    const [p1, p2, lift] = config.devices;
    expect(p1?.thresholds.map((t) => [t.id, t.high])).toEqual([['motor_temperature_high', 100], ['flow_high', 450]]);
    expect(p2?.thresholds.map((t) => [t.id, t.high])).toEqual([['flow_high', 300], ['motor_temperature_high', 100]]);
    expect(lift?.thresholds).toEqual([]);
    expect(p1?.disableAlarms).toEqual(['vibration_high']);
    expect(lift?.disableAlarms ?? []).toEqual([]);
  });

  it('reports a problem of a rule-file rule at the rule file’s line, and schema errors there too', () => {
    write('rules/pumps.yaml', `rules:
  - for: { type: pump }
    thresholds:
      - { id: flow_high, point: flow, high: 400, priority: medium, message: ok }
      - { id: typo, point: flwo, high: 1, priority: medium, message: typo }
    alarms:
      - { kind: expression, id: dry, when: "discharge_pressure < 2 and", priority: high, message: Dry run }
  - for: { type: pump }
    thresholds:
      - { id: prio, point: flow, high: 1, priority: urgent, message: x }
`);
    write('site.yaml', SITE(['rules/pumps.yaml']));
    let issues: ConfigIssue[] = [];
    try {
      loadConfigFile(join(dir, 'site.yaml'));
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      issues = err.issues;
    }
    // Schema errors stop there: the priority first.
    expect(issues.map(formatIssue)).toEqual([expect.stringMatching(/^rules\/pumps\.yaml:10 rules\[1\]\.thresholds\[0\]\.priority: must be/) as unknown]);
    write('rules/pumps.yaml', `rules:
  - for: { type: pump }
    thresholds:
      - { id: typo, point: flwo, high: 1, priority: medium, message: typo }
    alarms:
      - { kind: expression, id: dry, when: "discharge_pressure < 2 and", priority: high, message: Dry run }
`);
    try {
      loadConfigFile(join(dir, 'site.yaml'));
      expect.unreachable();
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      const text = err.issues.map(formatIssue);
      expect(text).toContain('rules/pumps.yaml:4 rules[0].thresholds[0].point: point "flwo" is not in profile pump-vfd-v1');
      expect(text.some((t) => /^rules\/pumps\.yaml:6 rules\[0\]\.alarms\[0\]\.when: .*column/.test(t))).toBe(true);
    }
  });

  it('warns of rules that can never raise or never clear, located in their files', () => {
    write('rules/pumps.yaml', `rules:
  - for: { type: pump }
    thresholds:
      - { id: never, point: discharge_pressure, high: 30, priority: low, message: x }
      - { id: stuck, point: motor_temperature, high: 90, deadband: 500, priority: low, message: y }
`);
    write('site.yaml', SITE(['rules/pumps.yaml']));
    const warnings: ConfigIssue[] = [];
    loadConfigFile(join(dir, 'site.yaml'), { onWarning: (w) => warnings.push(w) });
    const text = warnings.map(formatIssue);
    expect(text).toContain('rules/pumps.yaml:4 rules[0].thresholds[0]: threshold "never" can never raise: it raises above 30, and discharge_pressure never goes above 25');
    expect(text.filter((t) => t.includes('"stuck" can never clear'))).toHaveLength(2);
  });

  it('adds maintenance schedules from rule files, and reports a bad one at its line', () => {
    write('rules/maintenance.yaml', `rules: []
maintenance:
  schedules:
    - { id: pump-service, kind: meter, meter: { point: run_hours, every: 2000 }, assets: { equipment: [pump] }, title: "{deviceName}: 2,000-hour service" }
`);
    write('site.yaml', SITE(['rules']));
    const config = loadConfigFile(join(dir, 'site.yaml'));
    expect(config.maintenance?.schedules.map((m) => m.id)).toEqual(['pump-service']);
    write('rules/maintenance.yaml', `rules: []
maintenance:
  schedules:
    - { id: sump-check, kind: calendar, cron: "0 61 * * *", assets: { devices: [pump-2] }, title: Sump check }
`);
    try {
      loadConfigFile(join(dir, 'site.yaml'));
      expect.unreachable();
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      expect(err.issues.map(formatIssue)).toEqual([expect.stringMatching(/^rules\/maintenance\.yaml:4 maintenance\.schedules\[0\]\.cron: does not parse: .*hour 61/) as unknown]);
    }
  });

  it('`rules check` works on rule files alone (against the built-in profiles) and against a site', () => {
    write('rules/lifts.yaml', `rules:
  - for: { type: elevator }
    thresholds:
      - { id: bad, point: nope, high: 1, priority: low, message: y }
  - for: { devices: [lift-1] }
    alarms:
      - { kind: state, id: all_states, point: passenger_trapped, states: [true, false], priority: low, message: z }
`);
    const alone = checkRuleFiles([join(dir, 'rules/lifts.yaml')]);
    expect(alone.errors.map((e) => e.message)).toEqual([
      'with profile elevator-modbus-v1: point "nope" is not in profile elevator-modbus-v1',
      'with profile elevator-bacnet-gw-v1: point "nope" is not in profile elevator-bacnet-gw-v1',
    ]);
    write('site.yaml', SITE([]));
    const withSite = checkRuleFiles([join(dir, 'rules/lifts.yaml')], { config: join(dir, 'site.yaml') });
    expect(withSite.errors.map((e) => e.line)).toEqual([4]);
    write('rules/lifts.yaml', `rules:
  - for: { devices: [lift-1] }
    alarms:
      - { kind: state, id: all_states, point: passenger_trapped, states: [true, false], priority: low, message: z }
`);
    const ok = checkRuleFiles([join(dir, 'rules/lifts.yaml')], { config: join(dir, 'site.yaml') });
    expect(ok.errors).toEqual([]);
    expect(ok.warnings.map((w) => w.message)).toEqual(['alarm "all_states" can never clear: it lists every state of passenger_trapped (true, false)']);
  });
});
