import type { DeviceConfig } from '../config/schema.js';
import type { DeviceProfile } from '../profiles/types.js';

/** The sections of a device's config that define or disable rules. */
export type RuleSection = 'thresholds' | 'eventRules' | 'alarms' | 'disableThresholds' | 'disableAlarms';

/**
 * One problem the rule compiler found, located well enough for `facility-gw validate` to point at the line:
 * the device, the section and the rule id (or the disabled id), the field, and whether the definition came
 * from the profile rather than from the device's config.
 */
export interface RuleProblem {
  device: string;
  section?: RuleSection;
  /** Rule id (in a disable list: the id disabled). */
  ruleId?: string;
  /** The field at fault, e.g. `when`, `states`, `onDelayMs`. */
  field?: string;
  /** Id of the profile the definition came from; absent when it is the device's own. */
  fromProfile?: string;
  /** What is wrong, without the location. */
  message: string;
  /** The whole problem as one line: location and message. */
  text: string;
}

/** Collects problems for one device and section. */
export class ProblemList {
  readonly items: RuleProblem[] = [];

  /** A problem of the device as a whole (its profile, its communication settings). */
  device(device: DeviceConfig, message: string, field?: string): void {
    const path = field === undefined ? `devices[${device.id}]` : `devices[${device.id}].${field}`;
    this.items.push({ device: device.id, message, text: `${path}: ${message}`, ...(field === undefined ? {} : { field }) });
  }

  /** A problem of one rule: `devices[<id>].<section>[<rule>](.<field>) (from profile <p>): <message>`. */
  rule(device: DeviceConfig, section: RuleSection, ruleId: string, message: string, options: { field?: string; profile?: DeviceProfile } = {}): void {
    let path = `devices[${device.id}].${section}[${ruleId}]`;
    if (options.field !== undefined) path += `.${options.field}`;
    if (options.profile !== undefined) path += ` (from profile ${options.profile.id})`;
    this.items.push({
      device: device.id,
      section,
      ruleId,
      message,
      text: `${path}: ${message}`,
      ...(options.field === undefined ? {} : { field: options.field }),
      ...(options.profile === undefined ? {} : { fromProfile: options.profile.id }),
    });
  }

  /** A problem without a device (kept as text). */
  site(device: string, text: string): void {
    this.items.push({ device, message: text, text });
  }
}
