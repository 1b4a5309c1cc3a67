import { Type, type Static } from '@sinclair/typebox';

/**
 * Work-order templates: what an alarm or a maintenance rule opens. An alarm definition may name its
 * template (`workOrder: elevator-entrapment`); otherwise the first template whose `match` fits the alarm
 * (rule id, equipment type, device, priority) is used, so a site links its alarms to templates without
 * rewriting the profiles. The template says what kind of order, how urgent, who gets it (by equipment
 * type), the SLA and the checklist.
 */

const Id = Type.String({ pattern: '^[a-z0-9][a-z0-9_-]*$', maxLength: 64 });
const Priority = Type.Union([Type.Literal('critical'), Type.Literal('high'), Type.Literal('medium'), Type.Literal('low')]);
const Equipment = Type.Union([Type.Literal('elevator'), Type.Literal('pump'), Type.Literal('access-controller'), Type.Literal('door'), Type.Literal('fire-panel')]);

const Assignment = Type.Object(
  {
    assignee: Type.Optional(Type.String({ minLength: 1, description: 'A technician' })),
    contractor: Type.Optional(Type.String({ minLength: 1, description: 'A maintenance contractor (the elevator company)' })),
  },
  { additionalProperties: false },
);

const Match = Type.Object(
  {
    rules: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1, description: 'Alarm rule ids (e.g. fault_trapped, comm_loss)' })),
    equipment: Type.Optional(Type.Array(Equipment, { minItems: 1 })),
    devices: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })),
    priorities: Type.Optional(Type.Array(Priority, { minItems: 1 })),
  },
  { additionalProperties: false, description: 'The alarms this template opens orders for: all the given criteria must hold' },
);

export const WorkOrderTemplateSchema = Type.Object(
  {
    id: Id,
    match: Type.Optional(Match),
    type: Type.Union([Type.Literal('corrective'), Type.Literal('preventive'), Type.Literal('inspection')], { default: 'corrective' }),
    priority: Type.Optional(Priority),
    title: Type.Optional(Type.String({ minLength: 1, description: 'Order title; {device}, {deviceName} and {message} are filled in. Default: the alarm message' })),
    description: Type.Optional(Type.String()),
    responseMinutes: Type.Optional(Type.Integer({ minimum: 1, description: 'SLA: a technician on site within this (a trapped passenger: 30)' })),
    resolutionMinutes: Type.Optional(Type.Integer({ minimum: 1, description: 'SLA: the work completed within this; the order’s due time' })),
    assign: Type.Optional(Assignment),
    assignByEquipment: Type.Optional(Type.Partial(Type.Record(Equipment, Assignment), { description: 'Who gets it per equipment type; wins over `assign`' })),
    checklist: Type.Array(Type.String({ minLength: 1 }), { default: [] }),
    outOfServiceWhileWorking: Type.Boolean({
      default: true,
      description: 'While the order is in progress, the asset’s alarms are out of service (never fire or life-safety alarms), back when it is completed',
    }),
    autoCloseAfterNormalMinutes: Type.Optional(
      Type.Integer({
        minimum: 1,
        description: 'Close the order by itself when its alarm has been back to normal this long and nobody has started work (otherwise a technician confirms the repair)',
      }),
    ),
    outOfServiceMaxHours: Type.Integer({ minimum: 1, default: 12, description: 'The longest those alarms stay out of service, even if the order is never completed' }),
  },
  { additionalProperties: false },
);

/**
 * A row of the site's SLA table. An order takes each target from its template when the template gives it,
 * else from the most specific row that matches it and gives that target (most criteria given; among equals,
 * the first). A row without criteria is the site default.
 */
export const SlaTargetSchema = Type.Object(
  {
    priority: Type.Optional(Priority),
    faultKind: Type.Optional(Type.String({ minLength: 1, description: 'The order’s fault kind: the alarm rule id (e.g. fault_trapped)' })),
    type: Type.Optional(Type.Union([Type.Literal('corrective'), Type.Literal('preventive'), Type.Literal('inspection')])),
    responseMinutes: Type.Optional(Type.Integer({ minimum: 1, description: 'A technician on site within this many minutes of the fault (a trapped passenger: 30)' })),
    resolutionMinutes: Type.Optional(Type.Integer({ minimum: 1, description: 'The work completed within this many minutes of the fault, unless the order has its own due time' })),
  },
  { additionalProperties: false },
);

export const WorkOrdersSchema = Type.Object(
  {
    templates: Type.Array(WorkOrderTemplateSchema, { default: [] }),
    // Optional in the type so configs built in code (the demo building, tests) need not spell it out.
    sla: Type.Optional(
      Type.Array(SlaTargetSchema, {
        default: [],
        description: 'Site-wide SLA targets by priority, fault kind and order type; a template’s own targets win, then the most specific row',
      }),
    ),
  },
  { additionalProperties: false, default: {}, description: 'Work orders opened by alarms and maintenance rules' },
);

export type WorkOrderTemplate = Static<typeof WorkOrderTemplateSchema>;
export type WorkOrdersConfig = Static<typeof WorkOrdersSchema>;
export type SlaTarget = Static<typeof SlaTargetSchema>;
