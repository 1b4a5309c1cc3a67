import type { LinkConfig, MqttLinkConfig } from '../config/schema.js';
import { isBacnetEntry, isModbusEntry, isMqttEntry, type DeviceEntry } from '../gateway/device-catalog.js';
import { BacnetDriver } from './bacnet/bacnet-driver.js';
import type { Driver, DriverContext } from './driver.js';
import { ModbusDriver } from './modbus/modbus-driver.js';
import { MqttDriver } from './mqtt/mqtt-driver.js';

export interface CreateDriversOptions {
  siteId: string;
  links: readonly LinkConfig[];
  /** Enabled devices with their profiles. */
  devices: readonly DeviceEntry[];
  context: DriverContext;
  /** The broker an MQTT link talks to: its own URL or the embedded broker's. */
  brokerUrlFor: (link: MqttLinkConfig) => string;
}

/** One driver per link that has at least one device. */
export function createDrivers(options: CreateDriversOptions): Driver[] {
  const { siteId, links, devices, context } = options;
  const drivers: Driver[] = [];
  for (const link of links) {
    const onLink = devices.filter((d) => d.config.link === link.id);
    if (onLink.length === 0) continue;
    switch (link.type) {
      case 'modbus-tcp':
      case 'modbus-rtu':
        drivers.push(new ModbusDriver({ link, devices: onLink.filter(isModbusEntry), context }));
        break;
      case 'mqtt':
        drivers.push(new MqttDriver({ link, brokerUrl: options.brokerUrlFor(link), siteId, devices: onLink.filter(isMqttEntry), context }));
        break;
      case 'bacnet':
        drivers.push(new BacnetDriver({ link, siteId, devices: onLink.filter(isBacnetEntry), context }));
        break;
    }
  }
  return drivers;
}
