import swagger from '@fastify/swagger';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { GatewayView } from './gateway-view.js';
import type { AlarmService } from '../alarms/alarm-service.js';
import { TokenAuth } from './auth.js';
import { alarmManagementRoutes } from './routes/alarm-management.js';
import type { WorkOrderService } from '../workorders/service.js';
import type { AlarmNotifier } from '../alarms/notify/index.js';
import { ackRoutes, type AckRouteOptions } from './routes/ack.js';
import { notificationRoutes } from './routes/notifications.js';
import { ruleRoutes, type RuleReloadEndpoint } from './routes/rules.js';
import type { CmmsInbound } from '../workorders/cmms/inbound.js';
import type { CmmsOutbound } from '../workorders/cmms/outbound.js';
import { cmmsRoutes } from './routes/cmms.js';
import type { BacktestReport } from '../backtest/backtest.js';
import type { BacktestRequest } from '../gateway/backtest-endpoint.js';
import { backtestRoutes } from './routes/backtest.js';
import { maintenanceRoutes, type MaintenanceRouteOptions } from './routes/maintenance.js';
import { alarmRoutes } from './routes/alarms.js';
import { workOrderRoutes } from './routes/work-orders.js';
import { deviceRoutes } from './routes/devices.js';
import { healthRoutes } from './routes/health.js';
import { metricsRoutes, type MetricsEndpoint } from './routes/metrics.js';

export interface AppOptions {
  gateway: GatewayView;
  logger: Logger;
  version: string;
  /** Serves `GET /metrics` (Prometheus text format) when given. */
  metrics?: MetricsEndpoint;
  /** The managed alarms (list, audit log, operator actions), when the gateway runs alarm management. */
  alarms?: AlarmService;
  /** Who may do what; without it nobody can write (every write answers 401). */
  auth?: TokenAuth;
  /** Work orders, when the gateway keeps them. */
  workOrders?: { service: WorkOrderService; site: string };
  /** Acknowledge links from pushes (`/ack/:token`), when configured. */
  ackLinks?: AckRouteOptions;
  /** The alarm notifier, when notifications are configured. */
  notifier?: AlarmNotifier;
  /** The CMMS hand-off, when configured. */
  cmms?: { inbound?: CmmsInbound | undefined; outbound?: CmmsOutbound | undefined };
  /** SLA clocks, planned maintenance and reports. */
  maintenance?: Omit<MaintenanceRouteOptions, 'auth' | 'now'>;
  /** Back-tests of candidate rules (the gateway runs from a site file). */
  backtest?: (request: BacktestRequest) => Promise<BacktestReport>;
  /** Rule reload (the gateway runs from a site file). */
  rules?: RuleReloadEndpoint;
  /** The gateway's clock (queries that default to "now"). */
  now?: () => number;
}

/**
 * Builds the HTTP API without listening, so tests drive it with `inject()` and the CLI decides where
 * it listens. Every route declares its schema; the OpenAPI document is served at /openapi.json.
 */
export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  // Typed as Fastify's logger so the app is a plain FastifyInstance that route modules accept.
  const loggerInstance: FastifyBaseLogger = options.logger.child({ module: 'api' });
  // Per-request lines would flood the log of a gateway polled by dashboards every few seconds.
  // maxParamLength: acknowledge-link tokens are about 200 characters, past Fastify's default of 100.
  const app = Fastify({ loggerInstance, logController: new LogController({ disableRequestLogging: true }), routerOptions: { maxParamLength: 4096 } });

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'facility-gw API', version: options.version, description: 'Live state of a building gateway: devices, points, alarms, health.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const status = error.statusCode ?? 500;
    if (status >= 500) {
      // Internal details stay in the log; the client learns only that it failed.
      request.log.error({ err: error }, 'request failed');
      return reply.code(status).send({ statusCode: status, error: 'Internal Server Error', message: 'internal error' });
    }
    // RFC 6750: a 401 names the scheme it wants.
    if (status === 401) void reply.header('www-authenticate', 'Bearer realm="facility-gw"');
    return reply.code(status).send({ statusCode: status, error: error.code ?? 'Bad Request', message: error.message });
  });

  healthRoutes(app, options.gateway);
  deviceRoutes(app, options.gateway);
  alarmRoutes(app, options.gateway);
  const auth = options.auth ?? new TokenAuth({ tokens: [], anonymousRead: true });
  if (!auth.anonymousRead) {
    // Every read needs a token too, except what load balancers and phones must reach without one.
    const viewer = auth.require('viewer');
    app.addHook('onRequest', async (request) => {
      if (!isOpenPath(request.url)) await viewer(request);
    });
  }
  const now = options.now ?? (() => Date.now());
  if (options.alarms) alarmManagementRoutes(app, options.alarms, auth, now);
  if (options.workOrders) workOrderRoutes(app, options.workOrders.service, auth, options.workOrders.site);
  if (options.ackLinks) ackRoutes(app, options.ackLinks);
  if (options.notifier) notificationRoutes(app, options.notifier, auth, now);
  if (options.rules) ruleRoutes(app, options.rules, auth);
  if (options.backtest) backtestRoutes(app, options.backtest, auth);
  if (options.maintenance) maintenanceRoutes(app, { ...options.maintenance, auth, now });
  if (options.cmms && (options.cmms.inbound || options.cmms.outbound)) cmmsRoutes(app, { ...options.cmms, auth });
  if (options.metrics) metricsRoutes(app, options.metrics);
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  return app;
}

/**
 * /health (for load balancers and systemd), acknowledge links and the CMMS's signed status updates (their
 * signature is the credential).
 */
function isOpenPath(url: string): boolean {
  const path = url.split('?', 1)[0] ?? url;
  return path === '/health' || path.startsWith('/ack/') || path.startsWith('/cmms/work-orders/');
}
