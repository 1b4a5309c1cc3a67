import type { Logger } from 'pino';
import type { AlarmEvent } from '../alarms/events.js';
import type { DeviceStatusEvent } from '../drivers/driver.js';
import type { DeviceEvent } from '../points/device-event.js';
import { numericValue, splitPointId, type PointValue, type Quality, type Sample } from '../points/sample.js';
import type { Clock } from '../time/clock.js';
import { CommLossRule } from './comm-loss.js';
import type { CompiledRuleSet } from './compile.js';
import type { DelayedAlarm, RuleContext } from './delayed-alarm.js';
import { EventCountRule } from './event-rule.js';
import { ExpressionRule } from './expression-rule.js';
import type { PointReader } from './expr/compile.js';
import { RateRule } from './rate-rule.js';
import { RepeatRule } from './repeat-rule.js';
import {
  isRecord,
  restoreEntry,
  RULE_SNAPSHOT_VERSION,
  snapshotEntry,
  type AlarmStateSnapshot,
  type RestoreReport,
  type RuleStateSnapshot,
  type SnapshotTarget,
} from './rule-snapshot.js';
import { StateRule } from './state-rule.js';
import { SuppressionWatch, type SuppressionListener } from './suppression.js';
import { ThresholdRule } from './threshold.js';
import { TimerQueue, type Timed } from './timer-queue.js';

export type { RestoreReport, RuleStateSnapshot } from './rule-snapshot.js';

/**
 * The rule evaluator. Rules are compiled once (compile.ts) and indexed by what they read: a sample runs
 * only the rules of its point (thresholds, states, rates, and the expressions, repeats and suppressions
 * that read it), and only when its value or quality differs from the last one seen for that point (rate
 * rules alone also see unchanged samples: a level that stops moving has a slope of zero); a device event
 * runs only the event rules of its device and event name. Delays and event
 * windows wait in one TimerQueue on the injected Clock. There is no loop over all rules.
 *
 * The hot paths (`onSample`, `onEvent`) do one or two Map lookups, and allocate nothing unless a rule emits
 * an alarm event. A point with thresholds only pays one more field check for the other kinds.
 *
 * Suppression by design (suppression.ts) is reported through `onSuppression`; it never stops evaluation.
 * `snapshotState()` / `restoreState()` carry the rules' state across a restart (rule-snapshot.ts), and
 * `onStateChange` tells the owner when there is something new to persist.
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
  /**
   * Receives each change of an alarm's suppression by design (`suppressWhen`): the alarm id, whether it is
   * now suppressed, and the reason (the expression). Isolated like `onAlarm`.
   */
  onSuppression?: SuppressionListener;
  /**
   * Called after a rule's settled or pending state changed (a delay started or was cancelled, a raise, a
   * clear, an event or edge counted, a suppression change), never for a judgement that changes nothing.
   * The owner debounces and persists `snapshotState()`. Isolated like `onAlarm`.
   */
  onStateChange?: () => void;
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

/** The rules reading one point other than its thresholds; most points have none. */
interface SlotExtras {
  states: StateRule[];
  rates: RateRule[];
  expressions: ExpressionRule[];
  repeats: RepeatRule[];
  suppressions: SuppressionWatch[];
}

/** The rules of one point and the last value and quality seen for it (also what expressions read). */
interface PointSlot {
  thresholds: ThresholdRule[];
  extras: SlotExtras | undefined;
  /** False until the first sample, and again after the device went offline (forces the next evaluation). */
  seen: boolean;
  value: PointValue | null;
  quality: Quality;
}

/** A condition alarm other than a threshold, as held by the engine. */
type ConditionRule = StateRule | RateRule | ExpressionRule | RepeatRule;

export class RuleEngine {
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly onAlarm: (event: AlarmEvent) => void;
  private readonly onSuppressionListener: SuppressionListener | undefined;
  private readonly onStateChangeListener: (() => void) | undefined;
  private readonly timers: TimerQueue;
  private readonly slots = new Map<string, PointSlot>();
  /** Device id → point name → slot: what the device's expressions read. */
  private readonly slotsByDevice = new Map<string, Map<string, PointSlot>>();
  private readonly thresholds: ThresholdRule[] = [];
  private readonly conditionRules: ConditionRule[] = [];
  /** The state, rate and expression rules of each device, interrupted when it goes offline. */
  private readonly interruptibleByDevice = new Map<string, Array<StateRule | RateRule | ExpressionRule>>();
  private readonly commLoss = new Map<string, CommLossRule>();
  /** Device id → event name → the rules counting it. Two lookups with the event's own strings: no key to build. */
  private readonly eventRules = new Map<string, Map<string, EventCountRule[]>>();
  private readonly eventRuleList: EventCountRule[] = [];
  private readonly suppressions = new Map<string, SuppressionWatch>();
  /** Every rule by alarm id, for snapshots. */
  private readonly snapshotTargets = new Map<string, SnapshotTarget>();
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
    this.onSuppressionListener = ctx.onSuppression;
    this.onStateChangeListener = ctx.onStateChange;
    this.timers = new TimerQueue({
      clock: ctx.clock,
      onFireError: (err, timed) => this.log.error({ err, rule: describeTimed(timed) }, 'rule timer failed'),
    });
    const ruleContext: RuleContext = {
      site: ctx.site,
      timers: this.timers,
      emit: (event) => this.emit(event),
      ...(ctx.onStateChange === undefined ? {} : { stateChanged: () => this.stateChanged() }),
    };

    for (const [point, specs] of ctx.rules.thresholdsByPoint) {
      const slot = this.slotFor(point);
      for (const spec of specs) {
        const rule = new ThresholdRule(spec, ruleContext);
        slot.thresholds.push(rule);
        this.thresholds.push(rule);
        this.snapshotTargets.set(spec.alarmId, { rule: 'delayed', kind: spec.kind, target: rule });
      }
    }
    for (const [device, specs] of ctx.rules.conditionAlarmsByDevice) {
      const read = this.readerFor(device);
      const interruptible: Array<StateRule | RateRule | ExpressionRule> = [];
      for (const spec of specs) {
        switch (spec.kind) {
          case 'state': {
            const rule = new StateRule(spec, ruleContext);
            this.extrasFor(spec.point).states.push(rule);
            interruptible.push(rule);
            this.register(rule, { rule: 'delayed', kind: 'state', target: rule });
            break;
          }
          case 'rate': {
            const rule = new RateRule(spec, ruleContext);
            this.extrasFor(spec.point).rates.push(rule);
            interruptible.push(rule);
            this.register(rule, { rule: 'delayed', kind: 'rate', target: rule });
            break;
          }
          case 'expression': {
            const rule = new ExpressionRule(spec, ruleContext, read);
            for (const input of spec.inputs) this.extrasFor(input).expressions.push(rule);
            interruptible.push(rule);
            this.register(rule, { rule: 'delayed', kind: 'expression', target: rule });
            break;
          }
          case 'repeat': {
            const rule = new RepeatRule(spec, ruleContext, read);
            for (const input of spec.inputs) this.extrasFor(input).repeats.push(rule);
            this.register(rule, { rule: 'repeat', kind: 'repeat', target: rule });
            break;
          }
        }
      }
      if (interruptible.length > 0) this.interruptibleByDevice.set(device, interruptible);
    }
    for (const [device, spec] of ctx.rules.commLossByDevice) {
      const rule = new CommLossRule(spec, ruleContext);
      this.commLoss.set(device, rule);
      this.snapshotTargets.set(spec.alarmId, { rule: 'comm-loss', kind: 'comm-loss', target: rule });
    }
    for (const [device, specs] of ctx.rules.eventRulesByDevice) {
      const byEvent = new Map<string, EventCountRule[]>();
      for (const spec of specs) {
        const rule = new EventCountRule(spec, ruleContext);
        const rules = byEvent.get(spec.event);
        if (rules === undefined) byEvent.set(spec.event, [rule]);
        else rules.push(rule);
        this.eventRuleList.push(rule);
        this.snapshotTargets.set(spec.alarmId, { rule: 'event', kind: 'event-count', target: rule });
      }
      this.eventRules.set(device, byEvent);
    }
    for (const [device, specs] of ctx.rules.suppressionsByDevice) {
      const read = this.readerFor(device);
      for (const spec of specs) {
        const watch = new SuppressionWatch(spec, read, (w) => this.suppressionChanged(w));
        for (const input of spec.inputs) this.extrasFor(input).suppressions.push(watch);
        this.suppressions.set(spec.alarmId, watch);
      }
    }
    this.childrenByParent = ctx.rules.childrenByParent;
    this.log.debug(
      {
        points: this.slots.size,
        thresholds: this.thresholds.length,
        conditionAlarms: this.conditionRules.length,
        eventRules: this.eventRuleList.length,
        suppressions: this.suppressions.size,
        devices: this.commLoss.size,
      },
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
      // A rate needs to see time pass at a steady value: its slope falls back to zero.
      const rates = slot.extras?.rates;
      if (rates !== undefined && rates.length > 0) this.feedRates(rates, sample);
      return;
    }
    slot.seen = true;
    slot.value = sample.value;
    slot.quality = sample.quality;
    this.evaluated++;
    const numeric = numericValue(sample.value);
    const now = this.clock.now();
    const rules = slot.thresholds;
    for (let i = 0; i < rules.length; i++) rules[i]?.evaluate(numeric, sample, now);
    const extras = slot.extras;
    if (extras !== undefined) this.evaluateExtras(extras, numeric, sample, now);
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
   * A device became reachable or unreachable. Offline also interrupts the point rules of the device and of
   * its children (thresholds, states, rates, expressions: a pending raise or clear cannot be confirmed
   * without values), forgets the rates' histories, and forgets the last values seen, so that the first
   * sample after the outage is judged even if it repeats the value from before and expressions read the
   * device's points as unknown until they come back. Event rules and repeat windows are left alone: what
   * they counted did happen, and their windows age it out. Suppressions keep their state.
   */
  onDeviceStatus(status: DeviceStatusEvent): void {
    this.statusEvents++;
    if (!status.online) {
      this.interruptDevice(status.device);
      for (const child of this.childrenByParent.get(status.device) ?? []) this.interruptDevice(child);
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
    for (const rule of this.conditionRules) {
      if (!rule.isActive()) continue;
      const { alarmId, device, rule: ruleId, kind, priority, message } = rule.spec;
      const base = { alarmId, device, rule: ruleId, kind, priority, message, raisedAt: rule.raisedAt, clearPending: rule.state === 'pending-clear' };
      if (rule instanceof StateRule) out.push({ ...base, point: rule.spec.point, value: rule.lastValue, quality: rule.lastQuality });
      else if (rule instanceof RateRule) out.push({ ...base, point: rule.spec.point, value: rule.lastSlope });
      else out.push(base);
    }
    return out;
  }

  /** The alarms currently suppressed by design, with the reason (the expression). */
  suppressedAlarms(): Array<{ alarmId: string; reason: string }> {
    const out: Array<{ alarmId: string; reason: string }> = [];
    for (const watch of this.suppressions.values()) if (watch.suppressed) out.push({ alarmId: watch.spec.alarmId, reason: watch.reason });
    return out;
  }

  /**
   * The state needed to resume after a restart, JSON-serialisable (rule-snapshot.ts says what it holds).
   * Cheap enough to take after every `onStateChange` once debounced: it visits every rule but records only
   * those not in their initial state.
   */
  snapshotState(): RuleStateSnapshot {
    const alarms: Record<string, AlarmStateSnapshot> = {};
    for (const [alarmId, target] of this.snapshotTargets) {
      const entry = snapshotEntry(target, this.suppressions.get(alarmId)?.suppressed === true);
      if (entry !== undefined) alarms[alarmId] = entry;
    }
    return { version: RULE_SNAPSHOT_VERSION, takenAt: this.clock.now(), alarms };
  }

  /**
   * Resumes a snapshot's state. Call it right after construction, before any sample or status: it emits no
   * raise or clear for what the snapshot holds (those were emitted before the restart), pending delays
   * resume with the time they had left on this engine's clock, and deadlines already past fire at once,
   * before this returns (emitting their raise or clear). Suppression states are taken up silently too.
   * Alarm ids no rule has any more are ignored and reported, as are entries that cannot be applied.
   */
  restoreState(snapshot: unknown): RestoreReport {
    const report: RestoreReport = { restored: [], unknownAlarmIds: [], rejected: [] };
    if (!isRecord(snapshot) || snapshot.version !== RULE_SNAPSHOT_VERSION || !isRecord(snapshot.alarms)) {
      report.rejected.push({ alarmId: '*', reason: `not a rule-state snapshot of version ${RULE_SNAPSHOT_VERSION}` });
      this.log.warn({ reason: report.rejected[0]?.reason }, 'rule-state snapshot ignored');
      return report;
    }
    const now = this.clock.now();
    for (const [alarmId, entry] of Object.entries(snapshot.alarms)) {
      const target = this.snapshotTargets.get(alarmId);
      if (target === undefined) {
        report.unknownAlarmIds.push(alarmId);
        continue;
      }
      let reason: string | undefined;
      try {
        reason = restoreEntry(target, entry, now);
      } catch (err) {
        reason = err instanceof Error ? err.message : String(err);
      }
      if (reason !== undefined) {
        report.rejected.push({ alarmId, reason });
        continue;
      }
      const watch = this.suppressions.get(alarmId);
      if (watch !== undefined && isRecord(entry)) watch.suppressed = entry.suppressed === true;
      report.restored.push(alarmId);
    }
    if (report.unknownAlarmIds.length > 0 || report.rejected.length > 0) {
      this.log.warn({ unknownAlarmIds: report.unknownAlarmIds, rejected: report.rejected }, 'parts of the rule-state snapshot not applied');
    }
    this.log.info({ restored: report.restored.length }, 'rule state restored');
    this.timers.runDue();
    return report;
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

  private evaluateExtras(extras: SlotExtras, numeric: number | undefined, sample: Sample, now: number): void {
    const { states, rates, expressions, repeats, suppressions } = extras;
    for (let i = 0; i < states.length; i++) states[i]?.evaluate(sample, now);
    for (let i = 0; i < rates.length; i++) rates[i]?.evaluate(numeric, sample, now);
    for (let i = 0; i < expressions.length; i++) expressions[i]?.evaluate(sample.ts, now);
    for (let i = 0; i < repeats.length; i++) repeats[i]?.evaluate(sample.ts, now);
    for (let i = 0; i < suppressions.length; i++) suppressions[i]?.evaluate();
  }

  private feedRates(rates: readonly RateRule[], sample: Sample): void {
    const numeric = numericValue(sample.value);
    const now = this.clock.now();
    for (let i = 0; i < rates.length; i++) rates[i]?.evaluate(numeric, sample, now);
  }

  private interruptDevice(device: string): void {
    for (const slot of this.slotsByDevice.get(device)?.values() ?? []) {
      slot.seen = false;
      for (const threshold of slot.thresholds) threshold.interrupt();
    }
    for (const rule of this.interruptibleByDevice.get(device) ?? []) {
      rule.interrupt();
      if (rule instanceof RateRule) rule.resetHistory();
    }
  }

  private register(rule: ConditionRule, target: SnapshotTarget): void {
    this.conditionRules.push(rule);
    this.snapshotTargets.set(rule.alarmId, target);
  }

  private slotFor(point: string): PointSlot {
    let slot = this.slots.get(point);
    if (slot !== undefined) return slot;
    slot = { thresholds: [], extras: undefined, seen: false, value: null, quality: 'good' };
    this.slots.set(point, slot);
    const { device, point: name } = splitPointId(point);
    let deviceSlots = this.slotsByDevice.get(device);
    if (deviceSlots === undefined) {
      deviceSlots = new Map();
      this.slotsByDevice.set(device, deviceSlots);
    }
    deviceSlots.set(name, slot);
    return slot;
  }

  private extrasFor(point: string): SlotExtras {
    const slot = this.slotFor(point);
    slot.extras ??= { states: [], rates: [], expressions: [], repeats: [], suppressions: [] };
    return slot.extras;
  }

  /** Reads the device's points by name for its expressions: undefined until seen (unknown). */
  private readerFor(device: string): PointReader {
    let deviceSlots = this.slotsByDevice.get(device);
    if (deviceSlots === undefined) {
      deviceSlots = new Map();
      this.slotsByDevice.set(device, deviceSlots);
    }
    const byName = deviceSlots;
    return (name) => {
      const slot = byName.get(name);
      return slot !== undefined && slot.seen ? slot : undefined;
    };
  }

  private suppressionChanged(watch: SuppressionWatch): void {
    const { alarmId } = watch.spec;
    this.log.info({ alarmId, suppressed: watch.suppressed, reason: watch.reason }, watch.suppressed ? 'alarm suppressed by design' : 'alarm no longer suppressed');
    const listener = this.onSuppressionListener;
    if (listener !== undefined) this.callListener('suppression', alarmId, () => listener(alarmId, watch.suppressed, watch.reason));
    this.stateChanged();
  }

  private stateChanged(): void {
    const listener = this.onStateChangeListener;
    if (listener !== undefined) this.callListener('state change', undefined, listener);
  }

  private emit(event: AlarmEvent): void {
    this.events++;
    if (this.log.isLevelEnabled('debug')) {
      this.log.debug({ alarmId: event.alarmId, type: event.type, value: event.value }, 'alarm event');
    }
    this.callListener('alarm', event.alarmId, () => this.onAlarm(event), event.type);
  }

  /**
   * Runs a listener in isolation. The listeners are typed to return void, but an async function fits that
   * type; a rejection must not become an unhandled rejection that takes the process down.
   */
  private callListener(listener: string, alarmId: string | undefined, call: () => unknown, type?: AlarmEvent['type']): void {
    try {
      const result = call();
      if (result instanceof Promise) result.catch((err: unknown) => this.listenerFailed(err, listener, alarmId, type));
    } catch (err) {
      this.listenerFailed(err, listener, alarmId, type);
    }
  }

  private listenerFailed(err: unknown, listener: string, alarmId: string | undefined, type: AlarmEvent['type'] | undefined): void {
    this.listenerErrors++;
    this.log.error({ err, alarmId, type }, `${listener} listener failed`);
  }
}

function describeTimed(timed: Timed): string {
  const alarmId = (timed as Partial<DelayedAlarm>).alarmId;
  return typeof alarmId === 'string' ? alarmId : 'unknown';
}
