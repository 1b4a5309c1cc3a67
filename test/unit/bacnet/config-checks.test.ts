import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/config/config-error.js';
import { parseConfig } from '../../../src/config/loader.js';
import type { BacnetProfile, DeviceProfile } from '../../../src/profiles/types.js';

const panel: BacnetProfile = {
  id: 'panel-v1', protocol: 'bacnet', equipment: 'fire-panel', description: 'panel', thresholds: [],
  points: [{ name: 'zone_1', description: 'zone', kind: 'enum', object: { type: 'life-safety-zone', instance: 1 } }],
};
const writablePanel: BacnetProfile = { ...panel, id: 'panel-writable', points: [{ ...panel.points[0]!, writable: true }] };
const profiles = new Map<string, DeviceProfile>([[panel.id, panel], [writablePanel.id, writablePanel]]);
const findProfile = (id: string) => profiles.get(id);

const site = (devices: string) => `site: { id: s, name: S }
links:
  - { id: bn, type: bacnet, interface: 127.0.0.1, port: 47808 }
devices:
${devices}`;

function issues(text: string): string[] {
  try {
    parseConfig(text, { env: {}, findProfile });
    return [];
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return err.issues.map((i) => `${i.path} line ${i.line ?? '?'}: ${i.message}`);
  }
}

describe('BACnet config', () => {
  it('accepts a BACnet link and device with defaults filled in', () => {
    const config = parseConfig(site('  - { id: fp1, type: fire-panel, profile: panel-v1, link: bn, address: "127.0.0.2", deviceInstance: 10 }'), { env: {}, findProfile });
    expect(config.links[0]).toMatchObject({ type: 'bacnet', broadcastAddress: '255.255.255.255', apduTimeoutMs: 3000, covLifetimeS: 300 });
    expect(config.devices[0]).toMatchObject({ address: '127.0.0.2', deviceInstance: 10 });
  });

  it('requires address and device instance on a BACnet link, unique instances, and no unit id', () => {
    const found = issues(site(`  - { id: fp1, type: fire-panel, profile: panel-v1, link: bn, unitId: 3 }
  - { id: fp2, type: fire-panel, profile: panel-v1, link: bn, address: "127.0.0.3", deviceInstance: 7 }
  - { id: fp3, type: fire-panel, profile: panel-v1, link: bn, address: "127.0.0.4:47809", deviceInstance: 7 }`));
    expect(found.join('\n')).toMatch(/devices\[0\]\.address line 5: is required on a BACnet link/);
    expect(found.join('\n')).toMatch(/devices\[0\]\.deviceInstance line 5: is required/);
    expect(found.join('\n')).toMatch(/devices\[0\]\.unitId line 5: only devices on Modbus links/);
    expect(found.join('\n')).toMatch(/devices\[2\]\.deviceInstance line 7: device instance 7 is already used by device "fp2"/);
  });

  it('rejects a malformed device address', () => {
    expect(issues(site('  - { id: fp1, type: fire-panel, profile: panel-v1, link: bn, address: "10.0.0.300", deviceInstance: 1 }')).join('\n')).toMatch(/devices\[0\]\.address/);
  });

  it('refuses writable points on a fire panel, with file, line and path', () => {
    const found = issues(site(`  - id: fp1
    type: fire-panel
    profile: panel-v1
    link: bn
    address: "127.0.0.2"
    deviceInstance: 1
    writable: [zone_1]`));
    expect(found).toEqual([expect.stringMatching(/^devices\[0\]\.writable\[0\] line 11: point "zone_1" cannot be writable: the gateway never writes to a fire panel/)]);
  });

  it('refuses a fire-panel profile with a writable point', () => {
    expect(issues(site('  - { id: fp1, type: fire-panel, profile: panel-writable, link: bn, address: "127.0.0.2", deviceInstance: 1 }')).join('\n')).toMatch(
      /devices\[0\]\.profile line 5: profile "panel-writable" marks point "zone_1" writable/,
    );
  });
});
