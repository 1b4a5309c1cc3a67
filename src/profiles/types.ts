import type { PointValue } from '../points/sample.js';

/**
 * Device profiles: equipment described as data. A profile is the point map of one kind of controller
 * (a Modbus register map, or the MQTT topics and payloads of a device) plus the default alarm rules for
 * its equipment type. The driver, the simulator and the rules all read the same profile, so a map is
 * written once.
 */

/** Modbus tables: coils (0x), discrete inputs (1x), input registers (3x), holding registers (4x). */
export type RegisterTable = 'coil' | 'discrete' | 'input' | 'holding';

/**
 * - bool: a coil or discrete input (one bit).
 * - bit: one bit (0 = least significant) of a 16-bit register.
 * - enum: a uint16 register whose values name states.
 */
export type DataType = 'bool' | 'bit' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'float32' | 'float64' | 'enum';

/**
 * Byte and word order of multi-register values, as Telegraf and Home Assistant name them. The letters are
 * the bytes of the value from most to least significant, in the order they arrive on the wire:
 * ABCD big-endian (Modbus default), CDAB word-swapped, BADC byte-swapped, DCBA little-endian.
 */
export type ByteOrder = 'ABCD' | 'CDAB' | 'BADC' | 'DCBA';

export type PointKind = 'analog' | 'binary' | 'enum' | 'counter';

export type EquipmentType = 'elevator' | 'pump' | 'access-controller' | 'door';

export type AlarmPriority = 'critical' | 'high' | 'medium' | 'low';

/** What every point definition has, whatever protocol carries it. */
export interface PointDefBase {
  /** snake_case, unique within the profile; becomes the InfluxDB field name. */
  name: string;
  description: string;
  /** Engineering unit (UCUM-like: `bar`, `m3/h`, `A`, `Hz`, `degC`, `mm/s`, `h`). Required for analog and counter. */
  unit?: string;
  kind: PointKind;
  /** For enum points: raw value → state name. */
  states?: Record<number, string>;
  /** Physical range of the value, used by checks and by the simulator. */
  range?: { min: number; max: number };
  /** The gateway never writes unless a point is marked writable; a fire panel never is. */
  writable?: boolean;
}

export interface ModbusPointDef extends PointDefBase {
  table: RegisterTable;
  /** Zero-based protocol address (register 40001 is holding address 0). */
  address: number;
  type: DataType;
  /** For multi-register types; defaults to ABCD. */
  order?: ByteOrder;
  /** For type `bit`: bit index 0..15. */
  bit?: number;
  /** value = raw * scale + offset (numeric types only). */
  scale?: number;
  offset?: number;
}

/**
 * How an MQTT payload becomes a value: the whole payload as JSON, a plain number, a plain string or a
 * boolean word (`true/false`, `1/0`, `on/off`); `path` picks a field out of a JSON object
 * (`door.open`, `readings.0.value`).
 */
export type PayloadFormat = 'json' | 'number' | 'string' | 'boolean';

export interface PayloadDecode {
  format: PayloadFormat;
  /** Field path inside a JSON payload (dot-separated; array indexes as numbers); the whole payload when absent. */
  path?: string;
  /**
   * Maps a decoded value (as a string) to the point's value, e.g. `{ OPEN: true, CLOSED: false }`.
   * A value that is not listed is a decode error.
   */
  map?: Record<string, PointValue>;
}

/**
 * Topics are patterns: `{device}` is the device id and `{name}` any of the device's `topicVars`
 * (e.g. `acs/{controller}/door/{door}/state`). After substitution they may still hold MQTT wildcards
 * (`+`, `#`).
 */
export interface MqttPointDef extends PointDefBase {
  topic: string;
  decode: PayloadDecode;
}

/**
 * An event is something that happened (a badge was refused, a door was forced), not a level: event rules
 * count it; it never becomes a point's "current value".
 */
export interface MqttEventDef {
  /** snake_case event name, e.g. `access_denied`. */
  name: string;
  description: string;
  topic: string;
  /** Only messages whose JSON field at `path` equals one of `values` are this event (e.g. `type` = `denied`). */
  match?: { path: string; values: PointValue[] };
  /** Event attribute name → JSON field path, copied from the payload (e.g. `badge: badge.id`). */
  attributes?: Record<string, string>;
}

/** How the gateway knows an MQTT device is there: its last-will status topic, a heartbeat, or both. */
export interface MqttAvailability {
  /** Retained status topic that the device's last will sets to `offlineValue`. */
  statusTopic?: string;
  onlineValue?: string;
  offlineValue?: string;
  /** A message on this topic at least every `heartbeatTimeoutMs` means the device is alive. */
  heartbeatTopic?: string;
  heartbeatTimeoutMs?: number;
}

/** A high or low limit on one point, with deadband and delays so it does not chatter. */
export interface ThresholdDef {
  /** Stable id within the device, e.g. `discharge_pressure_low`. */
  id: string;
  point: string;
  /** Raise when value > high (or value < low). Exactly one of the two. */
  high?: number;
  low?: number;
  /** Clear only once the value is back past the limit by this much. Default 0. */
  deadband?: number;
  /** The condition must hold this long before the alarm raises. Default 0. */
  onDelayMs?: number;
  /** The condition must be gone this long before the alarm clears. Default 0. */
  offDelayMs?: number;
  priority: AlarmPriority;
  message: string;
}

/**
 * Counts occurrences of an event: raises when at least `count` of them fall within the last `windowMs`,
 * clears when the window holds fewer again (e.g. 5 refused badges at one door within 2 minutes; a forced
 * door is `count: 1`).
 */
export interface EventRuleDef {
  id: string;
  event: string;
  count: number;
  windowMs: number;
  priority: AlarmPriority;
  message: string;
}

interface ProfileBase {
  id: string;
  equipment: EquipmentType;
  description: string;
  thresholds: ThresholdDef[];
}

export interface ModbusProfile extends ProfileBase {
  protocol: 'modbus';
  points: ModbusPointDef[];
}

export interface MqttProfile extends ProfileBase {
  protocol: 'mqtt';
  points: MqttPointDef[];
  events: MqttEventDef[];
  eventRules: EventRuleDef[];
  availability?: MqttAvailability;
}

export type DeviceProfile = ModbusProfile | MqttProfile;

export type ProfileProtocol = DeviceProfile['protocol'];

/** Registers (or bits, for coil/discrete) that a data type occupies. */
export function registerCount(type: DataType): number {
  switch (type) {
    case 'bool':
    case 'bit':
    case 'int16':
    case 'uint16':
    case 'enum':
      return 1;
    case 'int32':
    case 'uint32':
    case 'float32':
      return 2;
    case 'float64':
      return 4;
  }
}

export function isBitTable(table: RegisterTable): boolean {
  return table === 'coil' || table === 'discrete';
}
