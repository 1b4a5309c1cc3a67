import { EngineeringUnits as U } from '@bacnet-js/client';

const NO_UNITS: number = U.NO_UNITS;

/**
 * BACnet engineering units → the project's unit strings (UCUM-like, as in the profiles: `degC`, `bar`,
 * `m3/h`). Units without an entry keep a readable form of the BACnet name, so a skeleton never loses
 * the information; `no-units` becomes no unit.
 */
const UNIT_STRINGS: ReadonlyMap<number, string> = new Map<number, string>([
  [U.DEGREES_CELSIUS, 'degC'],
  [U.DEGREES_FAHRENHEIT, 'degF'],
  [U.DEGREES_KELVIN, 'K'],
  [U.PERCENT, '%'],
  [U.PERCENT_RELATIVE_HUMIDITY, '%RH'],
  [U.PERCENT_OBSCURATION_PER_METER, '%/m'],
  [U.PARTS_PER_MILLION, 'ppm'],
  [U.PASCALS, 'Pa'],
  [U.KILOPASCALS, 'kPa'],
  [U.MILLIBARS, 'mbar'],
  [U.BARS, 'bar'],
  [U.CUBIC_METERS_PER_HOUR, 'm3/h'],
  [U.CUBIC_METERS_PER_SECOND, 'm3/s'],
  [U.CUBIC_METERS_PER_MINUTE, 'm3/min'],
  [U.LITERS_PER_SECOND, 'l/s'],
  [U.LITERS_PER_MINUTE, 'l/min'],
  [U.LITERS_PER_HOUR, 'l/h'],
  [U.CUBIC_METERS, 'm3'],
  [U.LITERS, 'l'],
  [U.MILLIAMPERES, 'mA'],
  [U.AMPERES, 'A'],
  [U.MILLIVOLTS, 'mV'],
  [U.VOLTS, 'V'],
  [U.KILOVOLTS, 'kV'],
  [U.HERTZ, 'Hz'],
  [U.WATTS, 'W'],
  [U.KILOWATTS, 'kW'],
  [U.MEGAWATTS, 'MW'],
  [U.KILOWATT_HOURS, 'kWh'],
  [U.MEGAWATT_HOURS, 'MWh'],
  [U.KILOVOLT_AMPERES, 'kVA'],
  [U.POWER_FACTOR, ''],
  [U.MILLISECONDS, 'ms'],
  [U.SECONDS, 's'],
  [U.MINUTES, 'min'],
  [U.HOURS, 'h'],
  [U.DAYS, 'd'],
  [U.MILLIMETERS, 'mm'],
  [U.CENTIMETERS, 'cm'],
  [U.METERS, 'm'],
  [U.MILLIMETERS_PER_SECOND, 'mm/s'],
  [U.METERS_PER_SECOND, 'm/s'],
  [U.METERS_PER_SECOND_PER_SECOND, 'm/s2'],
  [U.REVOLUTIONS_PER_MINUTE, 'rpm'],
  [U.KILOGRAMS, 'kg'],
  [U.KILOGRAMS_PER_HOUR, 'kg/h'],
  [U.NEWTON, 'N'],
  [U.LUXES, 'lx'],
  [U.DECIBELS, 'dB'],
  [U.DECIBELS_A, 'dBA'],
]);

/** The project's unit string for a BACnet unit, undefined for `no-units` (and power factor, unitless). */
export function unitString(bacnetUnit: number): string | undefined {
  if (bacnetUnit === NO_UNITS) return undefined;
  const known = UNIT_STRINGS.get(bacnetUnit);
  if (known !== undefined) return known === '' ? undefined : known;
  const name = (U as unknown as Record<number, string | undefined>)[bacnetUnit];
  return name === undefined ? `bacnet-unit-${bacnetUnit}` : name.toLowerCase().replace(/_/g, '-');
}
