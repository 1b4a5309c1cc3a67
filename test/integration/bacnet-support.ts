import type { BacnetLinkConfig } from '../../src/config/bacnet-schema.js';
import type { DeviceConfig } from '../../src/config/schema.js';
import type { BacnetDeviceEntry } from '../../src/drivers/bacnet/bacnet-driver.js';
import type { BacnetProfile } from '../../src/profiles/types.js';
import type { SimBacnetObject } from '../../simulator/bacnet/device-server.js';

/**
 * Shared by the BACnet integration tests: a small panel-like profile, the simulator objects behind it,
 * and link/device configs with test timings. Every test file picks its own loopback addresses.
 */

/** BACnet engineering units used below. */
export const UNITS_DEGREES_CELSIUS = 62;

export const TEST_PROFILE: BacnetProfile = {
  id: 'test-bacnet-panel',
  protocol: 'bacnet',
  equipment: 'fire-panel',
  description: 'Test device: one object of each kind the driver reads',
  thresholds: [],
  points: [
    { name: 'room_temperature', description: 'Room temperature', kind: 'analog', unit: 'degC', object: { type: 'analog-input', instance: 1 } },
    { name: 'supply_ok', description: 'Mains supply present', kind: 'binary', object: { type: 'binary-input', instance: 2 } },
    { name: 'panel_mode', description: 'Panel mode', kind: 'enum', states: { 1: 'normal', 2: 'test', 3: 'maintenance' }, object: { type: 'multi-state-value', instance: 3 } },
    { name: 'zone_1_state', description: 'Detector zone 1 state', kind: 'enum', object: { type: 'life-safety-zone', instance: 4 } },
    { name: 'zone_1_mode', description: 'Detector zone 1 mode', kind: 'enum', object: { type: 'life-safety-zone', instance: 4 }, property: 'mode' },
    { name: 'detector_5_state', description: 'Detector 5 state', kind: 'enum', object: { type: 'life-safety-point', instance: 5 }, cov: false },
  ],
};

export function testObjects(): SimBacnetObject[] {
  return [
    { type: 'analog-input', instance: 1, name: 'Room Temperature', units: UNITS_DEGREES_CELSIUS, presentValue: 21.5 },
    { type: 'binary-input', instance: 2, name: 'Supply OK', presentValue: true },
    { type: 'multi-state-value', instance: 3, name: 'Panel Mode', stateText: ['Normal', 'Test', 'Maintenance'], presentValue: 1 },
    { type: 'life-safety-zone', instance: 4, name: 'Zone 1', presentValue: 0, mode: 1, trackingValue: 0, notificationClass: 1 },
    { type: 'life-safety-point', instance: 5, name: 'Detector 5', presentValue: 0, mode: 1, trackingValue: 0, notificationClass: 1 },
  ];
}

export function bacnetLink(id: string, port: number, overrides: Partial<BacnetLinkConfig> = {}): BacnetLinkConfig {
  return {
    id,
    type: 'bacnet',
    interface: '127.0.0.1',
    port,
    broadcastAddress: '127.255.255.255',
    apduTimeoutMs: 300,
    retries: 1,
    backoffInitialMs: 300,
    backoffMaxMs: 1200,
    covLifetimeS: 60,
    covConfirmed: false,
    covInitialNotificationMs: 500,
    covVerifyIntervalMs: 60_000,
    covRetryMs: 600_000,
    ...overrides,
  };
}

export function bacnetDevice(id: string, link: string, address: string, deviceInstance: number, overrides: Partial<DeviceConfig> = {}): DeviceConfig {
  return {
    id,
    type: 'fire-panel',
    profile: TEST_PROFILE.id,
    link,
    address,
    deviceInstance,
    topicVars: {},
    pollIntervalMs: 150,
    staleAfterPolls: 3,
    commLossDelayMs: 0,
    enabled: true,
    thresholds: [],
    disableThresholds: [],
    eventRules: [],
    ...overrides,
  };
}

export function entry(config: DeviceConfig, profile: BacnetProfile = TEST_PROFILE): BacnetDeviceEntry {
  return { config, profile };
}
