import { Type, type Static } from '@sinclair/typebox';
import type { SemanticIssue } from './semantic-checks.js';

/**
 * Hand-off of work orders to a CMMS (issue #6, point 6): outbound webhooks signed per event, and one
 * inbound endpoint through which the CMMS reports what its people did. Both sides sign with the scheme of
 * the alarm webhook channel: `X-Signature: sha256=<hex HMAC-SHA256 over "<timestamp>.<body>">` with
 * `X-Signature-Timestamp` in ms since the epoch. Secrets come from the environment (`${CMMS_SECRET}`).
 */

const Id = Type.String({ pattern: '^[a-z0-9][a-z0-9_-]*$', maxLength: 64, description: 'Lower-case id: letters, digits, - and _' });
const Secret = (description: string) => Type.String({ minLength: 16, description: `${description}; at least 16 characters, write \${ENV_VAR}` });

/** Every kind of work-order event: lifecycle actions and notes (src/workorders/types.ts). */
export const WORK_ORDER_EVENT_KINDS = [
  'created',
  'occurrence',
  'comment',
  'arrival',
  'update',
  'assign',
  'start',
  'hold',
  'resume',
  'complete',
  'close',
  'reopen',
  'cancel',
] as const;

const EventKind = Type.Union(WORK_ORDER_EVENT_KINDS.map((k) => Type.Literal(k)));
const OrderType = Type.Union([Type.Literal('corrective'), Type.Literal('preventive'), Type.Literal('inspection')]);

export const CmmsOutboundSchema = Type.Object(
  {
    id: Id,
    url: Type.String({ pattern: '^https?://', description: 'Receives each work-order event as JSON (POST); use https outside the plant network' }),
    secret: Secret('Signs each request (X-Signature: sha256=HMAC of "timestamp.body")'),
    headers: Type.Optional(Type.Record(Type.String({ minLength: 1 }), Type.String(), { description: 'Extra request headers, e.g. Authorization (use ${ENV})' })),
    events: Type.Optional(Type.Array(EventKind, { minItems: 1, description: 'Event kinds sent; default all' })),
    types: Type.Optional(Type.Array(OrderType, { minItems: 1, description: 'Order types sent; default all' })),
    echoInbound: Type.Boolean({
      default: false,
      description: 'Also send the events the inbound CMMS made itself (by cmms:<name>); off so that a CMMS does not hear its own updates back',
    }),
    timeoutMs: Type.Integer({ minimum: 100, default: 10_000, description: 'Per-request timeout, ms' }),
    maxAttempts: Type.Integer({ minimum: 1, maximum: 100, default: 12, description: 'Attempts per event in total, the first one included; then it is marked failed' }),
    maxAgeHours: Type.Integer({ minimum: 1, maximum: 24 * 30, default: 24, description: 'An event not delivered within this many hours of being queued is marked failed' }),
    baseDelayMs: Type.Integer({ minimum: 100, default: 2000, description: 'Wait before the first retry, ms; doubles per retry, with jitter' }),
    maxDelayMs: Type.Integer({ minimum: 1000, default: 600_000, description: 'Longest wait between two attempts, ms (a Retry-After from the CMMS may ask for longer)' }),
  },
  { additionalProperties: false },
);

export const CmmsInboundSchema = Type.Object(
  {
    name: Id,
    secret: Secret('Verifies each request from the CMMS'),
    previousSecret: Type.Optional(Secret('Also accepted while a new secret is rolled out to the CMMS')),
    toleranceSeconds: Type.Integer({
      minimum: 10,
      maximum: 3600,
      default: 300,
      description: 'A request whose X-Signature-Timestamp is older, or further in the future, than this is refused (401)',
    }),
    keyRetentionHours: Type.Integer({
      minimum: 1,
      maximum: 24 * 90,
      default: 72,
      description: 'How long answered requests are remembered by their Idempotency-Key, so that a resent one is answered again and not applied twice',
    }),
  },
  { additionalProperties: false, description: 'POST /cmms/work-orders/:number/events; changes are recorded as made by cmms:<name>' },
);

export const CmmsSchema = Type.Object(
  {
    outbound: Type.Array(CmmsOutboundSchema, { default: [], description: 'Where work-order events are sent' }),
    inbound: Type.Optional(CmmsInboundSchema),
  },
  { additionalProperties: false, default: {}, description: 'Work orders handed to and updated from a CMMS' },
);

export type CmmsConfig = Static<typeof CmmsSchema>;
export type CmmsOutboundConfig = Static<typeof CmmsOutboundSchema>;
export type CmmsInboundConfig = Static<typeof CmmsInboundSchema>;

/** What the schema cannot say: outbound ids are unique, delays are ordered. Paths are from the config root. */
export function checkCmms(config: CmmsConfig | undefined): SemanticIssue[] {
  const issues: SemanticIssue[] = [];
  const seen = new Set<string>();
  (config?.outbound ?? []).forEach((target, i) => {
    if (seen.has(target.id)) issues.push({ segments: ['cmms', 'outbound', i, 'id'], message: `duplicate outbound id "${target.id}"` });
    seen.add(target.id);
    if (target.maxDelayMs < target.baseDelayMs) {
      issues.push({ segments: ['cmms', 'outbound', i, 'maxDelayMs'], message: `must be at least baseDelayMs (${target.baseDelayMs})` });
    }
  });
  return issues;
}
