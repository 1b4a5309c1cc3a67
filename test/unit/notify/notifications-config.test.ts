import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/config/config-error.js';
import { parseConfig } from '../../../src/config/loader.js';

function issuesOf(text: string, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    parseConfig(text, { env });
  } catch (err) {
    if (err instanceof ConfigError) return err.message.split('\n');
    throw err;
  }
  return [];
}

const site = (timezone = 'Europe/Berlin') => `site:
  id: demo
  name: Demo
  timezone: ${timezone}
`;

const notifications = `notifications:
  channels:
    - id: phones
      type: ntfy
      url: https://ntfy.example.org/
      token: \${NTFY_TOKEN}
    - id: ops-chat
      type: dingtalk
      url: https://oapi.dingtalk.com/robot/send?access_token=x
      secret: \${DING_SECRET}
      rateBudget: { perMinute: 20 }
    - id: mail
      type: email
      host: smtp.example.org
      from: gw@example.org
  people:
    - id: alice
      name: Alice
      contacts: { phones: alice-oncall, mail: alice@example.org }
    - id: bob
      name: Bob
      contacts: { phones: bob-oncall }
  schedules:
    - id: techs
      rotations:
        - members: [alice, bob]
          handoff: weekly
          handoffTime: "09:00"
          start: 2026-01-05
      overrides:
        - person: bob
          from: 2026-01-07T18:00
          until: 2026-01-08T08:00
  policies:
    - id: standard
      levels:
        - notify: [{ schedule: techs }]
          waitMinutes: 10
        - notify: [{ person: bob }, { channel: ops-chat }]
      repeat: 2
  routes:
    - match: { lifeSafety: true }
      policy: standard
      channels: [ops-chat]
    - match: { priorities: [critical, high] }
      policy: standard
`;

describe('notifications config', () => {
  it('accepts a full section, fills defaults and substitutes secrets', () => {
    const config = parseConfig(site() + notifications, { env: { NTFY_TOKEN: 'tok-123', DING_SECRET: 'SECabc' } });
    const n = config.notifications;
    expect(n?.flood).toEqual({ startAbove: 10, endBelow: 5, windowMinutes: 10, groupIntervalSeconds: 60, groupBy: 'device' });
    expect(n?.channels[0]).toMatchObject({ type: 'ntfy', token: 'tok-123', timeoutMs: 10_000 });
    expect(n?.channels[1]).toMatchObject({ secret: 'SECabc', rateBudget: { perMinute: 20 } });
    expect(n?.channels[2]).toMatchObject({ port: 587, to: [] });
    expect(n?.policies[0]?.levels[1]?.waitMinutes).toBe(15);
    expect(n?.routes[1]).toMatchObject({ channels: [], continue: false, match: { priorities: ['critical', 'high'] } });
  });

  it('names a missing secret', () => {
    expect(issuesOf(site() + notifications, { DING_SECRET: 'x' })).toEqual(['site.yaml:10 notifications.channels[0].token: environment variable NTFY_TOKEN is not set']);
  });

  it('names every unknown reference by its path', () => {
    const text = (site() + notifications)
      .replace('contacts: { phones: bob-oncall }', 'contacts: { pager: bob-oncall }')
      .replace('members: [alice, bob]', 'members: [alice, carol]')
      .replace('- notify: [{ schedule: techs }]', '- notify: [{ schedule: nights }]')
      .replace('      policy: standard\n      channels: [ops-chat]', '      policy: urgent\n      channels: [sms]');
    expect(issuesOf(text, { NTFY_TOKEN: 't', DING_SECRET: 's' })).toEqual([
      'site.yaml:26 notifications.people[1].contacts.pager: unknown channel "pager" (known: phones, ops-chat, mail)',
      'site.yaml:30 notifications.schedules[0].rotations[0].members[1]: unknown person "carol" (known: alice, bob)',
      'site.yaml:41 notifications.policies[0].levels[0].notify[0].schedule: unknown schedule "nights" (known: techs)',
      'site.yaml:47 notifications.routes[0].policy: unknown policy "urgent" (known: standard)',
      'site.yaml:48 notifications.routes[0].channels[0]: unknown channel "sms" (known: phones, ops-chat, mail)',
    ]);
  });

  it('rejects a bad time zone, empty and overlapping rotations, overlapping overrides', () => {
    const text = (site('Mars/Olympus') + notifications)
      .replace(
        '        - members: [alice, bob]\n          handoff: weekly\n          handoffTime: "09:00"\n          start: 2026-01-05\n',
        '        - members: [alice, bob]\n          start: 2026-01-05\n          end: 2026-03-01\n        - members: []\n          start: 2026-02-01\n',
      )
      .replace('          until: 2026-01-08T08:00\n', '          until: 2026-01-08T08:00\n        - person: alice\n          from: 2026-01-08T07:00\n          until: 2026-01-08T09:00\n');
    expect(issuesOf(text, { NTFY_TOKEN: 't', DING_SECRET: 's' })).toEqual([
      'site.yaml:4 site.timezone: unknown time zone "Mars/Olympus" (use an IANA name such as Asia/Shanghai)',
      'site.yaml:33 notifications.schedules[0].rotations[1].members: rotation has no members',
      'site.yaml:33 notifications.schedules[0].rotations[1]: overlaps rotations[0], which runs until 2026-03-01',
      'site.yaml:39 notifications.schedules[0].overrides[1]: overlaps overrides[0]',
    ]);
  });

  it('checks targets, routes, dates and flood limits', () => {
    const text = (site() + notifications)
      .replace('- notify: [{ person: bob }, { channel: ops-chat }]', '- notify: [{ person: bob, channel: ops-chat }]')
      .replace('    - match: { priorities: [critical, high] }\n      policy: standard\n', '    - match: { priorities: [critical, high] }\n')
      .replace('start: 2026-01-05', 'start: 2026-02-30')
      .replace('until: 2026-01-08T08:00', 'until: 2026-01-07T08:00')
      .concat('  flood: { startAbove: 4, endBelow: 5 }\n');
    expect(issuesOf(text, { NTFY_TOKEN: 't', DING_SECRET: 's' })).toEqual([
      'site.yaml:33 notifications.schedules[0].rotations[0].start: "2026-02-30" is not a date',
      'site.yaml:37 notifications.schedules[0].overrides[0].until: must be after from (2026-01-07T18:00)',
      'site.yaml:43 notifications.policies[0].levels[1].notify[0]: give exactly one of schedule, person or channel',
      'site.yaml:49 notifications.routes[1]: a route needs a policy, channels, or both',
      'site.yaml:50 notifications.flood.endBelow: must not be above startAbove (4)',
    ]);
  });

  it('rejects an unknown channel type and a malformed hand-off time by path', () => {
    const text = (site() + notifications).replace('type: ntfy', 'type: pager').replace('handoffTime: "09:00"', 'handoffTime: "9am"');
    const issues = issuesOf(text, { NTFY_TOKEN: 't', DING_SECRET: 's' });
    expect(issues[0]).toBe('site.yaml:8 notifications.channels[0].type: unknown type "pager"');
    expect(issues[1]).toMatch(/^site\.yaml:32 notifications\.schedules\[0\]\.rotations\[0\]\.handoffTime: must match/);
  });
});
