import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { Health } from '../../src/api/schemas.js';
import { freePort } from '../support/ports.js';

/** `facility-gw start` with no config: the demo building in-process, no external service. */
describe('facility-gw start (demo)', () => {
  it('serves a healthy demo building, then stops cleanly on SIGTERM', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'start', '--http-port', String(port)], {
      env: { ...process.env, LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let log = '';
    child.stdout.on('data', (d: Buffer) => (log += d.toString()));
    child.stderr.on('data', (d: Buffer) => (log += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    try {
      let health: Health | undefined;
      const deadline = Date.now() + 30_000;
      while (Date.now() < deadline) {
        try {
          const res = await fetch(`http://127.0.0.1:${port}/health`);
          health = (await res.json()) as Health;
          if (res.status === 200 && health.links.every((l) => l.devices.every((d) => d.state === 'online'))) break;
        } catch {
          // not listening yet
        }
        await new Promise((r) => setTimeout(r, 200));
      }
      expect(health?.status, log).toBe('ok');
      expect(health?.site.id).toBe('demo-tower');
      const devices = health?.links.flatMap((l) => l.devices) ?? [];
      // 4 Modbus elevators and 6 pumps, 2 BACnet lifts and the BACnet fire panel.
      expect(devices.filter((d) => /^(elevator|booster|sump|fire-pump|jockey-pump)-/.test(d.device))).toHaveLength(12);
      expect(health?.links.find((l) => l.protocol === 'bacnet')?.devices.map((d) => d.device).sort()).toEqual(['elevator-5', 'elevator-6', 'fire-panel-1']);
      expect(devices.filter((d) => d.device.startsWith('door-')).length).toBeGreaterThanOrEqual(30);
      expect(health?.mqtt.embeddedBroker).toMatch(/^mqtt:\/\/127\.0\.0\.1:\d+$/);
      expect(health?.mqtt.northbound?.connected).toBe(true);
      expect(health?.telemetry.enabled).toBe(false);
      expect(log).toContain('no telemetry sinks configured');
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(log).toContain('gateway stopped');
  });
});
