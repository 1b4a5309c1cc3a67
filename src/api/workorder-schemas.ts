import { Type, type Static } from '@sinclair/typebox';
import { PrioritySchema } from './schemas.js';

/** Schemas of the work-order API. */

const EpochMs = Type.Integer({ description: 'Milliseconds since the Unix epoch' });
export const WorkOrderStatusSchema = Type.Union([
  Type.Literal('open'),
  Type.Literal('assigned'),
  Type.Literal('in-progress'),
  Type.Literal('on-hold'),
  Type.Literal('completed'),
  Type.Literal('closed'),
  Type.Literal('cancelled'),
]);
export const WorkOrderTypeSchema = Type.Union([Type.Literal('corrective'), Type.Literal('preventive'), Type.Literal('inspection')]);
const Text = (max: number) => Type.String({ minLength: 1, maxLength: max });

export const WorkOrderSchema = Type.Object({
  id: Type.Integer(),
  number: Type.String(),
  site: Type.String(),
  asset: Type.String(),
  location: Type.Optional(Type.String()),
  type: WorkOrderTypeSchema,
  priority: PrioritySchema,
  title: Type.String(),
  description: Type.Optional(Type.String()),
  cause: Type.Optional(Type.String()),
  faultKey: Type.Optional(Type.String()),
  source: Type.Object({ kind: Type.String(), ref: Type.Optional(Type.String()) }),
  status: WorkOrderStatusSchema,
  assignee: Type.Optional(Type.String()),
  contractor: Type.Optional(Type.String()),
  dueAt: Type.Optional(EpochMs),
  arrivedAt: Type.Optional(EpochMs),
  createdAt: EpochMs,
  updatedAt: EpochMs,
  startedAt: Type.Optional(EpochMs),
  completedAt: Type.Optional(EpochMs),
  closedAt: Type.Optional(EpochMs),
  resolution: Type.Optional(Type.String()),
  externalRef: Type.Optional(Type.String()),
  occurrences: Type.Integer(),
  version: Type.Integer({ description: 'Send it back as expectedVersion to refuse a change made in between' }),
});

export const WorkOrderEventSchema = Type.Object({
  seq: Type.Integer(),
  orderId: Type.Integer(),
  kind: Type.String(),
  from: Type.Optional(WorkOrderStatusSchema),
  to: Type.Optional(WorkOrderStatusSchema),
  by: Type.String(),
  comment: Type.Optional(Type.String()),
  ts: EpochMs,
  data: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
});

export const WorkOrderListQuery = Type.Object(
  {
    site: Type.Optional(Type.String()),
    asset: Type.Optional(Type.String()),
    status: Type.Optional(Type.String({ description: 'One status or several, comma-separated' })),
    type: Type.Optional(WorkOrderTypeSchema),
    dueBefore: Type.Optional(Type.String({ description: 'ISO 8601 time or ms since the epoch' })),
    limit: Type.Integer({ minimum: 1, maximum: 5000, default: 200 }),
  },
  { additionalProperties: false },
);

export const NewWorkOrderBody = Type.Object(
  {
    asset: Text(64),
    type: WorkOrderTypeSchema,
    priority: PrioritySchema,
    title: Text(200),
    description: Type.Optional(Text(4000)),
    cause: Type.Optional(Text(200)),
    location: Type.Optional(Text(200)),
    assignee: Type.Optional(Text(100)),
    contractor: Type.Optional(Text(100)),
    dueAt: Type.Optional(Type.String({ description: 'ISO 8601 time or ms since the epoch' })),
    externalRef: Type.Optional(Text(200)),
  },
  { additionalProperties: false },
);

export const ActionBody = Type.Object(
  {
    comment: Type.Optional(Text(2000)),
    assignee: Type.Optional(Text(100)),
    contractor: Type.Optional(Text(100)),
    resolution: Type.Optional(Text(4000)),
    expectedVersion: Type.Optional(Type.Integer({ minimum: 1 })),
  },
  { additionalProperties: false },
);

export const ArrivalBody = Type.Object({ at: Type.Optional(Type.String({ description: 'When; default now' })) }, { additionalProperties: false });
export const WorkOrderCommentBody = Type.Object({ text: Text(2000) }, { additionalProperties: false });

export type NewWorkOrderRequest = Static<typeof NewWorkOrderBody>;
