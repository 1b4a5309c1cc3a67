import { afterEach, describe, expect, it } from 'vitest';
import type { FloodEvent } from '../../../src/alarms/notify/flood-detector.js';
import { routeAlarm } from '../../../src/alarms/notify/routing.js';
import type { TransitionRecord } from '../../../src/alarms/lifecycle/types.js';
import { VirtualClock } from '../../../src/time/clock.js';
import { alarm, harness, notificationsConfig, openDb, RecordingChannel, type Harness } from './alarm-notify-support.js';

const MIN = 60_000;
const T0 = Date.UTC(2026, 0, 1); // 00:00 UTC: the techs shift of 31 December (alice) is running

const section = {
  channels: [
    { id: 'phones', type: 'ntfy', url: 'http://127.0.0.1:1/' },
    { id: 'ops', type: 'webhook', url: 'http://127.0.0.1:1/ops' },
    { id: 'lifts', type: 'webhook', url: 'http://127.0.0.1:1/lifts' },
  ],
  people: [
    { id: 'alice', name: 'Alice', contacts: { phones: 'alice-topic' } },
    { id: 'bob', name: 'Bob', contacts: { phones: 'bob-topic' } },
    { id: 'carol', name: 'Carol', contacts: { phones: 'carol-topic' } },
  ],
  schedules: [{ id: 'techs', rotations: [{ members: ['alice', 'carol'], handoff: 'daily', handoffTime: '09:00', start: '2025-12-01' }] }],
  policies: [
    {
      id: 'standard',
      levels: [
        { notify: [{ schedule: 'techs' }], waitMinutes: 10 },
        { notify: [{ person: 'bob' }], waitMinutes: 5 },
      ],
      repeat: 1,
    },
  ],
  routes: [
    { name: 'fire', match: { lifeSafety: true }, policy: 'standard', channels: ['ops'] },
    { name: 'urgent', match: { priorities: ['critical', 'high'] }, policy: 'standard', channels: ['ops'], continue: true },
    { name: 'lifts', match: { deviceTypes: ['elevator'] }, channels: ['lifts'] },
  ],
};

const hot = alarm('pump-1:hot');
const fire = alarm('fp-1:fire', { deviceType: 'fire-panel', priority: 'critical', lifeSafety: true, message: 'Fire in zone 3' });

let current: Harness | undefined;
afterEach(async () => {
  await current?.notifier.stop();
  current = undefined;
});

function setup(over: { section?: object; alarms?: ReturnType<typeof alarm>[]; onFlood?: (e: FloodEvent) => void } = {}) {
  const clock = new VirtualClock(T0);
  const phones = new RecordingChannel('phones', clock);
  const ops = new RecordingChannel('ops', clock);
  const lifts = new RecordingChannel('lifts', clock);
  const h = harness({
    clock,
    db: openDb(),
    config: notificationsConfig(over.section ?? section),
    channels: [phones, ops, lifts],
    alarms: over.alarms ?? [hot, fire],
    extra: over.onFlood ? { onFlood: over.onFlood } : {},
  });
  current = h;
  const settle = async (ms = 0): Promise<void> => {
    await clock.advance(ms);
    await h.notifier.idle();
  };
  return { h, clock, phones, ops, lifts, settle };
}

describe('alarm routing', () => {
  const config = notificationsConfig(section);
  it('stops at the first match unless the route says continue', () => {
    expect(routeAlarm(config.routes, fire)).toEqual({ policies: ['standard'], channels: ['ops'], matched: [0] });
    expect(routeAlarm(config.routes, hot)).toEqual({ policies: ['standard'], channels: ['ops'], matched: [1] });
    expect(routeAlarm(config.routes, alarm('lift-1:trapped', { deviceType: 'elevator', priority: 'critical' }))).toEqual({
      policies: ['standard'],
      channels: ['ops', 'lifts'],
      matched: [1, 2],
    });
    expect(routeAlarm(config.routes, alarm('lift-1:door', { deviceType: 'elevator', priority: 'low' }))).toEqual({ policies: [], channels: ['lifts'], matched: [2] });
    expect(routeAlarm(config.routes, alarm('pump-1:info', { priority: 'low' })).matched).toEqual([]);
  });

  it('pushes along every matched route and counts an alarm no route takes', async () => {
    const lift = alarm('lift-1:trapped', { deviceType: 'elevator', priority: 'critical' });
    const quiet = alarm('pump-1:info', { priority: 'low' });
    const { h, phones, ops, lifts, settle } = setup({ alarms: [lift, quiet] });
    h.raise(lift.alarmId);
    h.raise(quiet.alarmId);
    await settle();
    expect(phones.sent.map((n) => n.recipient)).toEqual(['person:alice']);
    expect(ops.sent.map((n) => n.title)).toEqual(['lift-1: lift-1:trapped fault']);
    expect(lifts.sent).toHaveLength(1);
    expect(h.notifier.stats()).toMatchObject({ unrouted: 1, episodes: { opened: 1, open: 1 } });
  });
});

describe('alarm notifier escalation', () => {
  it('pushes the raise with rationale and acknowledge link, escalates level 1 → 2, repeats, then gives up', async () => {
    const { h, phones, ops, settle } = setup();
    h.raise(hot.alarmId);
    await settle();
    const key = `pump-1:hot@${T0}`;
    expect(phones.sent).toHaveLength(1);
    expect(phones.sent[0]).toMatchObject({
      key,
      kind: 'raise',
      to: 'alice-topic',
      recipient: 'person:alice',
      cause: 'Motor overheated',
      consequence: 'Pump trips; no water upstairs',
      action: 'Check the fan and the load',
      link: `https://gw.example.org/ack/${encodeURIComponent(key)}?to=alice`,
    });
    expect(ops.sent).toHaveLength(1);
    expect(ops.sent[0]).toMatchObject({ kind: 'raise', recipient: 'channel:ops', cause: 'Motor overheated' });
    expect(ops.sent[0]?.link).toBeUndefined();

    await settle(10 * MIN - 1);
    expect(phones.sent).toHaveLength(1);
    await settle(1);
    expect(phones.to('person:bob')).toHaveLength(1);
    expect(phones.to('person:bob')[0]).toMatchObject({ kind: 'escalation', to: 'bob-topic', at: T0 + 10 * MIN, cause: 'Motor overheated' });
    expect(phones.to('person:bob')[0]?.body).toContain('Not acknowledged after 10 min: escalation level 2 of 2 (policy standard)');
    expect(h.notifier.episodes()[0]?.escalations).toEqual([{ policyId: 'standard', level: 2, levels: 2, repeatsDone: 0, status: 'running', nextEscalationAt: T0 + 15 * MIN }]);

    await settle(5 * MIN); // round 2, level 1: the on-call person again
    expect(phones.to('person:alice').map((n) => [n.kind, n.at])).toEqual([['raise', T0], ['escalation', T0 + 15 * MIN]]);
    expect(phones.to('person:alice')[1]?.body).toContain('round 2 of 2');
    await settle(10 * MIN);
    expect(phones.to('person:bob').map((n) => n.at)).toEqual([T0 + 10 * MIN, T0 + 25 * MIN]);
    await settle(60 * MIN);
    expect(phones.sent).toHaveLength(4);
    expect(ops.sent).toHaveLength(1);
    expect(h.notifier.stats()).toMatchObject({ escalations: 3, exhausted: 1, deliveries: { sent: 5, pending: 0, failed: 0 } });
    expect(h.notifier.episodes()[0]?.escalations[0]).toMatchObject({ status: 'exhausted', repeatsDone: 1 });
  });

  it('stops escalating on acknowledgement', async () => {
    const { h, phones, settle } = setup();
    h.raise(hot.alarmId);
    await settle(10 * MIN);
    expect(phones.to('person:bob')).toHaveLength(1);
    h.lifecycle.acknowledge(hot.alarmId, 'bob');
    await settle(3 * 60 * MIN);
    expect(phones.sent).toHaveLength(2);
    const [episode] = h.notifier.episodes();
    expect(episode).toMatchObject({ status: 'acknowledged', acknowledgedAt: T0 + 10 * MIN });
    expect(episode?.escalations[0]).toMatchObject({ status: 'acknowledged', level: 2 });
    expect(episode?.escalations[0]?.nextEscalationAt).toBeUndefined();
    expect(episode?.recipients.map((r) => `${r.id}/${r.channel}/${r.status}`).sort()).toEqual(['alice/phones/sent', 'bob/phones/sent', 'ops/ops/sent']);
  });

  it('sends the resolve message once to everyone who was notified, and nothing after', async () => {
    const { h, phones, ops, settle } = setup();
    h.raise(hot.alarmId);
    await settle(10 * MIN);
    await settle(7 * MIN);
    h.clear(hot.alarmId);
    await settle();
    const resolves = [...phones.sent, ...ops.sent].filter((n) => n.kind === 'resolve');
    expect(resolves.map((n) => n.recipient).sort()).toEqual(['channel:ops', 'person:alice', 'person:bob']);
    expect(resolves.every((n) => n.body.includes('Returned to normal after 17 min.'))).toBe(true);
    expect(resolves.find((n) => n.recipient === 'person:alice')?.to).toBe('alice-topic');
    h.lifecycle.acknowledge(hot.alarmId, 'alice');
    await settle(2 * 60 * MIN);
    expect(phones.sent.filter((n) => n.kind === 'resolve')).toHaveLength(2);
    expect(h.notifier.episodes()).toEqual([]);
    expect(h.notifier.stats().episodes).toEqual({ opened: 1, open: 0, acknowledged: 0, resolved: 1 });
  });

  it('does not push a second annunciation within an episode, but restarts escalation when it re-alarms after an ack', async () => {
    const { h, phones, settle } = setup();
    h.raise(hot.alarmId);
    await settle();
    const again: TransitionRecord = {
      alarmId: hot.alarmId,
      from: 'unack-active',
      to: 'unack-active',
      action: 'raise',
      ts: T0 + 1000,
      annunciate: true,
      flags: { awaitingReset: false, shelved: false, suppressed: false, outOfService: false },
      priority: 'high',
      lifeSafety: false,
    };
    h.notifier.handle(again);
    await settle(MIN);
    expect(phones.sent).toHaveLength(1);
    expect(h.notifier.stats().deduplicated).toBe(1);

    h.lifecycle.acknowledge(hot.alarmId, 'alice');
    h.notifier.handle({ ...again, action: 're-alarm', from: 'ack-active', ts: T0 + 30 * MIN });
    await settle();
    expect(phones.to('person:alice').map((n) => n.kind)).toEqual(['raise', 'escalation']);
    expect(phones.to('person:alice')[1]?.body).toContain('annunciated again');
    expect(h.notifier.episodes()[0]).toMatchObject({ status: 'active', cycle: 1, key: `pump-1:hot@${T0}` });
    await settle(10 * MIN);
    expect(phones.to('person:bob')).toHaveLength(1);
  });

  it('silences escalation while the alarm is shelved and resumes when it is revealed', async () => {
    const { h, phones, settle } = setup();
    h.raise(hot.alarmId);
    await settle(MIN);
    h.lifecycle.shelve(hot.alarmId, 'alice', 30 * MIN, 'pump swap in progress');
    await settle(29 * MIN);
    expect(phones.sent).toHaveLength(1);
    expect(h.notifier.episodes()[0]?.status).toBe('silenced');
    await settle(MIN); // the shelve expires: the alarm annunciates again
    expect(phones.to('person:alice').map((n) => n.kind)).toEqual(['raise', 'escalation']);
  });
});

describe('alarm notifier and overlays', () => {
  it('keeps an acknowledgement given while shelved: unshelving then pushes nothing, the resolve still goes out', async () => {
    const { h, phones, settle } = setup();
    h.raise(hot.alarmId);
    await settle(MIN);
    h.lifecycle.shelve(hot.alarmId, 'alice', 30 * MIN);
    h.lifecycle.acknowledge(hot.alarmId, 'alice');
    expect(h.notifier.episodes()[0]).toMatchObject({ status: 'acknowledged', acknowledgedAt: T0 + MIN });
    h.lifecycle.unshelve(hot.alarmId, 'alice');
    await settle(60 * MIN);
    expect(phones.sent.map((n) => n.kind)).toEqual(['raise']);
    h.clear(hot.alarmId);
    await settle();
    expect(phones.sent.map((n) => n.kind)).toEqual(['raise', 'resolve']);
    expect(h.notifier.stats().episodes).toMatchObject({ acknowledged: 1, resolved: 1, open: 0 });
  });
});

describe('alarm floods', () => {
  const floodSection = { ...section, routes: [{ match: {}, channels: ['ops'] }] };
  const pumps = ['p1', 'p2'].flatMap((d) => ['a', 'b', 'c', 'd', 'e', 'f'].map((k) => alarm(`${d}:${k}`, { deviceName: `Pump ${d}`, priority: 'medium' })));

  it('detects the flood, groups related pushes per device and interval, sends a fire signal alone at once, and ends', async () => {
    const events: FloodEvent[] = [];
    const { h, ops, settle } = setup({ section: floodSection, alarms: [...pumps, fire], onFlood: (e) => events.push(e) });
    for (const a of pumps) {
      h.raise(a.alarmId);
      await settle(1000);
    }
    // 10 went out one by one; the 11th started the flood and waits with the 12th for its group.
    expect(events).toEqual([{ site: 'hq', flooding: true, at: T0 + 10_000, count: 11 }]);
    expect(ops.sent).toHaveLength(10);
    expect(h.notifier.floodState()).toEqual([{ site: 'hq', flooding: true, count: 12, since: T0 + 10_000 }]);

    h.raise(fire.alarmId);
    await settle();
    expect(ops.sent).toHaveLength(11);
    expect(ops.sent[10]).toMatchObject({ title: 'fp-1: Fire in zone 3', lifeSafety: true, kind: 'raise', at: T0 + 12_000 });

    for (const a of pumps.slice(0, 3)) h.clear(a.alarmId); // resolves of p1 during the flood: one push
    await settle(60_000);
    const groups = ops.sent.slice(11);
    expect(groups.map((n) => n.title).sort()).toEqual(['2 alarms: hq/Pump p2', '3 alarms: hq/Pump p1']);
    const p2 = groups.find((n) => n.title === '2 alarms: hq/Pump p2');
    expect(p2?.body).toContain('p2: p2:e fault');
    expect(p2?.body).toContain('Cause: Motor overheated');
    expect(groups.find((n) => n.title.includes('p1'))?.kind).toBe('resolve');
    expect(h.notifier.stats().deliveries).toMatchObject({ groupPushes: 2, grouped: 5, pending: 0 });

    await settle(10 * MIN);
    expect(events.map((e) => e.flooding)).toEqual([true, false]);
    expect(h.notifier.stats().floods).toEqual({ started: 1, ended: 1, flooding: [] });
    h.clear('p1:d');
    await settle();
    expect(ops.sent.at(-1)).toMatchObject({ kind: 'resolve', title: 'Pump p1: p1:d fault' });
  });
});
