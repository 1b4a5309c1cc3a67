import type { AckLinks } from '../alarms/ack-links.js';
import type { AlarmService } from '../alarms/alarm-service.js';
import { episodeKey } from '../alarms/episode.js';
import { AlarmNotifier, createChannels, NotifyStore, type AlarmInfo } from '../alarms/notify/index.js';
import { withDefaults } from '../config/alarm-management-schema.js';
import { NotificationsSchema, type NotificationsConfig } from '../config/notifications-schema.js';
import type { Logger } from '../log.js';
import type { CompiledAlarmDefinition } from '../rules/alarm-definition.js';
import type { Clock } from '../time/clock.js';
import type { DeviceEntry } from './device-catalog.js';

export interface AlarmNotificationsOptions {
  config: NotificationsConfig;
  site: { id: string; timezone: string };
  alarms: AlarmService;
  definitions: ReadonlyMap<string, CompiledAlarmDefinition>;
  devices: readonly DeviceEntry[];
  ackLinks: AckLinks | undefined;
  clock: Clock;
  logger: Logger;
}

/**
 * Builds the notifier of a site: its channels, its tables in the gateway's store, and what it needs to know
 * about each alarm (device type for routing, rationale for the push, the episode key acknowledge links are
 * bound to). It hears every transition after the store committed it.
 */
export function createAlarmNotifier(options: AlarmNotificationsOptions): AlarmNotifier {
  const { alarms, definitions, site, clock } = options;
  const devices = new Map(options.devices.map(({ config }) => [config.id, config]));
  const alarmInfo = (alarmId: string): AlarmInfo | undefined => {
    const def = definitions.get(alarmId);
    const snapshot = alarms.get(alarmId);
    const deviceId = def?.device ?? snapshot?.device;
    const device = deviceId === undefined ? undefined : devices.get(deviceId);
    if (device === undefined) return undefined;
    const priority = snapshot?.priority ?? def?.priority;
    if (priority === undefined) return undefined;
    return {
      alarmId,
      site: snapshot?.site ?? site.id,
      device: device.id,
      deviceType: device.type,
      ...(device.name !== undefined ? { deviceName: device.name } : {}),
      ...(device.location !== undefined ? { location: device.location } : {}),
      priority,
      message: snapshot?.message ?? def?.message ?? alarmId,
      lifeSafety: snapshot?.lifeSafety ?? def?.lifeSafety ?? false,
      ...(def?.rationale !== undefined ? { rationale: def.rationale } : {}),
      ...(def?.point !== undefined ? { point: def.point } : {}),
    };
  };
  const links = options.ackLinks;
  return new AlarmNotifier({
    clock,
    logger: options.logger,
    config: withDefaults(NotificationsSchema, options.config),
    timeZone: site.timezone,
    store: new NotifyStore(alarms.store.database),
    channels: createChannels(options.config, { clock }),
    alarmInfo,
    ...(links !== undefined ? { ackLinkFor: (alarmId: string, key: string, recipient: { id: string; name: string }) => links.linkFor(alarmId, key, recipient) } : {}),
    episodeKeyOf: (alarmId) => {
      const snapshot = alarms.get(alarmId);
      return snapshot === undefined ? undefined : episodeKey(snapshot);
    },
    alarmState: (alarmId) => alarms.get(alarmId)?.state,
    activeAlarms: () => alarms.list({ state: 'unack-active', annunciated: true }),
    onFlood: (event) => options.logger.warn({ flood: event }, `alarm flood ${event.flooding ? 'started' : 'ended'} at site ${event.site}`),
  });
}
