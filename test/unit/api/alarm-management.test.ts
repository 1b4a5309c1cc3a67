import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AlarmService } from '../../../src/alarms/alarm-service.js';
import type { AlarmEvent } from '../../../src/alarms/events.js';
import { buildApp } from '../../../src/api/app.js';
import type { GatewayView } from '../../../src/api/gateway-view.js';
import { TokenAuth } from '../../../src/api/auth.js';
import type { AuthConfig } from '../../../src/config/alarm-management-schema.js';
import { silentLogger } from '../../../src/log.js';
import { VirtualClock } from '../../../src/time/clock.js';

const T0 = Date.parse('2026-11-28T08:00:00Z');

const emptyView: GatewayView = {
  health: () => {
    throw new Error('not used');
  },
  devices: () => [],
  devicePoints: () => undefined,
  activeAlarms: () => [],
};

const TOKENS = { viewer: 'viewer-token-0123456789', tech: 'technician-token-0123456789', admin: 'chief-admin-token-0001' };

function authConfig(anonymousRead = true): AuthConfig {
  return {
    anonymousRead,
    tokens: [
      { name: 'room-screen', role: 'viewer', token: TOKENS.viewer },
      { name: 'li.wei', role: 'technician', token: TOKENS.tech },
      // Kept as a digest only.
      { name: 'chief', role: 'admin', sha256: createHash('sha256').update(TOKENS.admin).digest('hex') },
    ],
  };
}

function raise(alarmId: string, extra: Partial<AlarmEvent> = {}): AlarmEvent {
  const [device = '', rule = ''] = alarmId.split(':');
  return { type: 'raise', alarmId, site: 'tower', device, rule, kind: 'threshold-high', priority: 'high', message: `${rule} on ${device}`, conditionSince: T0, ts: T0, ...extra };
}

describe('alarm management API', () => {
  let clock: VirtualClock;
  let service: AlarmService;
  let app: FastifyInstance;

  async function build(auth: AuthConfig): Promise<void> {
    app = await buildApp({ gateway: emptyView, logger: silentLogger(), version: 'test', alarms: service, auth: new TokenAuth(auth) });
  }

  beforeEach(async () => {
    clock = new VirtualClock(T0);
    service = new AlarmService({
      clock,
      logger: silentLogger(),
      settings: { maxShelveMinutes: 60, maxOutOfServiceHours: 24, chatter: { cycles: 3, windowSeconds: 60 } },
      storePath: ':memory:',
      site: 'tower',
    });
    service.start();
    service.onAlarmEvent(raise('pump-1:discharge_pressure_low'));
    service.onAlarmEvent(raise('panel-1:l1_d001_fire', { priority: 'critical', lifeSafety: true, kind: 'state' }));
    await build(authConfig());
  });

  afterEach(async () => {
    await app.close();
    service.stop();
  });

  const post = (url: string, token: string | undefined, payload: object = {}) =>
    app.inject({ method: 'POST', url, payload, headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });

  it('lists managed alarms most urgent first and filters them', async () => {
    const all = (await app.inject('/alarms')).json<Array<{ alarmId: string; state: string }>>();
    expect(all.map((a) => a.alarmId)).toEqual(['panel-1:l1_d001_fire', 'pump-1:discharge_pressure_low']);
    expect(all.every((a) => a.state === 'unack-active')).toBe(true);
    const pumps = (await app.inject('/alarms?device=pump-1')).json<unknown[]>();
    expect(pumps).toHaveLength(1);
    expect((await app.inject('/alarms?priority=critical')).json()).toMatchObject([{ alarmId: 'panel-1:l1_d001_fire', lifeSafety: true }]);
    expect((await app.inject('/alarms/pump-1:discharge_pressure_low')).json()).toMatchObject({ state: 'unack-active', device: 'pump-1' });
    expect((await app.inject('/alarms/nope:x')).statusCode).toBe(404);
  });

  it('refuses a write without a token (401) and with too small a role (403), state unchanged', async () => {
    const anonymous = await post('/alarms/pump-1:discharge_pressure_low/ack', undefined);
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.headers['www-authenticate']).toMatch(/^Bearer/);
    expect((await post('/alarms/pump-1:discharge_pressure_low/ack', 'forged-token-0123456789')).statusCode).toBe(401);
    const viewer = await post('/alarms/pump-1:discharge_pressure_low/ack', TOKENS.viewer);
    expect(viewer.statusCode).toBe(403);
    expect(viewer.json<{ message: string }>().message).toMatch(/room-screen has role viewer/);
    const tech = await post('/alarms/pump-1:discharge_pressure_low/out-of-service', TOKENS.tech, { hours: 2, comment: 'valve replacement' });
    expect(tech.statusCode).toBe(403);
    expect(service.get('pump-1:discharge_pressure_low')).toMatchObject({ state: 'unack-active' });
    expect(service.get('pump-1:discharge_pressure_low')?.outOfService).toBeUndefined();
  });

  it('acknowledges with the token’s name in the audit log, and refuses a second ack with 409', async () => {
    clock.advanceSync(30_000);
    const ack = await post('/alarms/pump-1:discharge_pressure_low/ack', TOKENS.tech, { comment: 'on my way' });
    expect(ack.statusCode).toBe(200);
    expect(ack.json()).toMatchObject({ state: 'ack-active', acknowledgedBy: 'li.wei', acknowledgedAt: T0 + 30_000 });
    const again = await post('/alarms/pump-1:discharge_pressure_low/ack', TOKENS.tech);
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ error: 'not-unacknowledged' });
    const audit = (await app.inject('/alarms/history?alarm=pump-1:discharge_pressure_low')).json<Array<{ action: string; by?: string; comment?: string }>>();
    expect(audit.map((a) => a.action)).toEqual(['ack', 'raise']);
    expect(audit[0]).toMatchObject({ by: 'li.wei', comment: 'on my way', from: 'unack-active', to: 'ack-active' });
  });

  it('never shelves a fire alarm; refuses a shelve past the maximum with 400; shelves and unshelves otherwise', async () => {
    const fire = await post('/alarms/panel-1:l1_d001_fire/shelve', TOKENS.tech, { minutes: 10 });
    expect(fire.statusCode).toBe(409);
    expect(fire.json()).toMatchObject({ error: 'life-safety' });
    const tooLong = await post('/alarms/pump-1:discharge_pressure_low/shelve', TOKENS.tech, { minutes: 61 });
    expect(tooLong.statusCode).toBe(400);
    const shelved = await post('/alarms/pump-1:discharge_pressure_low/shelve', TOKENS.tech, { minutes: 30, comment: 'sensor known bad' });
    expect(shelved.json()).toMatchObject({ annunciated: false, shelved: { by: 'li.wei', until: T0 + 30 * 60_000 } });
    expect((await app.inject('/alarms?annunciated=false')).json()).toMatchObject([{ alarmId: 'pump-1:discharge_pressure_low' }]);
    expect((await post('/alarms/pump-1:discharge_pressure_low/unshelve', TOKENS.tech)).json()).toMatchObject({ annunciated: true });
    expect((await post('/alarms/pump-1:discharge_pressure_low/unshelve', TOKENS.tech)).statusCode).toBe(409);
  });

  it('lets an admin (token kept as a digest) take an alarm out of service and return it; comments go to the audit log', async () => {
    const adminToken = TOKENS.admin;
    const oos = await post('/alarms/pump-1:discharge_pressure_low/out-of-service', adminToken, { hours: 4, comment: 'pump replaced' });
    expect(oos.statusCode).toBe(200);
    expect(oos.json()).toMatchObject({ outOfService: { by: 'chief', until: T0 + 4 * 3_600_000, comment: 'pump replaced' } });
    expect((await post('/alarms/pump-1:discharge_pressure_low/out-of-service', adminToken, { hours: 1000, comment: 'x' })).statusCode).toBe(400);
    expect((await post('/alarms/pump-1:discharge_pressure_low/return-to-service', adminToken)).statusCode).toBe(200);
    expect((await post('/alarms/pump-1:discharge_pressure_low/comments', TOKENS.tech, { text: 'impeller worn' })).statusCode).toBe(200);
    expect((await post('/alarms/pump-1:discharge_pressure_low/comments', TOKENS.tech, {})).statusCode).toBe(400);
    const actions = (await app.inject('/alarms/history?device=pump-1')).json<Array<{ action: string; by?: string }>>();
    expect(actions.map((a) => `${a.action}:${a.by ?? ''}`)).toEqual(['comment:li.wei', 'return-to-service:chief', 'oos:chief', 'raise:']);
  });

  it('reads need a token when anonymous reads are off, except /health', async () => {
    await app.close();
    await build(authConfig(false));
    expect((await app.inject('/alarms')).statusCode).toBe(401);
    expect((await app.inject({ url: '/alarms', headers: { authorization: `Bearer ${TOKENS.viewer}` } })).statusCode).toBe(200);
    expect((await app.inject('/devices')).statusCode).toBe(401);
  });

  it('rejects a malformed time in the history query with 400', async () => {
    const bad = await app.inject('/alarms/history?from=yesterday');
    expect(bad.statusCode).toBe(400);
    expect(bad.json<{ message: string }>().message).toMatch(/from: "yesterday"/);
    const window = await app.inject(`/alarms/history?from=${new Date(T0 - 1).toISOString()}&to=${T0}`);
    expect(window.json()).toHaveLength(2);
  });
});
