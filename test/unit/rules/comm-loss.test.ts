import { describe, expect, it } from 'vitest';
import type { AlarmEvent } from '../../../src/alarms/events.js';
import { CommLossRule, type CompiledCommLoss } from '../../../src/rules/comm-loss.js';
import { TimerQueue } from '../../../src/rules/timer-queue.js';
import { VirtualClock } from '../../../src/time/clock.js';

const SECOND_MS = 1000;
const COMM_LOSS_DELAY_MS = 10 * SECOND_MS;

function harness(delayMs = COMM_LOSS_DELAY_MS) {
  const clock = new VirtualClock();
  const events: AlarmEvent[] = [];
  const timers = new TimerQueue({
    clock,
    onFireError: (err) => {
      throw err;
    },
  });
  const spec: CompiledCommLoss = {
    alarmId: 'pump-1:comm_loss',
    device: 'pump-1',
    rule: 'comm_loss',
    priority: 'high',
    message: 'Communication lost with pump-1',
    delayMs,
    lifeSafety: false,
  };
  const rule = new CommLossRule(spec, { site: 'hq', timers, emit: (e) => events.push(e) });
  const status = (online: boolean): void => rule.onStatus({ device: 'pump-1', online, ts: clock.now() }, clock.now());
  const types = (): string[] => events.map((e) => e.type);
  return { clock, events, rule, status, types };
}

describe('communication loss', () => {
  it('raises one alarm after the device stayed offline for the delay', () => {
    const { clock, events, status } = harness();
    const offlineAt = clock.now();
    status(false);
    clock.advanceSync(COMM_LOSS_DELAY_MS - 1);
    expect(events).toEqual([]);
    clock.advanceSync(1);
    expect(events).toEqual([
      {
        type: 'raise',
        alarmId: 'pump-1:comm_loss',
        site: 'hq',
        device: 'pump-1',
        rule: 'comm_loss',
        kind: 'comm-loss',
        priority: 'high',
        message: 'Communication lost with pump-1',
        conditionSince: offlineAt,
        ts: offlineAt + COMM_LOSS_DELAY_MS,
        lifeSafety: false,
      },
    ]);
    expect(events[0]).not.toHaveProperty('point');
  });

  it('repeated offline events (one per failed poll) neither restart the delay nor raise again', () => {
    const { clock, status, types } = harness();
    status(false);
    for (let i = 0; i < 60; i++) {
      clock.advanceSync(SECOND_MS);
      status(false);
    }
    expect(types()).toEqual(['raise']);
  });

  it('is cancelled when the device answers again before the delay', () => {
    const { clock, status, types } = harness();
    status(false);
    clock.advanceSync(COMM_LOSS_DELAY_MS - SECOND_MS);
    status(true);
    expect(clock.pending()).toBe(0);
    clock.advanceSync(COMM_LOSS_DELAY_MS * 2);
    expect(types()).toEqual([]);

    // A new outage starts a fresh delay.
    status(false);
    clock.advanceSync(COMM_LOSS_DELAY_MS - 1);
    expect(types()).toEqual([]);
    clock.advanceSync(1);
    expect(types()).toEqual(['raise']);
  });

  it('clears once, at once, when the device is back online', () => {
    const { clock, events, status, types } = harness();
    status(false);
    clock.advanceSync(COMM_LOSS_DELAY_MS * 3);
    const backAt = clock.now();
    status(true);
    status(true);
    expect(types()).toEqual(['raise', 'clear']);
    expect(events[1]).toMatchObject({ type: 'clear', conditionSince: backAt, ts: backAt });
  });

  it('raises on the first offline event when the delay is 0', () => {
    const { status, types, rule } = harness(0);
    status(false);
    expect(types()).toEqual(['raise']);
    expect(rule.isActive()).toBe(true);
  });

  it('says nothing about a device that was never offline', () => {
    const { clock, status, types } = harness();
    status(true);
    clock.advanceSync(COMM_LOSS_DELAY_MS * 2);
    expect(types()).toEqual([]);
  });
});
