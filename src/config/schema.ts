import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { AlarmSettingsFields, ConditionAlarmSchema } from './alarm-schema.js';
import { BACNET_ADDRESS_PATTERN, BacnetLinkSchema } from './bacnet-schema.js';
import { AlarmManagementSchema, AuthSchema, StoreSchema } from './alarm-management-schema.js';
import { WorkOrdersSchema } from './workorders-schema.js';
import { CmmsSchema } from './cmms-schema.js';
import { NotificationsSchema } from './notifications-schema.js';
import { ReportsSchema } from './reports-schema.js';
import { MaintenanceSchema } from './maintenance-schema.js';
import { RecordingSchema } from './recording-schema.js';

/**
 * The site config schema: one YAML file per building. The same TypeBox schema validates the file at start,
 * is exported as config/site.schema.json for editors, and types the code. Durations carry their unit in
 * the name (`pollIntervalMs`).
 */

const Id = Type.String({ pattern: '^[a-z0-9][a-z0-9_-]*$', maxLength: 64, description: 'Lower-case id: letters, digits, - and _' });
const Ms = (description: string, def: number, min = 1) => Type.Integer({ minimum: min, default: def, description });

const Priority = Type.Union([Type.Literal('critical'), Type.Literal('high'), Type.Literal('medium'), Type.Literal('low')]);

export const ThresholdSchema = Type.Object(
  {
    id: Id,
    point: Type.String({ minLength: 1, description: 'Point name within the device' }),
    high: Type.Optional(Type.Number({ description: 'Raise when the value is above this' })),
    low: Type.Optional(Type.Number({ description: 'Raise when the value is below this' })),
    deadband: Type.Optional(Type.Number({ minimum: 0, description: 'Clear only once back past the limit by this much' })),
    onDelayMs: Type.Optional(Type.Integer({ minimum: 0, description: 'Condition must hold this long to raise' })),
    offDelayMs: Type.Optional(Type.Integer({ minimum: 0, description: 'Condition must be gone this long to clear' })),
    priority: Priority,
    message: Type.String({ minLength: 1 }),
    ...AlarmSettingsFields,
  },
  { additionalProperties: false },
);

export const EventRuleSchema = Type.Object(
  {
    id: Id,
    event: Type.String({ minLength: 1, description: 'Event name within the device profile, e.g. access_denied' }),
    count: Type.Integer({ minimum: 1, maximum: 10_000, description: 'Raise when at least this many events fall within the window' }),
    windowMs: Type.Integer({ minimum: 1, description: 'Length of the sliding window' }),
    priority: Priority,
    message: Type.String({ minLength: 1 }),
    ...AlarmSettingsFields,
  },
  { additionalProperties: false },
);

const SerialCommon = {
  timeoutMs: Ms('Per-request response timeout', 1000),
  retries: Type.Integer({ minimum: 0, maximum: 10, default: 1, description: 'Retries of a failed request before the unit counts a failure' }),
  maxGapRegisters: Type.Integer({ minimum: 0, maximum: 100, default: 8, description: 'Unused registers a block read may span to merge two ranges' }),
  maxRegistersPerRead: Type.Integer({ minimum: 1, maximum: 125, default: 125 }),
  maxBitsPerRead: Type.Integer({ minimum: 1, maximum: 2000, default: 2000 }),
  interRequestDelayMs: Type.Integer({ minimum: 0, default: 0, description: 'Pause between two requests on the link (slow RTU gateways)' }),
  backoffInitialMs: Ms('First back-off after a unit stops answering', 1000),
  backoffMaxMs: Ms('Longest back-off of a dead unit', 60_000),
};

export const ModbusTcpLinkSchema = Type.Object(
  {
    id: Id,
    type: Type.Literal('modbus-tcp'),
    host: Type.String({ minLength: 1 }),
    port: Type.Integer({ minimum: 1, maximum: 65535, default: 502 }),
    connectTimeoutMs: Ms('TCP connect timeout', 3000),
    ...SerialCommon,
  },
  { additionalProperties: false },
);

export const ModbusRtuLinkSchema = Type.Object(
  {
    id: Id,
    type: Type.Literal('modbus-rtu'),
    path: Type.String({ minLength: 1, description: 'Serial device, e.g. /dev/ttyUSB0' }),
    baudRate: Type.Union([1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200].map((b) => Type.Literal(b)), { default: 9600 }),
    parity: Type.Union([Type.Literal('none'), Type.Literal('even'), Type.Literal('odd')], { default: 'even' }),
    dataBits: Type.Union([Type.Literal(7), Type.Literal(8)], { default: 8 }),
    stopBits: Type.Union([Type.Literal(1), Type.Literal(2)], { default: 1 }),
    ...SerialCommon,
  },
  { additionalProperties: false },
);

export const MqttLinkSchema = Type.Object(
  {
    id: Id,
    type: Type.Literal('mqtt'),
    url: Type.Optional(
      Type.String({
        pattern: '^(mqtts?|wss?)://',
        description: 'Broker URL (mqtt://, mqtts://, ws://, wss://). Leave out to use the embedded broker.',
      }),
    ),
    clientId: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: 'Defaults to facility-gw-<site>-<link>; keep it stable so the persistent session survives restarts' })),
    username: Type.Optional(Type.String()),
    password: Type.Optional(Type.String({ description: 'Write ${ENV_VAR} to take it from the environment' })),
    tls: Type.Optional(
      Type.Object(
        {
          caFile: Type.Optional(Type.String({ description: 'PEM file of the CA that signed the broker certificate' })),
          certFile: Type.Optional(Type.String({ description: 'Client certificate (PEM), for brokers that require one' })),
          keyFile: Type.Optional(Type.String({ description: 'Client private key (PEM)' })),
          rejectUnauthorized: Type.Boolean({ default: true }),
        },
        { additionalProperties: false },
      ),
    ),
    keepaliveS: Type.Integer({ minimum: 0, maximum: 65535, default: 30 }),
    reconnectPeriodMs: Ms('Wait between reconnect attempts', 1000),
    connectTimeoutMs: Ms('Broker connect timeout', 10_000),
    maxPayloadBytes: Type.Integer({ minimum: 16, default: 65_536, description: 'Larger payloads are rejected before parsing' }),
  },
  { additionalProperties: false },
);

export const LinkSchema = Type.Union([ModbusTcpLinkSchema, ModbusRtuLinkSchema, MqttLinkSchema, BacnetLinkSchema]);

export const DeviceSchema = Type.Object(
  {
    id: Id,
    name: Type.Optional(Type.String()),
    location: Type.Optional(Type.String({ description: 'Building, floor, plant room' })),
    type: Type.Union([Type.Literal('elevator'), Type.Literal('pump'), Type.Literal('access-controller'), Type.Literal('door'), Type.Literal('fire-panel')], {
      description: 'Equipment type; becomes the InfluxDB measurement',
    }),
    profile: Type.String({ minLength: 1, description: 'Profile id, e.g. pump-vfd-v1' }),
    link: Id,
    unitId: Type.Optional(Type.Integer({ minimum: 0, maximum: 247, description: 'Modbus unit (slave) id; required on Modbus links' })),
    address: Type.Optional(
      Type.String({ pattern: BACNET_ADDRESS_PATTERN, description: 'BACnet/IP: the device\'s address, ip or ip:port (47808 when left out); required on BACnet links' }),
    ),
    deviceInstance: Type.Optional(Type.Integer({ minimum: 0, maximum: 4_194_302, description: 'BACnet device object instance; required on BACnet links' })),
    maxApdu: Type.Optional(
      Type.Integer({ minimum: 50, maximum: 1476, description: 'BACnet: largest APDU the device accepts, bytes; learned from the device when left out' }),
    ),
    writable: Type.Optional(
      Type.Array(Type.String({ minLength: 1 }), {
        description: 'Point names the site explicitly allows writes to (nothing in the gateway writes yet); never allowed on a fire panel',
      }),
    ),
    parent: Type.Optional(Id),
    topicVars: Type.Record(Type.String({ pattern: '^[a-z][a-z0-9_]*$' }), Type.String({ minLength: 1 }), {
      default: {},
      description: 'MQTT: values for {name} placeholders in the profile topics ({device} is the device id)',
    }),
    pollIntervalMs: Ms('Poll period', 1000, 50),
    staleAfterPolls: Type.Integer({ minimum: 1, default: 3, description: 'Missed polls before values turn stale' }),
    commLossDelayMs: Type.Integer({ minimum: 0, default: 10_000, description: 'How long a device must stay unreachable before its communication alarm raises' }),
    enabled: Type.Boolean({ default: true }),
    thresholds: Type.Array(ThresholdSchema, { default: [], description: 'Extra thresholds, or overrides of the profile defaults by id' }),
    disableThresholds: Type.Array(Type.String(), { default: [], description: 'Profile threshold or event-rule ids to switch off for this device' }),
    eventRules: Type.Array(EventRuleSchema, { default: [], description: 'Extra event rules, or overrides of the profile defaults by id' }),
    alarms: Type.Optional(
      Type.Array(ConditionAlarmSchema, { default: [], description: 'Extra condition alarms (state, rate, expression, repeat), or overrides of the profile defaults by id' }),
    ),
    disableAlarms: Type.Optional(
      Type.Array(Type.String(), { default: [], description: 'Ids of alarms of any kind (thresholds, event rules, condition alarms) to switch off for this device; same as disableThresholds' }),
    ),
  },
  { additionalProperties: false },
);

const MIB = 1024 * 1024;
const DAY_MS = 24 * 60 * 60 * 1000;

/** The durable on-disk spool of one sink (src/telemetry/spool/spool-queue.ts explains what survives a crash). */
export const SpoolSchema = Type.Object(
  {
    dir: Type.String({
      minLength: 1,
      description: 'Spool directory; each sink keeps its files in a subdirectory named by its id, so sinks may share it. A relative path is taken from the working directory of the gateway process',
    }),
    maxBytes: Type.Integer({ minimum: MIB, default: 1024 * MIB, description: 'Most bytes of spool files on disk; past it the oldest segment is dropped and its unsent lines counted as dropped' }),
    maxAgeMs: Type.Integer({ minimum: 60_000, default: 7 * DAY_MS, description: 'Oldest spooled data kept, ms (by when it was spooled, not by its timestamp); older segments are dropped and counted' }),
    fsync: Type.Union([Type.Literal('always'), Type.Literal('interval'), Type.Literal('never')], {
      default: 'interval',
      description: 'When spooled data is forced to the disk: always (before a line counts as spooled), interval (every fsyncIntervalMs) or never (left to the OS). Data written survives a killed process in every mode; this decides what a power cut can lose',
    }),
    fsyncIntervalMs: Ms('With fsync: interval, the longest spooled data waits before it is forced to the disk, ms', 1000),
    replayLinesPerSecond: Type.Integer({ minimum: 1, default: 50_000, description: 'Most spooled lines per second replayed after an outage, so that live data keeps flowing beside the backlog' }),
  },
  { additionalProperties: false, description: 'Keep lines on disk until the server took them: they survive outages and restarts. Without it lines wait in memory only (maxBufferLines)' },
);

const SinkCommon = {
  id: Id,
  url: Type.String({ pattern: '^https?://', description: 'Base URL of the server' }),
  batchSize: Type.Integer({ minimum: 1, default: 5000, description: 'Lines per write request' }),
  flushIntervalMs: Ms('Longest a line waits before it is sent', 1000),
  maxBufferLines: Type.Integer({ minimum: 1000, default: 200_000, description: 'Lines held in memory while the server is unreachable (with a spool: the memory cache in front of it); the oldest are dropped past this and counted' }),
  timeoutMs: Ms('Write request timeout', 10_000),
  gzip: Type.Boolean({ default: true }),
  spool: Type.Optional(SpoolSchema),
};

export const InfluxV2SinkSchema = Type.Object(
  {
    ...SinkCommon,
    type: Type.Literal('influxdb-v2'),
    org: Type.String({ default: '' }),
    bucket: Type.String({ minLength: 1 }),
    token: Type.Optional(Type.String({ description: 'API token; write ${ENV_VAR} to take it from the environment' })),
  },
  { additionalProperties: false },
);

export const InfluxV1SinkSchema = Type.Object(
  {
    ...SinkCommon,
    type: Type.Literal('influxdb-v1'),
    database: Type.String({ minLength: 1 }),
    retentionPolicy: Type.Optional(Type.String()),
    username: Type.Optional(Type.String()),
    password: Type.Optional(Type.String({ description: 'Write ${ENV_VAR} to take it from the environment' })),
  },
  { additionalProperties: false },
);

export const SinkSchema = Type.Union([InfluxV2SinkSchema, InfluxV1SinkSchema]);

export const SiteConfigSchema = Type.Object(
  {
    site: Type.Object(
      {
        id: Id,
        name: Type.String({ minLength: 1 }),
        timezone: Type.String({ minLength: 1, default: 'UTC', description: 'IANA time zone, e.g. Asia/Shanghai' }),
      },
      { additionalProperties: false },
    ),
    http: Type.Object(
      {
        host: Type.String({ default: '127.0.0.1' }),
        port: Type.Integer({ minimum: 0, maximum: 65535, default: 8080 }),
      },
      { additionalProperties: false, default: {} },
    ),
    embeddedBroker: Type.Object(
      {
        host: Type.String({ default: '127.0.0.1' }),
        port: Type.Integer({ minimum: 0, maximum: 65535, default: 1883, description: '0 picks a free port' }),
      },
      { additionalProperties: false, default: {}, description: 'Started when an MQTT link or the northbound publisher has no broker URL' },
    ),
    northbound: Type.Optional(
      Type.Object(
        {
          link: Type.Optional(Id),
          prefix: Type.String({
            default: 'facility-gw',
            pattern: '^(?!\\$)[^#+/\\u0000]+(/[^#+/\\u0000]+)*$',
            description: 'Topic prefix (levels without + # or a leading $); the site id follows it',
          }),
          qos: Type.Union([Type.Literal(0), Type.Literal(1)], { default: 1 }),
          pointMinIntervalMs: Type.Integer({ minimum: 0, default: 1000, description: 'Least time between two publishes of one point; the latest value wins' }),
          maxQueued: Type.Integer({ minimum: 100, default: 10_000, description: 'Messages held while the broker is away; past it the oldest point updates are dropped (never alarms) and counted' }),
        },
        { additionalProperties: false, description: "Publishes alarm events and device state to MQTT for other systems" },
      ),
    ),
    // Optional in the type so configs built in code need not spell them out; `withDefaults` fills them.
    store: Type.Optional(StoreSchema),
    alarmManagement: Type.Optional(AlarmManagementSchema),
    auth: Type.Optional(AuthSchema),
    workOrders: Type.Optional(WorkOrdersSchema),
    cmms: Type.Optional(CmmsSchema),
    notifications: Type.Optional(NotificationsSchema),
    reports: Type.Optional(ReportsSchema),
    maintenance: Type.Optional(MaintenanceSchema),
    recording: Type.Optional(RecordingSchema),
    links: Type.Array(LinkSchema, { default: [] }),
    devices: Type.Array(DeviceSchema, { default: [] }),
    sinks: Type.Array(SinkSchema, { default: [] }),
    ruleFiles: Type.Optional(
      Type.Array(Type.String({ minLength: 1 }), {
        description: 'Rule files (or directories of *.yaml rule files) beside this file, applied in order after the profiles and before each device’s own rules; reloaded live',
      }),
    ),
  },
  { additionalProperties: false, $id: 'https://facility-gw.dev/schemas/site.schema.json', title: 'facility-gw site config' },
);

export type SiteConfig = Static<typeof SiteConfigSchema>;
export type LinkConfig = Static<typeof LinkSchema>;
export type ModbusTcpLinkConfig = Static<typeof ModbusTcpLinkSchema>;
export type ModbusRtuLinkConfig = Static<typeof ModbusRtuLinkSchema>;
export type MqttLinkConfig = Static<typeof MqttLinkSchema>;
export type { BacnetLinkConfig } from './bacnet-schema.js';
export type EventRuleConfig = Static<typeof EventRuleSchema>;
export type NorthboundConfig = NonNullable<SiteConfig['northbound']>;
export type DeviceConfig = Static<typeof DeviceSchema>;
export type SinkConfig = Static<typeof SinkSchema>;
export type InfluxV1SinkConfig = Static<typeof InfluxV1SinkSchema>;
export type InfluxV2SinkConfig = Static<typeof InfluxV2SinkSchema>;
export type SpoolConfig = Static<typeof SpoolSchema>;
export type ThresholdConfig = Static<typeof ThresholdSchema>;

/** Field names whose values are secrets: never logged, redacted in API output. */
export const secretFields: readonly string[] = ['token', 'password', 'secret'];

export type { TSchema };
