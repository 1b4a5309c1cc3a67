import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildControlApp } from '../../../simulator/control-http.js';
import { SCENARIO_NAMES } from '../../../simulator/scenarios.js';
import { startSimulator, type SimulatorHandle } from '../../../simulator/simulator.js';
import { VirtualClock } from '../../../src/time/clock.js';

let sim: SimulatorHandle;
const app = () => buildControlApp(sim);

beforeAll(async () => {
  sim = await startSimulator({ clock: new VirtualClock(), controlPort: null });
});

afterAll(async () => {
  await sim.stop();
});

describe('control endpoint', () => {
  it('answers health', async () => {
    const res = await app().inject({ method: 'GET', url: '/health' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok' });
  });

  it('lists scenarios, starts one on its default device or a given one, and clears it', async () => {
    const a = app();
    const list = await a.inject({ method: 'GET', url: '/scenarios' });
    expect(list.json<{ available: unknown[]; active: unknown[] }>().available).toHaveLength(SCENARIO_NAMES.length);

    const byDefault = await a.inject({ method: 'POST', url: '/scenarios/trapped-passenger' });
    expect(byDefault.statusCode).toBe(201);
    expect(byDefault.json()).toMatchObject({ name: 'trapped-passenger', device: 'elevator-2' });

    const onDevice = await a.inject({ method: 'POST', url: '/scenarios/no-answer', payload: { device: 'booster-3' } });
    expect(onDevice.json()).toMatchObject({ name: 'no-answer', device: 'booster-3' });
    expect(sim.values('elevator-2').passenger_trapped).toBe(true);

    const active = (await a.inject({ method: 'GET', url: '/scenarios' })).json<{ active: Array<{ name: string; device: string }> }>().active;
    expect(active.map((s) => `${s.name}@${s.device}`).sort()).toEqual(['no-answer@booster-3', 'trapped-passenger@elevator-2']);

    const cleared = await a.inject({ method: 'DELETE', url: '/scenarios/no-answer?device=booster-3' });
    expect(cleared.json()).toEqual({ cleared: 1 });
    expect((await a.inject({ method: 'DELETE', url: '/scenarios/trapped-passenger' })).json()).toEqual({ cleared: 1 });
    expect(sim.values('elevator-2').passenger_trapped).toBe(false);
  });

  it('says what is wrong with a request', async () => {
    const a = app();
    const unknown = await a.inject({ method: 'POST', url: '/scenarios/meteor-strike' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({ error: 'unknown-scenario' });
    const noDevice = await a.inject({ method: 'POST', url: '/scenarios/no-answer', payload: { device: 'lift-9' } });
    expect(noDevice.statusCode).toBe(404);
    const wrongDevice = await a.inject({ method: 'POST', url: '/scenarios/trapped-passenger', payload: { device: 'sump-1' } });
    expect(wrongDevice.statusCode).toBe(400);
    expect(wrongDevice.json()).toMatchObject({ error: 'wrong-device', message: 'sump-1 is not an elevator' });
    const badBody = await a.inject({ method: 'POST', url: '/scenarios/no-answer', payload: { device: '' } });
    expect(badBody.statusCode).toBe(400);
    expect(badBody.json()).toMatchObject({ error: 'bad-request' });
  });

  it('shows every device with its link, unit id, communication state and values', async () => {
    const res = await app().inject({ method: 'GET', url: '/devices' });
    type Shown = { id: string; type: string; link: string; unitId?: number; parent?: string; comm: string; values: Record<string, unknown> };
    const { devices } = res.json<{ devices: Shown[] }>();
    expect(devices.filter((d) => d.type === 'elevator' || d.type === 'pump')).toHaveLength(10);
    const lift = devices.find((d) => d.id === 'elevator-1');
    expect(lift).toMatchObject({ link: 'elevators', unitId: 1, comm: 'normal' });
    expect(lift?.values).toEqual(sim.values('elevator-1'));
    const door = devices.find((d) => d.id === 'door-lobby-mailroom');
    expect(door).toMatchObject({ type: 'door', link: 'access', parent: 'acs-lobby', comm: 'normal', values: { open: false, locked: true } });
    expect(door).not.toHaveProperty('unitId');
  });

  it('starts an access scenario and shows it on the controller and its doors', async () => {
    const a = app();
    const started = await a.inject({ method: 'POST', url: '/scenarios/controller-dropped' });
    expect(started.json()).toMatchObject({ name: 'controller-dropped', device: 'acs-roof' });
    const { devices } = (await a.inject({ method: 'GET', url: '/devices' })).json<{ devices: Array<{ id: string; parent?: string; comm: string }> }>();
    const roof = devices.filter((d) => d.id === 'acs-roof' || d.parent === 'acs-roof');
    expect(roof.length).toBeGreaterThan(1);
    for (const d of roof) expect(d.comm, d.id).toBe('dropped');
    expect((await a.inject({ method: 'DELETE', url: '/scenarios/controller-dropped' })).json()).toEqual({ cleared: 1 });
    const wrong = await a.inject({ method: 'POST', url: '/scenarios/tamper', payload: { device: 'booster-1' } });
    expect(wrong.statusCode).toBe(400);
  });
});

describe('control endpoint over HTTP', () => {
  it('listens on loopback on the port it reports', async () => {
    const s = await startSimulator({ clock: new VirtualClock(), controlPort: 0 });
    try {
      expect(s.controlPort).toBeGreaterThan(0);
      const res = await fetch(`http://127.0.0.1:${s.controlPort}/health`);
      expect(await res.json()).toEqual({ status: 'ok' });
    } finally {
      await s.stop();
    }
  });
});
