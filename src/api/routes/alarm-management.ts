import { Type, type Static, type TSchema } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AlarmService } from '../../alarms/alarm-service.js';
import { isAlarmLifecycleError, type AlarmLifecycleErrorCode } from '../../alarms/lifecycle/errors.js';
import type { AlarmSnapshot } from '../../alarms/lifecycle/types.js';
import type { ApiRole } from '../../config/alarm-management-schema.js';
import type { TokenAuth } from '../auth.js';
import {
  AlarmListQuery,
  AuditEntrySchema,
  CommentBody,
  CommentOnlyBody,
  HistoryQuerySchema,
  ManagedAlarmSchema,
  OutOfServiceBody,
  ShelveBody,
} from '../alarm-schemas.js';
import { parseTime } from '../time-query.js';

/** Refusals that name a value the caller sent badly; every other refusal is a conflict with the alarm's state. */
const BAD_REQUEST: ReadonlySet<AlarmLifecycleErrorCode> = new Set(['invalid-duration', 'shelve-too-long', 'missing-operator', 'missing-comment']);

class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Runs an operator action; a refusal becomes 404 (unknown alarm), 400 (bad value) or 409 (wrong state), state unchanged. */
function act(run: () => AlarmSnapshot): AlarmSnapshot {
  try {
    return run();
  } catch (err) {
    if (!isAlarmLifecycleError(err)) throw err;
    if (err.code === 'unknown-alarm') throw new HttpError(404, err.code, err.message);
    throw new HttpError(BAD_REQUEST.has(err.code) ? 400 : 409, err.code, err.message);
  }
}

function actor(request: FastifyRequest): string {
  // require('technician') ran before: a write always has a principal.
  if (request.principal === undefined) throw new HttpError(401, 'Unauthorized', 'a bearer token is needed');
  return request.principal.name;
}

interface ActionRoute<B extends TSchema> {
  path: string;
  summary: string;
  role: ApiRole;
  body: B;
  run: (alarmId: string, by: string, body: Static<B>) => AlarmSnapshot;
}

/**
 * The managed alarms: list and filter, one alarm, the audit log, and the operator's actions. Reads follow
 * the auth config (open by default); every write needs a token whose role allows it, and the token's name
 * is what the audit log records as the actor.
 */
export function alarmManagementRoutes(app: FastifyInstance, alarms: AlarmService, auth: TokenAuth, now: () => number): void {
  const read = auth.require('viewer');
  const IdParams = Type.Object({ id: Type.String() });

  app.get<{ Querystring: Static<typeof AlarmListQuery> }>(
    '/alarms',
    {
      preHandler: read,
      schema: {
        summary: 'Managed alarms, most urgent first (unacknowledged-active, then by priority, newest)',
        tags: ['alarms'],
        querystring: AlarmListQuery,
        response: { 200: Type.Array(ManagedAlarmSchema) },
      },
    },
    async (req) => {
      const { state, device, priority, annunciated, all } = req.query;
      return alarms.list({ state, device, priority, annunciated, skipQuiet: all !== true });
    },
  );

  app.get<{ Querystring: Static<typeof HistoryQuerySchema> }>(
    '/alarms/history',
    {
      preHandler: read,
      schema: {
        summary: 'The audit log: every raise, clear and operator action of a period, newest first',
        tags: ['alarms'],
        querystring: HistoryQuerySchema,
        response: { 200: Type.Array(AuditEntrySchema) },
      },
    },
    async (req) => {
      const { from, to, device, alarm, limit } = req.query;
      return alarms.history({ from: parseTime(from, 'from'), to: parseTime(to, 'to'), device, alarmId: alarm, limit, newestFirst: true });
    },
  );

  const KpiQuery = Type.Object(
    {
      from: Type.String({ description: 'ISO 8601 time or ms since the epoch' }),
      to: Type.Optional(Type.String({ description: 'Default: now' })),
    },
    { additionalProperties: false },
  );
  app.get<{ Querystring: Static<typeof KpiQuery> }>(
    '/alarms/kpis',
    {
      preHandler: read,
      schema: {
        summary: 'ISA-18.2 alarm KPIs of a period: annunciated alarms per 10 minutes, % of time in flood, top-10 bad actors, chattering and standing alarms, priority distribution',
        tags: ['alarms'],
        querystring: KpiQuery,
        response: { 200: Type.Object({}, { additionalProperties: true }) },
      },
    },
    async (req) => {
      const from = parseTime(req.query.from, 'from') ?? 0;
      const to = parseTime(req.query.to, 'to') ?? now();
      if (to < from) throw new HttpError(400, 'bad-window', `to (${req.query.to ?? 'now'}) is before from (${req.query.from})`);
      return alarms.kpis(from, to);
    },
  );

  app.get(
    '/alarms/chattering',
    {
      preHandler: read,
      schema: {
        summary: 'Alarms chattering now (3 or more raise/clear cycles within a minute, by default)',
        tags: ['alarms'],
        response: { 200: Type.Array(Type.Object({ alarmId: Type.String(), cycles: Type.Integer(), since: Type.Integer(), peakCycles: Type.Integer() })) },
      },
    },
    async () => alarms.chattering(),
  );

  app.get<{ Params: Static<typeof IdParams> }>(
    '/alarms/:id',
    {
      preHandler: read,
      schema: { summary: 'One managed alarm', tags: ['alarms'], params: IdParams, response: { 200: ManagedAlarmSchema } },
    },
    async (req) => {
      const alarm = alarms.get(req.params.id);
      if (alarm === undefined) throw new HttpError(404, 'unknown-alarm', `No alarm with id ${req.params.id} is known.`);
      return alarm;
    },
  );

  const actions: Array<ActionRoute<TSchema>> = [
    action({ path: 'ack', summary: 'Acknowledge', role: 'technician', body: CommentOnlyBody, run: (id, by, b) => alarms.acknowledge(id, by, b.comment) }),
    action({ path: 'shelve', summary: 'Shelve for a time (never a fire alarm)', role: 'technician', body: ShelveBody, run: (id, by, b) => alarms.shelve(id, by, b.minutes, b.comment) }),
    action({ path: 'unshelve', summary: 'Unshelve', role: 'technician', body: CommentOnlyBody, run: (id, by, b) => alarms.unshelve(id, by, b.comment) }),
    action({ path: 'reset', summary: 'Reset a latched alarm whose condition has cleared', role: 'technician', body: CommentOnlyBody, run: (id, by, b) => alarms.reset(id, by, b.comment) }),
    action({ path: 'comments', summary: 'Add a comment to the audit log', role: 'technician', body: CommentBody, run: (id, by, b) => alarms.comment(id, by, b.text) }),
    action({ path: 'out-of-service', summary: 'Take out of service (authorised, time-boxed)', role: 'admin', body: OutOfServiceBody, run: (id, by, b) => alarms.removeFromService(id, by, b.hours, b.comment) }),
    action({ path: 'return-to-service', summary: 'Return to service', role: 'admin', body: CommentOnlyBody, run: (id, by, b) => alarms.returnToService(id, by, b.comment) }),
  ];
  for (const a of actions) {
    app.post<{ Params: Static<typeof IdParams>; Body: Static<typeof a.body> }>(
      `/alarms/:id/${a.path}`,
      {
        preHandler: auth.require(a.role),
        schema: {
          summary: `${a.summary} (role ${a.role})`,
          tags: ['alarms'],
          params: IdParams,
          body: a.body,
          security: [{ bearer: [] }],
          response: { 200: ManagedAlarmSchema },
        },
      },
      async (req) => act(() => a.run(req.params.id, actor(req), req.body ?? {})),
    );
  }
}

/** Keeps each action's body type tied to its handler while the list holds them all. */
function action<B extends TSchema>(route: ActionRoute<B>): ActionRoute<TSchema> {
  return route as unknown as ActionRoute<TSchema>;
}
