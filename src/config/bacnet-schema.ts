import { Type, type Static } from '@sinclair/typebox';

/**
 * A BACnet/IP link: one UDP socket of the gateway on a BACnet network, optionally registered as a foreign
 * device with a BBMD when the devices live on another IP subnet. Durations carry their unit in the name.
 */

const IPV4_PATTERN = '^((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])$';
const Ipv4 = (description: string, def?: string) =>
  def === undefined ? Type.String({ pattern: IPV4_PATTERN, description }) : Type.String({ pattern: IPV4_PATTERN, default: def, description });

/** `ip` or `ip:port` of a BACnet/IP device (port 47808 when left out). */
export const BACNET_ADDRESS_PATTERN = '^((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(:([1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5]))?$';

export const BacnetForeignDeviceSchema = Type.Object(
  {
    bbmdAddress: Ipv4('IPv4 address of the BBMD'),
    bbmdPort: Type.Integer({ minimum: 1, maximum: 65535, default: 47808 }),
    ttlS: Type.Integer({
      minimum: 30,
      maximum: 65535,
      default: 300,
      description: 'Time-to-live of the registration, s; the gateway re-registers when half of it has run out',
    }),
  },
  { additionalProperties: false, description: 'Register as a foreign device with this BBMD (devices on another subnet)' },
);

export const BacnetLinkSchema = Type.Object(
  {
    id: Type.String({ pattern: '^[a-z0-9][a-z0-9_-]*$', maxLength: 64, description: 'Lower-case id: letters, digits, - and _' }),
    type: Type.Literal('bacnet'),
    interface: Ipv4('Local IPv4 address the gateway binds (0.0.0.0: all)', '0.0.0.0'),
    port: Type.Integer({ minimum: 1, maximum: 65535, default: 47808, description: 'Local UDP port (BACnet/IP: 47808 = 0xBAC0)' }),
    broadcastAddress: Ipv4('Where Who-Is broadcasts go, e.g. the subnet broadcast 192.168.1.255', '255.255.255.255'),
    foreignDevice: Type.Optional(BacnetForeignDeviceSchema),
    apduTimeoutMs: Type.Integer({ minimum: 10, default: 3000, description: 'How long a confirmed request waits for its answer, ms' }),
    retries: Type.Integer({ minimum: 0, maximum: 10, default: 2, description: 'Retries of a request that got no answer before the device counts a failure' }),
    backoffInitialMs: Type.Integer({ minimum: 1, default: 1000, description: 'First back-off after a device stops answering, ms' }),
    backoffMaxMs: Type.Integer({ minimum: 1, default: 60_000, description: 'Longest back-off of a dead device, ms' }),
    covLifetimeS: Type.Integer({ minimum: 10, maximum: 86_400, default: 300, description: 'Lifetime asked for in SubscribeCOV, s; renewed when three quarters of it have run' }),
    covConfirmed: Type.Boolean({ default: false, description: 'Ask for confirmed COV notifications (acknowledged by the gateway)' }),
    covInitialNotificationMs: Type.Integer({
      minimum: 10,
      default: 5000,
      description: 'A subscription must bring its initial notification within this long, ms, or the object falls back to polling',
    }),
    covVerifyIntervalMs: Type.Integer({
      minimum: 100,
      default: 60_000,
      description: 'How often COV-subscribed objects are read anyway to check that notifications still arrive, ms',
    }),
    covRetryMs: Type.Integer({ minimum: 100, default: 600_000, description: 'How long an object refused or dropped by COV is polled before COV is tried again, ms' }),
  },
  { additionalProperties: false },
);

export type BacnetLinkConfig = Static<typeof BacnetLinkSchema>;
export type BacnetForeignDeviceConfig = Static<typeof BacnetForeignDeviceSchema>;
