import type { DeviceConfig, LinkConfig, MqttLinkConfig, SiteConfig, ThresholdConfig } from '../src/config/schema.js';
import type { WorkOrderTemplate } from '../src/config/workorders-schema.js';
import { demoBacnetDevices } from './bacnet/demo-bacnet.js';
import type { ControllerSpec } from './access/controller-model.js';
import type { DoorSpec, DoorTrafficNow } from './access/door-model.js';
import type { ElevatorSpec, TrafficNow } from './models/elevator.js';
import type { BoosterSetSpec, FireSetSpec, SumpSpec } from './models/pump-systems.js';
import type { PumpUnitSpec } from './models/pump.js';

/**
 * The demo building as data: a 20-storey office tower in Shanghai with four passenger lifts (one of them
 * also serving two car-park levels), a basement plant room with a domestic-water booster set, a sump
 * pump and a fire pump with its jockey pump, and access control: five door controllers on MQTT with 34
 * doors between them. The same data gives the simulator its models and the gateway its site config, so
 * the two always agree on links, unit ids, topics and profiles.
 */

export const DEMO_SITE = { id: 'demo-tower', name: 'Demo Tower (simulated)', timezone: 'Asia/Shanghai' } as const;
/** Asia/Shanghai has no daylight saving time: a fixed offset is exact. */
const UTC_OFFSET_MS = 8 * 3_600_000;

export interface DemoLink {
  id: string;
  name: string;
}

/** A device on a Modbus link (elevators and pumps); the access devices are in `DemoBuilding.access`. */
export interface DemoDevice {
  id: string;
  name: string;
  location: string;
  type: 'elevator' | 'pump';
  profile: string;
  link: string;
  unitId: number;
  /** Extra thresholds for the gateway's site config, on top of the profile defaults. */
  thresholds: ThresholdConfig[];
}

export interface DemoBuilding {
  /** Modbus TCP links and their devices. */
  links: DemoLink[];
  devices: DemoDevice[];
  /** Door controllers, each with its doors, on one MQTT link. */
  access: { link: DemoLink; controllers: ControllerSpec[] };
  elevators: ElevatorSpec[];
  booster: BoosterSetSpec;
  sump: SumpSpec;
  fire: FireSetSpec;
}

const ELEVATOR_PROFILE = 'elevator-modbus-v1';
const PUMP_PROFILE = 'pump-vfd-v1';
const ACCESS_LINK_ID = 'access';
const CONTROLLER_PROFILE = 'access-controller-mqtt-v1';
const DOOR_PROFILE = 'door-mqtt-v1';
const MINUTE_MS = 60_000;

/** Local time of day in hours (fractional) and weekday (0 = Sunday) in the building's time zone. */
export function localTime(nowMs: number): { hour: number; weekday: number } {
  const local = nowMs + UTC_OFFSET_MS;
  const hour = (((local / 3_600_000) % 24) + 24) % 24;
  return { hour, weekday: new Date(local).getUTCDay() };
}

/** Linear interpolation in a table of 24 hourly values. */
function hourly(table: readonly number[], nowMs: number): number {
  const { hour } = localTime(nowMs);
  const h = Math.floor(hour);
  const a = table[h] ?? 0;
  const b = table[(h + 1) % 24] ?? a;
  return a + (b - a) * (hour - h);
}

// Office-tower traffic per car: morning up-peak, lunch, evening down-peak, quiet nights.
const CALLS_PER_MINUTE = [0.05, 0.05, 0.05, 0.05, 0.05, 0.1, 0.3, 1.0, 2.2, 1.2, 0.8, 0.8, 1.8, 1.3, 0.8, 0.8, 0.9, 2.0, 1.1, 0.5, 0.4, 0.25, 0.12, 0.06];
const FROM_ENTRANCE = [0.3, 0.3, 0.3, 0.3, 0.3, 0.5, 0.7, 0.8, 0.85, 0.6, 0.35, 0.35, 0.5, 0.5, 0.35, 0.35, 0.3, 0.15, 0.2, 0.3, 0.3, 0.3, 0.3, 0.3];
const TO_ENTRANCE = [0.5, 0.5, 0.5, 0.5, 0.5, 0.3, 0.2, 0.1, 0.1, 0.25, 0.35, 0.4, 0.5, 0.3, 0.35, 0.35, 0.5, 0.8, 0.75, 0.6, 0.6, 0.6, 0.5, 0.5];
// Domestic water at nominal pressure, m3/h: one booster pump carries ~22 m3/h, the morning peak needs two.
const WATER_DEMAND_M3H = [1.5, 1.2, 1.2, 1.2, 1.2, 2, 4, 12, 24, 15, 11, 12, 20, 15, 11, 11, 12, 18, 12, 8, 6, 4, 3, 2];
// Drainage into the sump pit, m3/h: ground water plus plant-room drains in working hours.
const SUMP_INFLOW_M3H = [1.2, 1.2, 1.2, 1.2, 1.2, 1.3, 1.5, 1.8, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 1.8, 1.6, 1.4, 1.3, 1.2, 1.2, 1.2];

function officeTraffic(nowMs: number): TrafficNow {
  return {
    callsPerMinute: hourly(CALLS_PER_MINUTE, nowMs),
    fromEntranceShare: hourly(FROM_ENTRANCE, nowMs),
    toEntranceShare: hourly(TO_ENTRANCE, nowMs),
  };
}

/** Weekly automatic fire-pump test (GB 50974): Mondays 09:00 for five minutes, local time. */
function isWeeklyFireTest(nowMs: number): boolean {
  const { hour, weekday } = localTime(nowMs);
  return weekday === 1 && hour >= 9 && hour < 9 + 5 / 60;
}

// Access control. People through office doors, relative to the morning peak: arrivals 8-9, lunch, leaving
// 17-18, quiet nights.
const OFFICE_ACTIVITY = [0.01, 0.01, 0.01, 0.01, 0.01, 0.03, 0.1, 0.5, 1.0, 0.6, 0.35, 0.4, 0.8, 0.7, 0.35, 0.35, 0.4, 0.9, 0.6, 0.25, 0.15, 0.08, 0.04, 0.02];
// Share of them coming in: mostly in the morning and after lunch; mostly out in the evening.
const ENTRY_SHARE = [0.5, 0.5, 0.5, 0.5, 0.5, 0.7, 0.85, 0.9, 0.9, 0.75, 0.55, 0.4, 0.45, 0.65, 0.5, 0.45, 0.35, 0.15, 0.15, 0.25, 0.3, 0.3, 0.4, 0.5];
// Plant rooms and the roof: technicians in working hours, the security patrol now and then at night.
const MAINTENANCE_ACTIVITY = [0.05, 0, 0, 0.05, 0, 0, 0, 0.2, 1, 1, 1, 0.8, 0.3, 0.9, 1, 1, 0.9, 0.5, 0.1, 0, 0.05, 0, 0, 0.05];

/**
 * How a door is used: office and car-park doors follow the working day (a tenth of it at weekends) and
 * refuse few badges; plant doors see technicians in working hours and refuse more (expired permits,
 * outside their schedule, cards that do not belong); stair doors are used both ways alike.
 */
type DoorUse = 'office' | 'parking' | 'plant' | 'stairs';

const STAFF_BADGES = { first: 100_000, count: 1_500 };
/** The staff with a car-park permit. */
const PARKING_BADGES = { first: 100_000, count: 400 };
const TECHNICIAN_BADGES = { first: 200_000, count: 40 };

const DOOR_USE: Record<DoorUse, { deniedShare: number; badges: { first: number; count: number }; weekendFactor: number }> = {
  office: { deniedShare: 0.03, badges: STAFF_BADGES, weekendFactor: 0.1 },
  parking: { deniedShare: 0.03, badges: PARKING_BADGES, weekendFactor: 0.1 },
  plant: { deniedShare: 0.12, badges: TECHNICIAN_BADGES, weekendFactor: 0.2 },
  stairs: { deniedShare: 0.02, badges: STAFF_BADGES, weekendFactor: 0.1 },
};

function doorTraffic(use: DoorUse, peakPerMinute: number): (nowMs: number) => DoorTrafficNow {
  return (nowMs) => {
    const { weekday } = localTime(nowMs);
    const weekendFactor = weekday === 0 || weekday === 6 ? DOOR_USE[use].weekendFactor : 1;
    const activity = hourly(use === 'plant' ? MAINTENANCE_ACTIVITY : OFFICE_ACTIVITY, nowMs);
    const entryShare = use === 'office' || use === 'parking' ? hourly(ENTRY_SHARE, nowMs) : 0.5;
    return { movementsPerMinute: peakPerMinute * activity * weekendFactor, entryShare };
  };
}

/** door, name, use, people per minute at the morning peak */
type DoorRow = [door: string, name: string, use: DoorUse, peakPerMinute: number];

const ACCESS_LAYOUT: Array<{ controller: string; name: string; location: string; doors: DoorRow[] }> = [
  {
    controller: 'lobby', name: 'Main lobby door controller', location: 'L1 security office',
    doors: [
      ['main-entrance-1', 'Main entrance, left leaf', 'office', 6],
      ['main-entrance-2', 'Main entrance, right leaf', 'office', 6],
      ['side-entrance', 'Side entrance', 'office', 2],
      ['lift-gate-a', 'Speed gate to lift lobby A', 'office', 5],
      ['lift-gate-b', 'Speed gate to lift lobby B', 'office', 5],
      ['reception-back', 'Reception back office', 'office', 0.5],
      ['mailroom', 'Mailroom', 'office', 0.3],
      ['security-office', 'Security office', 'office', 0.3],
    ],
  },
  {
    controller: 'carpark', name: 'Car park door controller', location: 'B1 car park, lift lobby',
    doors: [
      ['b1-lift-lobby', 'B1 lift lobby', 'parking', 3],
      ['b2-lift-lobby', 'B2 lift lobby', 'parking', 2],
      ['b1-stair-a', 'Stair A, B1', 'stairs', 0.3],
      ['b1-stair-b', 'Stair B, B1', 'stairs', 0.3],
      ['b2-stair-a', 'Stair A, B2', 'stairs', 0.2],
      ['b2-stair-b', 'Stair B, B2', 'stairs', 0.2],
      ['ramp-gate', 'Pedestrian gate at the ramp', 'parking', 1],
      ['bike-room', 'Bicycle room', 'parking', 0.4],
    ],
  },
  {
    controller: 'plant', name: 'Plant room door controller', location: 'B2 plant room',
    doors: [
      ['plant-room', 'Plant room main door', 'plant', 0.15],
      ['pump-room', 'Pump room', 'plant', 0.1],
      ['switch-room', 'LV switch room', 'plant', 0.05],
      ['generator-room', 'Generator room', 'plant', 0.05],
      ['fire-pump-room', 'Fire pump room', 'plant', 0.05],
      ['water-tank-room', 'Water tank room', 'plant', 0.05],
    ],
  },
  {
    controller: 'stairs', name: 'Stairwell door controller', location: 'L10 riser cupboard',
    doors: [2, 8, 14, 20].flatMap((floor): DoorRow[] => [
      [`stair-a-l${floor}`, `Stair A, L${floor}`, 'stairs', 0.2],
      [`stair-b-l${floor}`, `Stair B, L${floor}`, 'stairs', 0.2],
    ]),
  },
  {
    controller: 'roof', name: 'Roof door controller', location: 'Roof, lift machine room',
    doors: [
      ['roof-access-a', 'Roof access from stair A', 'plant', 0.03],
      ['roof-access-b', 'Roof access from stair B', 'plant', 0.03],
      ['lift-machine-room', 'Lift machine room', 'plant', 0.05],
      ['roof-plant', 'Roof plant area (cooling towers)', 'plant', 0.05],
    ],
  },
];

function accessControllers(): ControllerSpec[] {
  return ACCESS_LAYOUT.map((c) => ({
    id: `acs-${c.controller}`, controller: c.controller, name: c.name, location: c.location,
    doors: c.doors.map(([door, name, use, peakPerMinute]): DoorSpec => ({
      id: `door-${c.controller}-${door}`, door, name, location: name, deniedShare: DOOR_USE[use].deniedShare, badges: DOOR_USE[use].badges,
      traffic: doorTraffic(use, peakPerMinute),
    })),
  }));
}

function elevator(id: string, lowestFloor: number, entranceFloors: number[], ratedLoadKg: number): ElevatorSpec {
  return { id, lowestFloor, highestFloor: 20, entranceFloors, floorHeightM: 3.6, ratedSpeedMps: 2.5, accelerationMps2: 0.8, ratedLoadKg, traffic: officeTraffic };
}

function boosterPump(id: string): PumpUnitSpec {
  return {
    id, ratedPowerKw: 5.5, ratedCurrentA: 11, curve: { shutoffHeadBar: 7.5, ratedFlowM3h: 20, ratedHeadBar: 5.2 },
    dischargeSensor: 'pump-side', pressureSetpointBar: 5.6, initialRunHours: 16_000, initialStarts: 40_000,
  };
}

const breakTankLow: ThresholdConfig = {
  id: 'break_tank_level_low', point: 'level', low: 1.0, deadband: 0.1, onDelayMs: MINUTE_MS, priority: 'high',
  message: 'Break tank level low: booster pumps at risk of running dry',
};

export function demoBuilding(): DemoBuilding {
  const links: DemoLink[] = [
    { id: 'elevators', name: 'Elevator group controller (Modbus TCP)' },
    { id: 'plant-room', name: 'B2 plant room Modbus TCP gateway' },
  ];
  const lift = (n: number, location: string): DemoDevice => ({
    id: `elevator-${n}`, name: `Passenger lift ${n}`, location, type: 'elevator', profile: ELEVATOR_PROFILE, link: 'elevators', unitId: n, thresholds: [],
  });
  const pump = (id: string, name: string, unitId: number, thresholds: ThresholdConfig[]): DemoDevice => ({
    id, name, location: 'B2 plant room', type: 'pump', profile: PUMP_PROFILE, link: 'plant-room', unitId, thresholds,
  });
  const devices: DemoDevice[] = [
    lift(1, 'Core A'),
    lift(2, 'Core A'),
    lift(3, 'Core B'),
    { ...lift(4, 'Core B'), name: 'Passenger lift 4 (serves car park B1-B2)' },
    pump('booster-1', 'Booster set pump 1', 1, [breakTankLow]),
    pump('booster-2', 'Booster set pump 2', 2, [breakTankLow]),
    pump('booster-3', 'Booster set pump 3', 3, [breakTankLow]),
    pump('sump-1', 'Sump pump, B2 pit', 4, [
      { id: 'pit_level_high', point: 'level', high: 1.3, deadband: 0.1, onDelayMs: MINUTE_MS, priority: 'high', message: 'Sump pit level high: pump not keeping up' },
    ]),
    pump('fire-pump-1', 'Fire pump', 5, [
      { id: 'fire_main_pressure_low', point: 'discharge_pressure', low: 6.5, deadband: 0.3, onDelayMs: 10_000, priority: 'critical', message: 'Fire main pressure low' },
      { id: 'fire_pump_running', point: 'running', high: 0.5, priority: 'high', message: 'Fire pump running: weekly test, or water flowing in the fire main' },
      { id: 'fire_tank_level_low', point: 'level', low: 3.0, deadband: 0.1, onDelayMs: MINUTE_MS, priority: 'high', message: 'Fire water tank level low' },
    ]),
    pump('jockey-pump-1', 'Jockey pump', 6, [
      {
        id: 'jockey_not_keeping_up', point: 'discharge_pressure', low: 6.8, deadband: 0.2, onDelayMs: MINUTE_MS, priority: 'high',
        message: 'Fire main below jockey cut-in for a minute: leak larger than the jockey makes up, or jockey failed',
      },
    ]),
  ];
  return {
    links,
    devices,
    elevators: [elevator('elevator-1', 1, [1], 1000), elevator('elevator-2', 1, [1], 1000), elevator('elevator-3', 1, [1], 1000), elevator('elevator-4', -2, [1, -1, -2], 1350)],
    access: { link: { id: ACCESS_LINK_ID, name: 'Door controllers (MQTT)' }, controllers: accessControllers() },
    booster: {
      pumps: [boosterPump('booster-1'), boosterPump('booster-2'), boosterPump('booster-3')],
      cutInBar: 4.2, cutOutBar: 5.6, lagStartDelayMs: 10_000, stageStopDelayMs: 5_000, minRunMs: 30_000,
      headerComplianceM3PerBar: 0.12,
      breakTank: { areaM2: 8, refillOnM: 1.8, refillOffM: 2.4, refillM3h: 40, initialM: 2.2 },
      demandM3h: (nowMs) => hourly(WATER_DEMAND_M3H, nowMs),
    },
    sump: {
      pump: {
        id: 'sump-1', ratedPowerKw: 4, ratedCurrentA: 8.4, curve: { shutoffHeadBar: 2.4, ratedFlowM3h: 18, ratedHeadBar: 1.7 },
        dischargeSensor: 'pump-side', pressureSetpointBar: 0, initialRunHours: 2_500, initialStarts: 6_000,
      },
      pitAreaM2: 2.5, pitDepthM: 2.0, startLevelM: 1.0, stopLevelM: 0.35, initialLevelM: 0.6,
      staticLiftBar: 1.2, pipeLossK: 0.0005,
      inflowM3h: (nowMs) => hourly(SUMP_INFLOW_M3H, nowMs),
    },
    fire: {
      firePump: {
        id: 'fire-pump-1', ratedPowerKw: 55, ratedCurrentA: 100, curve: { shutoffHeadBar: 11, ratedFlowM3h: 180, ratedHeadBar: 9 },
        dischargeSensor: 'system-side', pressureSetpointBar: 6.0, initialRunHours: 300, initialStarts: 600,
      },
      jockey: {
        id: 'jockey-pump-1', ratedPowerKw: 2.2, ratedCurrentA: 4.8, curve: { shutoffHeadBar: 10.5, ratedFlowM3h: 3, ratedHeadBar: 8.5 },
        dischargeSensor: 'system-side', pressureSetpointBar: 8.0, initialRunHours: 900, initialStarts: 4_000,
      },
      jockeyCutInBar: 7.0, jockeyCutOutBar: 8.0, fireCutInBar: 6.0, fireMinRunMs: 10 * MINUTE_MS,
      mainComplianceM3PerBar: 0.01, normalLeakM3h: 0.004, faultLeakM3h: 0.25,
      reliefOpenBar: 10, reliefM3hPerBar: 200, tankLevelM: 3.6,
      isWeeklyTest: isWeeklyFireTest,
    },
  };
}

/** Link timings and read planning for a loopback simulator; every defaulted field is filled in. */
const LINK_DEFAULTS = {
  connectTimeoutMs: 3000, timeoutMs: 1000, retries: 1, maxGapRegisters: 8, maxRegistersPerRead: 125, maxBitsPerRead: 2000,
  interRequestDelayMs: 0, backoffInitialMs: 1000, backoffMaxMs: 60_000,
} as const;

/** Timings of an MQTT link: the schema defaults, written out so the config is complete as it stands. */
const MQTT_LINK_DEFAULTS = { keepaliveS: 30, reconnectPeriodMs: 1000, connectTimeoutMs: 10_000, maxPayloadBytes: 65_536 } as const;

/** Device settings that are not about the device: the schema defaults (pollIntervalMs is unused on MQTT). */
const DEVICE_DEFAULTS = { pollIntervalMs: 1000, staleAfterPolls: 3, commLossDelayMs: 10_000, enabled: true } as const;

/** The simulator's Modbus ports: consecutive from `basePort` in link order (0 = any free port for each). */
export function demoPorts(basePort: number): Record<string, number> {
  return Object.fromEntries(demoBuilding().links.map((link, i) => [link.id, basePort === 0 ? 0 : basePort + i]));
}

/**
 * A complete, valid site config for a gateway reading the simulator at `host` on the given ports (link id →
 * port). The access controllers publish to `mqttUrl`; without it the `access` link has no URL, which
 * means the gateway's embedded broker (the simulator is then connected to it with `connectAccess`).
 */
export function demoSiteConfig(opts: {
  host: string;
  ports: Record<string, number>;
  mqttUrl?: string;
  /** The BACnet devices the simulator serves, and where the gateway's BACnet link listens. */
  bacnet?: { endpoints: ReadonlyArray<{ id: string; address: string; port: number }>; gateway: { interface: string; port: number } };
}): SiteConfig {
  const building = demoBuilding();
  const modbusLinks = building.links.map((link) => {
    const port = opts.ports[link.id];
    if (port === undefined || !Number.isInteger(port) || port < 1 || port > 65535) {
      throw new Error(`demoSiteConfig: no valid port for link "${link.id}" (got ${String(port)})`);
    }
    return { id: link.id, type: 'modbus-tcp' as const, host: opts.host, port, ...LINK_DEFAULTS };
  });
  const accessLink: MqttLinkConfig = {
    id: building.access.link.id, type: 'mqtt', ...(opts.mqttUrl === undefined ? {} : { url: opts.mqttUrl }), ...MQTT_LINK_DEFAULTS,
  };
  const modbusDevices = building.devices.map((d): DeviceConfig => ({
    id: d.id, name: d.name, location: d.location, type: d.type, profile: d.profile, link: d.link, unitId: d.unitId, ...DEVICE_DEFAULTS,
    thresholds: d.thresholds.map((t) => ({ ...t })), disableThresholds: [], topicVars: {}, eventRules: [], alarms: [], disableAlarms: [], writable: [],
  }));
  return {
    site: { ...DEMO_SITE },
    http: { host: '127.0.0.1', port: 8080 },
    embeddedBroker: { host: '127.0.0.1', port: 0 },
    // The demo publishes its own state too, so a BMS or `mosquitto_sub -t 'facility-gw/#'` can watch it.
    northbound: { prefix: 'facility-gw', qos: 1, pointMinIntervalMs: 1000, maxQueued: 10_000 },
    alarmManagement: { maxShelveMinutes: 480, maxOutOfServiceHours: 168, chatter: { cycles: 3, windowSeconds: 60 } },
    auth: { tokens: [], anonymousRead: true },
    workOrders: { templates: demoWorkOrderTemplates(), sla: DEMO_SLA },
    maintenance: demoMaintenance(),
    links: [...modbusLinks, accessLink, ...(opts.bacnet ? [bacnetLink(opts.bacnet.gateway)] : [])],
    devices: [
      ...modbusDevices,
      ...accessDeviceConfigs(building.access.link.id, building.access.controllers),
      ...(opts.bacnet ? bacnetDeviceConfigs(opts.bacnet.endpoints) : []),
    ],
    sinks: [],
  };
}

const BACNET_LINK_ID = 'bacnet';

function bacnetLink(at: { interface: string; port: number }): LinkConfig {
  return {
    id: BACNET_LINK_ID, type: 'bacnet', interface: at.interface, port: at.port, broadcastAddress: '127.255.255.255',
    apduTimeoutMs: 1000, retries: 2, backoffInitialMs: 1000, backoffMaxMs: 60_000,
    covLifetimeS: 300, covConfirmed: false, covInitialNotificationMs: 5000, covVerifyIntervalMs: 60_000, covRetryMs: 600_000,
  };
}

function bacnetDeviceConfigs(endpoints: ReadonlyArray<{ id: string; address: string; port: number }>): DeviceConfig[] {
  return demoBacnetDevices(endpoints).map((d): DeviceConfig => ({
    id: d.id, name: d.name, location: d.location, type: d.type, profile: d.profile, link: BACNET_LINK_ID, address: d.address, deviceInstance: d.deviceInstance,
    ...DEVICE_DEFAULTS, thresholds: [], disableThresholds: [], topicVars: {}, eventRules: [], alarms: [], disableAlarms: [], writable: [],
  }));
}

/**
 * The demo office's planned maintenance: the lifts every 15 days plus the quarterly, half-yearly and
 * yearly items; the fire pump's weekly automatic start test (its run in telemetry is the evidence) and
 * monthly manual start; the monthly fire-system inspection; and a service of every pump each 2,000 run hours.
 */
function demoMaintenance(): NonNullable<SiteConfig['maintenance']> {
  return {
    builtIn: [
      'elevator-tsg-t5002',
      { id: 'fire-pump-weekly-test', devices: ['fire-pump-1'] },
      { id: 'fire-pump-monthly-start', devices: ['fire-pump-1'] },
      'fire-system-monthly-inspection',
    ],
    schedules: [
      {
        id: 'pump-2000h-service', kind: 'meter', floating: false, meter: { point: 'run_hours', every: 2000, count: 'value', from: 'completion' },
        assets: { equipment: ['pump'] }, type: 'preventive', priority: 'medium', title: '{deviceName}: 2,000-hour service',
        checklist: ['Check and grease the bearings', 'Check the mechanical seal for leaks', 'Check coupling alignment and vibration', 'Check motor insulation and terminals'],
        assign: { assignee: 'plant-room technician' },
      },
    ],
    evidence: [],
  };
}

/**
 * The office's service levels for repairs, by priority (a template's own targets win: the trapped
 * passenger's 30 minutes). Planned work has no response clock: it is due by its schedule's due time.
 */
const DEMO_SLA = [
  { type: 'corrective' as const, priority: 'critical' as const, responseMinutes: 60, resolutionMinutes: 8 * 60 },
  { type: 'corrective' as const, priority: 'high' as const, responseMinutes: 4 * 60, resolutionMinutes: 24 * 60 },
  { type: 'corrective' as const, priority: 'medium' as const, responseMinutes: 24 * 60, resolutionMinutes: 3 * 24 * 60 },
  { type: 'corrective' as const, priority: 'low' as const, resolutionMinutes: 7 * 24 * 60 },
];

/** What the demo office does with alarms: the orders its alarms open, and who gets them. */
function demoWorkOrderTemplates(): WorkOrderTemplate[] {
  const whileWorking = { outOfServiceWhileWorking: true, outOfServiceMaxHours: 12 };
  return [
    {
      id: 'elevator-entrapment', type: 'corrective', priority: 'critical', title: 'Passenger trapped: {deviceName}',
      match: { rules: ['passenger_trapped'], equipment: ['elevator'] },
      responseMinutes: 30, resolutionMinutes: 240, assign: { contractor: 'Lift contractor (24 h line)' },
      checklist: ['Release the passenger (rescue procedure)', 'Find and record the cause', 'Test run before return to service'],
      ...whileWorking,
    },
    {
      id: 'elevator-fault', type: 'corrective', title: 'Elevator fault: {deviceName}: {message}',
      // Faults that need the lift company; the alarm button is a call for help, answered by the rescue.
      match: { equipment: ['elevator'], rules: ['leveling_error', 'safety_circuit_open', 'drive_fault', 'unsafe_movement', 'power_loss', 'comm_loss'] },
      responseMinutes: 120, resolutionMinutes: 24 * 60,
      assign: { contractor: 'Lift contractor (24 h line)' }, checklist: [], ...whileWorking,
    },
    {
      id: 'pump-repair', type: 'corrective', title: 'Pump: {deviceName}: {message}',
      // Not fire_pump_running: the weekly test run is not a fault (its inspection order holds the evidence).
      match: { equipment: ['pump'], rules: ['fault', 'motor_temperature_high', 'comm_loss', 'jockey_not_keeping_up', 'pit_level_high', 'fire_main_pressure_low', 'break_tank_level_low', 'fire_tank_level_low'] },
      responseMinutes: 60, resolutionMinutes: 8 * 60,
      assign: { assignee: 'plant-room technician' }, checklist: [], ...whileWorking,
    },
    {
      // Fire-system work never takes the panel's alarms out of service.
      id: 'fire-system-fault', type: 'corrective', title: 'Fire system: {deviceName}: {message}',
      match: { equipment: ['fire-panel'], priorities: ['medium', 'high'] }, responseMinutes: 60, resolutionMinutes: 24 * 60,
      assign: { contractor: 'Fire-system contractor' }, checklist: [], outOfServiceWhileWorking: false, outOfServiceMaxHours: 12,
    },
  ];
}

/** Each controller followed by its doors; a door's `parent` is its controller. */
function accessDeviceConfigs(link: string, controllers: readonly ControllerSpec[]): DeviceConfig[] {
  const rules = () => ({ thresholds: [], disableThresholds: [], eventRules: [], alarms: [], disableAlarms: [], writable: [] });
  return controllers.flatMap((c): DeviceConfig[] => [
    {
      id: c.id, name: c.name, location: c.location, type: 'access-controller', profile: CONTROLLER_PROFILE, link,
      topicVars: { controller: c.controller }, ...DEVICE_DEFAULTS, ...rules(),
    },
    ...c.doors.map((d): DeviceConfig => ({
      id: d.id, name: d.name, location: d.location, type: 'door', profile: DOOR_PROFILE, link, parent: c.id,
      topicVars: { controller: c.controller, door: d.door }, ...DEVICE_DEFAULTS, ...rules(),
    })),
  ]);
}
