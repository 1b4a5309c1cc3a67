import Database from 'better-sqlite3';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrate } from '../../../src/alarms/lifecycle/migrations.js';
import { TokenAuth } from '../../../src/api/auth.js';
import { cmmsRoutes } from '../../../src/api/routes/cmms.js';
import { GATEWAY_MIGRATIONS } from '../../../src/gateway/store-migrations.js';
import { silentLogger } from '../../../src/log.js';
import { webhookSignature } from '../../../src/notify/channels/webhook.js';
import { VirtualClock } from '../../../src/time/clock.js';
import { CmmsInbound } from '../../../src/workorders/cmms/inbound.js';
import { CMMS_MIGRATIONS } from '../../../src/workorders/cmms/migrations.js';
import { CmmsOutbound } from '../../../src/workorders/cmms/outbound.js';
import { WorkOrderService } from '../../../src/workorders/service.js';
import { WorkOrderStore } from '../../../src/workorders/store.js';
import type { WorkOrder } from '../../../src/workorders/types.js';

const T0 = Date.parse('2026-11-02T08:00:00Z');
const SECRET = 'cmms-inbound-secret-0123456789';
const OLD_SECRET = 'cmms-previous-secret-0123456789';

describe('CMMS inbound endpoint', () => {
  let db: Database.Database;
  let clock: VirtualClock;
  let orders: WorkOrderService;
  let app: FastifyInstance;
  let order: WorkOrder;

  beforeEach(async () => {
    db = new Database(':memory:');
    migrate(db, [...GATEWAY_MIGRATIONS, ...CMMS_MIGRATIONS]);
    clock = new VirtualClock(T0);
    orders = new WorkOrderService(new WorkOrderStore(db), clock);
    const inbound = new CmmsInbound({
      config: { name: 'maximo', secret: SECRET, previousSecret: OLD_SECRET, toleranceSeconds: 300, keyRetentionHours: 72 },
      orders,
      db,
      clock,
      logger: silentLogger(),
    });
    app = Fastify();
    cmmsRoutes(app, { inbound, auth: new TokenAuth({ tokens: [], anonymousRead: true }) });
    await app.ready();
    order = orders.create({ site: 'tower', asset: 'elevator-2', type: 'corrective', priority: 'critical', title: 'Door fault', source: { kind: 'manual' } }, 'office');
  });
  afterEach(async () => {
    await app.close();
    db.close();
  });

  interface Send {
    body: unknown;
    ref?: string;
    at?: number;
    secret?: string;
    key?: string;
    signature?: string;
    raw?: string;
  }

  function send({ body, ref = order.number, at = clock.now(), secret = SECRET, key, signature, raw }: Send) {
    const payload = raw ?? JSON.stringify(body);
    const timestamp = String(at);
    return app.inject({
      method: 'POST',
      url: `/cmms/work-orders/${ref}/events`,
      headers: {
        'content-type': 'application/json',
        'x-signature-timestamp': timestamp,
        'x-signature': signature ?? webhookSignature(secret, timestamp, payload),
        ...(key !== undefined ? { 'idempotency-key': key } : {}),
      },
      payload,
    });
  }

  const current = () => orders.get(order.id) as WorkOrder;

  it('applies a signed status update as made by cmms:<name>', async () => {
    const assigned = await send({ body: { action: 'assign', contractor: 'Schindler', comment: 'ticket routed' }, key: 'mx-1' });
    expect(assigned.statusCode).toBe(200);
    expect(assigned.json()).toMatchObject({ action: 'assign', order: { number: order.number, status: 'assigned', contractor: 'Schindler' } });
    expect((await send({ body: { action: 'arrival' }, key: 'mx-2' })).statusCode).toBe(200);
    expect((await send({ body: { action: 'start' }, key: 'mx-3' })).statusCode).toBe(200);
    expect((await send({ body: { action: 'hold', comment: 'waiting for a door operator board' }, key: 'mx-4' })).statusCode).toBe(200);
    expect((await send({ body: { action: 'resume' }, key: 'mx-5' })).statusCode).toBe(200);
    expect((await send({ body: { action: 'comment', text: 'board fitted' }, key: 'mx-6' })).statusCode).toBe(200);
    expect((await send({ body: { action: 'externalRef', externalRef: 'MX-20931' }, key: 'mx-7' })).statusCode).toBe(200);
    const done = await send({ body: { action: 'complete', resolution: 'door operator board replaced, door cycles tested' }, key: 'mx-8' });
    expect(done.statusCode).toBe(200);

    expect(current()).toMatchObject({ status: 'completed', contractor: 'Schindler', externalRef: 'MX-20931', arrivedAt: T0, resolution: 'door operator board replaced, door cycles tested' });
    const history = orders.events(order.id).slice(1);
    expect(history.map((e) => e.kind)).toEqual(['assign', 'arrival', 'start', 'hold', 'resume', 'comment', 'update', 'complete']);
    expect(new Set(history.map((e) => e.by))).toEqual(new Set(['cmms:maximo']));
    expect(history[0]).toMatchObject({ from: 'open', to: 'assigned', comment: 'ticket routed', data: { contractor: 'Schindler' } });
    expect(history[6]).toMatchObject({ kind: 'update', data: { externalRef: 'MX-20931' } });
  });

  it('accepts the previous secret during a rollover, and a timestamp in seconds', async () => {
    expect((await send({ body: { action: 'comment', text: 'signed with the old secret' }, secret: OLD_SECRET })).statusCode).toBe(200);
    expect((await send({ body: { action: 'comment', text: 'seconds' }, at: Math.floor(clock.now() / 1000) })).statusCode).toBe(200);
  });

  it('refuses a bad signature, an old or a future timestamp with 401 and changes nothing', async () => {
    const before = current();
    const body = { action: 'assign', assignee: 'li.wei' };
    const refusals = [
      await send({ body, secret: 'not-the-secret-0123456789' }),
      await send({ body, signature: 'sha256=00' }),
      await send({ body, at: T0 - 301_000 }),
      await send({ body, at: T0 + 301_000 }),
      await app.inject({ method: 'POST', url: `/cmms/work-orders/${order.number}/events`, headers: { 'content-type': 'application/json' }, payload: JSON.stringify(body) }),
    ];
    expect(refusals.map((r) => r.statusCode)).toEqual([401, 401, 401, 401, 401]);
    expect(refusals[0]?.json()).toMatchObject({ statusCode: 401, error: 'Unauthorized', message: expect.stringMatching(/signature does not match/) as unknown });
    expect(refusals[2]?.json<{ message: string }>().message).toMatch(/301 s old \(tolerance 300 s\)/);
    expect(refusals[3]?.json<{ message: string }>().message).toMatch(/301 s in the future/);
    expect(refusals[4]?.json<{ message: string }>().message).toMatch(/missing X-Signature-Timestamp/);
    // A body changed after signing does not pass either.
    const timestamp = String(T0);
    const tampered = await app.inject({
      method: 'POST',
      url: `/cmms/work-orders/${order.number}/events`,
      headers: { 'content-type': 'application/json', 'x-signature-timestamp': timestamp, 'x-signature': webhookSignature(SECRET, timestamp, JSON.stringify(body)) },
      payload: JSON.stringify({ ...body, assignee: 'mallory' }),
    });
    expect(tampered.statusCode).toBe(401);
    expect(current()).toEqual(before);
    expect(orders.events(order.id)).toHaveLength(1);
    // At the edge of the tolerance it is accepted.
    expect((await send({ body, at: T0 - 300_000 })).statusCode).toBe(200);
  });

  it('answers a replayed request as before without applying it twice', async () => {
    const first = await send({ body: { action: 'comment', text: 'technician dispatched' }, key: 'mx-77' });
    clock.advanceSync(60_000);
    // The CMMS resends (re-signed, later timestamp) after a lost answer.
    const again = await send({ body: { action: 'comment', text: 'technician dispatched' }, key: 'mx-77' });
    expect(first.statusCode).toBe(200);
    expect(again.statusCode).toBe(200);
    expect(again.json()).toEqual(first.json());
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    expect(orders.events(order.id).filter((e) => e.kind === 'comment')).toHaveLength(1);

    // Without an Idempotency-Key, a byte-identical request (same timestamp and signature) is a replay too.
    const raw = JSON.stringify({ action: 'assign', assignee: 'li.wei' });
    const a = await send({ body: undefined, raw });
    const b = await send({ body: undefined, raw });
    expect([a.statusCode, b.statusCode]).toEqual([200, 200]);
    expect(b.headers['idempotent-replayed']).toBe('true');
    expect(orders.events(order.id).filter((e) => e.kind === 'assign')).toHaveLength(1);

    // A refusal is remembered as well: the same 409 again, nothing applied in between.
    const illegal = await send({ body: { action: 'complete', resolution: 'done' }, key: 'mx-78' });
    const illegalAgain = await send({ body: { action: 'complete', resolution: 'done' }, key: 'mx-78' });
    expect([illegal.statusCode, illegalAgain.statusCode]).toEqual([409, 409]);
    expect(illegalAgain.json()).toEqual(illegal.json());

    // The same key with another request is refused.
    const reused = await send({ body: { action: 'comment', text: 'something else' }, key: 'mx-77' });
    expect(reused.statusCode).toBe(422);
    expect(reused.json<{ message: string }>().message).toMatch(/was used for another request/);
    expect(orders.events(order.id).filter((e) => e.kind === 'comment')).toHaveLength(1);
  });

  it('forgets keys after keyRetentionHours', async () => {
    await send({ body: { action: 'comment', text: 'first' }, key: 'mx-1' });
    clock.advanceSync(73 * 3_600_000);
    const later = await send({ body: { action: 'comment', text: 'first' }, key: 'mx-1' });
    expect(later.headers['idempotent-replayed']).toBeUndefined();
    expect(orders.events(order.id).filter((e) => e.kind === 'comment')).toHaveLength(2);
  });

  it('answers an illegal transition with 409 and the reason', async () => {
    const res = await send({ body: { action: 'start' } });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ error: 'illegal-transition', message: `${order.number}: cannot start an order that is open: an order is started once it is assigned` });
    expect(current().status).toBe('open');
    expect((await send({ body: { action: 'arrival' } })).statusCode).toBe(200);
    const twice = await send({ body: { action: 'arrival', at: T0 - 1000 } });
    expect(twice.statusCode).toBe(409);
    expect(twice.json<{ message: string }>().message).toMatch(/arrival was recorded already/);
  });

  it('answers an unknown order with 404', async () => {
    for (const ref of ['WO-009999', '9999', 'not-an-order']) {
      clock.advanceSync(1); // a signature is good for one request
      const res = await send({ body: { action: 'start' }, ref });
      expect(res.statusCode).toBe(404);
      expect(res.json()).toMatchObject({ error: 'unknown-order', message: `no work order "${ref}"` });
    }
    // The number or the plain id both name the order.
    expect((await send({ body: { action: 'comment', text: 'by id' }, ref: String(order.id) })).statusCode).toBe(200);
  });

  it('answers a body that does not fit with 400 naming the path', async () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ action: 'complete' }, /body\.resolution: required/],
      [{ action: 'complete', resolution: '' }, /body\.resolution: must NOT have fewer than 1 characters/],
      [{ action: 'teleport' }, /body\.action: must be one of assign, start, hold, resume, complete, arrival, comment, externalRef \(got "teleport"\)/],
      [{ text: 'no action' }, /body\.action: (required|must be one of)/],
      [{ action: 'comment', text: 'x', colour: 'red' }, /body\.colour: not a field of this action/],
      [{ action: 'assign', assignee: 42 }, /body\.assignee: must be string/],
      [{ action: 'arrival', at: 'yesterday-ish' }, /body\.at: "yesterday-ish" is neither an ISO 8601 time/],
      [{ action: 'arrival', at: T0 + 3_600_000 }, /body\.at: .* is in the future/],
      [[1, 2], /body: must be a JSON object/],
      [{ action: 'assign' }, /assign needs an assignee or a contractor/],
    ];
    for (const [body, message] of cases) {
      const res = await send({ body });
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.json<{ message: string }>().message, JSON.stringify(body)).toMatch(message);
    }
    const notJson = await send({ body: undefined, raw: '{"action": "start",' });
    expect(notJson.statusCode).toBe(400);
    expect(notJson.json<{ message: string }>().message).toMatch(/^body: not valid JSON/);
    expect(orders.events(order.id)).toHaveLength(1);
  });

  it('refuses a signed request replayed against another order, whatever its Idempotency-Key', async () => {
    const other = orders.create({ site: 'tower', asset: 'elevator-3', type: 'corrective', priority: 'high', title: 'Door fault', source: { kind: 'manual' } }, 'office');
    const raw = JSON.stringify({ action: 'assign', assignee: 'li.wei' });
    const signature = webhookSignature(SECRET, String(T0), raw);
    expect((await send({ body: undefined, raw, key: 'k-1' })).statusCode).toBe(200);
    const replay = await send({ body: undefined, raw, ref: other.number, key: 'k-2', signature });
    expect(replay.statusCode).toBe(401);
    expect(replay.json<{ message: string }>().message).toBe('this signature was used for another request already');
    expect(orders.get(other.id)?.status).toBe('open');
    // The same request again under a new key is still the same request: answered as before.
    const same = await send({ body: undefined, raw, key: 'k-3', signature });
    expect(same.statusCode).toBe(200);
    expect(same.headers['idempotent-replayed']).toBe('true');
    expect(orders.events(order.id).filter((e) => e.kind === 'assign')).toHaveLength(1);
  });

  it('applies the change and remembers its key in one transaction', async () => {
    db.exec("CREATE TRIGGER fail_remember BEFORE INSERT ON cmms_inbound_request BEGIN SELECT RAISE(ABORT, 'disk full'); END");
    const res = await send({ body: { action: 'assign', assignee: 'li.wei' }, key: 'k-atomic' });
    expect(res.statusCode).toBe(500);
    expect(current().status).toBe('open');
    expect(orders.events(order.id)).toHaveLength(1);
    db.exec('DROP TRIGGER fail_remember');
    clock.advanceSync(1);
    expect((await send({ body: { action: 'assign', assignee: 'li.wei' }, key: 'k-atomic' })).statusCode).toBe(200);
    expect(orders.events(order.id).filter((e) => e.kind === 'assign')).toHaveLength(1);
  });

  it('refuses a malformed Idempotency-Key', async () => {
    const res = await send({ body: { action: 'comment', text: 'x' }, key: 'has spaces in it' });
    expect(res.statusCode).toBe(400);
    expect(res.json<{ message: string }>().message).toMatch(/^Idempotency-Key:/);
  });
});

describe('CMMS inbound with the outbound webhooks in the same database', () => {
  it('queues the change for the outbound targets in the same transaction, and not back to the CMMS that made it', async () => {
    const db = new Database(':memory:');
    migrate(db, [...GATEWAY_MIGRATIONS, ...CMMS_MIGRATIONS]);
    const clock = new VirtualClock(T0);
    const orders = new WorkOrderService(new WorkOrderStore(db), clock);
    const outbound = new CmmsOutbound({
      targets: [
        { id: 'maximo', url: 'http://127.0.0.1:9/unused', secret: SECRET, echoInbound: false } as never,
        { id: 'lake', url: 'http://127.0.0.1:9/unused', secret: SECRET, echoInbound: true } as never,
      ],
      db,
      clock,
      logger: silentLogger(),
      inboundName: 'maximo',
    });
    orders.subscribe(outbound.listener);
    const inbound = new CmmsInbound({ config: { name: 'maximo', secret: SECRET } as never, orders, db, clock, logger: silentLogger() });
    const order = orders.create({ site: 'tower', asset: 'pump-1', type: 'corrective', priority: 'high', title: 'Leak', source: { kind: 'manual' } }, 'office');
    const body = JSON.stringify({ action: 'assign', assignee: 'li.wei' });
    const answer = inbound.handle({ orderRef: order.number, timestamp: String(T0), signature: webhookSignature(SECRET, String(T0), body), idempotencyKey: 'k1', body });
    expect(answer.statusCode).toBe(200);
    const kinds = (target: string) => outbound.rows(target).map((r) => r.eventKind).reverse();
    expect(kinds('maximo')).toEqual(['created']);
    expect(kinds('lake')).toEqual(['created', 'assign']);
    db.close();
  });
});
