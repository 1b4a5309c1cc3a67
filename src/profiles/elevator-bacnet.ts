import type { AlarmRationale, BacnetProfile } from './types.js';

const SECOND_MS = 1000;

/**
 * An elevator-monitoring gateway on BACnet/IP, as lift makers supply them for building-management
 * systems: one BACnet device per car (the gateway presents each car as its own device instance), so every
 * car has the same object map. Multi-state values count from 1 (BACnet), so `fault_code` 1 is `none`.
 *
 * Alarms an inspection makes meaningless (the technician moves the car by hand, bridges door contacts,
 * tests the alarm button, takes the car out of service) are suppressed while `inspection_mode` is on;
 * faults that endanger people (trapped passenger, movement with doors open, unintended movement) never are.
 */

/** Car faults, as the controller reports them; index = multi-state present value. */
export const ELEVATOR_FAULT_STATES: Readonly<Record<number, string>> = {
  1: 'none', 2: 'passenger_trapped', 3: 'door_open_while_moving', 4: 'leveling_error', 5: 'overspeed', 6: 'overrun_top', 7: 'overrun_bottom',
  8: 'door_lock_circuit_open', 9: 'safety_circuit_open', 10: 'repeated_door_reopen', 11: 'unintended_movement', 12: 'power_loss',
};

export const ELEVATOR_DIRECTION_STATES: Readonly<Record<number, string>> = { 1: 'stopped', 2: 'up', 3: 'down' };
export const ELEVATOR_DOOR_STATES: Readonly<Record<number, string>> = { 1: 'closed', 2: 'opening', 3: 'open', 4: 'closing', 5: 'obstructed' };

const SUPPRESSED_IN_INSPECTION = 'inspection_mode';

const TRAPPED: AlarmRationale = {
  cause: 'The car stopped outside a landing (or its doors will not open) with someone inside: power loss, safety-chain trip or a controller fault.',
  consequence: 'A passenger is shut in the car; panic, heat and medical risk grow with every minute.',
  action: 'Talk to the passenger over the intercom, send the lift contractor: a technician must be on site within 30 minutes. Never let untrained staff open the doors.',
};

const UNSAFE_MOVEMENT: AlarmRationale = {
  cause: 'The car moved with its doors open or without a command: brake, door-lock or controller failure.',
  consequence: 'People can be crushed or fall into the shaft. The car must not carry passengers.',
  action: 'Take the car out of service at once, keep people away, call the lift contractor for an emergency visit and report it as a safety incident.',
};

const DRIVE_FAULT: AlarmRationale = {
  cause: 'The controller detected an overspeed, an over-run past a terminal landing or a leveling error (car stopped outside the door zone).',
  consequence: 'The safety gear or buffers may have acted; passengers may trip on a step at the landing; the car is usually out of service.',
  action: 'Check whether anyone is in the car, then call the lift contractor to inspect the drive, brake and safety gear before the car returns to service.',
};

const CIRCUIT_FAULT: AlarmRationale = {
  cause: 'The safety chain or a door-lock contact is open: a landing door not locked, a contact dirty or damaged, or a safety switch operated.',
  consequence: 'The car stops and stays out of service; an unlocked landing door is a fall hazard.',
  action: 'Check the landing doors on the car\'s route for one that is ajar, and call the lift contractor to find and repair the open contact.',
};

const DOOR_TROUBLE: AlarmRationale = {
  cause: 'The doors reopened many times in a row: an obstruction, a dirty sill, a faulty light curtain or door operator.',
  consequence: 'Slow service and a car that may take itself out of service; an early sign of door-operator wear.',
  action: 'Clean the sill and check for obstructions; if it persists, book the lift contractor for the door operator.',
};

const POWER_LOSS: AlarmRationale = {
  cause: 'The controller lost its main supply.',
  consequence: 'The car stops; passengers may be trapped until rescue operation brings it to a landing.',
  action: 'Check whether anyone is trapped, restore the supply (check the machine-room isolator and the building supply) and have the contractor verify the car.',
};

const ALARM_BUTTON: AlarmRationale = {
  cause: 'Someone pressed the alarm button in the car.',
  consequence: 'A passenger may be trapped or need help.',
  action: 'Answer on the intercom at once; if someone is trapped, handle it as a trapped passenger (technician within 30 minutes).',
};

const OUT_OF_SERVICE: AlarmRationale = {
  cause: 'The car left normal service without an inspection: a fault, a stop switch, or an independent-service key left on.',
  consequence: 'One car less in the group: longer waits, and the goods or fire-fighting duty of the car is not available.',
  action: 'Find out why from the fault code or on site, and call the lift contractor if the car does not return to service.',
};

const FIRE_SERVICE: AlarmRationale = {
  cause: 'The car is under fire-service control: the fire panel recalled it, or a fire-fighter key switch was turned.',
  consequence: 'The car is not available to passengers; a fire signal is likely active in the building.',
  action: 'Check the fire panel for the alarm that recalled it. Once the fire signal is cleared, reset fire service at the main landing.',
};

const OVERLOAD: AlarmRationale = {
  cause: 'The load weighing measures more than the rated load for half a minute: people or goods keep the car overloaded.',
  consequence: 'The car will not leave; repeated overloading wears brake and ropes.',
  action: 'Ask the people in the car to lighten it; check the load-weighing calibration if it happens with a normal load.',
};

export const elevatorBacnetProfile: BacnetProfile = {
  id: 'elevator-bacnet-gw-v1',
  protocol: 'bacnet',
  equipment: 'elevator',
  description: 'Elevator-monitoring gateway on BACnet/IP, v1: one BACnet device per car (position, direction, doors, modes, load, counters, fault code)',
  points: [
    { name: 'floor', description: 'Car position (floor number; basements negative)', object: { type: 'analog-input', instance: 1 }, unit: 'floor', kind: 'analog', range: { min: -5, max: 99 } },
    { name: 'direction', description: 'Travel direction', object: { type: 'multi-state-input', instance: 1 }, kind: 'enum', states: { ...ELEVATOR_DIRECTION_STATES } },
    { name: 'door_state', description: 'Car door state', object: { type: 'multi-state-input', instance: 2 }, kind: 'enum', states: { ...ELEVATOR_DOOR_STATES } },
    { name: 'fault_code', description: 'Active car fault', object: { type: 'multi-state-input', instance: 3 }, kind: 'enum', states: { ...ELEVATOR_FAULT_STATES } },
    { name: 'in_service', description: 'Car in normal passenger service', object: { type: 'binary-input', instance: 1 }, kind: 'binary' },
    { name: 'inspection_mode', description: 'Inspection (maintenance) operation switched on', object: { type: 'binary-input', instance: 2 }, kind: 'binary' },
    { name: 'fire_service', description: 'Fire-service operation (recall or fire-fighter control)', object: { type: 'binary-input', instance: 3 }, kind: 'binary' },
    { name: 'alarm_button', description: 'Car alarm button pressed', object: { type: 'binary-input', instance: 4 }, kind: 'binary' },
    { name: 'load', description: 'Car load in percent of rated load', object: { type: 'analog-input', instance: 2 }, unit: '%', kind: 'analog', range: { min: 0, max: 150 } },
    { name: 'trip_count', description: 'Trips since commissioning', object: { type: 'analog-input', instance: 3 }, unit: '1', kind: 'counter', range: { min: 0, max: 4_294_967_295 } },
    { name: 'door_cycles', description: 'Door open/close cycles since commissioning', object: { type: 'analog-input', instance: 4 }, unit: '1', kind: 'counter', range: { min: 0, max: 4_294_967_295 } },
    { name: 'run_hours', description: 'Motor run hours', object: { type: 'analog-input', instance: 5 }, unit: 'h', kind: 'counter', range: { min: 0, max: 1_000_000 } },
    { name: 'speed', description: 'Car speed (positive up)', object: { type: 'analog-input', instance: 6 }, unit: 'm/s', kind: 'analog', range: { min: -10, max: 10 } },
  ],
  thresholds: [
    {
      id: 'overload', point: 'load', high: 100, deadband: 5, onDelayMs: 30 * SECOND_MS, priority: 'low', message: 'Car overloaded for 30 s',
      suppressWhen: SUPPRESSED_IN_INSPECTION, rationale: OVERLOAD,
    },
  ],
  alarms: [
    { kind: 'state', id: 'passenger_trapped', point: 'fault_code', states: ['passenger_trapped'], priority: 'critical', message: 'Passenger trapped: technician on site within 30 minutes', rationale: TRAPPED },
    { kind: 'state', id: 'unsafe_movement', point: 'fault_code', states: ['door_open_while_moving', 'unintended_movement'], priority: 'critical', message: 'Car moved with doors open or without a command', rationale: UNSAFE_MOVEMENT },
    {
      kind: 'state', id: 'drive_fault', point: 'fault_code', states: ['overspeed', 'overrun_top', 'overrun_bottom', 'leveling_error'], priority: 'high',
      message: 'Overspeed, over-run or leveling error', suppressWhen: SUPPRESSED_IN_INSPECTION, rationale: DRIVE_FAULT,
    },
    {
      kind: 'state', id: 'safety_circuit_open', point: 'fault_code', states: ['door_lock_circuit_open', 'safety_circuit_open'], onDelayMs: 2 * SECOND_MS, priority: 'high',
      message: 'Door-lock or safety circuit open', suppressWhen: SUPPRESSED_IN_INSPECTION, rationale: CIRCUIT_FAULT,
    },
    {
      kind: 'state', id: 'repeated_door_reopen', point: 'fault_code', states: ['repeated_door_reopen'], priority: 'medium', message: 'Doors reopening repeatedly',
      suppressWhen: SUPPRESSED_IN_INSPECTION, rationale: DOOR_TROUBLE,
    },
    { kind: 'state', id: 'power_loss', point: 'fault_code', states: ['power_loss'], priority: 'high', message: 'Elevator controller lost its power supply', rationale: POWER_LOSS },
    {
      kind: 'state', id: 'alarm_button', point: 'alarm_button', states: [true], onDelayMs: 3 * SECOND_MS, priority: 'high', message: 'Car alarm button pressed',
      suppressWhen: SUPPRESSED_IN_INSPECTION, rationale: ALARM_BUTTON,
    },
    {
      kind: 'state', id: 'out_of_service', point: 'in_service', states: [false], onDelayMs: 60 * SECOND_MS, priority: 'medium', message: 'Car out of service for a minute',
      suppressWhen: SUPPRESSED_IN_INSPECTION, rationale: OUT_OF_SERVICE,
    },
    { kind: 'state', id: 'fire_service', point: 'fire_service', states: [true], priority: 'high', message: 'Car under fire-service control', rationale: FIRE_SERVICE },
  ],
};
