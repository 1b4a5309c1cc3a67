import type { FastifyInstance } from 'fastify';
import type { GatewayView } from '../gateway-view.js';
import { HealthSchema } from '../schemas.js';

export function healthRoutes(app: FastifyInstance, gateway: GatewayView): void {
  app.get(
    '/health',
    {
      schema: {
        summary: 'Links, devices with state and last-seen, telemetry and rule status',
        tags: ['health'],
        response: { 200: HealthSchema, 503: HealthSchema },
      },
    },
    async (_req, reply) => {
      const health = gateway.health();
      // A load balancer or systemd watchdog reads the status code; the body says what is wrong.
      return reply.code(health.status === 'ok' ? 200 : 503).send(health);
    },
  );
}
