import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { BacktestReport } from '../../backtest/backtest.js';
import { formatReportTable } from '../../backtest/report-format.js';
import { BacktestRequestError, type BacktestRequest } from '../../gateway/backtest-endpoint.js';
import type { TokenAuth } from '../auth.js';
import { parseTime } from '../time-query.js';

const Body = Type.Object(
  {
    candidate: Type.String({ minLength: 1, maxLength: 1_000_000, description: 'The candidate rules: a rule file (YAML) applied over the running site file, or a whole site file' }),
    from: Type.String({ description: 'ISO 8601 time or ms since the epoch' }),
    to: Type.String({ description: 'ISO 8601 time or ms since the epoch' }),
    source: Type.Union([Type.Literal('recording'), Type.Literal('influx')], { default: 'recording' }),
    sink: Type.Optional(Type.String({ description: 'With source influx: the sink id to read (default the first)' })),
    warmupMinutes: Type.Optional(Type.Number({ minimum: 0 })),
    repairMinutes: Type.Optional(Type.Number({ minimum: 0, description: 'How long a simulated repair takes after the alarm clears (work-order dedup)' })),
  },
  { additionalProperties: false },
);
const Query = Type.Object({ format: Type.Union([Type.Literal('json'), Type.Literal('table')], { default: 'json' }) }, { additionalProperties: false });

/**
 * Back-test a rule change before it goes live: the candidate and the running rules replayed over history,
 * compared per rule (raises, time active, chattering, first raise of each episode, work orders).
 */
export function backtestRoutes(app: FastifyInstance, run: (request: BacktestRequest) => Promise<BacktestReport>, auth: TokenAuth): void {
  app.post<{ Body: Static<typeof Body>; Querystring: Static<typeof Query> }>(
    '/rules/backtest',
    {
      preHandler: auth.require('technician'),
      schema: {
        summary: 'Replay history through the running rules and a candidate, and compare them per rule (404 when the window holds no data)',
        tags: ['rules'],
        body: Body,
        querystring: Query,
        response: { 200: Type.Object({}, { additionalProperties: true }) },
      },
    },
    async (req, reply) => {
      const b = req.body;
      const from = parseTime(b.from, 'from') ?? 0;
      const to = parseTime(b.to, 'to') ?? 0;
      try {
        const report = await run({
          candidate: b.candidate,
          from,
          to,
          source: b.source,
          sink: b.sink,
          warmupMs: b.warmupMinutes === undefined ? undefined : b.warmupMinutes * 60_000,
          repairMs: b.repairMinutes === undefined ? undefined : b.repairMinutes * 60_000,
        });
        if (req.query.format === 'table') return reply.type('text/plain; charset=utf-8').send(formatReportTable(report));
        return report;
      } catch (err) {
        if (err instanceof BacktestRequestError) throw Object.assign(new Error(err.message), { statusCode: err.statusCode, code: err.statusCode === 404 ? 'no-data' : 'bad-candidate' });
        throw err;
      }
    },
  );
}
