import type { DeviceProfile } from '../profiles/types.js';
import type { SiteConfig } from './schema.js';

export interface SemanticIssue {
  segments: Array<string | number>;
  message: string;
}

/**
 * Checks that a schema-valid config also makes sense as a whole: ids are unique, references resolve,
 * unit ids do not collide on a link, and thresholds name points that exist.
 */
export function checkSemantics(config: SiteConfig, findProfile: (id: string) => DeviceProfile | undefined): SemanticIssue[] {
  const issues: SemanticIssue[] = [];
  checkUniqueIds(config.links, 'links', issues);
  checkUniqueIds(config.devices, 'devices', issues);
  checkUniqueIds(config.sinks, 'sinks', issues);

  const linkIds = new Set(config.links.map((l) => l.id));
  const unitsByLink = new Map<string, Map<number, string>>();
  config.devices.forEach((device, i) => {
    const at = (...rest: Array<string | number>) => ['devices', i, ...rest];
    if (!linkIds.has(device.link)) {
      issues.push({ segments: at('link'), message: `link "${device.link}" is not defined in links (known: ${[...linkIds].join(', ') || 'none'})` });
    } else if (device.enabled) {
      const units = unitsByLink.get(device.link) ?? new Map<number, string>();
      unitsByLink.set(device.link, units);
      const other = units.get(device.unitId);
      if (other) issues.push({ segments: at('unitId'), message: `unit id ${device.unitId} is already used by device "${other}" on link "${device.link}"` });
      else units.set(device.unitId, device.id);
    }
    const profile = findProfile(device.profile);
    if (!profile) {
      issues.push({ segments: at('profile'), message: `unknown profile "${device.profile}"` });
      return;
    }
    if (profile.equipment !== device.type) {
      issues.push({ segments: at('type'), message: `profile "${profile.id}" is for equipment type "${profile.equipment}", not "${device.type}"` });
    }
    const pointNames = new Set(profile.points.map((p) => p.name));
    const thresholdIds = new Set([...profile.thresholds, ...device.thresholds].map((t) => t.id));
    device.thresholds.forEach((t, j) => {
      if (!pointNames.has(t.point)) {
        issues.push({ segments: at('thresholds', j, 'point'), message: `point "${t.point}" is not in profile ${profile.id}` });
      }
      if ((t.high === undefined) === (t.low === undefined)) {
        issues.push({ segments: at('thresholds', j), message: 'a threshold needs exactly one of high or low' });
      }
    });
    device.disableThresholds.forEach((id, j) => {
      if (!thresholdIds.has(id)) {
        issues.push({ segments: at('disableThresholds', j), message: `neither profile ${profile.id} nor this device has a threshold "${id}"` });
      }
    });
  });
  return issues;
}

function checkUniqueIds(items: ReadonlyArray<{ id: string }>, section: string, issues: SemanticIssue[]): void {
  const seen = new Map<string, number>();
  items.forEach((item, i) => {
    const first = seen.get(item.id);
    if (first !== undefined) issues.push({ segments: [section, i, 'id'], message: `duplicate id "${item.id}" (also ${section}[${first}])` });
    else seen.set(item.id, i);
  });
}
