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

export type EquipmentType = 'elevator' | 'pump' | 'access-controller' | 'door' | 'fire-panel';

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

/**
 * The rationalisation of an alarm (ISA-18.2): why it exists and what the person who receives it must do.
 * It travels into every push.
 */
export interface AlarmRationale {
  cause: string;
  consequence: string;
  action: string;
}

/** What every alarm definition may carry besides its condition (ISA-18.2 per-alarm settings). */
export interface AlarmDefSettings {
  rationale?: AlarmRationale;
  /** Stays active after the condition clears, until an operator resets it. */
  latched?: boolean;
  /** Acknowledged but still active this long: the alarm annunciates again. */
  reAlarmMs?: number;
  /**
   * Fire and life-safety signals: never delayed, grouped, shelved or suppressed. The rule compiler refuses
   * an on-delay or a `suppressWhen` on such an alarm.
   */
  lifeSafety?: boolean;
  /**
   * Suppression by design: an expression over the device's points (the condition language of
   * `src/rules/expr`); while it is true the alarm is still evaluated but not annunciated
   * (e.g. `mode == "maintenance"`, `inspection_mode`).
   */
  suppressWhen?: string;
  /** Id of the work-order template an occurrence opens (work orders). */
  workOrder?: string;
}

/** A high or low limit on one point, with deadband and delays so it does not chatter. */
export interface ThresholdDef extends AlarmDefSettings {
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
export interface EventRuleDef extends AlarmDefSettings {
  id: string;
  event: string;
  count: number;
  windowMs: number;
  priority: AlarmPriority;
  message: string;
}

interface ConditionDefBase extends AlarmDefSettings {
  /** Stable id within the device; shares the id space of thresholds and event rules. */
  id: string;
  priority: AlarmPriority;
  message: string;
  /** The condition must hold this long before the alarm raises. Default 0; refused on life-safety alarms. */
  onDelayMs?: number;
  /** The condition must be gone this long before the alarm clears. Default 0. */
  offDelayMs?: number;
}

/**
 * Discrete states: active while an enum or binary point is in one of `states` (enum state names, raw enum
 * numbers, or booleans), e.g. an elevator's fault code, a life-safety point in `alarm`.
 */
export interface StateAlarmDef extends ConditionDefBase {
  kind: 'state';
  point: string;
  states: PointValue[];
}

/**
 * Rate of change: active while the point moves faster than `risePerMinute` (or falls faster than
 * `fallPerMinute`, a positive number) in the point's unit per minute, measured over `windowMs`.
 */
export interface RateAlarmDef extends ConditionDefBase {
  kind: 'rate';
  point: string;
  risePerMinute?: number;
  fallPerMinute?: number;
  /** The span the slope is measured over. */
  windowMs: number;
}

/**
 * An expression over several points of one device, in the safe compiled condition language
 * (`discharge_pressure < 2 and running`).
 */
export interface ExpressionAlarmDef extends ConditionDefBase {
  kind: 'expression';
  when: string;
}

/**
 * N occurrences within M: active while the condition `when` (an expression) has become true at least
 * `count` times within the last `windowMs` (e.g. `running` started 6 times in an hour: a leaking jockey
 * pump; a door re-opened 5 times in 10 minutes).
 */
export interface RepeatAlarmDef extends ConditionDefBase {
  kind: 'repeat';
  when: string;
  count: number;
  windowMs: number;
}

export type ConditionAlarmDef = StateAlarmDef | RateAlarmDef | ExpressionAlarmDef | RepeatAlarmDef;

interface ProfileBase {
  id: string;
  equipment: EquipmentType;
  description: string;
  thresholds: ThresholdDef[];
  /** Alarms on discrete states, rates of change, expressions and repeats (besides the thresholds). */
  alarms?: ConditionAlarmDef[];
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

/** BACnet object types the driver reads. */
export type BacnetObjectType =
  | 'analog-input'
  | 'analog-value'
  | 'binary-input'
  | 'binary-value'
  | 'multi-state-input'
  | 'multi-state-value'
  | 'life-safety-point'
  | 'life-safety-zone';

/** The property a point reads; `present-value` unless said otherwise. */
export type BacnetPointProperty = 'present-value' | 'mode' | 'tracking-value';

/**
 * A BACnet point: one property of one object. Enum points (multi-state, life-safety state and mode) name
 * their states in `states`; binary objects are booleans (active = true).
 */
export interface BacnetPointDef extends PointDefBase {
  object: { type: BacnetObjectType; instance: number };
  property?: BacnetPointProperty;
  /** Subscribe to COV for this point when the device offers it (default true); polled otherwise. */
  cov?: boolean;
}

export interface BacnetProfile extends ProfileBase {
  protocol: 'bacnet';
  points: BacnetPointDef[];
}

export type DeviceProfile = ModbusProfile | MqttProfile | BacnetProfile;

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
