import type { FastifyInstance } from 'fastify';

/** What the route needs from the gateway's metrics: the exposition text and its Content-Type. */
export interface MetricsEndpoint {
  render(): Promise<string>;
  contentType: string;
}

/**
 * `GET /metrics` for Prometheus. Hidden from the OpenAPI document: the body is Prometheus's text format
 * (described by its Content-Type), not a JSON shape a schema could describe.
 */
export function metricsRoutes(app: FastifyInstance, metrics: MetricsEndpoint): void {
  app.get('/metrics', { schema: { hide: true } }, async (_req, reply) => {
    const body = await metrics.render();
    return reply.type(metrics.contentType).send(body);
  });
}
