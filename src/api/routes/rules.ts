import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { RuleReloadReport } from '../../gateway/rule-reload.js';
import type { TokenAuth } from '../auth.js';

const ReportSchema = Type.Object({
  applied: Type.Boolean(),
  errors: Type.Array(Type.String()),
  added: Type.Array(Type.String()),
  removed: Type.Array(Type.String()),
  changed: Type.Array(Type.String()),
  unchanged: Type.Integer(),
  restartRequired: Type.Array(Type.String({ description: 'Settings that changed but take effect only after a restart' })),
  at: Type.Integer(),
});

export interface RuleReloadEndpoint {
  reload: (trigger: string) => RuleReloadReport;
  last: () => RuleReloadReport | undefined;
}

/** Reload the rules from the site and rule files (admin), and what the last reload did. */
export function ruleRoutes(app: FastifyInstance, endpoint: RuleReloadEndpoint, auth: TokenAuth): void {
  app.post(
    '/rules/reload',
    {
      preHandler: auth.require('admin'),
      schema: { summary: 'Reload the alarm rules from the site file and its rule files; refused whole when they do not validate', tags: ['rules'], response: { 200: ReportSchema, 422: ReportSchema } },
    },
    async (req, reply) => {
      const report = endpoint.reload(`api (${req.principal?.name ?? 'unknown'})`);
      return reply.code(report.applied ? 200 : 422).send(report);
    },
  );
  app.get(
    '/rules/reload',
    { preHandler: auth.require('viewer'), schema: { summary: 'What the last rule reload did', tags: ['rules'], response: { 200: ReportSchema, 404: Type.Object({ message: Type.String() }) } } },
    async (_req, reply) => {
      const last = endpoint.last();
      return last === undefined ? reply.code(404).send({ message: 'no reload since start' }) : last;
    },
  );
}
