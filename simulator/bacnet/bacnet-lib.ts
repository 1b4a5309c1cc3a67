import bacnet from '@bacnet-js/client';

/**
 * `@bacnet-js/client` is a CommonJS package. Imported by Node's ESM loader its default export is
 * `module.exports`, whose `default` is the client class; a bundler's interop (vitest) hands over the class
 * itself. Resolved once here so the rest of the simulator imports a class either way.
 */
type ClientClass = typeof bacnet.default;
export const BacnetClient: ClientClass = typeof bacnet === 'function' ? bacnet : bacnet.default;
export type BacnetClient = InstanceType<typeof BacnetClient>;

export {
  AbortReason,
  ApplicationTag,
  ConfirmedServiceChoice,
  ErrorClass,
  ErrorCode,
  EventState,
  EventType,
  GenericBitString,
  PropertyStates,
  LifeSafetyMode,
  LifeSafetyOperation,
  LifeSafetyState,
  MaxApduLengthAccepted,
  NotifyType,
  ObjectType,
  PropertyIdentifier,
  RejectReason,
  Segmentation,
  ServicesSupported,
  StatusFlags,
  StatusFlagsBitString,
  TimeStamp,
  UnconfirmedServiceChoice,
} from '@bacnet-js/client';
export type { BACNetAppData, BACNetObjectID, BACNetReadAccess, EventNotifyDataParams } from '@bacnet-js/client';
