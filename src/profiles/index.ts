import { accessControllerProfile, doorProfile } from './access-control.js';
import { elevatorBacnetProfile } from './elevator-bacnet.js';
import { elevatorProfile } from './elevator.js';
import { firePanelProfile } from './fire-panel.js';
import { pumpProfile } from './pump.js';
import type { DeviceProfile } from './types.js';

export const builtInProfiles: readonly DeviceProfile[] = [elevatorProfile, pumpProfile, accessControllerProfile, doorProfile, firePanelProfile, elevatorBacnetProfile];

export function findProfile(id: string): DeviceProfile | undefined {
  return builtInProfiles.find((p) => p.id === id);
}

export type { DeviceProfile, ModbusPointDef, ModbusProfile, MqttProfile, ThresholdDef } from './types.js';
