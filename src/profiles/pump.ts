import type { ModbusProfile } from './types.js';

const SECOND_MS = 1000;

/**
 * A pump driven by a variable-frequency drive with its own I/O: run and fault as discrete inputs,
 * measurements as input registers. Used for booster, sump, fire and jockey pumps alike; what differs
 * between them (levels, pressures) is set per device in the site config.
 */
export const pumpProfile: ModbusProfile = {
  id: 'pump-vfd-v1',
  protocol: 'modbus',
  equipment: 'pump',
  description: 'Pump with VFD, Modbus map v1 (discrete inputs 0-2, input registers 0-18, holding register 0)',
  points: [
    { name: 'running', description: 'Pump running', table: 'discrete', address: 0, type: 'bool', kind: 'binary' },
    { name: 'fault', description: 'Drive or motor fault (trip)', table: 'discrete', address: 1, type: 'bool', kind: 'binary' },
    { name: 'remote', description: 'Selector in remote/auto', table: 'discrete', address: 2, type: 'bool', kind: 'binary' },
    { name: 'discharge_pressure', description: 'Discharge pressure', table: 'input', address: 0, type: 'float32', unit: 'bar', kind: 'analog', range: { min: 0, max: 25 } },
    { name: 'suction_pressure', description: 'Suction pressure', table: 'input', address: 2, type: 'float32', unit: 'bar', kind: 'analog', range: { min: -1, max: 10 } },
    { name: 'flow', description: 'Flow', table: 'input', address: 4, type: 'float32', unit: 'm3/h', kind: 'analog', range: { min: 0, max: 500 } },
    { name: 'motor_current', description: 'Motor current', table: 'input', address: 6, type: 'uint16', scale: 0.1, unit: 'A', kind: 'analog', range: { min: 0, max: 400 } },
    { name: 'frequency', description: 'Drive output frequency', table: 'input', address: 7, type: 'uint16', scale: 0.01, unit: 'Hz', kind: 'analog', range: { min: 0, max: 60 } },
    { name: 'motor_temperature', description: 'Motor winding temperature', table: 'input', address: 8, type: 'int16', scale: 0.1, unit: 'degC', kind: 'analog', range: { min: -20, max: 180 } },
    { name: 'bearing_temperature', description: 'Bearing temperature', table: 'input', address: 9, type: 'int16', scale: 0.1, unit: 'degC', kind: 'analog', range: { min: -20, max: 150 } },
    { name: 'vibration', description: 'Vibration velocity (rms)', table: 'input', address: 10, type: 'uint16', scale: 0.01, unit: 'mm/s', kind: 'analog', range: { min: 0, max: 50 } },
    { name: 'level', description: 'Tank or pit level', table: 'input', address: 11, type: 'uint16', scale: 0.01, unit: 'm', kind: 'analog', range: { min: 0, max: 10 } },
    { name: 'run_hours', description: 'Motor run hours', table: 'input', address: 12, type: 'float64', unit: 'h', kind: 'counter', range: { min: 0, max: 1_000_000 } },
    { name: 'start_count', description: 'Starts since commissioning', table: 'input', address: 16, type: 'uint32', unit: '1', kind: 'counter', range: { min: 0, max: 4_294_967_295 } },
    {
      name: 'fault_code', description: 'Drive fault code', table: 'input', address: 18, type: 'enum', kind: 'enum',
      states: { 0: 'none', 1: 'overcurrent', 2: 'motor_overtemperature', 3: 'dry_run', 4: 'phase_loss', 5: 'drive_fault', 6: 'undervoltage' },
    },
    { name: 'pressure_setpoint', description: 'Pressure setpoint', table: 'holding', address: 0, type: 'uint16', scale: 0.01, unit: 'bar', kind: 'analog', range: { min: 0, max: 25 } },
  ],
  thresholds: [
    { id: 'fault', point: 'fault', high: 0.5, onDelayMs: 2 * SECOND_MS, priority: 'high', message: 'Pump tripped (drive or motor fault)' },
    { id: 'motor_temperature_high', point: 'motor_temperature', high: 110, deadband: 5, onDelayMs: 10 * SECOND_MS, priority: 'high', message: 'Motor winding temperature high' },
    { id: 'bearing_temperature_high', point: 'bearing_temperature', high: 85, deadband: 5, onDelayMs: 10 * SECOND_MS, priority: 'medium', message: 'Bearing temperature high' },
    // ISO 10816-3 group 2, rigid foundation: zone C starts at 2.8 mm/s, zone D at 4.5 mm/s.
    { id: 'vibration_high', point: 'vibration', high: 4.5, deadband: 0.3, onDelayMs: 30 * SECOND_MS, priority: 'medium', message: 'Vibration in ISO 10816 zone D: damage likely' },
  ],
};
