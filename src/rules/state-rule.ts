import type { AlarmEvent } from '../alarms/events.js';
import type { PointValue, Quality, Sample } from '../points/sample.js';
import { ruleEvent } from './alarm-definition.js';
import type { CompiledStateAlarm } from './condition-alarm.js';
import { DelayedAlarm, type RuleContext } from './delayed-alarm.js';

/**
 * A discrete-state alarm: active while an enum or binary point is in one of the listed states (a fault
 * code, a life-safety point in `alarm`, a door `open`).
 *
 * - Enum samples carry state names (Modbus and MQTT decoders look the raw value up in the profile's
 *   `states`); the compiler lists both the names and the raw numbers, so a driver that delivers numbers
 *   matches too. Binary samples are booleans; 0/1 count as false/true.
 * - Quality as for thresholds: only good samples are judged; one that is not good cancels a pending raise
 *   or clear and leaves a settled state alone. A null value is ignored. Any other value not in the list
 *   (including an unknown state such as `unknown_7`) is "not in the states": the condition is absent.
 * - Events carry the point's value and quality; no limit.
 */
export class StateRule extends DelayedAlarm {
  readonly spec: CompiledStateAlarm;
  lastValue: PointValue | null = null;
  lastQuality: Quality = 'good';
  private readonly states: ReadonlySet<PointValue>;

  constructor(spec: CompiledStateAlarm, ctx: RuleContext) {
    super(ctx, spec.onDelayMs, spec.offDelayMs);
    this.spec = spec;
    this.states = new Set(spec.states);
  }

  get alarmId(): string {
    return this.spec.alarmId;
  }

  evaluate(sample: Sample, now: number): void {
    if (sample.quality !== 'good') {
      this.interrupt();
      return;
    }
    const raw = sample.value;
    if (raw === null) return;
    const value = this.spec.binary && typeof raw === 'number' ? raw !== 0 : raw;
    this.lastValue = raw;
    this.lastQuality = sample.quality;
    this.observe(this.states.has(value), sample.ts, now);
  }

  protected event(type: AlarmEvent['type'], now: number): AlarmEvent {
    return ruleEvent(type, this.spec, this.ctx.site, 'state', this.conditionSince, now, { value: this.lastValue, quality: this.lastQuality });
  }
}
