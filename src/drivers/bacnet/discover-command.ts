import { writeFileSync } from 'node:fs';
import type { Logger } from 'pino';
import type { BacnetLinkConfig } from '../../config/bacnet-schema.js';
import { loadConfigFile } from '../../config/loader.js';
import type { EquipmentType } from '../../profiles/types.js';
import { SystemClock, type Clock } from '../../time/clock.js';
import { discoverBacnet, type DiscoveredDevice } from './discovery.js';
import { BacnetLinkClient } from './link-client.js';
import { formatDiscovery, profileSkeleton, renderProfile } from './profile-skeleton.js';

export interface DiscoverCommandOptions {
  /** Site config whose BACnet link to use (bind address, port, broadcast, BBMD). */
  configPath?: string;
  linkId?: string;
  /** Without a config: local address[:port] to bind (default 0.0.0.0:47808). */
  bind?: string;
  broadcastAddress?: string;
  target?: string;
  timeoutMs: number;
  apduTimeoutMs?: number;
  /** Write a profile skeleton of this device instance to this file (.json or .ts). */
  profileOut?: string;
  deviceInstance?: number;
  profileId?: string;
  equipment?: EquipmentType;
  clock?: Clock;
  logger: Logger;
  /** Where the listing goes (stdout by default). */
  write?: (text: string) => void;
}

export interface DiscoverCommandResult {
  devices: DiscoveredDevice[];
  profileWritten?: string;
}

/** The `discover bacnet` command without the CLI around it: testable against the simulator. */
export async function runBacnetDiscovery(options: DiscoverCommandOptions): Promise<DiscoverCommandResult> {
  if (options.profileOut !== undefined && options.deviceInstance === undefined) throw new Error('--profile-out needs --device INSTANCE');
  const link = resolveLink(options);
  const clock = options.clock ?? new SystemClock();
  const client = new BacnetLinkClient({
    interface: link.interface,
    port: link.port,
    broadcastAddress: link.broadcastAddress,
    apduTimeoutMs: link.apduTimeoutMs,
    retries: link.retries,
    clock,
    logger: options.logger,
  });
  await client.open();
  try {
    if (link.foreignDevice) await client.registerForeignDevice(`${link.foreignDevice.bbmdAddress}:${link.foreignDevice.bbmdPort}`, link.foreignDevice.ttlS);
    const devices = await discoverBacnet({ client, clock, logger: options.logger, target: options.target, timeoutMs: options.timeoutMs, deviceInstance: options.deviceInstance });
    (options.write ?? ((t: string) => process.stdout.write(t)))(formatDiscovery(devices));
    if (options.profileOut === undefined) return { devices };
    const device = devices.find((d) => d.instance === options.deviceInstance);
    if (device === undefined) throw new Error(`device ${options.deviceInstance ?? ''} did not answer; no profile written`);
    const profile = profileSkeleton(device, { id: options.profileId ?? `bacnet-device-${device.instance}`, equipment: options.equipment ?? 'fire-panel' });
    writeFileSync(options.profileOut, renderProfile(profile, options.profileOut.endsWith('.ts') ? 'ts' : 'json'));
    return { devices, profileWritten: options.profileOut };
  } finally {
    client.close();
  }
}

function resolveLink(options: DiscoverCommandOptions): BacnetLinkConfig {
  if (options.configPath !== undefined) {
    const config = loadConfigFile(options.configPath, { displayName: options.configPath });
    const links = config.links.filter((l): l is BacnetLinkConfig => l.type === 'bacnet');
    const link = options.linkId === undefined ? links[0] : links.find((l) => l.id === options.linkId);
    if (link === undefined) {
      throw new Error(options.linkId === undefined ? `${options.configPath} has no BACnet link` : `${options.configPath} has no BACnet link "${options.linkId}" (BACnet links: ${links.map((l) => l.id).join(', ') || 'none'})`);
    }
    return options.apduTimeoutMs === undefined ? link : { ...link, apduTimeoutMs: options.apduTimeoutMs };
  }
  if (options.linkId !== undefined) throw new Error('--link needs --config FILE');
  const [host, portText] = (options.bind ?? '0.0.0.0').split(':');
  const port = portText === undefined ? 47808 : Number(portText);
  if (host === undefined || host === '' || !Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--bind ${options.bind ?? ''}: expected address[:port]`);
  return {
    id: 'discover',
    type: 'bacnet',
    interface: host,
    port,
    broadcastAddress: options.broadcastAddress ?? '255.255.255.255',
    apduTimeoutMs: options.apduTimeoutMs ?? 3000,
    retries: 1,
    backoffInitialMs: 1000,
    backoffMaxMs: 60_000,
    covLifetimeS: 300,
    covConfirmed: false,
    covInitialNotificationMs: 5000,
    covVerifyIntervalMs: 60_000,
    covRetryMs: 600_000,
  };
}
