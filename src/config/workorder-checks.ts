import type { DeviceProfile } from '../profiles/types.js';
import type { SiteConfig } from './schema.js';
import type { SemanticIssue } from './semantic-checks.js';

interface NamesTemplate {
  id: string;
  workOrder?: string | undefined;
}

/** Every `workOrder` an alarm names (in a profile or in a device's own rules) must be a configured template. */
export function checkWorkOrderTemplates(config: SiteConfig, findProfile: (id: string) => DeviceProfile | undefined): SemanticIssue[] {
  const issues: SemanticIssue[] = [];
  const templates = config.workOrders?.templates ?? [];
  const known = new Set<string>();
  templates.forEach((t, i) => {
    if (known.has(t.id)) issues.push({ segments: ['workOrders', 'templates', i, 'id'], message: `template id "${t.id}" is used twice` });
    known.add(t.id);
  });
  const unknown = (name: string) => `work-order template "${name}" is not defined in workOrders.templates (known: ${[...known].join(', ') || 'none'})`;

  config.devices.forEach((device, i) => {
    const sections: Array<[string, readonly NamesTemplate[] | undefined]> = [
      ['thresholds', device.thresholds],
      ['eventRules', device.eventRules],
      ['alarms', (device as { alarms?: readonly NamesTemplate[] }).alarms],
    ];
    const overridden = new Set<string>();
    for (const [section, defs] of sections) {
      (defs ?? []).forEach((def, j) => {
        overridden.add(def.id);
        if (def.workOrder !== undefined && !known.has(def.workOrder)) issues.push({ segments: ['devices', i, section, j, 'workOrder'], message: unknown(def.workOrder) });
      });
    }
    const profile = findProfile(device.profile);
    if (profile === undefined) return;
    const fromProfile: NamesTemplate[] = [...profile.thresholds, ...(profile.protocol === 'mqtt' ? profile.eventRules : []), ...(profile.alarms ?? [])];
    for (const def of fromProfile) {
      if (overridden.has(def.id) || def.workOrder === undefined || known.has(def.workOrder)) continue;
      issues.push({ segments: ['devices', i, 'profile'], message: `profile ${profile.id} alarm "${def.id}": ${unknown(def.workOrder)}` });
    }
  });
  return issues;
}
