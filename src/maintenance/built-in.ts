import type { EvidenceRuleConfig, MaintenanceScheduleConfig } from '../config/maintenance-schema.js';

/**
 * Built-in planned-maintenance templates a site switches on by id (`maintenance.builtIn`). They follow the
 * practice DOMAIN.md names: elevator maintenance at least every 15 days with quarterly, half-yearly and
 * yearly items (TSG T5002), the fire pump's weekly automatic start test and monthly manual start and the
 * monthly inspection of the fire system (GB 50974, GB 25201). Timings are defaults: a site can move a
 * template's cron or anchor, name its devices and assign it (BuiltInEntry options).
 */
export interface BuiltInTemplate {
  id: string;
  schedule: Omit<MaintenanceScheduleConfig, 'id'>;
  /** Evidence looked for in telemetry unless the site configures its own rule for this id. */
  evidence?: Omit<EvidenceRuleConfig, 'schedule'>;
  /** The template's equipment type says too little (every pump is a `pump`): the site must name the devices. */
  needsDevices?: string;
}

const ELEVATOR_ANCHOR = '2026-01-05T09:00';

const ELEVATOR_15_DAY = [
  'Machine room: clean, dry, lit, ventilated; door locked; no stored material; rescue instructions posted',
  'Manual emergency operation: brake release lever and turning wheel present and working; floor marks on ropes legible',
  'Traction machine: no unusual noise or vibration; oil level in the gearbox sight glass (geared machines)',
  'Brake: operates correctly, lifts fully, no unusual noise; lining gap within the maker’s figure',
  'Encoder: clean and firmly mounted',
  'Overspeed governor: moving parts clean and lubricated, the electrical switch operates',
  'Car top: clean; guard rail secure; car-top inspection switch and stop switch work',
  'Car: lighting, fan and emergency light work; alarm button and intercom reach the duty room; floor indicators correct',
  'Car doors: light curtain or safety edge reopens the doors; door closing force not excessive; door operator runs smoothly',
  'Landing doors: self-close from any position; door locks engage at least 7 mm before the car can move; emergency unlocking triangle works',
  'Leveling: stops within ±10 mm of the landing at every floor sampled',
  'Pit: clean, dry, lit; pit stop switch works; buffers undamaged',
  'Logbook signed; faults found and parts replaced recorded',
];

const ELEVATOR_QUARTERLY = [
  'Gearbox oil level and condition; no leaks at the shaft seals',
  'Brake lining wear measured and recorded',
  'Governor sheave groove wear; governor rope tension',
  'Car and landing door guide shoes (gibs): wear and secure fixing',
  'Door-lock contacts and car-door contact: clean, contact overlap sufficient',
  'Traction sheave groove wear checked (rope slip marks)',
  'Buffer oil level (oil buffers); spring buffers secure',
  'Compensation and travelling cable: no damage or twisting',
];

const ELEVATOR_HALF_YEARLY = [
  'Motor and gearbox bearings: temperature and noise in operation; lubrication as the maker requires',
  'Suspension ropes or belts: broken wires, wear, diameter reduction and lubrication; rope fixings and locknuts',
  'Rope tension equal (within 5% of the mean)',
  'Car and counterweight guide shoes or rollers: wear and lubrication; rail lubrication',
  'Car door coupling (clutch) and landing door rollers: wear and clearance',
  'Counterweight: filler weights secured; compensation chain fixing',
  'Car-top and pit lighting, sockets and stop switches tested',
];

const ELEVATOR_YEARLY = [
  'Controller: contactors and relays inspected, contacts not burnt; terminals tightened',
  'Brake: dismantled, cleaned and inspected as the maker requires; braking test with rated load (or per the maker)',
  'Safety gear: linkage moves freely, clearance to the rails; operation test with the governor tripped',
  'Ascending-car overspeed and unintended-movement protection tested',
  'Overload device: calibrated and tested (car does not leave, alarm sounds)',
  'Guide rails and brackets: fixings tight, joints smooth',
  'Insulation resistance of power and safety circuits measured; earthing continuity checked',
  'Balance coefficient checked (40-50%)',
  'Prepare the statutory annual inspection; attach the maintenance records of the year',
];

const FIRE_PUMP_WEEKLY = [
  'The controller’s automatic test started the fire pump (no person pressed start)',
  'Pump reached rated speed; discharge pressure reached the design figure',
  'No unusual noise, vibration or packing leakage; motor current normal',
  'Pump stopped automatically at the end of the test and the jockey pump restored the main pressure',
  'Test result recorded in the automatic-inspection log',
];

const FIRE_PUMP_MONTHLY = [
  'Start the fire pump by hand from the control panel (and from the fire control room, where wired)',
  'Check the power supply: main and standby supply available, change-over works',
  'Pressure and flow at the test line as designed; relief valve does not open at normal running',
  'Suction and discharge valves locked open; valve position indicators correct',
  'Fire water tank level normal; make-up valve works',
  'Stop the pump, return the controller to AUTO and record the test',
];

const FIRE_SYSTEM_MONTHLY = [
  'Fire alarm panel: self-test, fault and fire indication, sounder and printer work; no unexplained faults or disabled points',
  'Sample of smoke/heat detectors and manual call points tested on a rotating loop, result logged',
  'Sounders and strobes audible/visible in the areas tested',
  'Linkage: a sample of fire doors, dampers, fans and lift recall outputs operates on command; feedback returns',
  'Sprinkler valve stations: main valves locked open, pressure gauges normal, alarm valve test drain works',
  'Hydrant cabinets complete (hose, nozzle, valve); no obstructions',
  'Extinguishers: present, pressure in the green, seals intact',
  'Emergency lighting and exit signs light on mains failure test',
  'Fire water tank and jockey-pump pressure normal',
  'Record faults found in the fire-system maintenance log and open repair orders for them',
];

export const BUILT_IN_TEMPLATES: readonly BuiltInTemplate[] = [
  {
    id: 'elevator-15-day',
    schedule: {
      kind: 'calendar', everyDays: 15, start: ELEVATOR_ANCHOR, floating: false, assets: { equipment: ['elevator'] },
      type: 'preventive', priority: 'medium', title: '{deviceName}: 15-day maintenance (TSG T5002)', checklist: ELEVATOR_15_DAY,
    },
  },
  {
    id: 'elevator-quarterly',
    schedule: {
      kind: 'calendar', cron: '0 9 10 3,6,9,12 *', floating: false, assets: { equipment: ['elevator'] },
      type: 'preventive', priority: 'medium', title: '{deviceName}: quarterly maintenance items (TSG T5002)', checklist: ELEVATOR_QUARTERLY,
    },
  },
  {
    id: 'elevator-half-yearly',
    schedule: {
      kind: 'calendar', cron: '0 9 10 6,12 *', floating: false, assets: { equipment: ['elevator'] },
      type: 'preventive', priority: 'medium', title: '{deviceName}: half-yearly maintenance items (TSG T5002)', checklist: ELEVATOR_HALF_YEARLY,
    },
  },
  {
    id: 'elevator-yearly',
    schedule: {
      kind: 'calendar', cron: '0 9 10 12 *', floating: false, assets: { equipment: ['elevator'] },
      type: 'preventive', priority: 'medium', title: '{deviceName}: yearly maintenance items (TSG T5002)', checklist: ELEVATOR_YEARLY,
    },
  },
  {
    id: 'fire-pump-weekly-test',
    schedule: {
      kind: 'calendar', cron: '0 8 * * mon', floating: false, assets: {},
      type: 'inspection', priority: 'high', title: '{deviceName}: weekly automatic start test', checklist: FIRE_PUMP_WEEKLY, dueMinutes: 24 * 60,
    },
    evidence: { runningPoint: 'running', pressurePoint: 'discharge_pressure', minRunMinutes: 3, complete: false },
    needsDevices: 'name the fire pumps in `devices`: to the gateway every pump is a `pump`',
  },
  {
    id: 'fire-pump-monthly-start',
    schedule: {
      kind: 'calendar', cron: '0 9 1-7 * wed', floating: false, assets: {},
      type: 'inspection', priority: 'high', title: '{deviceName}: monthly manual start', checklist: FIRE_PUMP_MONTHLY, dueMinutes: 3 * 24 * 60,
    },
    needsDevices: 'name the fire pumps in `devices`: to the gateway every pump is a `pump`',
  },
  {
    id: 'fire-system-monthly-inspection',
    schedule: {
      kind: 'calendar', cron: '0 9 5 * *', floating: false, assets: { equipment: ['fire-panel'] },
      type: 'inspection', priority: 'high', title: '{deviceName}: monthly fire-system inspection', checklist: FIRE_SYSTEM_MONTHLY, dueMinutes: 3 * 24 * 60,
    },
  },
];

/** Ids that switch on several templates at once. */
export const BUILT_IN_GROUPS: Readonly<Record<string, readonly string[]>> = {
  'elevator-tsg-t5002': ['elevator-15-day', 'elevator-quarterly', 'elevator-half-yearly', 'elevator-yearly'],
};

export function findBuiltIn(id: string): BuiltInTemplate | undefined {
  return BUILT_IN_TEMPLATES.find((t) => t.id === id);
}

export function builtInIds(): string[] {
  return [...BUILT_IN_TEMPLATES.map((t) => t.id), ...Object.keys(BUILT_IN_GROUPS)];
}
