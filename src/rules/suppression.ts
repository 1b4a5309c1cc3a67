import type { CompiledSuppression } from './condition-alarm.js';
import type { PointReader } from './expr/compile.js';

/** Receives a change of an alarm's suppression: `reason` is the `suppressWhen` expression. */
export type SuppressionListener = (alarmId: string, suppressed: boolean, reason: string) => void;

/**
 * Suppression by design (ISA-18.2): while an alarm's `suppressWhen` holds (the pump is in maintenance, the
 * elevator in inspection mode) the alarm is still evaluated, it raises and clears as usual, but it is not
 * annunciated. The engine only reports the changes; the alarm lifecycle stops the annunciation.
 *
 * - Evaluated when one of the points the expression reads changes, like an expression alarm.
 * - Quality: an unknown result (an input not good or never seen) keeps the previous suppression state; a
 *   device that stops answering does not unsuppress its alarms and flood the operator.
 * - Starts unsuppressed; only changes are reported.
 */
export class SuppressionWatch {
  readonly spec: CompiledSuppression;
  suppressed = false;
  private readonly read: PointReader;
  private readonly onChange: (watch: SuppressionWatch) => void;

  constructor(spec: CompiledSuppression, read: PointReader, onChange: (watch: SuppressionWatch) => void) {
    this.spec = spec;
    this.read = read;
    this.onChange = onChange;
  }

  get reason(): string {
    return this.spec.condition.source;
  }

  evaluate(): void {
    const result = this.spec.condition.test(this.read);
    if (result === undefined || result === this.suppressed) return;
    this.suppressed = result;
    this.onChange(this);
  }
}
