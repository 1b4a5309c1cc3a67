import { localTime } from '../demo-building.js';
import type { ElevatorSpec, TrafficNow } from '../models/elevator.js';

/**
 * The demo tower's BACnet/IP devices, as data for the simulator and (once the BACnet driver exists) for
 * the demo site config: the fire-alarm panel in the fire control room, and the two Core C lifts (goods
 * and fire-fighting) behind the lift maker's BACnet monitoring gateway, which presents each car as its
 * own BACnet device on consecutive UDP ports of one address.
 */

export interface DemoBacnetDevice {
  id: string;
  name: string;
  location: string;
  profile: string;
  deviceInstance: number;
}

export interface DemoBacnetCar extends DemoBacnetDevice {
  spec: ElevatorSpec;
}

export const FIRE_PANEL_DEVICE: DemoBacnetDevice = {
  id: 'fire-panel-1', name: 'Fire-alarm control panel', location: 'L1 fire control room', profile: 'fire-panel-bacnet-v1', deviceInstance: 2001,
};

/** Default loopback addresses of the CLI (`npm run simulator`). */
export const DEFAULT_BACNET_ADDRESSES = {
  firePanel: { address: '127.0.0.2', port: 47808 },
  /** Car n of the gateway on `basePort + n - 1`. */
  elevatorGateway: { address: '127.0.0.3', basePort: 47808 },
} as const;

// Goods and fire-fighting lifts: deliveries in the morning, cleaners in the evening, little at night.
const GOODS_CALLS_PER_MINUTE = [0.02, 0.02, 0.02, 0.02, 0.02, 0.05, 0.3, 0.6, 0.6, 0.5, 0.4, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.5, 0.6, 0.4, 0.1, 0.05, 0.02];

function goodsTraffic(nowMs: number): TrafficNow {
  const { hour } = localTime(nowMs);
  const rate = GOODS_CALLS_PER_MINUTE[Math.floor(hour)] ?? 0.1;
  // Deliveries come in at the loading dock (B1) and go up; waste comes down.
  return { callsPerMinute: rate, fromEntranceShare: 0.5, toEntranceShare: 0.4 };
}

function coreCSpec(id: string, ratedLoadKg: number): ElevatorSpec {
  return { id, lowestFloor: -2, highestFloor: 20, entranceFloors: [-1, 1], floorHeightM: 3.6, ratedSpeedMps: 1.75, accelerationMps2: 0.6, ratedLoadKg, traffic: goodsTraffic };
}

export const BACNET_ELEVATOR_CARS: readonly DemoBacnetCar[] = [
  { id: 'elevator-5', name: 'Goods lift 5 (Core C)', location: 'Core C', profile: 'elevator-bacnet-gw-v1', deviceInstance: 3005, spec: coreCSpec('elevator-5', 2000) },
  { id: 'elevator-6', name: 'Fire-fighting lift 6 (Core C)', location: 'Core C', profile: 'elevator-bacnet-gw-v1', deviceInstance: 3006, spec: coreCSpec('elevator-6', 1600) },
];

/** Where the demo gateway's BACnet link listens (and where the fire panel sends its event notifications). */
export const DEMO_GATEWAY_BACNET = { interface: '127.0.0.1', port: 47809 } as const;

/** The demo's BACnet devices, placed at the endpoints the simulator serves them on. */
export function demoBacnetDevices(endpoints: ReadonlyArray<{ id: string; address: string; port: number }>): Array<DemoBacnetDevice & { type: 'fire-panel' | 'elevator'; address: string }> {
  const known = [{ ...FIRE_PANEL_DEVICE, type: 'fire-panel' as const }, ...BACNET_ELEVATOR_CARS.map(({ spec: _spec, ...car }) => ({ ...car, type: 'elevator' as const }))];
  return known.flatMap((d) => {
    const at = endpoints.find((e) => e.id === d.id);
    return at === undefined ? [] : [{ ...d, address: `${at.address}:${at.port}` }];
  });
}
