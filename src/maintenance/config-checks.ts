import type { SiteConfig } from '../config/schema.js';
import type { SemanticIssue } from '../config/semantic-checks.js';
import type { DeviceProfile } from '../profiles/types.js';
import { compileSchedules, type MaintenanceDevice } from './schedules.js';

/**
 * The `maintenance` section's semantic checks for `validate` and start-up: every problem compileSchedules
 * finds (a cron that does not parse, a bad anchor, unknown devices, points or built-in ids), located by path.
 */
export function checkMaintenance(config: SiteConfig, findProfile: (id: string) => DeviceProfile | undefined): SemanticIssue[] {
  if (config.maintenance === undefined) return [];
  return compileSchedules(config.maintenance, config.site.timezone, maintenanceDevices(config, findProfile)).issues;
}

/** The enabled devices of a site with their profile's points, as MaintenanceService takes them. */
export function maintenanceDevices(config: SiteConfig, findProfile: (id: string) => DeviceProfile | undefined): MaintenanceDevice[] {
  const out: MaintenanceDevice[] = [];
  for (const d of config.devices) {
    if (!d.enabled) continue;
    const profile = findProfile(d.profile);
    out.push({ id: d.id, type: d.type, name: d.name, location: d.location, points: profile?.points ?? [] });
  }
  return out;
}
