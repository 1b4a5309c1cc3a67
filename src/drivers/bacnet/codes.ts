import { ApplicationTag, EventState, EventType, NotifyType, ObjectType, PropertyIdentifier } from '@bacnet-js/client';

/**
 * The protocol numbers the driver compares against, typed as plain numbers: decoded frames carry
 * numbers, and comparing those with the library's enums directly would mix types.
 */
export const PROP = {
  PRESENT_VALUE: PropertyIdentifier.PRESENT_VALUE as number,
  STATUS_FLAGS: PropertyIdentifier.STATUS_FLAGS as number,
  RELIABILITY: PropertyIdentifier.RELIABILITY as number,
  MODE: PropertyIdentifier.MODE as number,
  TRACKING_VALUE: PropertyIdentifier.TRACKING_VALUE as number,
  OBJECT_NAME: PropertyIdentifier.OBJECT_NAME as number,
  OBJECT_LIST: PropertyIdentifier.OBJECT_LIST as number,
  DESCRIPTION: PropertyIdentifier.DESCRIPTION as number,
  UNITS: PropertyIdentifier.UNITS as number,
  STATE_TEXT: PropertyIdentifier.STATE_TEXT as number,
  VENDOR_NAME: PropertyIdentifier.VENDOR_NAME as number,
  MODEL_NAME: PropertyIdentifier.MODEL_NAME as number,
  MAX_APDU_LENGTH_ACCEPTED: PropertyIdentifier.MAX_APDU_LENGTH_ACCEPTED as number,
  SYSTEM_STATUS: PropertyIdentifier.SYSTEM_STATUS as number,
} as const;

export const OBJ = {
  DEVICE: ObjectType.DEVICE as number,
  ANALOG_INPUT: ObjectType.ANALOG_INPUT as number,
  ANALOG_VALUE: ObjectType.ANALOG_VALUE as number,
  MULTI_STATE_INPUT: ObjectType.MULTI_STATE_INPUT as number,
  MULTI_STATE_VALUE: ObjectType.MULTI_STATE_VALUE as number,
} as const;

export const TAG = {
  NULL: ApplicationTag.NULL as number,
  BOOLEAN: ApplicationTag.BOOLEAN as number,
  UNSIGNED_INTEGER: ApplicationTag.UNSIGNED_INTEGER as number,
  SIGNED_INTEGER: ApplicationTag.SIGNED_INTEGER as number,
  REAL: ApplicationTag.REAL as number,
  DOUBLE: ApplicationTag.DOUBLE as number,
  BIT_STRING: ApplicationTag.BIT_STRING as number,
  ENUMERATED: ApplicationTag.ENUMERATED as number,
  ERROR: ApplicationTag.ERROR as number,
} as const;

export const EVENT = {
  NORMAL: EventState.NORMAL as number,
  ACK_NOTIFICATION: NotifyType.ACK_NOTIFICATION as number,
  CHANGE_OF_LIFE_SAFETY: EventType.CHANGE_OF_LIFE_SAFETY as number,
} as const;
