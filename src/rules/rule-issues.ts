import type { DeviceConfig } from '../config/schema.js';
import type { DeviceProfile } from '../profiles/types.js';
import { checkDeviceRules } from './compile.js';
import type { RuleProblem } from './rule-problem.js';

/** A problem located by path segments in the site config (the shape of the config loader's issues). */
export interface RuleIssue {
  segments: Array<string | number>;
  message: string;
}

/**
 * The rule compiler's problems for one device (`devices[deviceIndex]`), located for `facility-gw validate`:
 * a definition of the device's own config points at its entry (`devices[2].alarms[0].when`), one from the
 * profile at the device's `profile` line (the message names the profile's definition). Problems at an entry
 * that `already` holds an issue for are left out, so that a mistake the loader's own checks found is not
 * reported twice in other words.
 */
export function deviceRuleIssues(
  device: DeviceConfig,
  deviceIndex: number,
  profile: DeviceProfile,
  already: ReadonlyArray<{ segments: ReadonlyArray<string | number> }>,
): RuleIssue[] {
  const out: RuleIssue[] = [];
  for (const problem of checkDeviceRules(device, profile)) {
    const issue = locate(problem, device, deviceIndex);
    const entry = issue.segments.slice(0, 4);
    if (already.some((a) => entry.length === 4 && entry.every((s, k) => a.segments[k] === s))) continue;
    out.push(issue);
  }
  return out;
}

function locate(problem: RuleProblem, device: DeviceConfig, deviceIndex: number): RuleIssue {
  const base: Array<string | number> = ['devices', deviceIndex];
  if (problem.fromProfile !== undefined) return { segments: [...base, 'profile'], message: problem.text };
  const field = problem.field === undefined ? [] : problem.field.split('.');
  const { section, ruleId } = problem;
  if (section === undefined || ruleId === undefined) return { segments: [...base, ...field], message: problem.message };
  let index = -1;
  switch (section) {
    case 'thresholds':
    case 'eventRules':
    case 'alarms': {
      const list: ReadonlyArray<{ id: string }> = device[section] ?? [];
      // "defined twice" is about the second definition.
      index = list.map((d) => d.id).lastIndexOf(ruleId);
      break;
    }
    case 'disableThresholds':
    case 'disableAlarms':
      index = (device[section] ?? []).indexOf(ruleId);
      break;
  }
  if (index < 0) return { segments: [...base, section], message: problem.text };
  return { segments: [...base, section, index, ...field], message: problem.message };
}
