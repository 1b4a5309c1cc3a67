import { Type, type Static } from '@sinclair/typebox';
import { Ajv, type ErrorObject } from 'ajv';

/**
 * What a CMMS may tell us about an order, one request per change. Closing (the office verifies the work)
 * and cancelling stay with the office: the CMMS reports the work, it does not sign it off.
 */

const Text = (max: number, description?: string) => Type.String({ minLength: 1, maxLength: max, ...(description !== undefined ? { description } : {}) });
const Comment = Type.Optional(Text(2000, 'Recorded with the change'));
const strict = (description: string) => ({ additionalProperties: false, description });

export const CmmsEventBodySchema = Type.Union(
  [
    Type.Object(
      { action: Type.Literal('assign'), assignee: Type.Optional(Text(100)), contractor: Type.Optional(Text(100)), comment: Comment },
      strict('Assigned (or reassigned) to a technician or a contractor; one of them is needed'),
    ),
    Type.Object({ action: Type.Literal('start'), comment: Comment }, strict('Work started')),
    Type.Object({ action: Type.Literal('hold'), comment: Text(2000, 'Why: waiting for parts, access, …') }, strict('Work on hold')),
    Type.Object({ action: Type.Literal('resume'), comment: Comment }, strict('Work resumed')),
    Type.Object({ action: Type.Literal('complete'), resolution: Text(4000, 'What was found and done'), comment: Comment }, strict('Work completed')),
    Type.Object(
      {
        action: Type.Literal('arrival'),
        at: Type.Optional(
          Type.Union([Type.Integer({ minimum: 0 }), Type.String({ minLength: 1 })], { description: 'When the technician arrived: ms since the epoch or ISO 8601; default now' }),
        ),
      },
      strict('The technician is on site'),
    ),
    Type.Object({ action: Type.Literal('comment'), text: Text(2000) }, strict('A comment')),
    Type.Object({ action: Type.Literal('externalRef'), externalRef: Text(200, 'The order’s id in the CMMS') }, strict('The CMMS’s own id of the order')),
  ],
  { description: 'One change reported by the CMMS, told apart by `action`' },
);

export type CmmsEventBody = Static<typeof CmmsEventBodySchema>;

export const CMMS_ACTIONS: ReadonlyArray<CmmsEventBody['action']> = ['assign', 'start', 'hold', 'resume', 'complete', 'arrival', 'comment', 'externalRef'];

/** The union as `oneOf` with a discriminator: a mistake is reported against the branch `action` names only. */
function discriminated(): Record<string, unknown> {
  const plain = JSON.parse(JSON.stringify(CmmsEventBodySchema)) as { anyOf: unknown[]; description: string };
  return { type: 'object', required: ['action'], discriminator: { propertyName: 'action' }, oneOf: plain.anyOf, description: plain.description };
}

const validate = new Ajv({ allErrors: true, discriminator: true, strict: false }).compile(discriminated());

export type BodyCheck = { ok: true; body: CmmsEventBody } | { ok: false; errors: string[] };

/** Validates a parsed body; each error names its path from `body`, e.g. `body.resolution: must NOT have fewer than 1 characters`. */
export function checkEventBody(value: unknown): BodyCheck {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return { ok: false, errors: ['body: must be a JSON object'] };
  if (validate(value)) return { ok: true, body: value as CmmsEventBody };
  return { ok: false, errors: [...new Set((validate.errors ?? []).map(describe))] };
}

function describe(e: ErrorObject): string {
  const segments = e.instancePath.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  const params = e.params as Record<string, unknown>;
  if (e.keyword === 'discriminator') {
    return `body.action: must be one of ${CMMS_ACTIONS.join(', ')}${typeof params.tagValue === 'string' ? ` (got "${params.tagValue}")` : ''}`;
  }
  if (e.keyword === 'additionalProperties' && typeof params.additionalProperty === 'string') {
    return `body.${[...segments, params.additionalProperty].join('.')}: not a field of this action`;
  }
  if (e.keyword === 'required' && typeof params.missingProperty === 'string') {
    return `body.${[...segments, params.missingProperty].join('.')}: required`;
  }
  return `${['body', ...segments].join('.')}: ${e.message ?? 'invalid'}`;
}
