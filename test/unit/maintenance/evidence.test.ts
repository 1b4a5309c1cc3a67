import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MaintenanceConfig } from '../../../src/config/maintenance-schema.js';
import { VirtualClock } from '../../../src/time/clock.js';
import { config, good, openGateway } from './fixture.js';

const MIN = 60_000;
// Monday 5 January 2026, 08:00 in Shanghai: the built-in weekly test order opens.
const MONDAY_0800 = Date.parse('2026-01-05T00:00:00Z');
const MONDAY_0900 = MONDAY_0800 + 60 * MIN;

describe('evidence from a weekly fire-pump run', () => {
  let dir: string;
  let gateways: Array<{ close(): void }>;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pm-ev-'));
    gateways = [];
  });
  afterEach(() => {
    for (const g of gateways) g.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const gateway = (clock: VirtualClock, cfg: MaintenanceConfig) => {
    const g = openGateway(dir, clock, cfg, 'Asia/Shanghai');
    gateways.push(g);
    return g;
  };

  /** The controller's automatic test: the pump runs `minutes`, discharge pressure rising to `peakBar`. */
  async function testRun(clock: VirtualClock, g: ReturnType<typeof gateway>, minutes: number, peakBar: number): Promise<void> {
    g.service.onSamples([good('fire-pump-1.running', false, clock.now()), good('fire-pump-1.discharge_pressure', 7.6, clock.now())]);
    await clock.advance(1000);
    g.service.onSamples([good('fire-pump-1.running', true, clock.now())]);
    for (let s = 0; s < minutes * 60; s += 10) {
      await clock.advance(10_000);
      const bar = Math.min(peakBar, 7.6 + (s / 30) * (peakBar - 7.6));
      g.service.onSamples([good('fire-pump-1.running', true, clock.now()), good('fire-pump-1.discharge_pressure', bar, clock.now()), good('booster-1.flow', 3, clock.now())]);
    }
    g.service.onSamples([good('fire-pump-1.running', false, clock.now()), good('fire-pump-1.discharge_pressure', 7.9, clock.now())]);
  }

  const withRule = (complete: boolean) =>
    config({
      builtIn: [{ id: 'fire-pump-weekly-test', devices: ['fire-pump-1'], assign: { assignee: 'li' } }],
      evidence: [{ schedule: 'fire-pump-weekly-test', runningPoint: 'running', pressurePoint: 'discharge_pressure', minRunMinutes: 3, minPressure: 9, complete }],
    });

  it('attaches the run (start, duration, peak pressure) to that week’s order and completes it', async () => {
    const clock = new VirtualClock(MONDAY_0800 - 12 * 60 * MIN);
    const g = gateway(clock, withRule(true));
    g.service.start();
    await clock.advanceTo(MONDAY_0900);
    const [order] = g.orders.list();
    expect(order).toMatchObject({ type: 'inspection', priority: 'high', asset: 'fire-pump-1', assignee: 'li', title: 'Fire pump: weekly automatic start test', status: 'assigned' });
    await testRun(clock, g, 5, 9.8);
    const after = g.orders.get(order?.id ?? 0);
    expect(after?.status).toBe('completed');
    const comment = g.orders.events(order?.id ?? 0).find((e) => e.kind === 'comment');
    expect(comment?.comment).toBe(
      'Test run seen in telemetry: started 2026-01-05 09:00 Asia/Shanghai, ran 5 min, peak discharge_pressure 9.8 (evidence rule: at least 3 min, discharge_pressure ≥ 9).',
    );
    expect(after?.resolution).toBe(comment?.comment);
  });

  it('ignores a run too short or without the pressure, and leaves the order to a person', async () => {
    const clock = new VirtualClock(MONDAY_0800 - 60 * MIN);
    const g = gateway(clock, withRule(true));
    g.service.start();
    await clock.advanceTo(MONDAY_0900);
    await testRun(clock, g, 1, 9.8); // one minute
    await clock.advance(10 * MIN);
    await testRun(clock, g, 5, 8.2); // long enough, pressure never reached 9 bar
    const [order] = g.orders.list();
    expect(order?.status).toBe('assigned');
    expect(g.orders.events(order?.id ?? 0).map((e) => e.kind)).toEqual(['created']);
  });

  it('a run shortly before the order opens is attached when it opens, once; the next week needs its own run', async () => {
    // Built-in defaults: at least 3 minutes, pressure recorded, not required; the order is not completed.
    const clock = new VirtualClock(Date.parse('2026-01-04T10:00:00Z')); // Sunday 18:00 Shanghai
    const g = gateway(clock, config({ builtIn: [{ id: 'fire-pump-weekly-test', devices: ['fire-pump-1'] }] }));
    g.service.start();
    await clock.advanceTo(Date.parse('2026-01-04T12:00:00Z')); // Sunday 20:00: tested early this week
    await testRun(clock, g, 4, 9.5);
    expect(g.orders.list()).toHaveLength(0);
    await clock.advanceTo(MONDAY_0800);
    const [order] = g.orders.list();
    const comments = g.orders.events(order?.id ?? 0).filter((e) => e.kind === 'comment');
    expect(comments.map((e) => e.comment)).toEqual(['Test run seen in telemetry: started 2026-01-04 20:00 Asia/Shanghai, ran 4 min, peak discharge_pressure 9.5 (evidence rule: at least 3 min).']);
    expect(g.orders.get(order?.id ?? 0)?.status).toBe('open');
    // The following Monday's order opens without evidence: last week's run does not count twice.
    await clock.advanceTo(MONDAY_0800 + 7 * 24 * 60 * MIN);
    const [next] = g.orders.list();
    expect(next?.id).not.toBe(order?.id);
    expect(g.orders.events(next?.id ?? 0).map((e) => e.kind)).toEqual(['created']);
  });
});
