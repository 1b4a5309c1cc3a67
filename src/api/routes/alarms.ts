import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { GatewayView } from '../gateway-view.js';
import { ActiveAlarmSchema, PrioritySchema } from '../schemas.js';

export function alarmRoutes(app: FastifyInstance, gateway: GatewayView): void {
  app.get<{ Querystring: { device?: string; priority?: string } }>(
    '/alarms/active',
    {
      schema: {
        summary: 'Alarms whose condition is active now, most severe first',
        tags: ['alarms'],
        querystring: Type.Object({ device: Type.Optional(Type.String()), priority: Type.Optional(PrioritySchema) }, { additionalProperties: false }),
        response: { 200: Type.Array(ActiveAlarmSchema) },
      },
    },
    async (req) => gateway.activeAlarms(req.query),
  );
}
