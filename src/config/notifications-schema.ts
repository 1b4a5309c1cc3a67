import { Type, type Static } from '@sinclair/typebox';
import { DAY_MS, isValidTimeZone, parseDateTime, parseDay } from '../notify/time-zone.js';
import type { SemanticIssue } from './semantic-checks.js';

/**
 * Who hears about an alarm, how, and when the next person is called: channels, people, on-call schedules,
 * escalation policies, routes and flood handling. `checkNotifications` below adds what a schema cannot say:
 * references resolve, rotations neither overlap nor are empty, dates and the time zone are real.
 */

const Id = Type.String({ pattern: '^[a-z0-9][a-z0-9_-]*$', maxLength: 64, description: 'Lower-case id: letters, digits, - and _' });
const Priority = Type.Union([Type.Literal('critical'), Type.Literal('high'), Type.Literal('medium'), Type.Literal('low')]);
const Url = (description: string) => Type.String({ pattern: '^https?://', description });
const LocalDate = (description: string) => Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: `${description}; YYYY-MM-DD, site time zone` });
const DateTime = Type.String({
  pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}(:\\d{2})?(Z|[+-]\\d{2}:\\d{2})?$',
  description: 'YYYY-MM-DDTHH:MM, local time of the site; or with Z / ±HH:MM an exact instant',
});

export const RateBudgetSchema = Type.Object(
  {
    perMinute: Type.Integer({ minimum: 1, description: 'Messages allowed in any rolling minute (DingTalk and WeCom bots: 20; Feishu: 100)' }),
    perSecond: Type.Optional(Type.Integer({ minimum: 1, description: 'Messages allowed in any rolling second (Feishu: 5)' })),
    maxListed: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, description: 'Held notifications a summary lists one by one; the rest are counted (default 30)' })),
    summaryLink: Type.Optional(Url('Link put into summaries, e.g. the active-alarm page (must not change state on GET)')),
  },
  { additionalProperties: false, description: 'Past this budget, notifications are folded into one summary (fire signals first)' },
);

export const RetrySchema = Type.Object(
  {
    maxAttempts: Type.Integer({ minimum: 1, maximum: 50, default: 5, description: 'Attempts in total, the first one included' }),
    baseDelayMs: Type.Integer({ minimum: 1, default: 1000, description: 'Wait before the first retry; doubles with every further retry' }),
    maxDelayMs: Type.Integer({ minimum: 1, default: 60_000, description: 'Longest wait between two attempts' }),
  },
  { additionalProperties: false, description: 'Retries of a delivery that failed for a reason that may pass (network, timeout, 5xx, 429, rate-limit codes)' },
);

const ChannelCommon = {
  id: Id,
  rateBudget: Type.Optional(RateBudgetSchema),
  retry: Type.Optional(RetrySchema),
  timeoutMs: Type.Integer({ minimum: 1, default: 10_000, description: 'Per-request timeout' }),
};

export const WebhookChannelSchema = Type.Object(
  {
    ...ChannelCommon,
    type: Type.Literal('webhook'),
    url: Url('Receives each notification as JSON (POST)'),
    secret: Type.Optional(Type.String({ minLength: 16, description: 'Signs each request (X-Signature: sha256=HMAC of "timestamp.body"); use ${ENV}' })),
    headers: Type.Optional(Type.Record(Type.String({ minLength: 1 }), Type.String(), { description: 'Extra request headers, e.g. Authorization (use ${ENV})' })),
  },
  { additionalProperties: false },
);

export const NtfyChannelSchema = Type.Object(
  {
    ...ChannelCommon,
    type: Type.Literal('ntfy'),
    url: Url('ntfy server, e.g. https://ntfy.sh/'),
    topic: Type.Optional(Type.String({ minLength: 1, description: 'Default topic, for group notifications; a person’s contact on this channel is their own topic' })),
    token: Type.Optional(Type.String({ description: 'Access token (Authorization: Bearer); use ${ENV}' })),
  },
  { additionalProperties: false },
);

export const WecomChannelSchema = Type.Object(
  {
    ...ChannelCommon,
    type: Type.Literal('wecom'),
    url: Url('Group bot webhook URL with its key (use ${ENV}); a person’s contact is the WeCom user id to @mention'),
  },
  { additionalProperties: false },
);

export const DingtalkChannelSchema = Type.Object(
  {
    ...ChannelCommon,
    type: Type.Literal('dingtalk'),
    url: Url('Group bot webhook URL with access_token (use ${ENV}); a person’s contact is the mobile number to @mention'),
    secret: Type.Optional(Type.String({ minLength: 1, description: 'The bot’s signing secret (SEC…); use ${ENV}' })),
  },
  { additionalProperties: false },
);

export const FeishuChannelSchema = Type.Object(
  {
    ...ChannelCommon,
    type: Type.Literal('feishu'),
    url: Url('Group bot webhook URL (use ${ENV}); a person’s contact is the open id to @mention'),
    secret: Type.Optional(Type.String({ minLength: 1, description: 'The bot’s signature secret; use ${ENV}' })),
  },
  { additionalProperties: false },
);

export const EmailChannelSchema = Type.Object(
  {
    ...ChannelCommon,
    type: Type.Literal('email'),
    host: Type.String({ minLength: 1, description: 'SMTP server' }),
    port: Type.Integer({ minimum: 1, maximum: 65535, default: 587 }),
    secure: Type.Boolean({ default: false, description: 'TLS from the start (port 465); otherwise STARTTLS when offered' }),
    requireTLS: Type.Boolean({ default: false, description: 'Refuse to send without STARTTLS' }),
    user: Type.Optional(Type.String()),
    password: Type.Optional(Type.String({ description: 'Use ${ENV}' })),
    from: Type.String({ minLength: 3 }),
    to: Type.Array(Type.String({ minLength: 3 }), { default: [], description: 'Recipients of group notifications; a person’s contact on this channel is their own address' }),
  },
  { additionalProperties: false },
);

export const NotifyChannelSchema = Type.Union([
  WebhookChannelSchema,
  NtfyChannelSchema,
  WecomChannelSchema,
  DingtalkChannelSchema,
  FeishuChannelSchema,
  EmailChannelSchema,
]);

export const PersonSchema = Type.Object(
  {
    id: Id,
    name: Type.String({ minLength: 1 }),
    contacts: Type.Record(Id, Type.String({ minLength: 1 }), {
      default: {},
      description: 'Address per channel id: ntfy topic, email address, or the user to @mention on a chat bot. Every contact is used',
    }),
  },
  { additionalProperties: false },
);

export const RotationSchema = Type.Object(
  {
    members: Type.Array(Id, { default: [], description: 'Person ids, in hand-off order' }),
    handoff: Type.Union([Type.Literal('daily'), Type.Literal('weekly')], { default: 'weekly' }),
    handoffTime: Type.String({ pattern: '^([01]\\d|2[0-3]):[0-5]\\d$', default: '09:00', description: 'Local time of the hand-off, HH:MM' }),
    start: LocalDate('Date of the first hand-off (to the first member); weekly hand-offs fall on its weekday'),
    end: Type.Optional(LocalDate('The rotation ends at the hand-off time of this date')),
  },
  { additionalProperties: false },
);

export const OverrideSchema = Type.Object(
  {
    person: Id,
    from: DateTime,
    until: DateTime,
  },
  { additionalProperties: false, description: 'This person is on call instead, from (inclusive) until (exclusive)' },
);

export const ScheduleSchema = Type.Object(
  {
    id: Id,
    name: Type.Optional(Type.String()),
    rotations: Type.Array(RotationSchema, { minItems: 1, description: 'Rotations one after another in time (e.g. a new team from a date); they must not overlap' }),
    overrides: Type.Array(OverrideSchema, { default: [] }),
  },
  { additionalProperties: false, description: 'Who is on call, in the site time zone (site.timezone); hand-offs follow the wall clock across DST changes' },
);

export const EscalationTargetSchema = Type.Object(
  {
    schedule: Type.Optional(Id),
    person: Type.Optional(Id),
    channel: Type.Optional(Id),
  },
  { additionalProperties: false, description: 'Exactly one of: a schedule (its on-call person at that moment), a person, or a group channel' },
);

export const EscalationLevelSchema = Type.Object(
  {
    notify: Type.Array(EscalationTargetSchema, { minItems: 1 }),
    waitMinutes: Type.Integer({ minimum: 1, maximum: 7 * 24 * 60, default: 15, description: 'Wait for an acknowledgement before the next level (after the last level: before the next repeat)' }),
  },
  { additionalProperties: false },
);

export const EscalationPolicySchema = Type.Object(
  {
    id: Id,
    levels: Type.Array(EscalationLevelSchema, { minItems: 1 }),
    repeat: Type.Integer({ minimum: 0, maximum: 100, default: 0, description: 'Runs the levels again this many times while nobody acknowledges' }),
  },
  { additionalProperties: false },
);

export const RouteSchema = Type.Object(
  {
    name: Type.Optional(Type.String({ description: 'For logs' })),
    match: Type.Object(
      {
        sites: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })),
        priorities: Type.Optional(Type.Array(Priority, { minItems: 1 })),
        deviceTypes: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1, description: 'Equipment types, e.g. elevator, fire-panel' })),
        lifeSafety: Type.Optional(Type.Boolean({ description: 'true: only fire/life-safety signals; false: only the others' })),
      },
      { additionalProperties: false, default: {}, description: 'Every condition given must hold; none given matches every alarm' },
    ),
    policy: Type.Optional(Id),
    channels: Type.Array(Id, { default: [], description: 'Group channels told of the raise and the resolve at once' }),
    continue: Type.Boolean({ default: false, description: 'Keep looking at the routes after this one when it matches' }),
  },
  { additionalProperties: false, description: 'Routes are tried in order; the first match wins unless it says continue' },
);

export const FloodSchema = Type.Object(
  {
    startAbove: Type.Integer({ minimum: 1, default: 10, description: 'A flood starts when more than this many alarms annunciated at one site within the window' }),
    endBelow: Type.Integer({ minimum: 1, default: 5, description: 'It ends when fewer than this many remain within the window' }),
    windowMinutes: Type.Integer({ minimum: 1, maximum: 24 * 60, default: 10 }),
    groupIntervalSeconds: Type.Integer({ minimum: 1, maximum: 3600, default: 60, description: 'During a flood, related pushes are collected this long and sent as one' }),
    groupBy: Type.Union([Type.Literal('device'), Type.Literal('cause')], {
      default: 'device',
      description: 'Which alarms are related: those of one device, or those with the same cause (rationale cause, else message)',
    }),
  },
  { additionalProperties: false, default: {}, description: 'ISA-18.2 flood handling; fire/life-safety signals are never grouped or delayed' },
);

export const NotificationsSchema = Type.Object(
  {
    channels: Type.Array(NotifyChannelSchema, { default: [] }),
    people: Type.Array(PersonSchema, { default: [] }),
    schedules: Type.Array(ScheduleSchema, { default: [] }),
    policies: Type.Array(EscalationPolicySchema, { default: [] }),
    routes: Type.Array(RouteSchema, { default: [] }),
    flood: FloodSchema,
  },
  { additionalProperties: false, description: 'Alarm notifications: channels, people, on-call schedules, escalation, routing and floods' },
);

export type NotificationsConfig = Static<typeof NotificationsSchema>;
export type NotifyChannelConfig = Static<typeof NotifyChannelSchema>;
export type PersonConfig = Static<typeof PersonSchema>;
export type ScheduleConfig = Static<typeof ScheduleSchema>;
export type RotationConfig = Static<typeof RotationSchema>;
export type OverrideConfig = Static<typeof OverrideSchema>;
export type EscalationPolicyConfig = Static<typeof EscalationPolicySchema>;
export type EscalationTargetConfig = Static<typeof EscalationTargetSchema>;
export type RouteConfig = Static<typeof RouteSchema>;
export type FloodConfig = Static<typeof FloodSchema>;
export type RetryConfig = Static<typeof RetrySchema>;

type Segments = Array<string | number>;

/**
 * Checks a schema-valid `notifications` section as a whole; every issue names its path from the root of
 * the site config. `timeZone` is `site.timezone`.
 */
export function checkNotifications(n: NotificationsConfig | undefined, timeZone: string): SemanticIssue[] {
  const issues: SemanticIssue[] = [];
  if (n === undefined) return issues;
  const report = (message: string, ...segments: Segments): void => {
    issues.push({ segments: ['notifications', ...segments], message });
  };
  const zoneOk = isValidTimeZone(timeZone);
  if (!zoneOk) issues.push({ segments: ['site', 'timezone'], message: `unknown time zone "${timeZone}" (use an IANA name such as Asia/Shanghai)` });

  const channels = uniqueIds(n.channels, 'channels', report);
  const people = uniqueIds(n.people, 'people', report);
  const schedules = uniqueIds(n.schedules, 'schedules', report);
  const policies = uniqueIds(n.policies, 'policies', report);
  const known = (kind: string, ids: ReadonlySet<string>, id: string): string =>
    `unknown ${kind} "${id}" (known: ${[...ids].join(', ') || 'none'})`;

  n.people.forEach((p, i) => {
    for (const channel of Object.keys(p.contacts)) {
      if (!channels.has(channel)) report(known('channel', channels, channel), 'people', i, 'contacts', channel);
    }
  });
  n.schedules.forEach((s, i) => checkSchedule(s, i, people, zoneOk ? timeZone : 'UTC', report, known));
  const contactless = new Set(n.people.filter((p) => Object.keys(p.contacts).length === 0).map((p) => p.id));
  n.policies.forEach((p, i) => {
    p.levels.forEach((level, j) => {
      level.notify.forEach((t, k) => {
        const at: Segments = ['policies', i, 'levels', j, 'notify', k];
        const given = [t.schedule, t.person, t.channel].filter((x) => x !== undefined).length;
        if (given !== 1) report('give exactly one of schedule, person or channel', ...at);
        if (t.schedule !== undefined && !schedules.has(t.schedule)) report(known('schedule', schedules, t.schedule), ...at, 'schedule');
        if (t.person !== undefined && !people.has(t.person)) report(known('person', people, t.person), ...at, 'person');
        if (t.person !== undefined && contactless.has(t.person)) report(`person "${t.person}" has no contacts: nothing would reach them`, ...at, 'person');
        if (t.channel !== undefined && !channels.has(t.channel)) report(known('channel', channels, t.channel), ...at, 'channel');
      });
    });
  });
  n.routes.forEach((r, i) => {
    if (r.policy === undefined && r.channels.length === 0) report('a route needs a policy, channels, or both', 'routes', i);
    if (r.policy !== undefined && !policies.has(r.policy)) report(known('policy', policies, r.policy), 'routes', i, 'policy');
    r.channels.forEach((c, j) => {
      if (!channels.has(c)) report(known('channel', channels, c), 'routes', i, 'channels', j);
    });
  });
  if (n.flood.endBelow > n.flood.startAbove) report(`must not be above startAbove (${n.flood.startAbove})`, 'flood', 'endBelow');
  return issues;
}

function uniqueIds(items: ReadonlyArray<{ id: string }>, section: string, report: (message: string, ...segments: Segments) => void): Set<string> {
  const seen = new Map<string, number>();
  items.forEach((item, i) => {
    const first = seen.get(item.id);
    if (first !== undefined) report(`duplicate id "${item.id}" (also ${section}[${first}])`, section, i, 'id');
    else seen.set(item.id, i);
  });
  return new Set(seen.keys());
}

function checkSchedule(
  s: ScheduleConfig,
  i: number,
  people: ReadonlySet<string>,
  timeZone: string,
  report: (message: string, ...segments: Segments) => void,
  known: (kind: string, ids: ReadonlySet<string>, id: string) => string,
): void {
  const spans: Array<{ j: number; from: number; to: number }> = [];
  s.rotations.forEach((r, j) => {
    const at: Segments = ['schedules', i, 'rotations', j];
    if (r.members.length === 0) report('rotation has no members', ...at, 'members');
    r.members.forEach((m, k) => {
      if (!people.has(m)) report(known('person', people, m), ...at, 'members', k);
    });
    const from = parseDay(r.start);
    if (from === undefined) report(`"${r.start}" is not a date`, ...at, 'start');
    const to = r.end === undefined ? Infinity : parseDay(r.end);
    if (to === undefined) report(`"${String(r.end)}" is not a date`, ...at, 'end');
    if (from === undefined || to === undefined) return;
    if (to <= from) report(`must be after start (${r.start})`, ...at, 'end');
    else spans.push({ j, from, to });
  });
  spans.sort((a, b) => a.from - b.from);
  for (let k = 1; k < spans.length; k++) {
    const prev = spans[k - 1];
    const cur = spans[k];
    if (prev && cur && cur.from < prev.to) {
      const until = prev.to === Infinity ? 'has no end' : `runs until ${new Date(prev.to * DAY_MS).toISOString().slice(0, 10)}`;
      report(`overlaps rotations[${prev.j}], which ${until}`, 'schedules', i, 'rotations', cur.j);
    }
  }
  const windows: Array<{ k: number; from: number; until: number }> = [];
  s.overrides.forEach((o, k) => {
    const at: Segments = ['schedules', i, 'overrides', k];
    if (!people.has(o.person)) report(known('person', people, o.person), ...at, 'person');
    const from = parseDateTime(o.from, timeZone);
    const until = parseDateTime(o.until, timeZone);
    if (from === undefined) report(`"${o.from}" is not a date and time`, ...at, 'from');
    if (until === undefined) report(`"${o.until}" is not a date and time`, ...at, 'until');
    if (from === undefined || until === undefined) return;
    if (until <= from) report(`must be after from (${o.from})`, ...at, 'until');
    else windows.push({ k, from, until });
  });
  windows.sort((a, b) => a.from - b.from);
  for (let k = 1; k < windows.length; k++) {
    const prev = windows[k - 1];
    const cur = windows[k];
    if (prev && cur && cur.from < prev.until) report(`overlaps overrides[${prev.k}]`, 'schedules', i, 'overrides', cur.k);
  }
}
