/** Machine-readable reasons an operator action or a caller's call is refused. */
export type AlarmLifecycleErrorCode =
  | 'unknown-alarm'
  | 'not-unacknowledged'
  | 'life-safety'
  | 'shelve-too-long'
  | 'invalid-duration'
  | 'not-shelved'
  | 'out-of-service'
  | 'not-out-of-service'
  | 'not-latched'
  | 'condition-active'
  | 'not-awaiting-reset'
  | 'missing-operator'
  | 'missing-comment';

/**
 * A refused transition. The alarm's state is unchanged when this is thrown. `code` is for programs (the API
 * maps it to a status), `message` is a sentence for the operator.
 */
export class AlarmLifecycleError extends Error {
  override readonly name = 'AlarmLifecycleError';

  constructor(
    readonly code: AlarmLifecycleErrorCode,
    readonly alarmId: string,
    reason: string,
  ) {
    super(reason);
  }
}

export function isAlarmLifecycleError(err: unknown): err is AlarmLifecycleError {
  return err instanceof AlarmLifecycleError;
}
