import type { DeviceConfig, SiteConfig } from '../config/schema.js';
import { pointId } from '../points/sample.js';
import type { PointTable } from '../points/point-table.js';
import type { BacnetProfile, DeviceProfile, ModbusProfile, MqttProfile } from '../profiles/types.js';

/** A configured device with its profile resolved. */
export interface DeviceEntry {
  config: DeviceConfig;
  profile: DeviceProfile;
}

export type ModbusDeviceEntry = DeviceEntry & { profile: ModbusProfile };
export type MqttDeviceEntry = DeviceEntry & { profile: MqttProfile };

export function isModbusEntry(entry: DeviceEntry): entry is ModbusDeviceEntry {
  return entry.profile.protocol === 'modbus';
}

export function isMqttEntry(entry: DeviceEntry): entry is MqttDeviceEntry {
  return entry.profile.protocol === 'mqtt';
}

export type BacnetDeviceEntry = DeviceEntry & { profile: BacnetProfile };

export function isBacnetEntry(entry: DeviceEntry): entry is BacnetDeviceEntry {
  return entry.profile.protocol === 'bacnet';
}

/** Resolves every device's profile. The config loader has already checked that each one exists. */
export function resolveDevices(config: SiteConfig, findProfile: (id: string) => DeviceProfile | undefined): DeviceEntry[] {
  return config.devices.map((device) => {
    const profile = findProfile(device.profile);
    if (!profile) throw new Error(`device ${device.id}: unknown profile ${device.profile}`);
    return { config: device, profile };
  });
}

/** Declares every point of every device in the point table, so the API lists points before their first read. */
export function definePoints(table: PointTable, devices: readonly DeviceEntry[]): void {
  for (const { config, profile } of devices) {
    for (const p of profile.points) {
      table.define({
        id: pointId(config.id, p.name),
        device: config.id,
        name: p.name,
        kind: p.kind,
        unit: p.unit,
        description: p.description,
        states: p.states,
      });
    }
  }
}
