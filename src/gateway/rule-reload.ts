import type { DeviceConfig, SiteConfig } from '../config/schema.js';
import type { CompiledRuleSet } from '../rules/compile.js';

/**
 * What a rule reload changes. A reload applies only rules; everything else in the site file (links,
 * devices, sinks, the API, the store, notifications, templates) is read once at start, and a change there
 * is reported as needing a restart rather than half-applied.
 */

/** The device settings a reload may change: a device's own rules. */
const LIVE_DEVICE_FIELDS = ['thresholds', 'eventRules', 'alarms', 'disableThresholds', 'disableAlarms'] as const;

export interface RuleDiff {
  added: string[];
  removed: string[];
  changed: string[];
  unchanged: string[];
}

export interface RuleReloadReport {
  applied: boolean;
  /** When the reload was refused: every problem found; the running rules are untouched. */
  errors: string[];
  added: string[];
  removed: string[];
  changed: string[];
  unchanged: number;
  /** Settings that differ from the running ones but only take effect after a restart. */
  restartRequired: string[];
  at: number;
}

/** A stable text of each alarm's compiled rule and settings, by alarm id: equal text, same rule. */
export function ruleFingerprints(compiled: CompiledRuleSet): Map<string, string> {
  const parts = new Map<string, unknown[]>();
  const add = (alarmId: string, part: unknown) => {
    const list = parts.get(alarmId) ?? [];
    list.push(part);
    parts.set(alarmId, list);
  };
  for (const list of compiled.thresholdsByPoint.values()) for (const r of list) add(r.alarmId, r);
  for (const list of compiled.eventRulesByDevice.values()) for (const r of list) add(r.alarmId, r);
  for (const list of compiled.conditionAlarmsByDevice.values()) for (const r of list) add(r.alarmId, r);
  for (const list of compiled.suppressionsByDevice.values()) for (const r of list) add(r.alarmId, { suppressWhen: r.condition, inputs: r.inputs });
  for (const r of compiled.commLossByDevice.values()) add(r.alarmId, r);
  for (const d of compiled.alarmDefinitions.values()) add(d.alarmId, d);
  const out = new Map<string, string>();
  for (const [alarmId, list] of parts) out.set(alarmId, JSON.stringify(list, plain));
  return out;
}

/** Compiled expressions hold functions (dropped) and their source text (kept); maps and sets become arrays. */
function plain(_key: string, value: unknown): unknown {
  if (value instanceof Map) return [...value.entries()];
  if (value instanceof Set) return [...value.values()];
  return value;
}

export function diffRules(before: ReadonlyMap<string, string>, after: ReadonlyMap<string, string>): RuleDiff {
  const diff: RuleDiff = { added: [], removed: [], changed: [], unchanged: [] };
  for (const [id, text] of after) {
    const old = before.get(id);
    if (old === undefined) diff.added.push(id);
    else if (old === text) diff.unchanged.push(id);
    else diff.changed.push(id);
  }
  for (const id of before.keys()) if (!after.has(id)) diff.removed.push(id);
  for (const list of [diff.added, diff.removed, diff.changed, diff.unchanged]) list.sort();
  return diff;
}

/**
 * The running config with the rules of `next` applied: the device list and every other setting stay as
 * they run. Devices `next` adds or removes are restart changes (see `restartRequiredChanges`).
 */
export function withNextRules(current: SiteConfig, next: SiteConfig): SiteConfig {
  const nextById = new Map(next.devices.map((d) => [d.id, d]));
  return {
    ...current,
    devices: current.devices.map((device) => {
      const n = nextById.get(device.id);
      if (n === undefined) return device;
      const updated: DeviceConfig = { ...device };
      for (const field of LIVE_DEVICE_FIELDS) (updated as Record<string, unknown>)[field] = n[field];
      return updated;
    }),
  };
}

/** The paths of settings that differ between the running config and `next`, rules left out. */
export function restartRequiredChanges(current: SiteConfig, next: SiteConfig): string[] {
  const out: string[] = [];
  const keys = new Set([...Object.keys(current), ...Object.keys(next)]);
  for (const key of [...keys].sort()) {
    // Devices are compared below; the list of rule files only brings rules, which are compared as rules.
    if (key === 'devices' || key === 'ruleFiles') continue;
    if (!sameJson((current as Record<string, unknown>)[key], (next as Record<string, unknown>)[key])) out.push(key);
  }
  const currentById = new Map(current.devices.map((d) => [d.id, d]));
  const nextIds = new Set(next.devices.map((d) => d.id));
  for (const d of next.devices) {
    const c = currentById.get(d.id);
    if (c === undefined) {
      out.push(`devices[${d.id}] (added)`);
      continue;
    }
    if (!sameJson(withoutRules(c), withoutRules(d))) out.push(`devices[${d.id}]`);
  }
  for (const d of current.devices) if (!nextIds.has(d.id)) out.push(`devices[${d.id}] (removed)`);
  return out;
}

function withoutRules(device: DeviceConfig): Record<string, unknown> {
  const rest: Record<string, unknown> = { ...device };
  for (const field of LIVE_DEVICE_FIELDS) delete rest[field];
  return rest;
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}
