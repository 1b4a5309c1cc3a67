import type { DeviceProfile, ProfileProtocol } from '../profiles/types.js';
import type { DeviceConfig, LinkConfig, SiteConfig } from './schema.js';
import { checkNotifications } from './notifications-schema.js';
import { deviceRuleIssues } from '../rules/rule-issues.js';
import { checkWorkOrderTemplates } from './workorder-checks.js';
import { checkCmms } from './cmms-schema.js';
import { checkReports } from './reports-schema.js';
import { checkMaintenance } from '../maintenance/config-checks.js';

export interface SemanticIssue {
  segments: Array<string | number>;
  message: string;
}

type Report = (message: string, ...rest: Array<string | number>) => void;

const PROTOCOL_OF_LINK: Record<LinkConfig['type'], ProfileProtocol> = {
  'modbus-tcp': 'modbus',
  'modbus-rtu': 'modbus',
  mqtt: 'mqtt',
  bacnet: 'bacnet',
};

/**
 * Checks that a schema-valid config also makes sense as a whole: ids are unique, references resolve,
 * a device's profile speaks its link's protocol, unit ids do not collide on a link, topic placeholders are
 * filled, and rules name points and events that exist.
 */
export function checkSemantics(config: SiteConfig, findProfile: (id: string) => DeviceProfile | undefined): SemanticIssue[] {
  const issues: SemanticIssue[] = [];
  checkUniqueIds(config.links, 'links', issues);
  checkUniqueIds(config.devices, 'devices', issues);
  checkUniqueIds(config.sinks, 'sinks', issues);

  const links = new Map(config.links.map((l) => [l.id, l]));
  const devices = new Map(config.devices.map((d) => [d.id, d]));
  const unitsByLink = new Map<string, Map<number, string>>();
  const instancesByLink = new Map<string, Map<number, string>>();
  config.devices.forEach((device, i) => {
    const report: Report = (message, ...rest) => issues.push({ segments: ['devices', i, ...rest], message });
    const link = links.get(device.link);
    if (!link) report(`link "${device.link}" is not defined in links (known: ${[...links.keys()].join(', ') || 'none'})`, 'link');
    if (device.parent !== undefined) checkParent(device, devices, report);
    const profile = findProfile(device.profile);
    checkFirePanelWrites(device, profile, report);
    if (!profile) {
      report(`unknown profile "${device.profile}"`, 'profile');
      return;
    }
    if (profile.equipment !== device.type) {
      report(`profile "${profile.id}" is for equipment type "${profile.equipment}", not "${device.type}"`, 'type');
    }
    if (link) checkProtocol(device, profile, link, unitsByLink, report, instancesByLink);
    if (profile.protocol === 'mqtt') checkTopicVars(device, profile, report);
    checkRules(device, profile, report);
    for (const issue of deviceRuleIssues(device, i, profile, issues)) report(issue.message, ...issue.segments.slice(2));
  });

  const northboundLink = config.northbound?.link;
  if (northboundLink !== undefined && links.get(northboundLink)?.type !== 'mqtt') {
    issues.push({ segments: ['northbound', 'link'], message: `"${northboundLink}" is not an MQTT link` });
  }
  issues.push(...checkNotifications(config.notifications, config.site.timezone));
  issues.push(...checkWorkOrderTemplates(config, findProfile));
  issues.push(...checkCmms(config.cmms));
  issues.push(...checkReports(config.reports, config.notifications));
  issues.push(...checkMaintenance(config, findProfile));
  return issues;
}

function checkParent(device: DeviceConfig, devices: ReadonlyMap<string, DeviceConfig>, report: Report): void {
  const parent = device.parent === undefined ? undefined : devices.get(device.parent);
  if (!parent) report(`parent device "${device.parent}" is not defined`, 'parent');
  else if (parent.id === device.id) report('a device cannot be its own parent', 'parent');
  else if (parent.parent !== undefined) report(`parent "${parent.id}" has a parent itself; one level only`, 'parent');
  else if (parent.link !== device.link) report(`parent "${parent.id}" is on link "${parent.link}", not "${device.link}"`, 'parent');
  else if (device.enabled && !parent.enabled) report(`parent "${parent.id}" is disabled: nothing would watch this device's reachability`, 'parent');
}

function checkProtocol(
  device: DeviceConfig,
  profile: DeviceProfile,
  link: LinkConfig,
  unitsByLink: Map<string, Map<number, string>>,
  report: Report,
  instancesByLink: Map<string, Map<number, string>> = new Map(),
): void {
  const linkProtocol = PROTOCOL_OF_LINK[link.type];
  if (profile.protocol !== linkProtocol) {
    report(`profile "${profile.id}" speaks ${profile.protocol}, but link "${link.id}" is ${link.type}`, 'profile');
    return;
  }
  if (linkProtocol !== 'bacnet') checkNoBacnetFields(device, report);
  if (linkProtocol === 'bacnet') {
    checkBacnetDevice(device, link, instancesByLink, report);
    if (device.unitId !== undefined) report(`only devices on Modbus links take a unit id`, 'unitId');
    return;
  }
  if (linkProtocol !== 'modbus') {
    if (device.unitId !== undefined) report(`only devices on Modbus links take a unit id`, 'unitId');
    return;
  }
  if (device.unitId === undefined) {
    report('is required on a Modbus link', 'unitId');
    return;
  }
  if (!device.enabled) return;
  const units = unitsByLink.get(link.id) ?? new Map<number, string>();
  unitsByLink.set(link.id, units);
  const other = units.get(device.unitId);
  if (other) report(`unit id ${device.unitId} is already used by device "${other}" on link "${link.id}"`, 'unitId');
  else units.set(device.unitId, device.id);
}

/** BACnet devices need an address and a device instance; one instance appears once per link. */
function checkBacnetDevice(device: DeviceConfig, link: LinkConfig, instancesByLink: Map<string, Map<number, string>>, report: Report): void {
  if (device.address === undefined) report('is required on a BACnet link (ip or ip:port)', 'address');
  if (device.deviceInstance === undefined) {
    report('is required on a BACnet link', 'deviceInstance');
    return;
  }
  if (!device.enabled) return;
  const instances = instancesByLink.get(link.id) ?? new Map<number, string>();
  instancesByLink.set(link.id, instances);
  const other = instances.get(device.deviceInstance);
  if (other) report(`device instance ${device.deviceInstance} is already used by device "${other}" on link "${link.id}"`, 'deviceInstance');
  else instances.set(device.deviceInstance, device.id);
}

function checkNoBacnetFields(device: DeviceConfig, report: Report): void {
  if (device.address !== undefined) report('only devices on BACnet links take an address', 'address');
  if (device.deviceInstance !== undefined) report('only devices on BACnet links take a device instance', 'deviceInstance');
  if (device.maxApdu !== undefined) report('only devices on BACnet links take maxApdu', 'maxApdu');
}

/**
 * The gateway never writes to a fire panel: a site may not mark any of its points writable, and a
 * fire-panel profile may not carry a writable point.
 */
function checkFirePanelWrites(device: DeviceConfig, profile: DeviceProfile | undefined, report: Report): void {
  const firePanel = device.type === 'fire-panel' || profile?.equipment === 'fire-panel';
  if (!firePanel) return;
  const why = device.type === 'fire-panel' ? 'device type is fire-panel' : `profile "${profile?.id ?? ''}" is a fire panel`;
  device.writable?.forEach((name, j) => report(`point "${name}" cannot be writable: the gateway never writes to a fire panel (${why})`, 'writable', j));
  profile?.points.forEach((p) => {
    if (p.writable === true) report(`profile "${profile.id}" marks point "${p.name}" writable: the gateway never writes to a fire panel`, 'profile');
  });
}

const PLACEHOLDER = /\{([a-z][a-z0-9_]*)\}/g;

function checkTopicVars(device: DeviceConfig, profile: DeviceProfile & { protocol: 'mqtt' }, report: Report): void {
  const topics = [
    ...profile.points.map((p) => p.topic),
    ...profile.events.map((e) => e.topic),
    profile.availability?.statusTopic,
    profile.availability?.heartbeatTopic,
  ];
  const missing = new Set<string>();
  for (const topic of topics) {
    for (const [, name] of topic?.matchAll(PLACEHOLDER) ?? []) {
      if (name !== undefined && name !== 'device' && device.topicVars[name] === undefined) missing.add(name);
    }
  }
  for (const name of missing) report(`profile ${profile.id} needs topicVars.${name}`, 'topicVars');
}

function checkRules(device: DeviceConfig, profile: DeviceProfile, report: Report): void {
  const pointNames = new Set<string>(profile.points.map((p) => p.name));
  device.thresholds.forEach((t, j) => {
    if (!pointNames.has(t.point)) report(`point "${t.point}" is not in profile ${profile.id}`, 'thresholds', j, 'point');
    if ((t.high === undefined) === (t.low === undefined)) report('a threshold needs exactly one of high or low', 'thresholds', j);
  });
  const eventNames = new Set(profile.protocol === 'mqtt' ? profile.events.map((e) => e.name) : []);
  device.eventRules.forEach((r, j) => {
    if (!eventNames.has(r.event)) report(`event "${r.event}" is not in profile ${profile.id}`, 'eventRules', j, 'event');
  });
  const profileRules = [...profile.thresholds, ...(profile.protocol === 'mqtt' ? profile.eventRules : [])];
  const ruleIds = new Set([...profileRules, ...(profile.alarms ?? []), ...device.thresholds, ...device.eventRules, ...(device.alarms ?? [])].map((t) => t.id));
  device.disableThresholds.forEach((id, j) => {
    if (!ruleIds.has(id)) report(`neither profile ${profile.id} nor this device has a rule "${id}"`, 'disableThresholds', j);
  });
}

function checkUniqueIds(items: ReadonlyArray<{ id: string }>, section: string, issues: SemanticIssue[]): void {
  const seen = new Map<string, number>();
  items.forEach((item, i) => {
    const first = seen.get(item.id);
    if (first !== undefined) issues.push({ segments: [section, i, 'id'], message: `duplicate id "${item.id}" (also ${section}[${first}])` });
    else seen.set(item.id, i);
  });
}
