import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/run-cli.js';

function siteFile(text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'fgw-validate-')), 'site.yaml');
  writeFileSync(path, text);
  return path;
}

describe('facility-gw validate / start with a bad config', () => {
  it('exits 0 on a valid file', async () => {
    const res = await runCli(['validate', 'config/example-site.yaml'], { env: { INFLUX_TOKEN: 'x', MQTT_PASSWORD: 'y' } });
    expect(res.stderr).toBe('');
    expect(res.stdout).toContain('config/example-site.yaml: ok (3 links, 5 devices, 1 sinks)');
    expect(res.code).toBe(0);
  });

  it('prints every error with file, line and path and exits 1', async () => {
    const path = siteFile(`site: {id: s, name: S}
links: [{id: l1, type: modbus-tcp, host: h}]
devices:
  - id: p1
    type: pump
    profile: pump-vfd-v1
    link: l1
    unitId: 300
  - id: p2
    type: pump
    profile: pump-vfd-v1
    link: nowhere
    unitId: 2
`);
    const res = await runCli(['validate', path]);
    expect(res.code).toBe(1);
    expect(res.stderr.trim().split('\n')).toEqual([`${path}:8 devices[0].unitId: must be <= 247`]);
  });

  it('reports semantic errors once the schema passes', async () => {
    const path = siteFile(`site: {id: s, name: S}
links: [{id: l1, type: modbus-tcp, host: h}]
devices:
  - {id: p2, type: pump, profile: pump-vfd-v1, link: nowhere, unitId: 2}
`);
    const res = await runCli(['validate', path]);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain(`${path}:4 devices[0].link: link "nowhere" is not defined in links (known: l1)`);
  });

  it('start refuses a bad config with exit 1 and starts nothing', async () => {
    const path = siteFile('site: {id: s}\n');
    const res = await runCli(['start', '--config', path, '--http-port', '0'], { timeoutMs: 20_000 });
    expect(res.code).toBe(1);
    expect(res.stderr).toContain(`${path}:1 site.name: is required`);
    expect(res.stdout).not.toContain('gateway started');
  });
});
