import { Type, type Static } from '@sinclair/typebox';

/**
 * Planned maintenance: schedules that open preventive and inspection work orders by the calendar (fixed
 * cron or every N days, or floating from the last completion) or by a meter read from telemetry (run hours,
 * starts, trips, door cycles); built-in templates a site switches on by id; evidence rules that attach a
 * test run seen in telemetry (the weekly fire-pump start) to that week's order. Semantic checks live in
 * src/maintenance/config-checks.ts (cron syntax, anchors, assets and points that exist).
 */

const Id = Type.String({ pattern: '^[a-z0-9][a-z0-9_-]*$', maxLength: 64, description: 'Lower-case id: letters, digits, - and _' });
const Priority = Type.Union([Type.Literal('critical'), Type.Literal('high'), Type.Literal('medium'), Type.Literal('low')]);
const Equipment = Type.Union([Type.Literal('elevator'), Type.Literal('pump'), Type.Literal('access-controller'), Type.Literal('door'), Type.Literal('fire-panel')]);
const Cron = Type.String({
  minLength: 1,
  description: 'Cron expression in the site time zone: minute hour day month weekday (a leading second is allowed), e.g. "0 9 1 */3 *"; day and weekday must both match',
});
const Anchor = Type.String({
  minLength: 1,
  description: 'YYYY-MM-DDTHH:MM in the site time zone (or YYYY-MM-DD for midnight): the first due time; everyDays counts from it',
});

const Assignment = Type.Object(
  {
    assignee: Type.Optional(Type.String({ minLength: 1, description: 'A technician' })),
    contractor: Type.Optional(Type.String({ minLength: 1, description: 'A maintenance contractor (the elevator company)' })),
  },
  { additionalProperties: false },
);

const Assets = Type.Object(
  {
    equipment: Type.Optional(Type.Array(Equipment, { minItems: 1, description: 'Every enabled device of these equipment types' })),
    devices: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1, description: 'These device ids' })),
  },
  { additionalProperties: false, description: 'The assets the schedule covers (one order per asset and period): the union of both lists' },
);

const Meter = Type.Object(
  {
    point: Type.String({ minLength: 1, description: 'Point name in the device profile, e.g. run_hours, start_count, trip_count, door_cycles, or running with count: rising-edges' }),
    every: Type.Number({ exclusiveMinimum: 0, description: 'Open an order every this many units of the point (hours, starts, trips, cycles)' }),
    count: Type.Union([Type.Literal('value'), Type.Literal('rising-edges')], {
      default: 'value',
      description: 'value: the point is a counter the device keeps; rising-edges: count false→true changes of a binary point (a start)',
    }),
    from: Type.Union([Type.Literal('completion'), Type.Literal('order')], {
      default: 'completion',
      description: 'completion: the next order is due `every` units after the last one was completed (none while it is open); order: every `every` units after the last one was opened',
    }),
    maxPerHour: Type.Optional(
      Type.Number({
        exclusiveMinimum: 0,
        description: 'Largest plausible increase of the counter per hour; a bigger jump (a replaced controller with another count) is not counted. Default: 1.1 for hours, 3600 for counts',
      }),
    ),
  },
  { additionalProperties: false },
);

const OrderFields = {
  type: Type.Union([Type.Literal('preventive'), Type.Literal('inspection')], { default: 'preventive' }),
  title: Type.String({ minLength: 1, description: 'Order title; {device}, {deviceName} and {schedule} are filled in' }),
  priority: Type.Optional(Priority),
  description: Type.Optional(Type.String()),
  checklist: Type.Array(Type.String({ minLength: 1 }), { default: [] }),
  assign: Type.Optional(Assignment),
  dueMinutes: Type.Optional(
    Type.Integer({ minimum: 1, description: 'The order is due this long after the period fell due (meter: after it was opened). Default: 10% of the interval (meter: 7 days)' }),
  ),
};

export const MaintenanceScheduleSchema = Type.Object(
  {
    id: Id,
    kind: Type.Union([Type.Literal('calendar'), Type.Literal('meter')]),
    cron: Type.Optional(Cron),
    everyDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 3660, description: 'Calendar: every N days at the time of `start` (fixed), or N days after the last completion (floating)' })),
    start: Type.Optional(Anchor),
    floating: Type.Boolean({ default: false, description: 'Calendar with everyDays: the next order is due everyDays after the last completion, not on a fixed grid' }),
    meter: Type.Optional(Meter),
    assets: Assets,
    ...OrderFields,
  },
  { additionalProperties: false },
);

const BuiltInOptions = Type.Object(
  {
    id: Type.String({ minLength: 1, description: 'Built-in template id (see src/maintenance/built-in.ts)' }),
    devices: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1, description: 'Devices it covers, instead of its default equipment type (required for fire pumps)' })),
    cron: Type.Optional(Cron),
    start: Type.Optional(Anchor),
    assign: Type.Optional(Assignment),
    dueMinutes: Type.Optional(Type.Integer({ minimum: 1 })),
  },
  { additionalProperties: false },
);

export const BuiltInEntrySchema = Type.Union([Type.String({ minLength: 1, description: 'Built-in template id' }), BuiltInOptions]);

export const EvidenceRuleSchema = Type.Object(
  {
    schedule: Type.String({ minLength: 1, description: 'The schedule (or built-in template id) whose orders take the evidence' }),
    runningPoint: Type.String({ minLength: 1, default: 'running', description: 'Binary point that is true while the pump runs' }),
    pressurePoint: Type.Optional(Type.String({ minLength: 1, description: 'Point whose peak during the run is recorded (and checked against minPressure)' })),
    minRunMinutes: Type.Number({ exclusiveMinimum: 0, default: 3, description: 'A run counts only if it lasted at least this long' }),
    minPressure: Type.Optional(Type.Number({ description: 'A run counts only if the pressure point reached this (in its unit, e.g. bar)' })),
    complete: Type.Boolean({ default: false, description: 'Complete the order when the run is seen (otherwise only a comment is added and a person completes it)' }),
  },
  { additionalProperties: false },
);

export const MaintenanceSchema = Type.Object(
  {
    schedules: Type.Array(MaintenanceScheduleSchema, { default: [] }),
    builtIn: Type.Array(BuiltInEntrySchema, { default: [], description: 'Built-in templates to switch on, by id or with options' }),
    evidence: Type.Array(EvidenceRuleSchema, { default: [] }),
  },
  { additionalProperties: false, default: {}, description: 'Planned maintenance: calendar and meter schedules that open work orders' },
);

export type MaintenanceScheduleConfig = Static<typeof MaintenanceScheduleSchema>;
export type BuiltInEntry = Static<typeof BuiltInEntrySchema>;
export type EvidenceRuleConfig = Static<typeof EvidenceRuleSchema>;
export type MaintenanceConfig = Static<typeof MaintenanceSchema>;
