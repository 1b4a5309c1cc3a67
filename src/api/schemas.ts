import { Type, type Static } from '@sinclair/typebox';

/**
 * Response schemas of the HTTP API, in the same schema language as the site config. Fastify uses them to
 * serialise (fast, and nothing leaks that is not declared) and to publish the OpenAPI document.
 */

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);
const EpochMs = Type.Integer({ description: 'Milliseconds since the Unix epoch' });

export const QualitySchema = Type.Union([Type.Literal('good'), Type.Literal('uncertain'), Type.Literal('bad'), Type.Literal('stale')]);
export const PointValueSchema = Nullable(Type.Union([Type.Number(), Type.Boolean(), Type.String()]));
export const PrioritySchema = Type.Union([Type.Literal('critical'), Type.Literal('high'), Type.Literal('medium'), Type.Literal('low')]);

export const DeviceHealthSchema = Type.Object({
  device: Type.String(),
  state: Type.Union(['unknown', 'online', 'degraded', 'offline', 'disabled'].map((s) => Type.Literal(s))),
  lastSeen: Nullable(EpochMs),
  requests: Type.Integer(),
  errors: Type.Integer(),
  consecutiveFailures: Type.Integer(),
  lastError: Nullable(Type.String()),
  nextAttemptAt: Nullable(EpochMs),
  overruns: Type.Integer(),
});

export const LinkHealthSchema = Type.Object({
  link: Type.String(),
  protocol: Type.String(),
  state: Type.Union(['connecting', 'connected', 'disconnected', 'stopped'].map((s) => Type.Literal(s))),
  reconnects: Type.Integer(),
  lastError: Nullable(Type.String()),
  queueDepth: Type.Integer(),
  devices: Type.Array(DeviceHealthSchema),
});

export const SinkStatusSchema = Type.Object({
  id: Type.String(),
  type: Type.String(),
  url: Type.String({ description: 'Server URL, credentials removed' }),
  connected: Type.Boolean({ description: 'The last write attempt succeeded' }),
  lastOkAt: Nullable(EpochMs),
  lastWriteAt: Nullable(EpochMs),
  linesWritten: Type.Integer(),
  linesDropped: Type.Integer({ description: 'Lines lost unsent: the oldest past the buffer bound, and any still held at shutdown' }),
  linesRejected: Type.Integer({ description: 'Lines the server refused for good (4xx)' }),
  linesBuffered: Type.Integer(),
  writeErrors: Type.Integer(),
  consecutiveFailures: Type.Integer(),
  lastError: Nullable(Type.String()),
  nextRetryAt: Nullable(EpochMs),
  backlogLines: Type.Integer({ description: 'Lines waiting for paced replay after an outage' }),
  spoolError: Nullable(Type.String({ description: 'Why the spool is not being written (disk full, unwritable directory)' })),
  spoolBytes: Nullable(Type.Integer({ description: 'Bytes of spool files on disk; null without a spool' })),
  spoolLines: Nullable(Type.Integer({ description: 'Spooled lines the server has not acknowledged yet' })),
  spoolDroppedLines: Nullable(Type.Integer({ description: 'Lines lost to the spool size/age bounds or disk damage' })),
  linesSpooled: Nullable(Type.Integer({ description: 'Lines accepted into the spool since start-up' })),
});

export const HealthSchema = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('degraded')], { description: 'degraded when a link, a device or a sink is down' }),
  site: Type.Object({ id: Type.String(), name: Type.String(), timezone: Type.String() }),
  startedAt: EpochMs,
  uptimeS: Type.Number(),
  links: Type.Array(LinkHealthSchema),
  telemetry: Type.Object({
    enabled: Type.Boolean(),
    sinks: Type.Array(SinkStatusSchema),
  }),
  rules: Type.Object({ rules: Type.Integer(), samplesEvaluated: Type.Integer(), alarmEvents: Type.Integer() }),
  mqtt: Type.Object({
    embeddedBroker: Nullable(Type.String({ description: 'URL of the embedded broker, when one runs' })),
    northbound: Nullable(
      Type.Object({
        connected: Type.Boolean(),
        published: Type.Integer(),
        dropped: Type.Integer({ description: 'Messages given up: past the outbox bound, failed, or still waiting at stop' }),
        queued: Type.Integer(),
        lastError: Nullable(Type.String()),
      }),
    ),
  }),
  alarms: Type.Object({
    active: Type.Integer({ description: 'Alarms whose rule condition is active now' }),
    unacknowledged: Type.Integer({ description: 'Managed alarms waiting for an acknowledgement (unack-active and rtn-unack)' }),
    shelved: Type.Integer(),
    suppressed: Type.Integer(),
    outOfService: Type.Integer(),
    storeError: Nullable(Type.String({ description: 'Why alarm transitions could not be written to the store; the status is degraded while set' })),
  }),
});

export const DeviceSummarySchema = Type.Object({
  id: Type.String(),
  name: Nullable(Type.String()),
  location: Nullable(Type.String()),
  type: Type.String(),
  profile: Type.String(),
  link: Type.String(),
  unitId: Nullable(Type.Integer({ description: 'Modbus unit id; null on other protocols' })),
  parent: Nullable(Type.String({ description: 'The device whose reachability this one follows (a door its controller)' })),
  pollIntervalMs: Type.Integer(),
  state: DeviceHealthSchema.properties.state,
  lastSeen: Nullable(EpochMs),
  lastError: Nullable(Type.String()),
  activeAlarms: Type.Integer(),
});

export const PointReadingSchema = Type.Object({
  name: Type.String(),
  description: Nullable(Type.String()),
  kind: Type.String(),
  unit: Nullable(Type.String()),
  value: PointValueSchema,
  quality: Nullable(QualitySchema),
  ts: Nullable(EpochMs),
  ageMs: Nullable(Type.Integer({ description: 'How old the value is' })),
  error: Nullable(Type.String()),
});

export const DevicePointsSchema = Type.Object({
  device: Type.String(),
  points: Type.Array(PointReadingSchema),
});

export const ActiveAlarmSchema = Type.Object({
  alarmId: Type.String(),
  device: Type.String(),
  point: Nullable(Type.String()),
  rule: Type.String(),
  kind: Type.String(),
  priority: PrioritySchema,
  message: Type.String(),
  value: PointValueSchema,
  limit: Nullable(Type.Number()),
  raisedAt: EpochMs,
  conditionSince: EpochMs,
});

export const ErrorSchema = Type.Object({ statusCode: Type.Integer(), error: Type.String(), message: Type.String() });

export type Health = Static<typeof HealthSchema>;
export type DeviceSummary = Static<typeof DeviceSummarySchema>;
export type PointReading = Static<typeof PointReadingSchema>;
export type DevicePoints = Static<typeof DevicePointsSchema>;
export type ActiveAlarmView = Static<typeof ActiveAlarmSchema>;
export type SinkStatus = Static<typeof SinkStatusSchema>;
