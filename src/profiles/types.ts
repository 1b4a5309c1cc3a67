/**
 * Device profiles: equipment described as data. A profile is the register map of one kind of controller
 * plus the default alarm thresholds for its equipment type. The driver, the simulator and the rules all
 * read the same profile, so a register map is written once.
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

export type EquipmentType = 'elevator' | 'pump';

export interface ModbusPointDef {
  /** snake_case, unique within the profile; becomes the InfluxDB field name. */
  name: string;
  description: string;
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
  /** Engineering unit (UCUM-like: `bar`, `m3/h`, `A`, `Hz`, `degC`, `mm/s`, `h`). Required for analog. */
  unit?: string;
  kind: PointKind;
  /** For enum points: raw value → state name. */
  states?: Record<number, string>;
  /** Physical range of the value, used by checks and by the simulator. */
  range?: { min: number; max: number };
  /** The gateway never writes unless a point is marked writable; a fire panel never is. */
  writable?: boolean;
}

export type AlarmPriority = 'critical' | 'high' | 'medium' | 'low';

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

export interface DeviceProfile {
  id: string;
  equipment: EquipmentType;
  description: string;
  points: ModbusPointDef[];
  thresholds: ThresholdDef[];
}

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
