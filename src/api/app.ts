import swagger from '@fastify/swagger';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { GatewayView } from './gateway-view.js';
import { alarmRoutes } from './routes/alarms.js';
import { deviceRoutes } from './routes/devices.js';
import { healthRoutes } from './routes/health.js';
import { metricsRoutes, type MetricsEndpoint } from './routes/metrics.js';

export interface AppOptions {
  gateway: GatewayView;
  logger: Logger;
  version: string;
  /** Serves `GET /metrics` (Prometheus text format) when given. */
  metrics?: MetricsEndpoint;
}

/**
 * Builds the HTTP API without listening, so tests drive it with `inject()` and the CLI decides where
 * it listens. Every route declares its schema; the OpenAPI document is served at /openapi.json.
 */
export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  // Typed as Fastify's logger so the app is a plain FastifyInstance that route modules accept.
  const loggerInstance: FastifyBaseLogger = options.logger.child({ module: 'api' });
  // Per-request lines would flood the log of a gateway polled by dashboards every few seconds.
  const app = Fastify({ loggerInstance, logController: new LogController({ disableRequestLogging: true }) });

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'facility-gw API', version: options.version, description: 'Live state of a building gateway: devices, points, alarms, health.' },
    },
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const status = error.statusCode ?? 500;
    if (status >= 500) {
      // Internal details stay in the log; the client learns only that it failed.
      request.log.error({ err: error }, 'request failed');
      return reply.code(status).send({ statusCode: status, error: 'Internal Server Error', message: 'internal error' });
    }
    return reply.code(status).send({ statusCode: status, error: error.code ?? 'Bad Request', message: error.message });
  });

  healthRoutes(app, options.gateway);
  deviceRoutes(app, options.gateway);
  alarmRoutes(app, options.gateway);
  if (options.metrics) metricsRoutes(app, options.metrics);
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  return app;
}
