export { AlarmLifecycle, type AlarmLifecycleOptions } from './manager.js';
export { AlarmLifecycleError, isAlarmLifecycleError, type AlarmLifecycleErrorCode } from './errors.js';
export type * from './types.js';
