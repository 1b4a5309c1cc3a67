import { describe, expect, it } from 'vitest';
import type { AlarmEvent } from '../../../src/alarms/events.js';
import { EventCountRule, TimestampRing, type CompiledEventRule } from '../../../src/rules/event-rule.js';
import { TimerQueue } from '../../../src/rules/timer-queue.js';
import { VirtualClock } from '../../../src/time/clock.js';

const SECOND_MS = 1000;
const MINUTE_MS = 60 * SECOND_MS;
/** The door profile's repeated_denials: 5 refused badges within 2 minutes. */
const DENIALS = 5;
const DENIAL_WINDOW_MS = 2 * MINUTE_MS;
const BADGE_INTERVAL_MS = 10 * SECOND_MS;

function harness(count = DENIALS, windowMs = DENIAL_WINDOW_MS) {
  const clock = new VirtualClock();
  const events: AlarmEvent[] = [];
  const timers = new TimerQueue({
    clock,
    onFireError: (err) => {
      throw err;
    },
  });
  const spec: CompiledEventRule = {
    alarmId: 'door-3:repeated_denials',
    device: 'door-3',
    rule: 'repeated_denials',
    event: 'access_denied',
    priority: 'medium',
    message: '5 refused badges within 2 minutes',
    count,
    windowMs,
    lifeSafety: false,
  };
  const rule = new EventCountRule(spec, { site: 'hq', timers, emit: (e) => events.push(e) });
  /** An event stamped now (or `ts`), seen by the rule now. */
  const event = (ts = clock.now()): void => rule.onEvent(ts, clock.now());
  /** `n` events, `intervalMs` apart, the clock advancing between them (not after the last). */
  const burst = (n: number, intervalMs = BADGE_INTERVAL_MS): void => {
    for (let i = 0; i < n; i++) {
      if (i > 0) clock.advanceSync(intervalMs);
      event();
    }
  };
  /** Synchronous, so that no test leaves a promise behind. */
  const advanceTo = (targetMs: number): void => clock.advanceSync(targetMs - clock.now());
  const summary = (): string[] => events.map((e) => `${e.type} ${e.value}`);
  return { clock, events, timers, rule, event, burst, advanceTo, summary };
}

describe('event rule: counting in a sliding window', () => {
  it('raises once the window holds count events, with the count, the limit and the oldest event', () => {
    const { clock, events, burst, event } = harness();
    const first = clock.now();
    burst(DENIALS - 1);
    expect(events).toEqual([]);
    clock.advanceSync(BADGE_INTERVAL_MS);
    event();
    expect(events).toEqual([
      {
        type: 'raise', alarmId: 'door-3:repeated_denials', site: 'hq', device: 'door-3', rule: 'repeated_denials', kind: 'event-count',
        priority: 'medium', message: '5 refused badges within 2 minutes', value: DENIALS, limit: DENIALS, conditionSince: first, ts: clock.now(),
        lifeSafety: false,
      },
    ]);
    expect(events[0]).not.toHaveProperty('point');
  });

  it('does not raise when the events are spread wider than the window', () => {
    const { summary, burst } = harness();
    burst(50, DENIAL_WINDOW_MS / (DENIALS - 1)); // five events span exactly the window: never five inside it
    expect(summary()).toEqual([]);
  });

  it('raises once per episode, however many events follow', () => {
    const { summary, burst } = harness();
    burst(30, SECOND_MS);
    expect(summary()).toEqual(['raise 5']);
  });

  it('clears when the window holds fewer than count again, and not before', () => {
    const { clock, events, burst, rule, advanceTo } = harness();
    const first = clock.now();
    burst(DENIALS);
    advanceTo(first + DENIAL_WINDOW_MS - 1);
    expect(rule.isActive()).toBe(true);
    clock.advanceSync(1);
    expect(events.map((e) => e.type)).toEqual(['raise', 'clear']);
    // The first event aged out; the other four are still in the window.
    expect(events[1]).toMatchObject({ type: 'clear', kind: 'event-count', value: DENIALS - 1, limit: DENIALS, conditionSince: first + DENIAL_WINDOW_MS, ts: clock.now() });
  });

  it('stays active while new events keep the window full, and clears after the last one thins it out', () => {
    const { clock, burst, summary, timers, advanceTo } = harness();
    burst(20); // 20 events 10 s apart: the window holds at least five from the fifth to beyond the twentieth
    const last = clock.now();
    expect(timers.size()).toBe(1);
    // The window drops below five when the 16th event (the oldest of the five newest) ages out.
    const sixteenth = last - 4 * BADGE_INTERVAL_MS;
    advanceTo(sixteenth + DENIAL_WINDOW_MS - 1);
    expect(summary()).toEqual(['raise 5']);
    clock.advanceSync(1);
    expect(summary()).toEqual(['raise 5', 'clear 4']);
    expect(timers.size()).toBe(0);
  });

  it('raises again when the window fills up again', () => {
    const { clock, burst, event, summary } = harness();
    burst(DENIALS, SECOND_MS);
    clock.advanceSync(DENIAL_WINDOW_MS - (DENIALS - 1) * SECOND_MS); // the first ages out: clear
    expect(summary()).toEqual(['raise 5', 'clear 4']);
    event(); // four left in the window plus this one
    expect(summary()).toEqual(['raise 5', 'clear 4', 'raise 5']);
    clock.advanceSync(10 * MINUTE_MS);
    expect(summary()).toEqual(['raise 5', 'clear 4', 'raise 5', 'clear 4']);
    burst(DENIALS, SECOND_MS);
    expect(summary()).toEqual(['raise 5', 'clear 4', 'raise 5', 'clear 4', 'raise 5']);
  });
});

describe('event rule: the window edge', () => {
  it('counts an event exactly windowMs older than the newest as outside the window', () => {
    const edge = harness(2, MINUTE_MS);
    edge.event();
    edge.clock.advanceSync(MINUTE_MS);
    edge.event();
    expect(edge.summary()).toEqual([]);

    const inside = harness(2, MINUTE_MS);
    inside.event();
    inside.clock.advanceSync(MINUTE_MS - 1);
    inside.event();
    expect(inside.summary()).toEqual(['raise 2']);
  });

  it('clears a single-event alarm exactly windowMs after the event', () => {
    const { clock, event, summary, events } = harness(1, 5 * MINUTE_MS);
    const forcedAt = clock.now();
    event();
    clock.advanceSync(5 * MINUTE_MS - 1);
    expect(summary()).toEqual(['raise 1']);
    clock.advanceSync(1);
    expect(summary()).toEqual(['raise 1', 'clear 0']);
    expect(events[1]).toMatchObject({ conditionSince: forcedAt + 5 * MINUTE_MS, ts: forcedAt + 5 * MINUTE_MS });
  });
});

describe('event rule: events out of order', () => {
  it('places a late event in its time: it completes the window and is the oldest of it', () => {
    const { clock, event, events, advanceTo } = harness();
    const start = clock.now();
    for (let i = 1; i <= DENIALS - 1; i++) {
      advanceTo(start + i * BADGE_INTERVAL_MS);
      event();
    }
    event(start + SECOND_MS); // stamped before the others (clock skew), arrives last
    expect(events).toEqual([expect.objectContaining({ type: 'raise', value: DENIALS, conditionSince: start + SECOND_MS })]);
    advanceTo(start + SECOND_MS + DENIAL_WINDOW_MS);
    expect(events.map((e) => e.type)).toEqual(['raise', 'clear']);
  });

  it('ignores an event that is older than the window when it arrives', () => {
    const { clock, event, burst, summary } = harness();
    const start = clock.now();
    clock.advanceSync(DENIAL_WINDOW_MS);
    burst(DENIALS - 1, SECOND_MS);
    event(start); // already out of the window: would raise and clear at once
    expect(summary()).toEqual([]);
  });

  it('drops an event older than all of the count newest, which cannot change anything', () => {
    const { clock, event, burst, summary, rule, advanceTo } = harness();
    const start = clock.now();
    clock.advanceSync(SECOND_MS);
    burst(DENIALS, SECOND_MS);
    expect(summary()).toEqual(['raise 5']);
    event(start);
    expect(rule.remembered()).toBe(DENIALS);
    advanceTo(start + SECOND_MS + DENIAL_WINDOW_MS);
    expect(summary()).toEqual(['raise 5', 'clear 4']);
  });

  it('ignores timestamps that are not finite numbers', () => {
    const { event, summary, rule } = harness(1);
    event(Number.NaN);
    event(Number.POSITIVE_INFINITY);
    expect(summary()).toEqual([]);
    expect(rule.remembered()).toBe(0);
  });
});

describe('event rule: a clear timer that runs late', () => {
  it('clears before counting an event that arrives after the deadline but before the timer fired', () => {
    const { clock, rule, summary, advanceTo } = harness(1, MINUTE_MS);
    const start = clock.now();
    rule.onEvent(start, start);
    // The engine's clock says a minute and a half later; the Clock timer has not run yet.
    rule.onEvent(start + 1.5 * MINUTE_MS, start + 1.5 * MINUTE_MS);
    expect(summary()).toEqual(['raise 1', 'clear 0', 'raise 1']);
    advanceTo(start + 2.5 * MINUTE_MS);
    expect(summary()).toEqual(['raise 1', 'clear 0', 'raise 1', 'clear 0']);
  });
});

describe('event rule: bounded memory', () => {
  it('remembers at most count timestamps and holds at most one timer, however many events arrive', () => {
    const { clock, event, rule, timers, summary } = harness();
    const EVENTS = 100_000;
    let mostRemembered = 0;
    for (let i = 0; i < EVENTS; i++) {
      event();
      if (i % 100 === 99) clock.advanceSync(SECOND_MS); // bursts of 100 per second
      mostRemembered = Math.max(mostRemembered, rule.remembered());
    }
    expect(mostRemembered).toBe(DENIALS);
    expect(timers.size()).toBe(1);
    expect(clock.pending()).toBe(1);
    expect(summary()).toEqual(['raise 5']);
  });
});

describe('TimestampRing', () => {
  const contents = (ring: TimestampRing): number[] => Array.from({ length: ring.size() }, (_, i) => ring.at(i));

  it('keeps the newest capacity timestamps in ascending order', () => {
    const ring = new TimestampRing(3);
    for (const ts of [10, 20, 30, 40]) ring.insert(ts);
    expect(contents(ring)).toEqual([20, 30, 40]);
    expect(ring.insert(25)).toBe(true); // out of order: 20 drops out
    expect(contents(ring)).toEqual([25, 30, 40]);
    expect(ring.insert(5)).toBe(false); // older than all three
    expect(ring.insert(25)).toBe(false); // not newer than the oldest
    expect(contents(ring)).toEqual([25, 30, 40]);
    ring.insert(35);
    ring.insert(50);
    expect(contents(ring)).toEqual([35, 40, 50]);
    expect(ring.countNewerThan(35)).toBe(2);
    expect(ring.oldest()).toBe(35);
    expect(ring.newest()).toBe(50);
  });

  it('sorts while filling up', () => {
    const ring = new TimestampRing(4);
    for (const ts of [30, 10, 40, 20]) ring.insert(ts);
    expect(contents(ring)).toEqual([10, 20, 30, 40]);
    expect(ring.at(4)).toBeNaN();
  });
});
