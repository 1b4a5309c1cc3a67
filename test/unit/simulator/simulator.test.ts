import { afterEach, describe, expect, it } from 'vitest';
import { startSimulator, type SimulatorHandle } from '../../../simulator/simulator.js';
import { VirtualClock } from '../../../src/time/clock.js';

const MINUTE_MS = 60_000;
const started: SimulatorHandle[] = [];

async function simulator(seed = 1, stepMs?: number): Promise<{ sim: SimulatorHandle; clock: VirtualClock }> {
  const clock = new VirtualClock();
  const sim = await startSimulator({ clock, seed, controlPort: null, stepMs });
  started.push(sim);
  return { sim, clock };
}

function allValues(sim: SimulatorHandle): Record<string, unknown> {
  return Object.fromEntries(sim.devices().map((d) => [d.id, d.values]));
}

afterEach(async () => {
  await Promise.all(started.splice(0).map((s) => s.stop()));
});

describe('simulator on a virtual clock', () => {
  it('advances the models as the clock advances, and not otherwise', async () => {
    const { sim, clock } = await simulator();
    const t0 = sim.nowMs();
    const before = allValues(sim);
    expect(allValues(sim)).toEqual(before);
    clock.advanceSync(5 * MINUTE_MS);
    expect(sim.nowMs()).toBe(t0 + 5 * MINUTE_MS);
    expect(allValues(sim)).not.toEqual(before);
  });

  it('gives the same values at the same simulated time for the same seed, by clock or by hand', async () => {
    const a = await simulator(7);
    const b = await simulator(7);
    const c = await simulator(8);
    await a.clock.advance(MINUTE_MS);
    a.clock.advanceSync(9 * MINUTE_MS);
    b.sim.step(10 * MINUTE_MS);
    c.sim.step(10 * MINUTE_MS);
    expect(a.sim.nowMs()).toBe(b.sim.nowMs());
    expect(allValues(a.sim)).toEqual(allValues(b.sim));
    expect(allValues(a.sim)).not.toEqual(allValues(c.sim));
  });

  it('makes a site config with the bound ports', async () => {
    const { sim } = await simulator();
    const config = sim.siteConfig();
    expect(config.links.map((l) => (l.type === 'modbus-tcp' ? [l.id, l.host, l.port] : [l.id]))).toEqual([
      ['elevators', '127.0.0.1', sim.ports.elevators],
      ['plant-room', '127.0.0.1', sim.ports['plant-room']],
      ['access'],
    ]);
    // Not connected to a broker: the access link means the gateway's embedded broker.
    expect(config.links.find((l) => l.id === 'access')).not.toHaveProperty('url');
    expect(sim.mqttUrl).toBeNull();
    expect(sim.ports.elevators).toBeGreaterThan(0);
    expect(sim.ports.elevators).not.toBe(sim.ports['plant-room']);
    expect(sim.controlPort).toBeNull();
  });

  it('stops its timer on stop', async () => {
    const { sim, clock } = await simulator();
    expect(clock.pending()).toBe(1);
    await sim.stop();
    expect(clock.pending()).toBe(0);
    const t = sim.nowMs();
    clock.advanceSync(MINUTE_MS);
    expect(sim.nowMs()).toBe(t);
  });

  it('refuses an unknown device, and a bad scenario at start-up', async () => {
    const { sim } = await simulator();
    expect(() => sim.values('elevator-9')).toThrow(/elevator-9/);
    await expect(startSimulator({ clock: new VirtualClock(), controlPort: null, scenarios: [{ name: 'meteor-strike' }] })).rejects.toThrow(/meteor-strike/);
  });
});
