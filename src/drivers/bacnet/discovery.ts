import type { Logger } from 'pino';
import type { Clock } from '../../time/clock.js';
import { OBJ, PROP } from './codes.js';
import { toBacnetError } from './errors.js';
import type { BacnetLinkClient, IAm, RequestTarget } from './link-client.js';
import { anyObjectTypeName, objectTypeName } from './objects.js';
import type { AppValue } from './values.js';

/**
 * Commissioning: find the devices on a BACnet/IP network (Who-Is, broadcast or unicast), then read each
 * one's name, vendor and object list, and the name, description, units and state texts of every object
 * the driver can read. Runs on a BacnetLinkClient, so it needs no gateway and no CLI.
 */

export interface DiscoveredObject {
  type: number;
  /** The profile's name of the type, undefined for types the driver does not read. */
  typeName: string;
  supported: boolean;
  instance: number;
  name: string | undefined;
  description: string | undefined;
  /** BACnet engineering-units enum value (analog objects). */
  units: number | undefined;
  /** Multi-state objects: state-text (index 0 = state 1). */
  stateText: string[] | undefined;
  /** Why something could not be read. */
  error?: string;
}

export interface DiscoveredDevice {
  instance: number;
  address: string;
  maxApdu: number;
  vendorId: number;
  vendorName: string | undefined;
  name: string | undefined;
  modelName: string | undefined;
  objects: DiscoveredObject[];
  error?: string;
}

export interface DiscoverOptions {
  client: BacnetLinkClient;
  clock: Clock;
  logger: Logger;
  /** Unicast Who-Is to this address (ip or ip:port); broadcast when absent. */
  target?: string;
  /** How long to collect I-Ams, ms. */
  timeoutMs: number;
  /** Only this device instance (Who-Is with a range of one). */
  deviceInstance?: number;
  /** Read object lists and details (default true). */
  details?: boolean;
}

export async function discoverBacnet(options: DiscoverOptions): Promise<DiscoveredDevice[]> {
  const { client, clock } = options;
  const found = new Map<string, IAm>();
  const stop = client.onIAm((iAm) => {
    if (options.deviceInstance !== undefined && iAm.deviceInstance !== options.deviceInstance) return;
    found.set(`${iAm.address}/${iAm.deviceInstance}`, iAm);
  });
  try {
    const range = options.deviceInstance === undefined ? undefined : { low: options.deviceInstance, high: options.deviceInstance };
    client.whoIs(options.target, range);
    await clock.sleep(options.timeoutMs);
  } finally {
    stop();
  }
  const devices: DiscoveredDevice[] = [];
  for (const iAm of [...found.values()].sort((a, b) => a.deviceInstance - b.deviceInstance)) {
    devices.push(options.details === false ? bare(iAm) : await describeDevice(client, iAm, options.logger));
  }
  return devices;
}

function bare(iAm: IAm): DiscoveredDevice {
  return { instance: iAm.deviceInstance, address: iAm.address, maxApdu: iAm.maxApdu, vendorId: iAm.vendorId, vendorName: undefined, name: undefined, modelName: undefined, objects: [] };
}

async function describeDevice(client: BacnetLinkClient, iAm: IAm, log: Logger): Promise<DiscoveredDevice> {
  const device = bare(iAm);
  const target: RequestTarget = { address: iAm.address, label: `device ${iAm.deviceInstance} at ${iAm.address}` };
  const readText = async (type: number, instance: number, property: number): Promise<string | undefined> => {
    try {
      return textOf(await client.readProperty(target, type, instance, property));
    } catch {
      return undefined;
    }
  };
  device.name = await readText(OBJ.DEVICE, iAm.deviceInstance, PROP.OBJECT_NAME);
  device.vendorName = await readText(OBJ.DEVICE, iAm.deviceInstance, PROP.VENDOR_NAME);
  device.modelName = await readText(OBJ.DEVICE, iAm.deviceInstance, PROP.MODEL_NAME);
  let list: Array<{ type: number; instance: number }>;
  try {
    list = await readObjectList(client, target, iAm.deviceInstance);
  } catch (err) {
    device.error = `object list: ${toBacnetError(err, target.label).message}`;
    log.warn({ device: iAm.deviceInstance, err: device.error }, 'cannot read the object list');
    return device;
  }
  for (const { type, instance } of list) {
    if (type === OBJ.DEVICE) continue;
    const supported = objectTypeName(type) !== undefined;
    const object: DiscoveredObject = { type, typeName: anyObjectTypeName(type), supported, instance, name: undefined, description: undefined, units: undefined, stateText: undefined };
    object.name = await readText(type, instance, PROP.OBJECT_NAME);
    if (supported) {
      object.description = await readText(type, instance, PROP.DESCRIPTION);
      if (type === OBJ.ANALOG_INPUT || type === OBJ.ANALOG_VALUE) {
        try {
          const units = (await client.readProperty(target, type, instance, PROP.UNITS))[0]?.value;
          object.units = typeof units === 'number' ? units : undefined;
        } catch (err) {
          object.error = toBacnetError(err, 'units').message;
        }
      }
      if (type === OBJ.MULTI_STATE_INPUT || type === OBJ.MULTI_STATE_VALUE) {
        try {
          object.stateText = (await client.readProperty(target, type, instance, PROP.STATE_TEXT)).map((v) => String(v.value));
        } catch (err) {
          object.error = toBacnetError(err, 'state-text').message;
        }
      }
    }
    device.objects.push(object);
  }
  return device;
}

/** The whole list at once, or (when it does not fit an unsegmented reply) its length and then each entry. */
async function readObjectList(client: BacnetLinkClient, target: RequestTarget, instance: number): Promise<Array<{ type: number; instance: number }>> {
  try {
    return objectIds(await client.readProperty(target, OBJ.DEVICE, instance, PROP.OBJECT_LIST));
  } catch (err) {
    const error = toBacnetError(err, target.label);
    if (error.noAnswer) throw error;
  }
  const countValue = (await client.readProperty(target, OBJ.DEVICE, instance, PROP.OBJECT_LIST, 0))[0]?.value;
  const count = typeof countValue === 'number' ? countValue : 0;
  const ids: Array<{ type: number; instance: number }> = [];
  for (let i = 1; i <= count; i++) ids.push(...objectIds(await client.readProperty(target, OBJ.DEVICE, instance, PROP.OBJECT_LIST, i)));
  return ids;
}

function objectIds(values: readonly AppValue[]): Array<{ type: number; instance: number }> {
  return values
    .map((v) => v.value as { type?: unknown; instance?: unknown })
    .filter((v): v is { type: number; instance: number } => typeof v === 'object' && v !== null && typeof v.type === 'number' && typeof v.instance === 'number');
}

function textOf(values: readonly AppValue[]): string | undefined {
  const value = values[0]?.value;
  return typeof value === 'string' ? value : undefined;
}
