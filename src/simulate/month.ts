import type { Logger } from 'pino';
import { startSimulator, type SimulatorHandle } from '../../simulator/simulator.js';
import { Gateway } from '../gateway/gateway.js';
import { silentLogger } from '../log.js';
import { DAY_MS, fromLocalMs, instantOf, localDay, parseDay, toLocalMs } from '../notify/time-zone.js';
import type { Sample } from '../points/sample.js';
import { buildReport, type PeriodReport } from '../reports/report-data.js';
import type { ReportPeriod } from '../reports/period.js';
import type { SiteConfig } from '../config/schema.js';
import { flushMicrotasks, VirtualClock } from '../time/clock.js';
import type { SlaClockRecord } from '../workorders/sla-store.js';
import type { WorkOrder, WorkOrderEvent } from '../workorders/types.js';
import { DEMO_SITE } from '../../simulator/demo-building.js';
import { demoMonthScript } from './demo-month.js';
import { describeRef, describeWhen, minuteOfDay, type OrderRef, type ScriptStep } from './script.js';

const SECOND_MS = 1000;
/** The default month: November 2026 starts on a Sunday that is a due day of the lifts' 15-day cycle. */
export const DEFAULT_MONTH_START = '2026-11-01';
/**
 * Model step: the simulator's physics (lift trips, pump ramps, tank levels). 5 s keeps a month under a minute
 * of wall time on a small machine (the models and their registers are refreshed every step) and still resolves
 * the fire pump's 5-minute test, the trapped passenger's alarm button after 20 s and the pumps' on-delays.
 */
const DEFAULT_MODEL_STEP_MS = 5 * SECOND_MS;
/** Samples handed to the gateway, as a driver polling every 10 s would. */
const DEFAULT_SAMPLE_EVERY_MS = 10 * SECOND_MS;

export interface SimulateMonthOptions {
  /** Days simulated from `from`, 1 to 366. */
  days: number;
  /** First day, `YYYY-MM-DD` in the site's zone (default 2026-11-01, which the demo script is written for). */
  from?: string | undefined;
  /** Seed of the device models (default 1). */
  seed?: number | undefined;
  logger?: Logger | undefined;
  /** Steps at or after the end are left out. Default: the demo building's scripted month. */
  script?: readonly ScriptStep[] | undefined;
  modelStepMs?: number | undefined;
  sampleEveryMs?: number | undefined;
}

export interface MonthResult {
  period: ReportPeriod;
  report: PeriodReport;
  /** Every order, oldest first, and their events by order id. */
  orders: WorkOrder[];
  events: ReadonlyMap<number, WorkOrderEvent[]>;
  /** SLA clocks that breached, with their order. */
  breaches: Array<SlaClockRecord & { order: string }>;
  /** Script steps carried out. */
  steps: number;
  /** Samples handed to the gateway. */
  samples: number;
  /** Wall time the run took, ms. */
  wallMs: number;
}

/** A bad option or a script step that cannot be carried out; the message names which. */
export class SimulateMonthError extends Error {
  override readonly name = 'SimulateMonthError';
}

/**
 * A month in minutes: the demo building's Modbus devices (lifts and pumps) and its gateway on one virtual
 * clock, the scripted faults and technicians' work carried out at their times, and the period's report at
 * the end. The gateway runs with no drivers: the simulator's values are handed to it every `sampleEveryMs`
 * as a poll would deliver them. Doors (MQTT) and the BACnet devices are not part of it.
 */
export async function simulateMonth(options: SimulateMonthOptions): Promise<MonthResult> {
  const started = performance.now();
  const logger = options.logger ?? silentLogger();
  if (!Number.isInteger(options.days) || options.days < 1 || options.days > 366) throw new SimulateMonthError(`--days: must be a whole number from 1 to 366, got ${options.days}`);
  const modelStepMs = positive(options.modelStepMs ?? DEFAULT_MODEL_STEP_MS, 'modelStepMs');
  const sampleEveryMs = positive(options.sampleEveryMs ?? DEFAULT_SAMPLE_EVERY_MS, 'sampleEveryMs');
  const fromText = options.from ?? DEFAULT_MONTH_START;
  const fromDay = parseDay(fromText);
  if (fromDay === undefined) throw new SimulateMonthError(`--from: "${fromText}" is not a date (YYYY-MM-DD)`);

  const tz = DEMO_SITE.timezone;
  const fromMs = fromLocalMs(fromDay * DAY_MS, tz);
  const toMs = fromLocalMs((fromDay + options.days) * DAY_MS, tz);
  const period: ReportPeriod = { from: fromMs, to: toMs, label: periodLabel(fromText, options.days), timeZone: tz };
  const steps = timedSteps(options.script ?? demoMonthScript(), fromMs, tz).filter((s) => s.ts < toMs);

  // One clock for the models and the gateway, from the month's first midnight.
  const clock = new VirtualClock(fromMs);
  const sim = await startSimulator({ clock, seed: options.seed ?? 1, stepMs: modelStepMs, controlPort: null, logger: logger.child({ module: 'simulator' }) });
  const config = monthConfig(sim.siteConfig());
  const gateway = new Gateway({ config, clock, logger: logger.child({ module: 'gateway' }) });
  let samples = 0;
  let done = 0;
  try {
    await gateway.start();
    const modbus = config.devices.map((d) => d.id);
    const feed = (): void => {
      const batch = samplesOf(sim, modbus, gateway, clock.now());
      samples += batch.length;
      gateway.ingest(batch);
    };
    let nextSample = fromMs;
    for (const step of [...steps, undefined]) {
      const until = step?.ts ?? toMs;
      while (nextSample <= until && nextSample < toMs) {
        clock.advanceSync(nextSample - clock.now());
        feed();
        nextSample += sampleEveryMs;
      }
      clock.advanceSync(Math.max(0, until - clock.now()));
      if (step === undefined) break;
      perform(step, sim, gateway);
      done++;
      await flushMicrotasks();
    }
    const db = gateway.alarmService.store.database;
    const report = buildReport(db, period, { site: config.site, chatter: { cycles: 3, windowMs: 60_000 } }, clock.now());
    const orders = gateway.workOrders.list().sort((a, b) => a.id - b.id);
    const events = new Map(orders.map((o) => [o.id, gateway.workOrders.events(o.id)]));
    const sla = gateway.workOrderParts.sla;
    const breaches = orders.flatMap((o) => sla.clocks(o.id).filter((c) => c.status === 'breached').map((c) => ({ ...c, order: o.number })));
    return { period, report, orders, events, breaches, steps: done, samples, wallMs: Math.round(performance.now() - started) };
  } finally {
    await gateway.stop();
    await sim.stop();
  }
}

/** The demo site with its Modbus devices only, no links (nothing polls: samples are handed in), in memory. */
function monthConfig(demo: SiteConfig): SiteConfig {
  const devices = demo.devices.filter((d) => d.type === 'elevator' || d.type === 'pump');
  const { northbound: _northbound, ...rest } = demo;
  return { ...rest, links: [], devices, sinks: [], store: { path: ':memory:' } };
}

/** Each device's values as good samples of the points its profile defines. */
function samplesOf(sim: SimulatorHandle, devices: readonly string[], gateway: Gateway, ts: number): Sample[] {
  const out: Sample[] = [];
  for (const device of devices) {
    for (const [name, value] of Object.entries(sim.values(device))) {
      const point = `${device}.${name}`;
      if (gateway.points.getMeta(point) === undefined) continue;
      out.push({ point, value, ts, quality: 'good' });
    }
  }
  return out;
}

interface TimedStep {
  ts: number;
  step: ScriptStep;
  index: number;
}

/** The steps with their instants, in time order (steps at the same minute in script order). */
function timedSteps(script: readonly ScriptStep[], fromMs: number, tz: string): TimedStep[] {
  const firstDay = localDay(toLocalMs(fromMs, tz));
  return script
    .map((step, index) => {
      const minute = minuteOfDay(step.at.time);
      if (minute === undefined || !Number.isInteger(step.at.day) || step.at.day < 1) {
        throw new SimulateMonthError(`script step ${index + 1}: "${describeWhen(step.at)}" is not a day (1, 2, …) and a time HH:MM`);
      }
      return { ts: instantOf(firstDay + step.at.day - 1, minute, tz), step, index };
    })
    .sort((a, b) => a.ts - b.ts || a.index - b.index);
}

function perform({ step, index }: TimedStep, sim: SimulatorHandle, gateway: Gateway): void {
  const where = `script step ${index + 1} (${describeWhen(step.at)})`;
  try {
    switch (step.kind) {
      case 'fault':
        if (step.action === 'start') sim.startScenario(step.scenario, step.device);
        else sim.clearScenario(step.scenario, step.device);
        return;
      case 'arrive':
        gateway.workOrders.recordArrival(orderOf(gateway, step.order).id, step.by);
        return;
      case 'order':
        gateway.workOrders.act(orderOf(gateway, step.order).id, step.action, {
          by: step.by,
          ...(step.resolution !== undefined ? { resolution: step.resolution } : {}),
          ...(step.comment !== undefined ? { comment: step.comment } : {}),
          ...(step.assignee !== undefined ? { assignee: step.assignee } : {}),
        });
        return;
    }
  } catch (err) {
    throw new SimulateMonthError(`${where}, ${step.kind === 'fault' ? `${step.action} ${step.scenario} on ${step.device}` : `${step.kind === 'order' ? step.action : 'arrive'} ${describeRef(step.order)}`}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** The newest order about `ref` at this time. */
function orderOf(gateway: Gateway, ref: OrderRef): WorkOrder {
  const matches = gateway.workOrders
    .list({ asset: ref.asset })
    .filter((o) => ('fault' in ref ? o.faultKey === ref.fault : o.source.kind === 'schedule' && o.source.ref === ref.schedule));
  const newest = matches.sort((a, b) => b.createdAt - a.createdAt || b.id - a.id)[0];
  if (newest === undefined) throw new Error(`no work order for ${describeRef(ref)} (yet)`);
  return newest;
}

function positive(n: number, name: string): number {
  if (!(Number.isFinite(n) && n > 0)) throw new SimulateMonthError(`${name}: must be a positive number of ms, got ${n}`);
  return n;
}

function periodLabel(from: string, days: number): string {
  return `${from}, ${days} day${days === 1 ? '' : 's'} (simulated)`;
}
