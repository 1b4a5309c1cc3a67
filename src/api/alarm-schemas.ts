import { Type, type Static } from '@sinclair/typebox';
import { PrioritySchema } from './schemas.js';

/** Schemas of the alarm-management API: managed alarms, the audit log and operator requests. */

const EpochMs = Type.Integer({ description: 'Milliseconds since the Unix epoch' });

export const AlarmStateSchema = Type.Union(
  [Type.Literal('normal'), Type.Literal('unack-active'), Type.Literal('ack-active'), Type.Literal('rtn-unack')],
  { description: 'ISA-18.2 state: normal, unacknowledged-active, acknowledged-active, returned-to-normal-unacknowledged' },
);

const Overlay = Type.Object({ by: Type.String(), since: EpochMs, until: EpochMs, comment: Type.Optional(Type.String()) });

export const ManagedAlarmSchema = Type.Object({
  alarmId: Type.String(),
  state: AlarmStateSchema,
  conditionActive: Type.Boolean({ description: 'The rule’s condition now (differs from the state for a latched alarm waiting for reset)' }),
  latched: Type.Boolean(),
  lifeSafety: Type.Boolean(),
  awaitingReset: Type.Boolean(),
  annunciated: Type.Boolean({ description: 'Not shelved, suppressed or out of service' }),
  shelved: Type.Optional(Overlay),
  suppressed: Type.Optional(Type.Object({ reason: Type.String(), since: EpochMs })),
  outOfService: Type.Optional(Overlay),
  site: Type.Optional(Type.String()),
  device: Type.Optional(Type.String()),
  priority: Type.Optional(PrioritySchema),
  message: Type.Optional(Type.String()),
  raisedAt: Type.Optional(EpochMs),
  acknowledgedAt: Type.Optional(EpochMs),
  acknowledgedBy: Type.Optional(Type.String()),
  changedAt: EpochMs,
});

export const AuditEntrySchema = Type.Object({
  seq: Type.Integer(),
  alarmId: Type.String(),
  action: Type.String({ description: 'raise, clear, ack, shelve, unshelve, shelve-expired, oos, oos-expired, return-to-service, reset, suppress, unsuppress, re-alarm, comment' }),
  from: AlarmStateSchema,
  to: AlarmStateSchema,
  by: Type.Optional(Type.String({ description: 'Who did it (the token’s name); absent for rule events and timers' })),
  comment: Type.Optional(Type.String()),
  ts: EpochMs,
  annunciate: Type.Boolean(),
  priority: Type.Optional(PrioritySchema),
  lifeSafety: Type.Boolean(),
});

export const AlarmListQuery = Type.Object(
  {
    state: Type.Optional(AlarmStateSchema),
    device: Type.Optional(Type.String()),
    priority: Type.Optional(PrioritySchema),
    annunciated: Type.Optional(Type.Boolean({ description: 'true: only annunciated alarms; false: only shelved, suppressed or out of service' })),
    all: Type.Optional(Type.Boolean({ description: 'Include alarms in normal with nothing on them', default: false })),
  },
  { additionalProperties: false },
);

export const HistoryQuerySchema = Type.Object(
  {
    from: Type.Optional(Type.String({ description: 'ISO 8601 time or ms since the epoch' })),
    to: Type.Optional(Type.String({ description: 'ISO 8601 time or ms since the epoch' })),
    device: Type.Optional(Type.String()),
    alarm: Type.Optional(Type.String()),
    limit: Type.Integer({ minimum: 1, maximum: 10_000, default: 500 }),
  },
  { additionalProperties: false },
);

const Comment = Type.String({ minLength: 1, maxLength: 2000 });
export const CommentOnlyBody = Type.Object({ comment: Type.Optional(Comment) }, { additionalProperties: false });
export const ShelveBody = Type.Object(
  { minutes: Type.Integer({ minimum: 1, description: 'Shelve duration; at most the configured maximum' }), comment: Type.Optional(Comment) },
  { additionalProperties: false },
);
export const OutOfServiceBody = Type.Object(
  { hours: Type.Number({ exclusiveMinimum: 0, description: 'Until when, from now; at most the configured maximum' }), comment: Comment },
  { additionalProperties: false },
);
export const CommentBody = Type.Object({ text: Comment }, { additionalProperties: false });

export type ManagedAlarm = Static<typeof ManagedAlarmSchema>;
