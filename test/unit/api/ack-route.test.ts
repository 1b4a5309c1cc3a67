import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AckLinkStore } from '../../../src/alarms/ack-link-store.js';
import { AckLinks } from '../../../src/alarms/ack-links.js';
import { AlarmService } from '../../../src/alarms/alarm-service.js';
import { episodeKey } from '../../../src/alarms/episode.js';
import type { AlarmEvent } from '../../../src/alarms/events.js';
import { buildApp } from '../../../src/api/app.js';
import type { GatewayView } from '../../../src/api/gateway-view.js';
import { GATEWAY_MIGRATIONS } from '../../../src/gateway/store-migrations.js';
import { silentLogger } from '../../../src/log.js';
import { VirtualClock } from '../../../src/time/clock.js';

const T0 = Date.parse('2026-11-28T02:00:00Z');
const ALARM = 'pump-1:discharge_pressure_low';
const view: GatewayView = { health: () => ({}) as never, devices: () => [], devicePoints: () => undefined, activeAlarms: () => [] };

function event(type: 'raise' | 'clear', ts: number): AlarmEvent {
  return { type, alarmId: ALARM, site: 'tower', device: 'pump-1', rule: 'discharge_pressure_low', kind: 'threshold-low', priority: 'high', message: 'Discharge pressure low <script>', conditionSince: ts, ts };
}

describe('acknowledge links (GET shows, POST acknowledges once)', () => {
  let clock: VirtualClock;
  let service: AlarmService;
  let links: AckLinks;
  let app: FastifyInstance;

  beforeEach(async () => {
    clock = new VirtualClock(T0);
    service = new AlarmService({
      clock,
      logger: silentLogger(),
      settings: { maxShelveMinutes: 60, maxOutOfServiceHours: 24, chatter: { cycles: 3, windowSeconds: 60 } },
      storePath: ':memory:',
      migrations: GATEWAY_MIGRATIONS,
      site: 'tower',
    });
    service.start();
    links = new AckLinks({ secret: 'x'.repeat(40), baseUrl: 'https://gw.example.com/', expiryMs: 3_600_000, clock, store: new AckLinkStore(service.store.database) });
    app = await buildApp({
      gateway: view,
      logger: silentLogger(),
      version: 'test',
      alarms: service,
      ackLinks: { links, alarms: service, episodeKeyOf: episodeKey, timeZone: 'Asia/Shanghai', rationaleOf: () => ({ cause: 'Pump lost prime', consequence: 'No water above floor 12', action: 'Vent the pump casing' }) },
    });
    service.onAlarmEvent(event('raise', T0));
  });
  afterEach(async () => {
    await app.close();
    service.stop();
  });

  const linkForCurrent = (): string => {
    const snapshot = service.get(ALARM);
    const key = snapshot && episodeKey(snapshot);
    if (key === undefined) throw new Error('no episode');
    return new URL(links.linkFor(ALARM, key, { id: 'li.wei', name: 'Li Wei' })).pathname;
  };
  const postForm = (url: string, body = '') => app.inject({ method: 'POST', url, payload: body, headers: { 'content-type': 'application/x-www-form-urlencoded' } });

  it('shows the alarm on GET without changing anything, escaped, with a POST button', async () => {
    const url = linkForCurrent();
    const page = await app.inject(url);
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.headers['cache-control']).toMatch(/no-store/);
    expect(page.body).toContain('Discharge pressure low &lt;script&gt;');
    expect(page.body).toContain('Vent the pump casing');
    expect(page.body).toMatch(/<form[^>]*method="post"/i);
    // A chat app's preview fetch twice over: still unacknowledged.
    await app.inject(url);
    expect(service.get(ALARM)?.state).toBe('unack-active');
  });

  it('acknowledges on POST as the link’s recipient, with the comment, and refuses a replay', async () => {
    const url = linkForCurrent();
    clock.advanceSync(90_000);
    const ok = await postForm(url, 'comment=on+my+way');
    expect(ok.statusCode).toBe(200);
    expect(ok.body).toMatch(/Li Wei/);
    expect(service.get(ALARM)).toMatchObject({ state: 'ack-active', acknowledgedBy: 'Li Wei', acknowledgedAt: T0 + 90_000 });
    expect(service.history({ alarmId: ALARM, newestFirst: true })[0]).toMatchObject({ action: 'ack', by: 'Li Wei', comment: 'on my way' });
    const replay = await postForm(url);
    expect(replay.statusCode).toBe(410);
    expect(replay.body).toMatch(/already used/);
    // Another recipient's link of the same episode finds nothing left to acknowledge, and is not spent.
    const other = new URL(links.linkFor(ALARM, episodeKey(service.get(ALARM) ?? { alarmId: ALARM, state: 'normal' }) ?? '', { id: 'zhang.min', name: 'Zhang Min' })).pathname;
    const late = await postForm(other);
    expect(late.statusCode).toBe(409);
    expect(late.body).toMatch(/Already acknowledged by Li Wei/);
  });

  it('refuses a tampered link (400), an expired one and one from an earlier episode (410); nothing is acknowledged', async () => {
    const url = linkForCurrent();
    const tampered = url.replace(/.(?=\.)/, (c) => (c === 'A' ? 'B' : 'A'));
    expect((await postForm(tampered)).statusCode).toBe(400);
    expect((await postForm('/ack/not-a-token')).statusCode).toBe(400);

    clock.advanceSync(3_600_001);
    const expired = await postForm(url);
    expect(expired.statusCode).toBe(410);
    expect(expired.body).toMatch(/expired/i);

    // The alarm clears and is acknowledged elsewhere, then comes back: a new episode.
    const fresh = linkForCurrent();
    service.onAlarmEvent(event('clear', clock.now()));
    service.acknowledge(ALARM, 'room', 'seen');
    clock.advanceSync(1000);
    service.onAlarmEvent(event('raise', clock.now()));
    const stale = await postForm(fresh);
    expect(stale.statusCode).toBe(410);
    expect(service.get(ALARM)?.state).toBe('unack-active');
  });
});
