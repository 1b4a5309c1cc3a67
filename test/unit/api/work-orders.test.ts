import type { FastifyInstance } from 'fastify';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrate } from '../../../src/alarms/lifecycle/migrations.js';
import { buildApp } from '../../../src/api/app.js';
import { TokenAuth } from '../../../src/api/auth.js';
import type { GatewayView } from '../../../src/api/gateway-view.js';
import { GATEWAY_MIGRATIONS } from '../../../src/gateway/store-migrations.js';
import { silentLogger } from '../../../src/log.js';
import { VirtualClock } from '../../../src/time/clock.js';
import { WorkOrderService } from '../../../src/workorders/service.js';
import { WorkOrderStore } from '../../../src/workorders/store.js';

const T0 = Date.parse('2026-11-03T01:00:00Z');
const view: GatewayView = { health: () => ({}) as never, devices: () => [], devicePoints: () => undefined, activeAlarms: () => [] };
const TOKENS = { viewer: 'viewer-token-0123456789', tech: 'technician-token-0123456789', admin: 'admin-token-0123456789' };

describe('work-order API', () => {
  let db: Database.Database;
  let clock: VirtualClock;
  let service: WorkOrderService;
  let app: FastifyInstance;

  beforeEach(async () => {
    db = new Database(':memory:');
    migrate(db, GATEWAY_MIGRATIONS);
    clock = new VirtualClock(T0);
    service = new WorkOrderService(new WorkOrderStore(db), clock);
    const auth = new TokenAuth({
      anonymousRead: true,
      tokens: [
        { name: 'screen', role: 'viewer', token: TOKENS.viewer },
        { name: 'li.wei', role: 'technician', token: TOKENS.tech },
        { name: 'office', role: 'admin', token: TOKENS.admin },
      ],
    });
    app = await buildApp({ gateway: view, logger: silentLogger(), version: 'test', auth, workOrders: { service, site: 'tower' }, now: () => clock.now() });
  });
  afterEach(async () => {
    await app.close();
    db.close();
  });

  const post = (url: string, token: string | undefined, payload: object = {}) =>
    app.inject({ method: 'POST', url, payload, headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });

  it('creates an order by hand (technician), reads and filters it', async () => {
    expect((await post('/work-orders', undefined, { asset: 'pump-1', type: 'corrective', priority: 'medium', title: 'Noisy bearing' })).statusCode).toBe(401);
    expect((await post('/work-orders', TOKENS.viewer, { asset: 'pump-1', type: 'corrective', priority: 'medium', title: 'Noisy bearing' })).statusCode).toBe(403);
    const created = await post('/work-orders', TOKENS.tech, { asset: 'pump-1', type: 'corrective', priority: 'medium', title: 'Noisy bearing', dueAt: '2026-11-04T01:00:00Z' });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ number: 'WO-000001', status: 'open', site: 'tower', source: { kind: 'manual' }, dueAt: T0 + 86_400_000 });
    expect((await app.inject('/work-orders?status=open,assigned')).json()).toHaveLength(1);
    expect((await app.inject('/work-orders?status=done')).statusCode).toBe(400);
    expect((await app.inject('/work-orders?asset=elevator-1')).json()).toEqual([]);
    expect((await app.inject('/work-orders/1')).json()).toMatchObject({ title: 'Noisy bearing' });
    expect((await app.inject('/work-orders/9')).statusCode).toBe(404);
    expect((await post('/work-orders', TOKENS.tech, { asset: 'pump-1', type: 'repair', priority: 'medium', title: 'x' })).statusCode).toBe(400);
  });

  it('moves an order through its lifecycle by role; wrong state 409, wrong role 403, missing field 400', async () => {
    await post('/work-orders', TOKENS.tech, { asset: 'pump-1', type: 'corrective', priority: 'high', title: 'Pump tripped' });
    const start = await post('/work-orders/1/start', TOKENS.tech);
    expect(start.statusCode).toBe(409);
    expect(start.json<{ message: string }>().message).toMatch(/started once it is assigned/);
    expect((await post('/work-orders/1/assign', TOKENS.tech, {})).statusCode).toBe(400);
    expect((await post('/work-orders/1/assign', TOKENS.tech, { assignee: 'li.wei' })).json()).toMatchObject({ status: 'assigned', assignee: 'li.wei' });
    clock.advanceSync(20 * 60_000);
    expect((await post('/work-orders/1/arrival', TOKENS.tech, {})).json()).toMatchObject({ arrivedAt: T0 + 20 * 60_000 });
    expect((await post('/work-orders/1/start', TOKENS.tech)).json()).toMatchObject({ status: 'in-progress' });
    expect((await post('/work-orders/1/cancel', TOKENS.admin, { comment: 'x' })).statusCode).toBe(409);
    expect((await post('/work-orders/1/complete', TOKENS.tech, { resolution: 'Reset the overload relay; motor current normal', expectedVersion: 1 })).statusCode).toBe(409);
    expect((await post('/work-orders/1/complete', TOKENS.tech, { resolution: 'Reset the overload relay; motor current normal' })).json()).toMatchObject({ status: 'completed' });
    expect((await post('/work-orders/1/close', TOKENS.tech)).statusCode).toBe(403);
    expect((await post('/work-orders/1/close', TOKENS.admin, { comment: 'verified on site' })).json()).toMatchObject({ status: 'closed' });
    expect((await post('/work-orders/1/comments', TOKENS.tech, { text: 'spare relay used from stock' })).statusCode).toBe(200);
    const events = (await app.inject('/work-orders/1/events')).json<Array<{ kind: string; by: string }>>();
    expect(events.map((e) => `${e.kind}:${e.by}`)).toEqual(['created:li.wei', 'assign:li.wei', 'arrival:li.wei', 'start:li.wei', 'complete:li.wei', 'close:office', 'comment:li.wei']);
  });
});
