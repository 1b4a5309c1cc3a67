import type { ModbusProfile } from './types.js';

const SECOND_MS = 1000;

/**
 * A traction-elevator controller's monitoring map (input registers), modelled on the status blocks that
 * elevator controllers expose to building-management systems. Status bits of word 5 carry the faults
 * that need a technician; the fault code names the controller's current fault.
 */
export const elevatorProfile: ModbusProfile = {
  id: 'elevator-modbus-v1',
  protocol: 'modbus',
  equipment: 'elevator',
  description: 'Elevator controller, Modbus monitoring map v1 (input registers 0-13)',
  points: [
    { name: 'floor', description: 'Car position (floor number; basements negative)', table: 'input', address: 0, type: 'int16', unit: 'floor', kind: 'analog', range: { min: -5, max: 99 } },
    { name: 'direction', description: 'Travel direction', table: 'input', address: 1, type: 'enum', kind: 'enum', states: { 0: 'stopped', 1: 'up', 2: 'down' } },
    { name: 'door_state', description: 'Car door state', table: 'input', address: 2, type: 'enum', kind: 'enum', states: { 0: 'closed', 1: 'opening', 2: 'open', 3: 'closing', 4: 'obstructed' } },
    { name: 'mode', description: 'Operating mode', table: 'input', address: 3, type: 'enum', kind: 'enum', states: { 0: 'in_service', 1: 'out_of_service', 2: 'inspection', 3: 'fire_service', 4: 'independent' } },
    {
      name: 'fault_code', description: 'Active controller fault', table: 'input', address: 4, type: 'enum', kind: 'enum',
      states: {
        0: 'none', 1: 'passenger_trapped', 2: 'door_open_while_moving', 3: 'leveling_error', 4: 'overspeed',
        5: 'overrun_top', 6: 'overrun_bottom', 7: 'safety_circuit_open', 8: 'door_lock_fault',
        9: 'repeated_door_reopen', 10: 'unintended_movement', 11: 'power_loss',
      },
    },
    { name: 'alarm_button', description: 'Car alarm button pressed', table: 'input', address: 5, type: 'bit', bit: 0, kind: 'binary' },
    { name: 'passenger_trapped', description: 'Passenger trapped (car stopped with a call, doors not opening)', table: 'input', address: 5, type: 'bit', bit: 1, kind: 'binary' },
    { name: 'in_door_zone', description: 'Car within the door zone of a landing', table: 'input', address: 5, type: 'bit', bit: 2, kind: 'binary' },
    { name: 'overload', description: 'Car load above rated load', table: 'input', address: 5, type: 'bit', bit: 3, kind: 'binary' },
    { name: 'leveling_error', description: 'Car stopped outside the door zone', table: 'input', address: 5, type: 'bit', bit: 4, kind: 'binary' },
    { name: 'safety_circuit_open', description: 'Safety chain or door-lock circuit open', table: 'input', address: 5, type: 'bit', bit: 5, kind: 'binary' },
    { name: 'load', description: 'Car load in percent of rated load', table: 'input', address: 6, type: 'uint16', unit: '%', kind: 'analog', range: { min: 0, max: 150 } },
    { name: 'run_count', description: 'Trips since commissioning', table: 'input', address: 7, type: 'uint32', order: 'ABCD', unit: '1', kind: 'counter', range: { min: 0, max: 4_294_967_295 } },
    // Many elevator controllers store floats low word first.
    { name: 'run_hours', description: 'Motor run hours', table: 'input', address: 9, type: 'float32', order: 'CDAB', unit: 'h', kind: 'counter', range: { min: 0, max: 1_000_000 } },
    { name: 'door_cycles', description: 'Door open/close cycles', table: 'input', address: 11, type: 'uint32', order: 'ABCD', unit: '1', kind: 'counter', range: { min: 0, max: 4_294_967_295 } },
    { name: 'speed', description: 'Car speed', table: 'input', address: 13, type: 'int16', scale: 0.01, unit: 'm/s', kind: 'analog', range: { min: -10, max: 10 } },
  ],
  thresholds: [
    { id: 'passenger_trapped', point: 'passenger_trapped', high: 0.5, priority: 'critical', message: 'Passenger trapped: technician on site within 30 minutes' },
    { id: 'alarm_button', point: 'alarm_button', high: 0.5, onDelayMs: 3 * SECOND_MS, priority: 'high', message: 'Car alarm button pressed' },
    { id: 'leveling_error', point: 'leveling_error', high: 0.5, onDelayMs: 5 * SECOND_MS, priority: 'high', message: 'Car stopped outside the door zone (leveling error)' },
    { id: 'safety_circuit_open', point: 'safety_circuit_open', high: 0.5, onDelayMs: 2 * SECOND_MS, priority: 'high', message: 'Safety circuit or door lock open' },
    { id: 'overload', point: 'overload', high: 0.5, onDelayMs: 30 * SECOND_MS, priority: 'low', message: 'Car overloaded for 30 s' },
  ],
};
