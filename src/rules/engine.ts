import type { Logger } from 'pino';
import type { AlarmEvent } from '../alarms/events.js';
import type { DeviceStatusEvent } from '../drivers/driver.js';
import type { DeviceEvent } from '../points/device-event.js';
import { numericValue, type PointValue, type Quality, type Sample } from '../points/sample.js';
import type { Clock } from '../time/clock.js';
import { CommLossRule } from './comm-loss.js';
import type { CompiledRuleSet } from './compile.js';
import { EventCountRule } from './event-rule.js';
import { ThresholdRule, type RuleContext } from './threshold.js';
import { TimerQueue, type Timed } from './timer-queue.js';

/**
 * The rule evaluator. Rules are compiled once (compile.ts) and indexed by what they read: a sample runs
 * only the thresholds of its point, and only when its value or quality differs from the last one seen for
 * that point; a device event runs only the event rules of its device and event name. Delays and event
 * windows wait in one TimerQueue on the injected Clock. There is no loop over all rules.
 *
 * The hot paths (`onSample`, `onEvent`) do one or two Map lookups, and allocate nothing unless a rule emits
 * an alarm event.
 *
 * A device with a parent (a door of a door controller) has no communication-loss rule of its own: when the
 * parent goes offline, the children's thresholds are interrupted as the parent's are.
 */

export interface RuleEngineContext {
  site: string;
  rules: CompiledRuleSet;
  clock: Clock;
  /** Already named for this module by the caller (`logger.child({ module: 'rules' })`). */
  logger: Logger;
  /** Receives every raise and clear. Each call is isolated: a throw or a rejection is logged and counted. */
  onAlarm: (event: AlarmEvent) => void;
}

/** An alarm the engine holds active, for debugging and the API. */
export type ActiveRuleAlarm = Pick<AlarmEvent, 'alarmId' | 'device' | 'point' | 'rule' | 'kind' | 'priority' | 'message' | 'value' | 'quality'> & {
  /** Engine clock time of the raise. */
  raisedAt: number;
  /** True while the value is back to normal and the off-delay runs. */
  clearPending: boolean;
};

export interface RuleEngineStats {
  /** Samples received, and of those: for points without rules, unchanged, evaluated. */
  samples: number;
  unknownPoints: number;
  unchanged: number;
  evaluated: number;
  statusEvents: number;
  /** Device events received, and of those: events no rule counts (no rule for that device and event). */
  deviceEvents: number;
  eventsWithoutRule: number;
  /** Raise and clear events emitted. */
  events: number;
  listenerErrors: number;
  pendingTimers: number;
}

/** The rules of one point and the last value and quality seen for it. */
interface PointSlot {
  rules: ThresholdRule[];
  /** False until the first sample, and again after the device went offline (forces the next evaluation). */
  seen: boolean;
  value: PointValue | null;
  quality: Quality;
}

export class RuleEngine {
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly onAlarm: (event: AlarmEvent) => void;
  private readonly timers: TimerQueue;
  private readonly slots = new Map<string, PointSlot>();
  private readonly slotsByDevice = new Map<string, PointSlot[]>();
  private readonly thresholds: ThresholdRule[] = [];
  private readonly commLoss = new Map<string, CommLossRule>();
  /** Device id → event name → the rules counting it. Two lookups with the event's own strings: no key to build. */
  private readonly eventRules = new Map<string, Map<string, EventCountRule[]>>();
  private readonly eventRuleList: EventCountRule[] = [];
  private readonly childrenByParent: ReadonlyMap<string, readonly string[]>;

  private samples = 0;
  private unknownPoints = 0;
  private unchanged = 0;
  private evaluated = 0;
  private statusEvents = 0;
  private deviceEvents = 0;
  private eventsWithoutRule = 0;
  private events = 0;
  private listenerErrors = 0;

  constructor(ctx: RuleEngineContext) {
    this.clock = ctx.clock;
    this.log = ctx.logger;
    this.onAlarm = ctx.onAlarm;
    this.timers = new TimerQueue({
      clock: ctx.clock,
      onFireError: (err, timed) => this.log.error({ err, rule: describeTimed(timed) }, 'rule timer failed'),
    });
    const ruleContext: RuleContext = { site: ctx.site, timers: this.timers, emit: (event) => this.emit(event) };

    for (const [point, specs] of ctx.rules.thresholdsByPoint) {
      const slot: PointSlot = { rules: [], seen: false, value: null, quality: 'good' };
      for (const spec of specs) {
        const rule = new ThresholdRule(spec, ruleContext);
        slot.rules.push(rule);
        this.thresholds.push(rule);
      }
      this.slots.set(point, slot);
      const device = specs[0]?.device;
      if (device === undefined) continue;
      let deviceSlots = this.slotsByDevice.get(device);
      if (deviceSlots === undefined) {
        deviceSlots = [];
        this.slotsByDevice.set(device, deviceSlots);
      }
      deviceSlots.push(slot);
    }
    for (const [device, spec] of ctx.rules.commLossByDevice) {
      this.commLoss.set(device, new CommLossRule(spec, ruleContext));
    }
    for (const [device, specs] of ctx.rules.eventRulesByDevice) {
      const byEvent = new Map<string, EventCountRule[]>();
      for (const spec of specs) {
        const rule = new EventCountRule(spec, ruleContext);
        const rules = byEvent.get(spec.event);
        if (rules === undefined) byEvent.set(spec.event, [rule]);
        else rules.push(rule);
        this.eventRuleList.push(rule);
      }
      this.eventRules.set(device, byEvent);
    }
    this.childrenByParent = ctx.rules.childrenByParent;
    this.log.debug(
      { points: this.slots.size, thresholds: this.thresholds.length, eventRules: this.eventRuleList.length, devices: this.commLoss.size },
      'rules loaded',
    );
  }

  /** Feeds one sample. Points without rules and unchanged samples return at once. */
  onSample(sample: Sample): void {
    this.samples++;
    const slot = this.slots.get(sample.point);
    if (slot === undefined) {
      this.unknownPoints++;
      return;
    }
    if (slot.seen && slot.value === sample.value && slot.quality === sample.quality) {
      this.unchanged++;
      return;
    }
    slot.seen = true;
    slot.value = sample.value;
    slot.quality = sample.quality;
    this.evaluated++;
    const numeric = numericValue(sample.value);
    const now = this.clock.now();
    const rules = slot.rules;
    for (let i = 0; i < rules.length; i++) rules[i]?.evaluate(numeric, sample, now);
  }

  /** Feeds a driver's batch (same signature as DriverContext.onSamples). */
  onSamples(samples: readonly Sample[]): void {
    for (let i = 0; i < samples.length; i++) {
      const sample = samples[i];
      if (sample !== undefined) this.onSample(sample);
    }
  }

  /**
   * Feeds one device event: counted by the event rules of its device and name; other events return at once.
   * Events of one device are expected in time order; a late one is placed in its window by the rule.
   */
  onEvent(event: DeviceEvent): void {
    this.deviceEvents++;
    const rules = this.eventRules.get(event.device)?.get(event.event);
    if (rules === undefined) {
      this.eventsWithoutRule++;
      return;
    }
    const now = this.clock.now();
    for (let i = 0; i < rules.length; i++) rules[i]?.onEvent(event.ts, now);
  }

  /** Feeds a driver's batch of events (same signature as DriverContext.onEvents). */
  onEvents(events: readonly DeviceEvent[]): void {
    for (let i = 0; i < events.length; i++) {
      const event = events[i];
      if (event !== undefined) this.onEvent(event);
    }
  }

  /**
   * A device became reachable or unreachable. Offline also interrupts the thresholds of the device and of
   * its children (a pending raise or clear cannot be confirmed without values) and forgets the last values
   * seen, so that the first sample after the outage is judged even if it repeats the value from before.
   * Event rules are left alone: the events counted did happen, and their window ages them out.
   */
  onDeviceStatus(status: DeviceStatusEvent): void {
    this.statusEvents++;
    if (!status.online) {
      this.interruptThresholds(status.device);
      for (const child of this.childrenByParent.get(status.device) ?? []) this.interruptThresholds(child);
    }
    const rule = this.commLoss.get(status.device);
    if (rule === undefined) {
      // A child device (its parent's status counts) or a device without rules.
      this.log.debug({ device: status.device }, 'status of a device without a communication-loss rule ignored');
      return;
    }
    if (!status.online) {
      if (!rule.isOffline()) this.log.info({ device: status.device, error: status.error }, 'device offline');
    } else if (rule.isOffline()) {
      this.log.info({ device: status.device }, 'device back online');
    }
    rule.onStatus(status, this.clock.now());
  }

  /** A snapshot of the alarms currently raised by the rules, in no particular order. */
  activeAlarms(): ActiveRuleAlarm[] {
    const out: ActiveRuleAlarm[] = [];
    for (const rule of this.commLoss.values()) {
      if (!rule.isActive()) continue;
      const { alarmId, device, rule: ruleId, priority, message } = rule.spec;
      out.push({ alarmId, device, rule: ruleId, kind: 'comm-loss', priority, message, raisedAt: rule.raisedAt, clearPending: false });
    }
    for (const rule of this.eventRuleList) {
      if (!rule.isActive()) continue;
      const { alarmId, device, rule: ruleId, priority, message } = rule.spec;
      out.push({ alarmId, device, rule: ruleId, kind: 'event-count', priority, message, raisedAt: rule.raisedAt, value: rule.lastValue, clearPending: false });
    }
    for (const rule of this.thresholds) {
      if (!rule.isActive()) continue;
      const { alarmId, device, point, rule: ruleId, kind, priority, message } = rule.spec;
      out.push({
        alarmId, device, point, rule: ruleId, kind, priority, message,
        raisedAt: rule.raisedAt,
        value: rule.lastValue,
        quality: rule.lastQuality,
        clearPending: rule.state === 'pending-clear',
      });
    }
    return out;
  }

  stats(): RuleEngineStats {
    return {
      samples: this.samples,
      unknownPoints: this.unknownPoints,
      unchanged: this.unchanged,
      evaluated: this.evaluated,
      statusEvents: this.statusEvents,
      deviceEvents: this.deviceEvents,
      eventsWithoutRule: this.eventsWithoutRule,
      events: this.events,
      listenerErrors: this.listenerErrors,
      pendingTimers: this.timers.size(),
    };
  }

  /**
   * Cancels every pending delay, so that nothing fires after shutdown or after a reload replaced this
   * engine. The engine is meant to be discarded afterwards.
   */
  stop(): void {
    this.timers.clear();
  }

  private interruptThresholds(device: string): void {
    for (const slot of this.slotsByDevice.get(device) ?? []) {
      slot.seen = false;
      for (const threshold of slot.rules) threshold.interrupt();
    }
  }

  private emit(event: AlarmEvent): void {
    this.events++;
    if (this.log.isLevelEnabled('debug')) {
      this.log.debug({ alarmId: event.alarmId, type: event.type, value: event.value }, 'alarm event');
    }
    try {
      // The listener is typed to return void, but an async function fits that type; a rejection must not
      // become an unhandled rejection that takes the process down.
      const result: unknown = this.onAlarm(event);
      if (result instanceof Promise) result.catch((err: unknown) => this.listenerFailed(err, event));
    } catch (err) {
      this.listenerFailed(err, event);
    }
  }

  private listenerFailed(err: unknown, event: AlarmEvent): void {
    this.listenerErrors++;
    this.log.error({ err, alarmId: event.alarmId, type: event.type }, 'alarm listener failed');
  }
}

function describeTimed(timed: Timed): string {
  if (timed instanceof ThresholdRule || timed instanceof CommLossRule || timed instanceof EventCountRule) return timed.spec.alarmId;
  return 'unknown';
}
