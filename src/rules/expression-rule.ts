import type { AlarmEvent } from '../alarms/events.js';
import { ruleEvent } from './alarm-definition.js';
import type { CompiledExpressionAlarm } from './condition-alarm.js';
import { DelayedAlarm, type RuleContext } from './delayed-alarm.js';
import type { PointReader } from './expr/compile.js';

/**
 * An expression alarm: active while a condition over several points of one device holds
 * (`discharge_pressure < 2 and running`).
 *
 * - Evaluated when one of the points it reads changes value or quality (the engine indexes it by its
 *   inputs), reading the latest sample of each input through `read`.
 * - Quality as for thresholds: the condition language makes the result unknown when an input it needs is
 *   not good or was never seen (src/rules/expr/compile.ts explains when a usable operand decides `and` and
 *   `or` alone). An unknown result neither raises nor clears; it cancels a pending raise or clear.
 * - `conditionSince` is the timestamp of the sample that made the condition true (raise) or false (clear).
 * - Events carry `value` = the condition's result (true on raise, false on clear); no point, no limit.
 */
export class ExpressionRule extends DelayedAlarm {
  readonly spec: CompiledExpressionAlarm;
  private readonly read: PointReader;
  private lastResult = false;

  constructor(spec: CompiledExpressionAlarm, ctx: RuleContext, read: PointReader) {
    super(ctx, spec.onDelayMs, spec.offDelayMs);
    this.spec = spec;
    this.read = read;
  }

  get alarmId(): string {
    return this.spec.alarmId;
  }

  /** One of the inputs changed; `ts` is that sample's timestamp. */
  evaluate(ts: number, now: number): void {
    const result = this.spec.condition.test(this.read);
    if (result === undefined) {
      this.interrupt();
      return;
    }
    this.lastResult = result;
    this.observe(result, ts, now);
  }

  protected event(type: AlarmEvent['type'], now: number): AlarmEvent {
    return ruleEvent(type, this.spec, this.ctx.site, 'expression', this.conditionSince, now, { value: this.lastResult });
  }
}
