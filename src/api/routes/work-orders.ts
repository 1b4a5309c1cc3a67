import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ApiRole } from '../../config/alarm-management-schema.js';
import { WorkOrderError, type WorkOrderService } from '../../workorders/service.js';
import type { WorkOrder, WorkOrderAction, WorkOrderStatus } from '../../workorders/types.js';
import type { TokenAuth } from '../auth.js';
import { parseTime } from '../time-query.js';
import {
  ActionBody,
  ArrivalBody,
  NewWorkOrderBody,
  WorkOrderCommentBody,
  WorkOrderEventSchema,
  WorkOrderListQuery,
  WorkOrderSchema,
} from '../workorder-schemas.js';

const STATUSES: ReadonlySet<string> = new Set(['open', 'assigned', 'in-progress', 'on-hold', 'completed', 'closed', 'cancelled']);

/** Who may do what: technicians work orders; the office (admin) closes, reopens and cancels them. */
const ACTION_ROLE: Readonly<Record<WorkOrderAction, ApiRole>> = {
  assign: 'technician',
  start: 'technician',
  hold: 'technician',
  resume: 'technician',
  complete: 'technician',
  close: 'admin',
  reopen: 'admin',
  cancel: 'admin',
};

const STATUS_OF: Readonly<Record<WorkOrderError['code'], number>> = {
  'unknown-order': 404,
  'missing-field': 400,
  'illegal-transition': 409,
  'version-conflict': 409,
};

function httpError(statusCode: number, code: string, message: string): Error {
  return Object.assign(new Error(message), { statusCode, code });
}

function run(fn: () => WorkOrder): WorkOrder {
  try {
    return fn();
  } catch (err) {
    if (err instanceof WorkOrderError) throw httpError(STATUS_OF[err.code], err.code, err.message);
    throw err;
  }
}

function actor(request: FastifyRequest): string {
  if (request.principal === undefined) throw httpError(401, 'Unauthorized', 'a bearer token is needed');
  return request.principal.name;
}

function statuses(text: string | undefined): WorkOrderStatus[] | undefined {
  if (text === undefined || text === '') return undefined;
  const list = text.split(',').map((s) => s.trim());
  const unknown = list.filter((s) => !STATUSES.has(s));
  if (unknown.length > 0) throw httpError(400, 'bad-status', `status: unknown ${unknown.join(', ')} (one of ${[...STATUSES].join(', ')})`);
  return list as WorkOrderStatus[];
}

/** Work orders: create, read, filter, transition, comment, record arrival; the same roles and audit as alarms. */
export function workOrderRoutes(app: FastifyInstance, orders: WorkOrderService, auth: TokenAuth, site: string): void {
  const read = auth.require('viewer');
  const IdParams = Type.Object({ id: Type.Integer({ minimum: 1 }) });
  type Id = { Params: Static<typeof IdParams> };
  const tags = ['work orders'];

  app.get<{ Querystring: Static<typeof WorkOrderListQuery> }>(
    '/work-orders',
    { preHandler: read, schema: { summary: 'Work orders, newest first', tags, querystring: WorkOrderListQuery, response: { 200: Type.Array(WorkOrderSchema) } } },
    async (req) => {
      const q = req.query;
      return orders.list({ site: q.site, asset: q.asset, type: q.type, status: statuses(q.status), dueBefore: parseTime(q.dueBefore, 'dueBefore'), limit: q.limit });
    },
  );

  app.get<Id>(
    '/work-orders/:id',
    { preHandler: read, schema: { summary: 'One work order', tags, params: IdParams, response: { 200: WorkOrderSchema } } },
    async (req) => {
      const order = orders.get(req.params.id);
      if (order === undefined) throw httpError(404, 'unknown-order', `no work order ${req.params.id}`);
      return order;
    },
  );

  app.get<Id>(
    '/work-orders/:id/events',
    { preHandler: read, schema: { summary: 'The order’s history: every transition and note, with who and when', tags, params: IdParams, response: { 200: Type.Array(WorkOrderEventSchema) } } },
    async (req) => {
      if (orders.get(req.params.id) === undefined) throw httpError(404, 'unknown-order', `no work order ${req.params.id}`);
      return orders.events(req.params.id);
    },
  );

  app.post<{ Body: Static<typeof NewWorkOrderBody> }>(
    '/work-orders',
    { preHandler: auth.require('technician'), schema: { summary: 'Open a work order by hand (a repair on request)', tags, body: NewWorkOrderBody, response: { 201: WorkOrderSchema } } },
    async (req, reply) => {
      const b = req.body;
      const order = run(() =>
        orders.create(
          {
            site,
            asset: b.asset,
            type: b.type,
            priority: b.priority,
            title: b.title,
            description: b.description,
            cause: b.cause,
            location: b.location,
            assignee: b.assignee,
            contractor: b.contractor,
            dueAt: parseTime(b.dueAt, 'dueAt'),
            externalRef: b.externalRef,
            source: { kind: 'manual' },
          },
          actor(req),
        ),
      );
      return reply.code(201).send(order);
    },
  );

  for (const action of Object.keys(ACTION_ROLE) as WorkOrderAction[]) {
    const role = ACTION_ROLE[action];
    app.post<Id & { Body: Static<typeof ActionBody> }>(
      `/work-orders/:id/${action}`,
      {
        preHandler: auth.require(role),
        schema: { summary: `${action} (role ${role})`, tags, params: IdParams, body: ActionBody, security: [{ bearer: [] }], response: { 200: WorkOrderSchema } },
      },
      async (req) => run(() => orders.act(req.params.id, action, { ...(req.body ?? {}), by: actor(req) })),
    );
  }

  app.post<Id & { Body: Static<typeof ArrivalBody> }>(
    '/work-orders/:id/arrival',
    { preHandler: auth.require('technician'), schema: { summary: 'The technician is on site (stops the SLA response clock)', tags, params: IdParams, body: ArrivalBody, response: { 200: WorkOrderSchema } } },
    async (req) => run(() => orders.recordArrival(req.params.id, actor(req), parseTime(req.body?.at, 'at'))),
  );

  app.post<Id & { Body: Static<typeof WorkOrderCommentBody> }>(
    '/work-orders/:id/comments',
    { preHandler: auth.require('technician'), schema: { summary: 'Add a comment', tags, params: IdParams, body: WorkOrderCommentBody, response: { 200: WorkOrderSchema } } },
    async (req) => run(() => orders.comment(req.params.id, actor(req), req.body.text)),
  );
}
