import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBacnetDiscovery } from '../../src/drivers/bacnet/discover-command.js';
import { silentLogger } from '../../src/log.js';
import type { BacnetProfile } from '../../src/profiles/types.js';
import { startBacnetDeviceServer, type BacnetDeviceServer } from '../../simulator/bacnet/device-server.js';
import { testObjects } from './bacnet-support.js';

/** Discovery against two simulated devices; the tool binds 127.0.0.1:47861, devices 127.0.0.81/82. */

describe('discover bacnet', () => {
  const servers: BacnetDeviceServer[] = [];
  let dir = '';
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bacnet-discover-'));
    servers.push(await startBacnetDeviceServer({ address: '127.0.0.81', deviceInstance: 8101, deviceName: 'Fire Panel North', vendorName: 'Acme Fire', vendorId: 999, objects: testObjects() }));
    servers.push(await startBacnetDeviceServer({ address: '127.0.0.82', deviceInstance: 8102, deviceName: 'Lift Gateway', objects: testObjects().slice(0, 2), maxApdu: 206 }));
  });
  afterAll(async () => {
    for (const s of servers) await s.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('finds a device by unicast Who-Is and lists its objects with names, units and state texts', async () => {
    let out = '';
    const { devices } = await runBacnetDiscovery({ bind: '127.0.0.1:47861', target: '127.0.0.81', timeoutMs: 300, apduTimeoutMs: 500, logger: silentLogger(), write: (t) => (out += t) });
    expect(devices).toHaveLength(1);
    const [panel] = devices;
    expect(panel).toMatchObject({ instance: 8101, address: '127.0.0.81', vendorId: 999, vendorName: 'Acme Fire', name: 'Fire Panel North' });
    expect(panel?.objects.map((o) => `${o.typeName} ${o.instance} ${o.name ?? ''}`)).toEqual([
      'analog-input 1 Room Temperature',
      'binary-input 2 Supply OK',
      'multi-state-value 3 Panel Mode',
      'life-safety-zone 4 Zone 1',
      'life-safety-point 5 Detector 5',
    ]);
    expect(panel?.objects[0]?.units).toBe(62);
    expect(panel?.objects[2]?.stateText).toEqual(['Normal', 'Test', 'Maintenance']);
    expect(out).toMatch(/device 8101 at 127\.0\.0\.81: Fire Panel North/);
    expect(out).toMatch(/analog-input 1: Room Temperature \[degC\]/);
  });

  it('writes a profile skeleton for one device', async () => {
    const file = join(dir, 'panel.json');
    const result = await runBacnetDiscovery({ bind: '127.0.0.1:47861', target: '127.0.0.81', timeoutMs: 300, apduTimeoutMs: 500, profileOut: file, deviceInstance: 8101, profileId: 'acme-panel', logger: silentLogger(), write: () => undefined });
    expect(result.profileWritten).toBe(file);
    const profile = JSON.parse(readFileSync(file, 'utf8')) as BacnetProfile;
    expect(profile).toMatchObject({ id: 'acme-panel', protocol: 'bacnet', equipment: 'fire-panel' });
    expect(profile.points.map((p) => p.name)).toEqual(['room_temperature', 'supply_ok', 'panel_mode', 'zone_1', 'zone_1_mode', 'detector_5', 'detector_5_mode']);
    expect(profile.points[0]).toMatchObject({ kind: 'analog', unit: 'degC', object: { type: 'analog-input', instance: 1 } });
    expect(profile.points[2]?.states).toEqual({ 1: 'normal', 2: 'test', 3: 'maintenance' });
    expect(profile.points[4]).toMatchObject({ property: 'mode', kind: 'enum' });
  });

  it('refuses --profile-out without --device, and says when the device did not answer', async () => {
    await expect(runBacnetDiscovery({ bind: '127.0.0.1:47861', timeoutMs: 100, profileOut: join(dir, 'x.json'), logger: silentLogger(), write: () => undefined })).rejects.toThrow(/--device/);
    await expect(
      runBacnetDiscovery({ bind: '127.0.0.1:47861', target: '127.0.0.83', timeoutMs: 200, profileOut: join(dir, 'x.json'), deviceInstance: 1, logger: silentLogger(), write: () => undefined }),
    ).rejects.toThrow(/did not answer/);
  });
});
