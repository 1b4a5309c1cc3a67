import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfigFile } from '../../../src/config/loader.js';
import { ConfigReloader } from '../../../src/gateway/config-reloader.js';
import { Gateway } from '../../../src/gateway/gateway.js';
import { silentLogger } from '../../../src/log.js';
import { SystemClock } from '../../../src/time/clock.js';
import { waitUntil } from '../../support/wait.js';

// No links: nothing is polled; the test is about reading the files and swapping the rules.
const SITE = `
site: { id: tower, name: Tower }
store: { path: ":memory:" }
devices:
  - { id: pump-1, type: pump, profile: pump-vfd-v1, link: plant, unitId: 1 }
links:
  - { id: plant, type: modbus-tcp, host: 127.0.0.1, port: 1502 }
ruleFiles: [rules]
`;
const RULES = (high: number) => `rules:\n  - for: { type: pump }\n    thresholds:\n      - { id: flow_high, point: flow, high: ${high}, priority: medium, message: Flow high }\n`;

describe('ConfigReloader', () => {
  let dir: string;
  let gateway: Gateway;
  let reloader: ConfigReloader;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'reloader-'));
    mkdirSync(join(dir, 'rules'));
    writeFileSync(join(dir, 'site.yaml'), SITE);
    writeFileSync(join(dir, 'rules', 'pumps.yaml'), RULES(400));
    const clock = new SystemClock();
    const config = { ...loadConfigFile(join(dir, 'site.yaml')), links: [] };
    gateway = new Gateway({ config, clock, logger: silentLogger() });
    reloader = new ConfigReloader(join(dir, 'site.yaml'), gateway, clock, silentLogger());
  });
  afterEach(async () => {
    reloader.stop();
    await gateway.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reloads when a rule file changes on disk, and refuses a file that does not validate', async () => {
    await gateway.start();
    reloader.watch();
    writeFileSync(join(dir, 'rules', 'pumps.yaml'), RULES(350));
    await waitUntil(() => gateway.lastRuleReload() !== undefined, 'a reload after the file changed', 5_000);
    expect(gateway.lastRuleReload()).toMatchObject({ applied: true, changed: ['pump-1:flow_high'] });

    writeFileSync(join(dir, 'rules', 'pumps.yaml'), 'rules:\n  - for: { type: pump }\n    thresholds:\n      - { id: x, point: flwo, high: 1, priority: medium, message: m }\n');
    const refused = reloader.reload('test');
    expect(refused.applied).toBe(false);
    expect(refused.errors).toEqual([expect.stringMatching(/rules\/pumps\.yaml:4 rules\[0\]\.thresholds\[0\]\.point: point "flwo"/) as unknown]);
  });
});
