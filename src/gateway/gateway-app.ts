import type { FastifyInstance } from 'fastify';
import { buildApp } from '../api/app.js';
import { TokenAuth } from '../api/auth.js';
import type { MetricsEndpoint } from '../api/routes/metrics.js';
import { episodeKey } from '../alarms/episode.js';
import { AuthSchema, withDefaults } from '../config/alarm-management-schema.js';
import type { Logger } from '../log.js';
import type { Gateway } from './gateway.js';
import { GatewayApiView } from './gateway-view.js';

export interface GatewayAppOptions {
  logger: Logger;
  version: string;
  metrics?: MetricsEndpoint;
}

/** The HTTP API of a gateway: live state, managed alarms, work orders and acknowledge links, with the config's tokens. */
export async function buildGatewayApp(gateway: Gateway, options: GatewayAppOptions): Promise<FastifyInstance> {
  const { config } = gateway;
  const links = gateway.ackLinks;
  return buildApp({
    gateway: new GatewayApiView(gateway),
    logger: options.logger,
    version: options.version,
    ...(options.metrics !== undefined ? { metrics: options.metrics } : {}),
    alarms: gateway.alarmService,
    auth: new TokenAuth(withDefaults(AuthSchema, config.auth)),
    workOrders: { service: gateway.workOrders, site: config.site.id },
    ...(links !== undefined
      ? { ackLinks: { links, alarms: gateway.alarmService, episodeKeyOf: episodeKey, timeZone: config.site.timezone, rationaleOf: (id: string) => gateway.rationaleOf(id) } }
      : {}),
    ...(gateway.notifier !== undefined ? { notifier: gateway.notifier } : {}),
    now: () => gateway.clock.now(),
  });
}
