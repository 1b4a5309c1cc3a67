import { Type, type Static } from '@sinclair/typebox';
import type Database from 'better-sqlite3';
import type { FastifyInstance } from 'fastify';
import type { ChatterRule } from '../../alarms/kpis.js';
import type { MaintenanceService } from '../../maintenance/index.js';
import { DeliveryStore } from '../../reports/delivery-store.js';
import { parsePeriod } from '../../reports/period.js';
import { buildReport, ReportError } from '../../reports/report-data.js';
import { renderReport } from '../../reports/render.js';
import type { SlaMonitor } from '../../workorders/sla.js';
import type { TokenAuth } from '../auth.js';

export interface MaintenanceRouteOptions {
  database: Database.Database;
  site: { id: string; name: string; timezone: string };
  sla: SlaMonitor;
  maintenance: MaintenanceService | undefined;
  chatter: ChatterRule;
  auth: TokenAuth;
  now: () => number;
}

const Open = Type.Object({}, { additionalProperties: true });

/** SLA clocks of an order, the planned-maintenance schedules, and the period report on demand. */
export function maintenanceRoutes(app: FastifyInstance, options: MaintenanceRouteOptions): void {
  const { auth } = options;
  const read = auth.require('viewer');
  const IdParams = Type.Object({ id: Type.Integer({ minimum: 1 }) });

  app.get<{ Params: Static<typeof IdParams> }>(
    '/work-orders/:id/sla',
    { preHandler: read, schema: { summary: 'The order’s SLA clocks: response and resolution targets, met, breached or running', tags: ['work orders'], params: IdParams, response: { 200: Type.Array(Open) } } },
    async (req) => options.sla.clocks(req.params.id),
  );

  if (options.maintenance !== undefined) {
    const maintenance = options.maintenance;
    app.get(
      '/maintenance',
      { preHandler: read, schema: { summary: 'Planned maintenance: next due per schedule and asset, open orders, meters and counters', tags: ['maintenance'], response: { 200: Open } } },
      async () => maintenance.status(),
    );
  }

  const ReportQuery = Type.Object(
    {
      from: Type.String({ description: 'Date (site time zone) or ISO time, e.g. 2026-11-01' }),
      to: Type.String({ description: 'Date (inclusive, the whole day) or ISO time' }),
      format: Type.Union([Type.Literal('md'), Type.Literal('html'), Type.Literal('csv'), Type.Literal('json')], { default: 'html' }),
    },
    { additionalProperties: false },
  );
  app.get<{ Querystring: Static<typeof ReportQuery> }>(
    '/reports',
    { preHandler: read, schema: { summary: 'The period report: MTTA, MTTR, SLA and planned-maintenance compliance, backlog, repeat faults, alarm KPIs', tags: ['reports'], querystring: ReportQuery } },
    async (req, reply) => {
      let period;
      try {
        period = parsePeriod(req.query.from, req.query.to, options.site.timezone);
      } catch (err) {
        throw Object.assign(new Error((err as Error).message), { statusCode: 400, code: 'bad-period' });
      }
      try {
        const report = buildReport(options.database, period, { site: options.site, chatter: options.chatter }, options.now());
        const rendered = renderReport(report, req.query.format);
        return reply.type(rendered.contentType).send(rendered.content);
      } catch (err) {
        if (err instanceof ReportError) throw Object.assign(new Error(err.message), { statusCode: 400, code: 'report' });
        throw err;
      }
    },
  );

  app.get(
    '/reports/deliveries',
    { preHandler: auth.require('admin'), schema: { summary: 'Monthly reports sent (or not) by e-mail and webhook', tags: ['reports'], response: { 200: Type.Array(Open) } } },
    async () => new DeliveryStore(options.database).list(),
  );
}
