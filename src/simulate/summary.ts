import type { MonthResult } from './month.js';

/**
 * One line a person reads after the report: the orders by type, the SLA breaches, planned-maintenance
 * compliance and what the run cost.
 */
export function monthSummary(result: MonthResult): string {
  const byType = new Map<string, number>();
  for (const o of result.orders) byType.set(o.type, (byType.get(o.type) ?? 0) + 1);
  const types = [...byType].map(([type, n]) => `${n} ${type}`).join(', ');
  const breaches = result.breaches.length === 0 ? 'none' : result.breaches.map((b) => `${b.order} ${b.kind}`).join(', ');
  const pm = result.report.workOrders.plannedMaintenance;
  const measured = pm.counts['on-time'] + pm.counts.late + pm.counts.missed;
  const pmText = pm.percentOnTime === null ? 'no planned orders due' : `${pm.counts['on-time']}/${measured} on time (${pm.percentOnTime}%)`;
  const days = Math.round((result.period.to - result.period.from) / 86_400_000);
  return (
    `simulated ${days} days in ${(result.wallMs / 1000).toFixed(1)} s: ${result.orders.length} work orders (${types}); ` +
    `SLA breaches: ${breaches}; PM compliance ${pmText}; ${result.steps} script steps, ${result.samples} samples`
  );
}
