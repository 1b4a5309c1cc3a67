import type { FastifyInstance } from 'fastify';
import { buildApp } from '../api/app.js';
import { TokenAuth } from '../api/auth.js';
import type { MetricsEndpoint } from '../api/routes/metrics.js';
import { episodeKey } from '../alarms/episode.js';
import { AlarmManagementSchema, AuthSchema, withDefaults } from '../config/alarm-management-schema.js';
import type { Logger } from '../log.js';
import { backtestEndpoint } from './backtest-endpoint.js';
import type { ConfigReloader } from './config-reloader.js';
import type { Gateway } from './gateway.js';
import type { RuleReloadReport } from './rule-reload.js';
import { GatewayApiView } from './gateway-view.js';

export interface GatewayAppOptions {
  logger: Logger;
  version: string;
  metrics?: MetricsEndpoint;
  /** Reloads rules from the site file, when the gateway runs from one. */
  reloader?: ConfigReloader;
  /** The site file the gateway runs from (back-tests compare candidates with it). */
  configPath?: string;
}

/** The HTTP API of a gateway: live state, managed alarms, work orders and acknowledge links, with the config's tokens. */
export async function buildGatewayApp(gateway: Gateway, options: GatewayAppOptions): Promise<FastifyInstance> {
  const { config } = gateway;
  const links = gateway.ackLinks;
  const { chatter } = withDefaults(AlarmManagementSchema, config.alarmManagement);
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
    cmms: { inbound: gateway.workOrderParts.cmmsInbound, outbound: gateway.workOrderParts.cmmsOutbound },
    maintenance: {
      database: gateway.alarmService.store.database,
      site: config.site,
      sla: gateway.workOrderParts.sla,
      maintenance: gateway.workOrderParts.maintenance,
      chatter: { cycles: chatter.cycles, windowMs: chatter.windowSeconds * 1000 },
    },
    ...(options.reloader !== undefined ? { rules: { reload: (trigger: string) => reloaderReload(options.reloader, trigger), last: () => gateway.lastRuleReload() } } : {}),
    ...(options.configPath !== undefined ? { backtest: backtestEndpoint(options.configPath, () => gateway.config, options.logger) } : {}),
    now: () => gateway.clock.now(),
  });
}

function reloaderReload(reloader: ConfigReloader | undefined, trigger: string): RuleReloadReport {
  if (reloader === undefined) throw new Error('no reloader');
  return reloader.reload(trigger);
}
