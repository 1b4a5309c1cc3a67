import Database from 'better-sqlite3';
import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrate } from '../../../src/alarms/lifecycle/migrations.js';
import { buildApp } from '../../../src/api/app.js';
import { TokenAuth } from '../../../src/api/auth.js';
import type { GatewayView } from '../../../src/api/gateway-view.js';
import { cmmsRoutes } from '../../../src/api/routes/cmms.js';
import type { CmmsOutboundConfig } from '../../../src/config/cmms-schema.js';
import { GATEWAY_MIGRATIONS } from '../../../src/gateway/store-migrations.js';
import { silentLogger } from '../../../src/log.js';
import { VirtualClock } from '../../../src/time/clock.js';
import { CmmsInbound } from '../../../src/workorders/cmms/inbound.js';
import { CMMS_MIGRATIONS } from '../../../src/workorders/cmms/migrations.js';
import { CmmsOutbound } from '../../../src/workorders/cmms/outbound.js';
import { WorkOrderService } from '../../../src/workorders/service.js';
import { WorkOrderStore } from '../../../src/workorders/store.js';
import { TestReceiver } from './receiver.js';

const T0 = Date.parse('2026-11-02T08:00:00Z');
const SECRET = 'cmms-route-secret-0123456789';
const view: GatewayView = { health: () => ({}) as never, devices: () => [], devicePoints: () => undefined, activeAlarms: () => [] };
const TOKENS = { viewer: 'viewer-token-0123456789', admin: 'admin-token-0123456789' };

describe('CMMS routes in the API app', () => {
  let db: Database.Database;
  let clock: VirtualClock;
  let orders: WorkOrderService;
  let outbound: CmmsOutbound;
  let receiver: TestReceiver;
  let app: FastifyInstance;

  beforeEach(async () => {
    db = new Database(':memory:');
    migrate(db, [...GATEWAY_MIGRATIONS, ...CMMS_MIGRATIONS]);
    clock = new VirtualClock(T0);
    orders = new WorkOrderService(new WorkOrderStore(db), clock);
    receiver = new TestReceiver(SECRET);
    const url = await receiver.listen();
    outbound = new CmmsOutbound({ targets: [{ id: 'maximo', url: `${url}?key=do-not-show`, secret: SECRET } as CmmsOutboundConfig], db, clock, logger: silentLogger() });
    orders.subscribe(outbound.listener);
    outbound.start();
    const inbound = new CmmsInbound({ config: { name: 'maximo', secret: SECRET, toleranceSeconds: 300, keyRetentionHours: 72 }, orders, db, clock, logger: silentLogger() });
    const auth = new TokenAuth({
      anonymousRead: true,
      tokens: [
        { name: 'screen', role: 'viewer', token: TOKENS.viewer },
        { name: 'office', role: 'admin', token: TOKENS.admin },
      ],
    });
    app = await buildApp({ gateway: view, logger: silentLogger(), version: 'test', auth, workOrders: { service: orders, site: 'tower' }, now: () => clock.now() });
    cmmsRoutes(app, { inbound, outbound, auth });
    await app.ready();
  });
  afterEach(async () => {
    await app.close();
    await outbound.stop();
    db.close();
    await receiver.close();
  });

  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  it('shows delivery status per target, its events, and lets an admin requeue failed ones', async () => {
    receiver.answer(422);
    const order = orders.create({ site: 'tower', asset: 'pump-1', type: 'corrective', priority: 'high', title: 'Leak', source: { kind: 'manual' } }, 'office');
    await outbound.idle();

    const status = await app.inject({ method: 'GET', url: '/cmms/outbound' });
    expect(status.statusCode).toBe(200);
    const [target] = status.json<Array<Record<string, unknown>>>();
    expect(target).toMatchObject({ id: 'maximo', pending: 0, sent: 0, failed: 1, failedSinceStart: 1, oldestPendingAgeMs: null });
    expect(String(target?.url)).not.toMatch(/do-not-show/);

    const failed = await app.inject({ method: 'GET', url: '/cmms/outbound/maximo/events?status=failed' });
    expect(failed.json()).toEqual([expect.objectContaining({ idempotencyKey: `${order.number}:${orders.events(order.id)[0]?.seq}`, lastStatus: 422, attempts: 1 })]);

    expect((await app.inject({ method: 'POST', url: '/cmms/outbound/maximo/requeue' })).statusCode).toBe(401);
    expect((await app.inject({ method: 'POST', url: '/cmms/outbound/maximo/requeue', headers: bearer(TOKENS.viewer) })).statusCode).toBe(403);
    const requeued = await app.inject({ method: 'POST', url: '/cmms/outbound/maximo/requeue', headers: bearer(TOKENS.admin) });
    expect(requeued.json()).toEqual({ requeued: 1 });
    await outbound.idle();
    expect(receiver.received.map((r) => r.answered)).toEqual([422, 200]);
    expect((await app.inject({ method: 'GET', url: '/cmms/outbound/nope/events' })).statusCode).toBe(404);
  });

  it('documents the inbound endpoint in the OpenAPI document', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json<{ paths: Record<string, unknown> }>();
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/cmms/work-orders/{number}/events', '/cmms/outbound', '/cmms/outbound/{target}/requeue']));
  });

  it('keeps the default JSON parser for the other routes', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/work-orders',
      headers: { ...bearer(TOKENS.admin), 'content-type': 'application/json' },
      payload: JSON.stringify({ asset: 'pump-1', type: 'corrective', priority: 'low', title: 'Squeak' }),
    });
    expect(res.statusCode).toBe(201);
  });
});
