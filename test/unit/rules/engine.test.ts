import { describe, expect, it } from 'vitest';
import type { AlarmEvent } from '../../../src/alarms/events.js';
import type { DeviceEvent } from '../../../src/points/device-event.js';
import type { DeviceConfig, SiteConfig, ThresholdConfig } from '../../../src/config/schema.js';
import { silentLogger } from '../../../src/log.js';
import type { PointValue, Quality } from '../../../src/points/sample.js';
import { findProfile } from '../../../src/profiles/index.js';
import { compileRules } from '../../../src/rules/compile.js';
import { RuleEngine } from '../../../src/rules/engine.js';
import { TimerQueue, type Timed } from '../../../src/rules/timer-queue.js';
import { VirtualClock } from '../../../src/time/clock.js';

const SECOND_MS = 1000;
const POLL_MS = SECOND_MS;
const COMM_LOSS_DELAY_MS = 10 * SECOND_MS;
/** The pump profile's motor_temperature_high: > 110 degC for 10 s, deadband 5. */
const MOTOR_TEMP_ON_DELAY_MS = 10 * SECOND_MS;

const flowLow: ThresholdConfig = { id: 'flow_low', point: 'flow', low: 20, deadband: 5, priority: 'medium', message: 'Flow low' };

function pumpDevice(id: string, overrides: Partial<DeviceConfig> = {}): DeviceConfig {
  return {
    id, type: 'pump', profile: 'pump-vfd-v1', link: 'plant', unitId: 1, pollIntervalMs: POLL_MS, staleAfterPolls: 3,
    commLossDelayMs: COMM_LOSS_DELAY_MS, enabled: true, thresholds: [flowLow], disableThresholds: [], topicVars: {}, eventRules: [], ...overrides,
  };
}

function setup(devices: DeviceConfig[] = [pumpDevice('pump-1')], onAlarm?: (e: AlarmEvent) => void) {
  const config: SiteConfig = { site: { id: 'hq', name: 'HQ', timezone: 'UTC' }, http: { host: '127.0.0.1', port: 8080 }, embeddedBroker: { host: '127.0.0.1', port: 0 }, links: [], devices, sinks: [] };
  const clock = new VirtualClock();
  const events: AlarmEvent[] = [];
  const engine = new RuleEngine({
    site: 'hq',
    rules: compileRules(config, findProfile),
    clock,
    logger: silentLogger(),
    onAlarm: onAlarm ?? ((e) => events.push(e)),
  });
  const sample = (point: string, value: PointValue | null, quality: Quality = 'good'): void =>
    engine.onSample({ point, value, ts: clock.now(), quality });
  const status = (device: string, online: boolean): void =>
    engine.onDeviceStatus({ device, online, ts: clock.now(), ...(online ? {} : { error: 'timeout after 1000 ms' }) });
  /** One poll of pump-1 with healthy values, or hot ones. */
  const poll = (device: string, values: { motorTemp?: number; flow?: number; fault?: boolean; vibration?: number }, quality: Quality = 'good'): void => {
    sample(`${device}.motor_temperature`, values.motorTemp ?? 60, quality);
    sample(`${device}.flow`, values.flow ?? 120, quality);
    sample(`${device}.fault`, values.fault ?? false, quality);
    sample(`${device}.vibration`, values.vibration ?? 1.2, quality);
    sample(`${device}.running`, true, quality); // no rules on this point
  };
  /** A device event stamped now. */
  const deviceEvent = (device: string, event: string): void => engine.onEvent({ device, event, ts: clock.now(), attributes: {} });
  const summary = (): string[] => events.map((e) => `${e.type} ${e.alarmId}`);
  return { clock, engine, events, sample, status, poll, deviceEvent, summary };
}

describe('RuleEngine: evaluation on change only', () => {
  it('returns at once for unchanged samples and for points without rules', () => {
    const { engine, sample } = setup();
    sample('pump-1.motor_temperature', 60);
    sample('pump-1.motor_temperature', 60);
    sample('pump-1.motor_temperature', 60);
    sample('pump-1.running', true);
    sample('pump-9.flow', 1);
    expect(engine.stats()).toMatchObject({ samples: 5, evaluated: 1, unchanged: 2, unknownPoints: 2 });
    sample('pump-1.motor_temperature', 60, 'stale'); // quality changed: evaluated
    sample('pump-1.motor_temperature', 61);
    expect(engine.stats()).toMatchObject({ evaluated: 3, unchanged: 2 });
  });

  it('an unchanged sample does not restart an on-delay', () => {
    const { clock, poll, summary } = setup();
    for (let t = 0; t < MOTOR_TEMP_ON_DELAY_MS / POLL_MS; t++) {
      poll('pump-1', { motorTemp: 120 });
      clock.advanceSync(POLL_MS);
    }
    expect(summary()).toEqual(['raise pump-1:motor_temperature_high']);
  });

  it('runs all delays through one Clock timer', () => {
    const { clock, poll, engine } = setup([pumpDevice('pump-1'), pumpDevice('pump-2')]);
    poll('pump-1', { motorTemp: 120, vibration: 9, fault: true });
    poll('pump-2', { motorTemp: 120, vibration: 9 });
    expect(engine.stats().pendingTimers).toBe(5);
    expect(clock.pending()).toBe(1);
    poll('pump-1', {});
    poll('pump-2', {});
    expect(engine.stats().pendingTimers).toBe(0);
    expect(clock.pending()).toBe(0);
  });
});

describe('RuleEngine: a dead device', () => {
  it('raises exactly one comm-loss alarm and no threshold alarm, then clears it when back', () => {
    const { clock, poll, status, summary, events } = setup([pumpDevice('pump-1'), pumpDevice('pump-2')]);
    poll('pump-1', {});
    poll('pump-2', {});
    clock.advanceSync(POLL_MS);
    // pump-1 heats up (the on-delay starts) and then stops answering.
    poll('pump-1', { motorTemp: 125 });
    clock.advanceSync(POLL_MS);
    for (let t = 0; t < 60; t++) {
      status('pump-1', false);
      // The driver marks the values it can no longer read; some read as zero or nonsense.
      poll('pump-1', { motorTemp: 0, flow: 0, fault: true, vibration: 50 }, t % 2 === 0 ? 'stale' : 'bad');
      poll('pump-2', {});
      clock.advanceSync(POLL_MS);
    }
    expect(summary()).toEqual(['raise pump-1:comm_loss']);
    expect(events[0]).toMatchObject({ kind: 'comm-loss', priority: 'high', device: 'pump-1' });

    status('pump-1', true);
    poll('pump-1', {});
    clock.advanceSync(MOTOR_TEMP_ON_DELAY_MS * 2);
    expect(summary()).toEqual(['raise pump-1:comm_loss', 'clear pump-1:comm_loss']);
  });

  it('raises nothing when the device answers again before the comm-loss delay', () => {
    const { clock, poll, status, summary } = setup();
    poll('pump-1', {});
    status('pump-1', false);
    clock.advanceSync(COMM_LOSS_DELAY_MS - SECOND_MS);
    status('pump-1', true);
    clock.advanceSync(COMM_LOSS_DELAY_MS * 3);
    expect(summary()).toEqual([]);
  });

  it('keeps an active threshold alarm through the outage; values judged again afterwards clear it', () => {
    const { clock, poll, status, summary } = setup();
    poll('pump-1', { flow: 10 });
    expect(summary()).toEqual(['raise pump-1:flow_low']);
    status('pump-1', false);
    poll('pump-1', { flow: 120 }, 'stale');
    clock.advanceSync(COMM_LOSS_DELAY_MS);
    expect(summary()).toEqual(['raise pump-1:flow_low', 'raise pump-1:comm_loss']);
    status('pump-1', true);
    poll('pump-1', { flow: 120 });
    expect(summary()).toEqual(['raise pump-1:flow_low', 'raise pump-1:comm_loss', 'clear pump-1:comm_loss', 'clear pump-1:flow_low']);
  });

  it('cancels pending delays when the device goes offline, and judges the first value after the outage even if it repeats', () => {
    const { clock, sample, status, summary } = setup();
    sample('pump-1.motor_temperature', 120);
    clock.advanceSync(MOTOR_TEMP_ON_DELAY_MS / 2);
    status('pump-1', false); // no stale samples from this driver, only the status
    clock.advanceSync(COMM_LOSS_DELAY_MS - SECOND_MS); // well past the on-delay, short of comm loss
    expect(summary()).toEqual([]);
    status('pump-1', true);
    sample('pump-1.motor_temperature', 120); // same value and quality as before the outage
    clock.advanceSync(MOTOR_TEMP_ON_DELAY_MS);
    expect(summary()).toEqual(['raise pump-1:motor_temperature_high']);
  });
});

describe('RuleEngine: listener isolation and snapshots', () => {
  it('a listener that throws does not stop the rules', () => {
    const seen: string[] = [];
    const { engine, sample } = setup(undefined, (e) => {
      seen.push(e.alarmId);
      throw new Error('listener broke');
    });
    sample('pump-1.flow', 10);
    sample('pump-1.flow', 100);
    expect(seen).toEqual(['pump-1:flow_low', 'pump-1:flow_low']);
    expect(engine.stats()).toMatchObject({ events: 2, listenerErrors: 2 });
  });

  it('a listener that rejects is caught, not left as an unhandled rejection', async () => {
    // An async listener is exactly the misuse this test guards against.
    // eslint-disable-next-line @typescript-eslint/no-misused-promises
    const { engine, sample, clock } = setup(undefined, () => Promise.reject(new Error('async listener broke')));
    sample('pump-1.flow', 10);
    await clock.advance(0); // lets the rejection settle
    expect(engine.stats().listenerErrors).toBe(1);
  });

  it('lists the active alarms', () => {
    const devices = [pumpDevice('pump-1', { thresholds: [{ ...flowLow, offDelayMs: 5 * SECOND_MS }] })];
    const { clock, engine, sample, status } = setup(devices);
    sample('pump-1.flow', 10);
    clock.advanceSync(SECOND_MS);
    sample('pump-1.flow', 30); // back to normal; the off-delay runs
    status('pump-1', false);
    clock.advanceSync(COMM_LOSS_DELAY_MS);
    const start = Date.UTC(2026, 0, 1);
    expect(engine.activeAlarms()).toEqual([
      { alarmId: 'pump-1:comm_loss', device: 'pump-1', rule: 'comm_loss', kind: 'comm-loss', priority: 'high', message: 'Communication lost with pump-1', raisedAt: start + SECOND_MS + COMM_LOSS_DELAY_MS, clearPending: false },
      { alarmId: 'pump-1:flow_low', device: 'pump-1', point: 'pump-1.flow', rule: 'flow_low', kind: 'threshold-low', priority: 'medium', message: 'Flow low', raisedAt: start, value: 30, quality: 'good', clearPending: false },
    ]);
  });

  it('stop cancels every pending delay', () => {
    const { clock, engine, poll, status, summary } = setup();
    poll('pump-1', { motorTemp: 120, fault: true });
    status('pump-1', false);
    engine.stop();
    expect(clock.pending()).toBe(0);
    clock.advanceSync(COMM_LOSS_DELAY_MS * 10);
    expect(summary()).toEqual([]);
  });
});

const MINUTE_MS = 60 * SECOND_MS;
/** The door profile: held open pre-alarm after 5 s, alarm after 10 s; 5 denials in 2 minutes; forced door kept 5 minutes. */
const HELD_OPEN_PREALARM_MS = 5 * SECOND_MS;
const HELD_OPEN_ALARM_MS = 10 * SECOND_MS;
const DENIAL_WINDOW_MS = 2 * MINUTE_MS;
const FORCED_WINDOW_MS = 5 * MINUTE_MS;

function controllerDevice(id: string): DeviceConfig {
  return pumpDevice(id, { type: 'access-controller', profile: 'access-controller-mqtt-v1', link: 'acs', unitId: undefined, thresholds: [], topicVars: { controller: id } });
}

function doorDevice(id: string, parent: string): DeviceConfig {
  return { ...pumpDevice(id, { type: 'door', profile: 'door-mqtt-v1', link: 'acs', unitId: undefined, thresholds: [], topicVars: { controller: parent, door: id } }), parent };
}

const accessSite = (): DeviceConfig[] => [controllerDevice('ctl-1'), doorDevice('door-1', 'ctl-1'), doorDevice('door-2', 'ctl-1')];

describe('RuleEngine: doors (access control)', () => {
  it('held open: pre-alarm at 5 s, alarm at 10 s, both cleared when the door closes', () => {
    const { clock, sample, summary, events } = setup(accessSite());
    sample('door-1.open', false);
    const openedAt = clock.now();
    sample('door-1.open', true);
    clock.advanceSync(HELD_OPEN_PREALARM_MS - 1);
    expect(summary()).toEqual([]);
    clock.advanceSync(1);
    expect(summary()).toEqual(['raise door-1:held_open_prealarm']);
    expect(events[0]).toMatchObject({ priority: 'low', kind: 'threshold-high', conditionSince: openedAt, ts: openedAt + HELD_OPEN_PREALARM_MS });
    clock.advanceSync(HELD_OPEN_ALARM_MS - HELD_OPEN_PREALARM_MS);
    expect(summary()).toEqual(['raise door-1:held_open_prealarm', 'raise door-1:held_open']);
    expect(events[1]).toMatchObject({ priority: 'high', ts: openedAt + HELD_OPEN_ALARM_MS });
    clock.advanceSync(30 * SECOND_MS);
    sample('door-1.open', false);
    expect(summary()).toEqual(['raise door-1:held_open_prealarm', 'raise door-1:held_open', 'clear door-1:held_open_prealarm', 'clear door-1:held_open']);
  });

  it('held open: nothing when the door closes at 4 s', () => {
    const { clock, sample, summary, engine } = setup(accessSite());
    sample('door-1.open', true);
    clock.advanceSync(4 * SECOND_MS);
    sample('door-1.open', false);
    clock.advanceSync(MINUTE_MS);
    expect(summary()).toEqual([]);
    expect(engine.stats().pendingTimers).toBe(0);
  });

  it('forced open: a high-priority alarm at once, cleared when no forced event came for 5 minutes', () => {
    const { clock, deviceEvent, summary, events } = setup(accessSite());
    deviceEvent('door-2', 'door_forced');
    expect(summary()).toEqual(['raise door-2:forced_open']);
    expect(events[0]).toMatchObject({ kind: 'event-count', priority: 'high', message: 'Door forced open', value: 1, limit: 1 });
    clock.advanceSync(MINUTE_MS);
    deviceEvent('door-2', 'door_forced'); // again while active: still one alarm
    clock.advanceSync(FORCED_WINDOW_MS - 1);
    expect(summary()).toEqual(['raise door-2:forced_open']);
    clock.advanceSync(1);
    expect(summary()).toEqual(['raise door-2:forced_open', 'clear door-2:forced_open']);
  });

  it('repeated denials: 5 within 2 minutes raise, 4 do not', () => {
    const BADGE_INTERVAL_MS = 25 * SECOND_MS; // five span 100 s
    const four = setup(accessSite());
    for (let i = 0; i < 4; i++) {
      four.deviceEvent('door-1', 'access_denied');
      four.clock.advanceSync(BADGE_INTERVAL_MS);
    }
    four.clock.advanceSync(DENIAL_WINDOW_MS);
    expect(four.summary()).toEqual([]);

    const five = setup(accessSite());
    for (let i = 0; i < 5; i++) {
      if (i > 0) five.clock.advanceSync(BADGE_INTERVAL_MS);
      five.deviceEvent('door-1', 'access_denied');
    }
    expect(five.summary()).toEqual(['raise door-1:repeated_denials']);
    expect(five.events[0]).toMatchObject({ value: 5, limit: 5, priority: 'medium' });
    five.clock.advanceSync(DENIAL_WINDOW_MS);
    expect(five.summary()).toEqual(['raise door-1:repeated_denials', 'clear door-1:repeated_denials']);
  });

  it("routes events to their own device's rules only, and counts events no rule wants", () => {
    const { clock, deviceEvent, summary, engine } = setup(accessSite());
    // Five denials, but three at one door and two at the other.
    for (const door of ['door-1', 'door-2', 'door-1', 'door-2', 'door-1']) deviceEvent(door, 'access_denied');
    expect(summary()).toEqual([]);
    const batch: DeviceEvent[] = [
      { device: 'door-2', event: 'access_denied', ts: clock.now(), attributes: { badge: 'B-17' } },
      { device: 'door-1', event: 'access_granted', ts: clock.now(), attributes: { badge: 'B-18' } }, // no rule counts grants
      { device: 'door-7', event: 'door_forced', ts: clock.now(), attributes: {} }, // no such device
      { device: 'ctl-1', event: 'door_forced', ts: clock.now(), attributes: {} }, // the controller has no event rules
    ];
    engine.onEvents(batch);
    expect(summary()).toEqual([]);
    deviceEvent('door-2', 'access_denied');
    deviceEvent('door-1', 'access_denied');
    deviceEvent('door-1', 'access_denied');
    expect(summary()).toEqual(['raise door-1:repeated_denials']);
    expect(engine.stats()).toMatchObject({ deviceEvents: 12, eventsWithoutRule: 3 });
  });

  it('a controller that goes offline raises one comm-loss alarm, none per door, and interrupts held-open delays', () => {
    const { clock, sample, status, summary, engine } = setup(accessSite());
    sample('door-1.open', true); // held-open delays start
    clock.advanceSync(2 * SECOND_MS);
    status('ctl-1', false);
    status('door-2', false); // a driver may report the doors too: no alarm of their own
    clock.advanceSync(COMM_LOSS_DELAY_MS);
    expect(summary()).toEqual(['raise ctl-1:comm_loss']);
    expect(engine.activeAlarms().map((a) => a.alarmId)).toEqual(['ctl-1:comm_loss']);

    status('ctl-1', true);
    sample('door-1.open', true); // the same value as before the outage is judged again
    clock.advanceSync(HELD_OPEN_ALARM_MS);
    expect(summary()).toEqual(['raise ctl-1:comm_loss', 'clear ctl-1:comm_loss', 'raise door-1:held_open_prealarm', 'raise door-1:held_open']);
  });

  it('lists active event-rule alarms', () => {
    const { clock, deviceEvent, engine } = setup(accessSite());
    deviceEvent('door-1', 'door_forced');
    expect(engine.activeAlarms()).toEqual([
      { alarmId: 'door-1:forced_open', device: 'door-1', rule: 'forced_open', kind: 'event-count', priority: 'high', message: 'Door forced open', raisedAt: clock.now(), value: 1, clearPending: false },
    ]);
  });
});

describe('TimerQueue', () => {
  function timed(name: string, fired: string[]): Timed {
    return { dueAt: 0, seq: 0, heapIndex: -1, fire: () => fired.push(name) };
  }

  it('fires in deadline order, ties in schedule order, through one Clock timer', () => {
    const clock = new VirtualClock();
    const fired: string[] = [];
    const queue = new TimerQueue({ clock, onFireError: () => undefined });
    const t0 = clock.now();
    const names = ['c', 'a', 'd', 'b', 'e'];
    const dues = [300, 100, 300, 200, 50];
    names.forEach((n, i) => queue.schedule(timed(n, fired), t0 + (dues[i] ?? 0)));
    expect(clock.pending()).toBe(1);
    clock.advanceSync(1000);
    expect(fired).toEqual(['e', 'a', 'b', 'c', 'd']);
    expect(clock.pending()).toBe(0);
  });

  it('cancels and reschedules, re-arming the Clock for the earliest deadline', () => {
    const clock = new VirtualClock();
    const fired: string[] = [];
    const queue = new TimerQueue({ clock, onFireError: () => undefined });
    const a = timed('a', fired);
    const b = timed('b', fired);
    queue.schedule(a, clock.now() + 100);
    queue.schedule(b, clock.now() + 200);
    queue.cancel(a);
    queue.cancel(a); // twice is harmless
    clock.advanceSync(150);
    expect(fired).toEqual([]);
    queue.schedule(b, clock.now() + 500); // moves b later
    clock.advanceSync(499);
    expect(fired).toEqual([]);
    clock.advanceSync(1);
    expect(fired).toEqual(['b']);
    expect(a.heapIndex).toBe(-1);
  });

  it('keeps firing the other due timers when one throws', () => {
    const clock = new VirtualClock();
    const fired: string[] = [];
    const errors: unknown[] = [];
    const queue = new TimerQueue({ clock, onFireError: (err) => errors.push(err) });
    const broken: Timed = { dueAt: 0, seq: 0, heapIndex: -1, fire: () => { throw new Error('bug'); } };
    queue.schedule(broken, clock.now() + 10);
    queue.schedule(timed('ok', fired), clock.now() + 10);
    clock.advanceSync(10);
    expect(fired).toEqual(['ok']);
    expect(errors).toHaveLength(1);
  });

  it('stays a valid heap through random schedules and cancels', () => {
    const clock = new VirtualClock();
    const fired: number[] = [];
    const queue = new TimerQueue({ clock, onFireError: (err) => { throw err; } });
    let seed = 42;
    const random = (): number => (seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648;
    const items = Array.from({ length: 200 }, (): Timed => ({ dueAt: 0, seq: 0, heapIndex: -1, fire: (now) => fired.push(now) }));
    for (let round = 0; round < 2000; round++) {
      const item = items[Math.floor(random() * items.length)];
      if (item === undefined) continue;
      if (random() < 0.3) queue.cancel(item);
      else queue.schedule(item, clock.now() + 1 + Math.floor(random() * 10_000));
    }
    const pending = items.filter((i) => i.heapIndex >= 0).map((i) => i.dueAt).sort((x, y) => x - y);
    expect(queue.size()).toBe(pending.length);
    clock.advanceSync(20_000);
    expect(fired).toEqual(pending);
  });
});
