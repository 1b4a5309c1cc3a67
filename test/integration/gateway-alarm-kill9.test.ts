import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { SiteConfig } from '../../src/config/schema.js';
import { SystemClock } from '../../src/time/clock.js';
import { startSimulator, type SimulatorHandle } from '../../simulator/simulator.js';
import { freePort } from '../support/ports.js';
import { sleep, waitUntil } from '../support/wait.js';

const ALARM = 'elevator-2:passenger_trapped';
const ADMIN_TOKEN = 'drill-admin-token-0123456789';

interface Push {
  key: string;
  kind: string;
  /** `person:<id>` or `channel:<id>`. */
  recipient?: string;
  link?: string;
  receivedAt: number;
}

/**
 * The kill -9 drill of alarm management, on a real gateway process: an alarm is raised and pushed to the
 * first escalation level, the process is killed with SIGKILL and started again. Nothing may be lost (the
 * alarm, its raise time, its work order), nothing sent twice (the first push, the order), and the
 * escalation to the second level must come when it was due, not a full wait after the restart.
 */
describe('gateway kill -9 drill: alarms, pushes, escalations and work orders', () => {
  let sim: SimulatorHandle;
  let receiver: Server;
  const pushes: Push[] = [];
  let dir: string;
  let configPath: string;
  let apiPort: number;
  let gateway: ChildProcess | undefined;
  let log = '';

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gw-kill9-'));
    sim = await startSimulator({ clock: new SystemClock(), seed: 11, controlPort: null });
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        pushes.push({ ...(JSON.parse(body) as Omit<Push, 'receivedAt'>), receivedAt: Date.now() });
        res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const address = receiver.address();
    if (address === null || typeof address === 'string') throw new Error('receiver has no port');
    apiPort = await freePort();

    const demo = sim.siteConfig();
    // The Modbus part of the demo: its doors would need the simulator connected to the child's broker.
    const config: SiteConfig = {
      ...demo,
      northbound: undefined,
      http: { host: '127.0.0.1', port: apiPort },
      links: demo.links.filter((l) => l.type === 'modbus-tcp'),
      devices: demo.devices.filter((d) => d.link === 'elevators' || d.link === 'plant-room'),
      store: { path: join(dir, 'state', 'gw.db') },
      auth: { anonymousRead: true, tokens: [{ name: 'chief', role: 'admin', token: ADMIN_TOKEN }] },
      // No secret configured: the gateway generates one and keeps it in the store, so links survive restarts.
      alarmManagement: { maxShelveMinutes: 60, maxOutOfServiceHours: 24, chatter: { cycles: 3, windowSeconds: 60 }, ackLinks: { baseUrl: `http://127.0.0.1:${apiPort}/`, expiryMinutes: 60 } },
      notifications: {
        channels: [{ id: 'hook', type: 'webhook', url: `http://127.0.0.1:${address.port}/push` }],
        people: [
          { id: 'li', name: 'Li Wei', contacts: { hook: 'li' } },
          { id: 'chief', name: 'Chief engineer', contacts: { hook: 'chief' } },
        ],
        policies: [{ id: 'lifts', levels: [{ notify: [{ person: 'li' }], waitMinutes: 1 }, { notify: [{ person: 'chief' }], waitMinutes: 1 }] }],
        routes: [{ match: { priorities: ['critical'] }, policy: 'lifts' }],
      } as unknown as SiteConfig['notifications'],
    };
    delete (config as { northbound?: unknown }).northbound;
    configPath = join(dir, 'site.yaml');
    writeFileSync(configPath, stringify(config));
  });

  afterAll(async () => {
    gateway?.kill('SIGKILL');
    await new Promise<void>((resolve) => receiver.close(() => resolve()));
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function startGateway(): Promise<void> {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'start', '--config', configPath], {
      env: { ...process.env, LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (d: Buffer) => (log += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (log += d.toString()));
    gateway = child;
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      try {
        if ((await fetch(`http://127.0.0.1:${apiPort}/alarms`)).ok) return;
      } catch {
        // not listening yet
      }
      await sleep(100);
    }
    throw new Error(`gateway did not start:\n${log}`);
  }

  async function alarm(): Promise<{ state: string; raisedAt?: number } | undefined> {
    const res = await fetch(`http://127.0.0.1:${apiPort}/alarms/${ALARM}`);
    return res.ok ? ((await res.json()) as { state: string; raisedAt?: number }) : undefined;
  }

  const pushesTo = (person: string) => pushes.filter((p) => p.recipient === `person:${person}` && p.key.startsWith(`${ALARM}@`));

  it('resumes after SIGKILL with nothing lost, nothing sent twice, and the escalation on time', async () => {
    await startGateway();
    sim.startScenario('trapped-passenger', 'elevator-2');
    await waitUntil(() => pushesTo('li').length === 1, 'the first-level push', 20_000, 50);
    const before = await alarm();
    expect(before?.state).toBe('unack-active');
    const raisedAt = before?.raisedAt ?? 0;
    expect((await (await fetch(`http://127.0.0.1:${apiPort}/work-orders?asset=elevator-2&type=corrective`)).json()) as unknown[]).toHaveLength(1);

    // Killed 25 s into the one-minute wait: an escalation timer started afresh at the restart would fire at
    // about raise + 85 s, well past the bound below.
    await sleep(25_000);
    const killed = new Promise((resolve) => gateway?.once('close', resolve));
    gateway?.kill('SIGKILL');
    await killed;
    await startGateway();

    const after = await alarm();
    expect(after, log).toMatchObject({ state: 'unack-active', raisedAt });
    // The restarted gateway sees the passenger still trapped: the same episode, not a new one.
    await sleep(3_000);
    expect(pushesTo('li'), 'the first level is not pushed again').toHaveLength(1);
    const orders = (await (await fetch(`http://127.0.0.1:${apiPort}/work-orders?asset=elevator-2&type=corrective`)).json()) as Array<{ occurrences: number }>;
    expect(orders, `no second work order for the same fault: ${JSON.stringify(await (await fetch(`http://127.0.0.1:${apiPort}/work-orders`)).json())}`).toMatchObject([{ occurrences: 1 }]);

    // Level 2 is due one minute after the raise. A restart that lost the escalation step would either never
    // send it or send it a full minute after the restart.
    await waitUntil(() => pushesTo('chief').length === 1, 'the second-level push', 80_000, 100);
    const chief = pushesTo('chief')[0];
    expect(chief?.receivedAt ?? 0).toBeLessThan(raisedAt + 60_000 + 8_000);
    expect(chief?.receivedAt ?? 0).toBeGreaterThanOrEqual(raisedAt + 60_000 - 1_000);
    expect(chief?.kind).toBe('escalation');

    // The chief acknowledges from the phone with the link in the push, made before or after the restart.
    const link = chief?.link;
    expect(link).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${apiPort}/ack/`));
    expect((await fetch(link ?? '')).status, 'GET only shows the alarm').toBe(200);
    expect((await alarm())?.state).toBe('unack-active');
    const ack = await fetch(link ?? '', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'comment=contractor+on+the+way' });
    expect(ack.status).toBe(200);
    expect((await fetch(link ?? '', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '' })).status, 'single use').toBe(410);
    const history = (await (await fetch(`http://127.0.0.1:${apiPort}/alarms/history?alarm=${ALARM}`)).json()) as Array<{ action: string; by?: string; comment?: string }>;
    expect(history.map((h) => h.action)).toEqual(['ack', 'raise']);
    expect(history[0]).toMatchObject({ by: 'Chief engineer', comment: 'contractor on the way' });
    // After the acknowledgement nothing more goes out, and the API takes an admin's comment.
    await sleep(1_000);
    expect(pushes.filter((p) => p.key.startsWith(`${ALARM}@`) && p.kind !== 'resolve')).toHaveLength(2);
    const stop = await fetch(`http://127.0.0.1:${apiPort}/alarms/${ALARM}/comments`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'drill over' }),
    });
    expect(stop.status).toBe(200);
  }, 150_000);
});
