import { Type, type Static } from '@sinclair/typebox';

/**
 * Schema of the alarm definitions a device's config adds to (or overrides in) its profile: the ISA-18.2
 * per-alarm settings every definition may carry, and the condition alarms (`alarms`: discrete states,
 * rates of change, expressions, repeats). Mirrors AlarmDefSettings and ConditionAlarmDef in
 * src/profiles/types.ts; the rule compiler checks what a schema cannot (points, state names, expressions).
 */

const Id = Type.String({ pattern: '^[a-z0-9][a-z0-9_-]*$', maxLength: 64, description: 'Lower-case id: letters, digits, - and _' });
const Priority = Type.Union([Type.Literal('critical'), Type.Literal('high'), Type.Literal('medium'), Type.Literal('low')]);
const Text = (description: string) => Type.String({ minLength: 1, description });

export const AlarmRationaleSchema = Type.Object(
  {
    cause: Text('What makes the alarm happen'),
    consequence: Text('What happens if nobody acts'),
    action: Text('What the person who receives it must do'),
  },
  { additionalProperties: false, description: 'Rationalisation (ISA-18.2): travels into every push' },
);

/** Spread into every alarm definition schema (thresholds, event rules, condition alarms). */
export const AlarmSettingsFields = {
  rationale: Type.Optional(AlarmRationaleSchema),
  latched: Type.Optional(Type.Boolean({ description: 'Stays active after the condition clears, until an operator resets it' })),
  reAlarmMs: Type.Optional(Type.Integer({ minimum: 1, description: 'Acknowledged but still active this long: annunciate again' })),
  lifeSafety: Type.Optional(
    Type.Boolean({ description: 'Fire and life-safety signal: never delayed, grouped, shelved or suppressed (no onDelayMs, no suppressWhen)' }),
  ),
  suppressWhen: Type.Optional(
    Text('Suppression by design: a condition over the device\'s points (e.g. mode == "maintenance"); while true the alarm is evaluated but not annunciated'),
  ),
  workOrder: Type.Optional(Text('Id of the work-order template an occurrence opens')),
};

const ConditionCommon = {
  id: Id,
  priority: Priority,
  message: Type.String({ minLength: 1 }),
  onDelayMs: Type.Optional(Type.Integer({ minimum: 0, description: 'Condition must hold this long to raise' })),
  offDelayMs: Type.Optional(Type.Integer({ minimum: 0, description: 'Condition must be gone this long to clear' })),
  ...AlarmSettingsFields,
};

const PointName = Type.String({ minLength: 1, description: 'Point name within the device' });
const Condition = (description: string) => Type.String({ minLength: 1, description });

export const StateAlarmSchema = Type.Object(
  {
    kind: Type.Literal('state'),
    point: PointName,
    states: Type.Array(Type.Union([Type.String({ minLength: 1 }), Type.Integer(), Type.Boolean()]), {
      minItems: 1,
      description: 'Active while the point is in one of these: enum state names or raw numbers, or true/false for a binary point',
    }),
    ...ConditionCommon,
  },
  { additionalProperties: false, description: 'Discrete states of an enum or binary point' },
);

export const RateAlarmSchema = Type.Object(
  {
    kind: Type.Literal('rate'),
    point: PointName,
    risePerMinute: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: 'Active while rising faster than this, in the point\'s unit per minute' })),
    fallPerMinute: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: 'Active while falling faster than this (a positive number), unit per minute' })),
    windowMs: Type.Integer({ minimum: 1, description: 'Span the slope is measured over' }),
    ...ConditionCommon,
  },
  { additionalProperties: false, description: 'Rate of change of an analog or counter point' },
);

export const ExpressionAlarmSchema = Type.Object(
  {
    kind: Type.Literal('expression'),
    when: Condition('Condition over the device\'s points, e.g. discharge_pressure < 2 and running'),
    ...ConditionCommon,
  },
  { additionalProperties: false, description: 'A condition over several points of the device' },
);

export const RepeatAlarmSchema = Type.Object(
  {
    kind: Type.Literal('repeat'),
    when: Condition('Condition whose becoming true is counted, e.g. running'),
    count: Type.Integer({ minimum: 1, maximum: 10_000, description: 'Active while the condition became true at least this many times within the window' }),
    windowMs: Type.Integer({ minimum: 1, description: 'Length of the sliding window' }),
    ...ConditionCommon,
  },
  { additionalProperties: false, description: 'N occurrences of a condition within a time window' },
);

type ConditionAlarmUnion =
  | Static<typeof StateAlarmSchema>
  | Static<typeof RateAlarmSchema>
  | Static<typeof ExpressionAlarmSchema>
  | Static<typeof RepeatAlarmSchema>;

/**
 * Told apart by `kind`: written as oneOf with a discriminator, so that a mistake is reported once, for the
 * branch its `kind` names, and not once per branch.
 */
export const ConditionAlarmSchema = Type.Unsafe<ConditionAlarmUnion>({
  type: 'object',
  oneOf: [StateAlarmSchema, RateAlarmSchema, ExpressionAlarmSchema, RepeatAlarmSchema],
  discriminator: { propertyName: 'kind' },
  description: 'A condition alarm: kind state, rate, expression or repeat',
});

export type ConditionAlarmConfig = ConditionAlarmUnion;
