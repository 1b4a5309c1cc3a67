import type { LinkConfig } from '../config/schema.js';
import { isModbusEntry, type DeviceEntry } from '../gateway/device-catalog.js';
import type { Driver, DriverContext } from './driver.js';
import { ModbusDriver } from './modbus/modbus-driver.js';

/** One driver per link that has at least one device. */
export function createDrivers(links: readonly LinkConfig[], devices: readonly DeviceEntry[], context: DriverContext): Driver[] {
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
        throw new Error('MQTT links are not wired yet');
    }
  }
  return drivers;
}
