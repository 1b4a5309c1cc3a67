import type { RouteConfig } from '../../config/notifications-schema.js';
import type { RouteDecision } from './notify-store.js';
import type { AlarmInfo } from './types.js';

export interface RoutedAlarm extends RouteDecision {
  /** Indexes of the routes that matched, in order. */
  matched: number[];
}

function matches(route: RouteConfig, info: AlarmInfo): boolean {
  const m = route.match;
  if (m.sites && !m.sites.includes(info.site)) return false;
  if (m.priorities && !m.priorities.includes(info.priority)) return false;
  if (m.deviceTypes && !m.deviceTypes.includes(info.deviceType)) return false;
  if (m.lifeSafety !== undefined && m.lifeSafety !== info.lifeSafety) return false;
  return true;
}

/**
 * Tries the routes in order: the first match decides, unless it says `continue`, in which case later
 * matches add their policy and channels too (each policy and channel once).
 */
export function routeAlarm(routes: readonly RouteConfig[], info: AlarmInfo): RoutedAlarm {
  const policies = new Set<string>();
  const channels = new Set<string>();
  const matched: number[] = [];
  for (const [i, route] of routes.entries()) {
    if (!matches(route, info)) continue;
    matched.push(i);
    if (route.policy !== undefined) policies.add(route.policy);
    for (const c of route.channels) channels.add(c);
    if (!route.continue) break;
  }
  return { policies: [...policies], channels: [...channels], matched };
}
