import { EventType, NotifyType, ObjectType, PropertyStates, TimeStamp, type EventNotifyDataParams } from './bacnet-lib.js';
import type { BacnetEventRequest } from './device-server.js';
import { statusFlagsValue, type StoredObject } from './object-db.js';

/**
 * Builds the event notification an object sends for an event-state transition, with the event values its
 * event algorithm defines: change-of-life-safety (new state, new mode, status flags, operation expected),
 * change-of-state (new state, status flags) or out-of-range (exceeding value, status flags, deadband,
 * limit). The values come from the object as it is now, so callers set the object first, then notify.
 */

export interface EventContext {
  deviceInstance: number;
  processId: number;
  nowMs: number;
}

const OPERATION_NONE = 0;

export function defaultEventType(o: StoredObject): EventType {
  switch (o.def.type) {
    case 'life-safety-point':
    case 'life-safety-zone':
      return EventType.CHANGE_OF_LIFE_SAFETY;
    case 'binary-input':
    case 'binary-value':
    case 'multi-state-input':
    case 'multi-state-value':
      return EventType.CHANGE_OF_STATE;
    case 'analog-input':
    case 'analog-value':
      return EventType.OUT_OF_RANGE;
  }
}

export function buildEventNotification(o: StoredObject, e: BacnetEventRequest, ctx: EventContext): EventNotifyDataParams {
  const eventType = (e.eventType ?? defaultEventType(o)) as EventType;
  if (!Number.isInteger(e.priority) || e.priority < 0 || e.priority > 255) throw new Error(`event priority must be 0..255, got ${e.priority}`);
  const flags = statusFlagsValue(o.statusFlags).value as EventNotifyDataParams['changeOfStateStatusFlags'];
  const data: EventNotifyDataParams = {
    processId: ctx.processId,
    initiatingObjectId: { type: ObjectType.DEVICE, instance: ctx.deviceInstance },
    eventObjectId: { type: o.code, instance: o.def.instance },
    timeStamp: { type: TimeStamp.DATETIME, value: new Date(ctx.nowMs) },
    notificationClass: o.def.notificationClass ?? 0,
    priority: e.priority,
    eventType,
    notifyType: NotifyType.ALARM,
    ackRequired: e.ackRequired ?? true,
    fromState: e.fromState,
    toState: e.toState,
  };
  if (e.message !== undefined) data.messageText = e.message;
  // eslint-disable-next-line @typescript-eslint/switch-exhaustiveness-check -- the other event types are refused below
  switch (eventType) {
    case EventType.CHANGE_OF_LIFE_SAFETY:
      data.changeOfLifeSafetyNewState = Number(o.presentValue);
      data.changeOfLifeSafetyNewMode = o.mode ?? 1;
      data.changeOfLifeSafetyStatusFlags = flags;
      data.changeOfLifeSafetyOperationExpected = OPERATION_NONE;
      return data;
    case EventType.CHANGE_OF_STATE: {
      const binary = typeof o.presentValue === 'boolean';
      data.changeOfStateNewState = binary
        ? { type: PropertyStates.BINARY_VALUE, state: o.presentValue === true ? 1 : 0 }
        : { type: PropertyStates.UNSIGNED_VALUE, state: Number(o.presentValue) };
      data.changeOfStateStatusFlags = flags;
      return data;
    }
    case EventType.OUT_OF_RANGE:
      data.outOfRangeExceedingValue = Number(o.presentValue);
      data.outOfRangeStatusFlags = flags;
      data.outOfRangeDeadband = 0;
      data.outOfRangeExceededLimit = Number(o.presentValue);
      return data;
    default:
      throw new Error(`event type ${eventType} is not simulated (use change-of-life-safety, change-of-state or out-of-range)`);
  }
}
