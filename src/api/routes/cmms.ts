import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { CmmsInbound } from '../../workorders/cmms/inbound.js';
import { CmmsEventBodySchema } from '../../workorders/cmms/inbound-schema.js';
import type { CmmsOutbound } from '../../workorders/cmms/outbound.js';
import type { TokenAuth } from '../auth.js';
import { WorkOrderSchema } from '../workorder-schemas.js';

export interface CmmsRouteOptions {
  /** The inbound endpoint, when `cmms.inbound` is configured. */
  inbound?: CmmsInbound | undefined;
  /** The outbound webhooks, when `cmms.outbound` lists targets: their status and requeue. */
  outbound?: CmmsOutbound | undefined;
  auth: TokenAuth;
}

const tags = ['cmms'];
/** A CMMS reports one change per request; a few KiB is plenty, and a signed body is held in memory whole. */
const INBOUND_BODY_LIMIT = 64 * 1024;

const OrderParams = Type.Object({ number: Type.String({ description: 'The order number (WO-000042) or id (42)' }) });
const TargetParams = Type.Object({ target: Type.String({ minLength: 1 }) });
const ErrorReply = Type.Object({ statusCode: Type.Integer(), error: Type.String(), message: Type.String(), errors: Type.Optional(Type.Array(Type.String())) });

const TargetStatusSchema = Type.Object({
  id: Type.String(),
  url: Type.String(),
  pending: Type.Integer(),
  sent: Type.Integer(),
  failed: Type.Integer(),
  oldestPendingAgeMs: Type.Union([Type.Integer(), Type.Null()]),
  sentSinceStart: Type.Integer(),
  failedSinceStart: Type.Integer(),
  retriedSinceStart: Type.Integer(),
  lastSentAt: Type.Optional(Type.Integer()),
  lastError: Type.Optional(Type.String()),
  lastErrorAt: Type.Optional(Type.Integer()),
});

const OutboxRowSchema = Type.Object({
  id: Type.Integer(),
  orderId: Type.Integer(),
  eventSeq: Type.Integer(),
  eventKind: Type.String(),
  idempotencyKey: Type.String(),
  status: Type.String(),
  attempts: Type.Integer(),
  nextAttemptAt: Type.Integer(),
  lastError: Type.Optional(Type.String()),
  lastStatus: Type.Optional(Type.Integer()),
  queuedAt: Type.Integer(),
  updatedAt: Type.Integer(),
});

const OutboxQuery = Type.Object(
  {
    status: Type.Optional(Type.Union([Type.Literal('pending'), Type.Literal('sent'), Type.Literal('failed')])),
    limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
  },
  { additionalProperties: false },
);

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function httpError(statusCode: number, code: string, message: string): Error {
  return Object.assign(new Error(message), { statusCode, code });
}

/**
 * The CMMS hand-off:
 * - `POST /cmms/work-orders/:number/events`: a CMMS reports a change of an order (assign, start, hold,
 *   resume, complete, arrival, comment, externalRef). No bearer token: the HMAC signature is the credential
 *   (headers X-Signature-Timestamp, X-Signature; Idempotency-Key recommended). See CmmsInbound for the answers.
 * - `GET /cmms/outbound`, `GET /cmms/outbound/:target/events` (viewer): delivery status of the outbound
 *   webhooks; `POST /cmms/outbound/:target/requeue` (admin): send the failed events of a target again.
 */
export function cmmsRoutes(app: FastifyInstance, options: CmmsRouteOptions): void {
  const { inbound, outbound, auth } = options;
  if (inbound !== undefined) {
    // Encapsulated: the raw-body JSON parser applies to this route only.
    void app.register(async (scope) => {
      // The signature covers the body's exact bytes, so the body reaches the handler unparsed.
      scope.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: INBOUND_BODY_LIMIT }, (_req, body, done) => {
        done(null, body);
      });
      scope.post<{ Params: Static<typeof OrderParams>; Body: string | undefined }>(
        '/cmms/work-orders/:number/events',
        {
          schema: {
            summary: 'A CMMS reports a change of a work order (signed: X-Signature-Timestamp, X-Signature; Idempotency-Key)',
            tags,
            params: OrderParams,
            body: CmmsEventBodySchema,
            response: { 200: Type.Object({ action: Type.String(), order: WorkOrderSchema }), '4xx': ErrorReply },
          },
          // The body is checked by CmmsInbound once its signature is verified: an unsigned request learns
          // nothing from a schema error. The schemas above are for the OpenAPI document.
          validatorCompiler: () => () => true,
        },
        async (req, reply) => {
          const answer = inbound.handle({
            orderRef: req.params.number,
            timestamp: header(req, 'x-signature-timestamp'),
            signature: header(req, 'x-signature'),
            idempotencyKey: header(req, 'idempotency-key'),
            body: typeof req.body === 'string' ? req.body : '',
          });
          if (answer.replayed) void reply.header('idempotent-replayed', 'true');
          return reply.code(answer.statusCode).send(answer.body);
        },
      );
    });
  }

  if (outbound !== undefined) {
    const requireTarget = (target: string): void => {
      if (!outbound.hasTarget(target)) throw httpError(404, 'unknown-target', `no CMMS target "${target}" (cmms.outbound)`);
    };
    app.get(
      '/cmms/outbound',
      { preHandler: auth.require('viewer'), schema: { summary: 'Delivery status of the CMMS webhooks, per target', tags, response: { 200: Type.Array(TargetStatusSchema) } } },
      async () => outbound.status(),
    );
    app.get<{ Params: Static<typeof TargetParams>; Querystring: Static<typeof OutboxQuery> }>(
      '/cmms/outbound/:target/events',
      {
        preHandler: auth.require('viewer'),
        schema: { summary: 'Queued, sent and failed events of one target, newest first', tags, params: TargetParams, querystring: OutboxQuery, response: { 200: Type.Array(OutboxRowSchema) } },
      },
      async (req) => {
        requireTarget(req.params.target);
        return outbound.rows(req.params.target, req.query.status, req.query.limit);
      },
    );
    app.post<{ Params: Static<typeof TargetParams> }>(
      '/cmms/outbound/:target/requeue',
      {
        preHandler: auth.require('admin'),
        schema: { summary: 'Send the failed events of a target again, with fresh attempts (role admin)', tags, params: TargetParams, response: { 200: Type.Object({ requeued: Type.Integer() }) } },
      },
      async (req) => {
        requireTarget(req.params.target);
        return { requeued: outbound.requeueFailed(req.params.target) };
      },
    );
  }
}
