import { Type, type Static } from '@sinclair/typebox';
import { ConditionAlarmSchema } from './alarm-schema.js';
import { EvidenceRuleSchema, MaintenanceScheduleSchema } from './maintenance-schema.js';
import { EventRuleSchema, ThresholdSchema } from './schema.js';

/**
 * A rule file: alarm and maintenance rules kept beside the site file (per device type, per site), so rule
 * authors change rules without touching links and devices, and a reload picks up the alarm rules. Each
 * entry says which devices it is for and adds to — or overrides by id — their profile's rules; a device's
 * own rules in the site file come last and win. Maintenance schedules and evidence rules are added to the
 * site's `maintenance` section.
 */

const Equipment = Type.Union([Type.Literal('elevator'), Type.Literal('pump'), Type.Literal('access-controller'), Type.Literal('door'), Type.Literal('fire-panel')]);

export const RuleSelectorSchema = Type.Object(
  {
    type: Type.Optional(Equipment),
    profile: Type.Optional(Type.String({ minLength: 1 })),
    devices: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })),
  },
  { additionalProperties: false, description: 'The devices the entry is for: every criterion given must hold; none given means every device' },
);

export const RuleEntrySchema = Type.Object(
  {
    for: RuleSelectorSchema,
    thresholds: Type.Array(ThresholdSchema, { default: [] }),
    eventRules: Type.Array(EventRuleSchema, { default: [] }),
    alarms: Type.Array(ConditionAlarmSchema, { default: [] }),
    disable: Type.Array(Type.String({ minLength: 1 }), { default: [], description: 'Rule ids of any kind to switch off' }),
  },
  { additionalProperties: false },
);

export const RuleFileMaintenanceSchema = Type.Object(
  {
    schedules: Type.Array(MaintenanceScheduleSchema, { default: [] }),
    evidence: Type.Array(EvidenceRuleSchema, { default: [] }),
  },
  { additionalProperties: false, description: 'Maintenance rules: added to the site’s `maintenance` (they take effect at the next start)' },
);

export const RuleFileSchema = Type.Object(
  { rules: Type.Array(RuleEntrySchema, { default: [] }), maintenance: Type.Optional(RuleFileMaintenanceSchema) },
  { additionalProperties: false, $id: 'https://facility-gw.dev/schemas/rules.schema.json', title: 'facility-gw rule file' },
);

export type RuleFile = Static<typeof RuleFileSchema>;
export type RuleEntry = Static<typeof RuleEntrySchema>;
