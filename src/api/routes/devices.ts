import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { GatewayView } from '../gateway-view.js';
import { DevicePointsSchema, DeviceSummarySchema, ErrorSchema } from '../schemas.js';

export function deviceRoutes(app: FastifyInstance, gateway: GatewayView): void {
  app.get(
    '/devices',
    {
      schema: {
        summary: 'Every configured device with its communication state',
        tags: ['devices'],
        response: { 200: Type.Array(DeviceSummarySchema) },
      },
    },
    async () => gateway.devices(),
  );

  app.get<{ Params: { id: string } }>(
    '/devices/:id/points',
    {
      schema: {
        summary: "A device's live point values with quality and age",
        tags: ['devices'],
        params: Type.Object({ id: Type.String() }),
        response: { 200: DevicePointsSchema, 404: ErrorSchema },
      },
    },
    async (req, reply) => {
      const points = gateway.devicePoints(req.params.id);
      if (!points) return reply.code(404).send({ statusCode: 404, error: 'Not Found', message: `no device "${req.params.id}"` });
      return points;
    },
  );
}
