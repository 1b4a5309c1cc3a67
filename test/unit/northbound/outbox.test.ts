import { describe, expect, it } from 'vitest';
import { Outbox, type OutboxMessage, type StateEntry } from '../../../src/northbound/outbox.js';

function entry(topic: string, payload = `${topic}-v1`): StateEntry {
  return { topic, payload };
}

function message(topic: string, retain = false): OutboxMessage<StateEntry> {
  return { topic, payload: topic, retain };
}

function drain(outbox: Outbox<StateEntry>): string[] {
  const topics: string[] = [];
  for (let next = outbox.take(); next !== undefined; next = outbox.take()) topics.push(`${next.topic}=${next.payload}`);
  return topics;
}

describe('northbound outbox', () => {
  it('sends alarm transitions first, then device states, device events and point values', () => {
    const outbox = new Outbox<StateEntry>(100, () => {});
    outbox.addPoint(entry('p1'));
    outbox.addEvent(message('e1'));
    outbox.addDeviceState(entry('d1'));
    outbox.addAlarm(message('a1', true));
    outbox.addAlarm(message('a2', true));
    expect(drain(outbox)).toEqual(['a1=a1', 'a2=a2', 'd1=d1-v1', 'e1=e1', 'p1=p1-v1']);
    expect(outbox.size).toBe(0);
  });

  it('holds one entry per point, which leaves with its latest payload and keeps its place', () => {
    const outbox = new Outbox<StateEntry>(100, () => {});
    const p1 = entry('p1');
    outbox.addPoint(p1);
    outbox.addPoint(entry('p2'));
    p1.payload = 'p1-v2';
    outbox.addPoint(p1);
    expect(outbox.size).toBe(2);
    expect(outbox.hasPoint(p1)).toBe(true);
    const first = outbox.take();
    expect(first).toEqual({ topic: 'p1', payload: 'p1-v2', retain: true, point: p1 });
  });

  it('past its bound drops the oldest point values, then the oldest device events, and reports each drop', () => {
    const dropped: Array<string | undefined> = [];
    const outbox = new Outbox<StateEntry>(4, (point) => dropped.push(point?.topic));
    outbox.addPoint(entry('p1'));
    outbox.addPoint(entry('p2'));
    outbox.addEvent(message('e1'));
    outbox.addEvent(message('e2'));
    outbox.addEvent(message('e3'));
    outbox.addEvent(message('e4'));
    outbox.addEvent(message('e5'));
    expect(dropped).toEqual(['p1', 'p2', undefined]);
    expect(outbox.dropped).toBe(3);
    expect(drain(outbox)).toEqual(['e2=e2', 'e3=e3', 'e4=e4', 'e5=e5']);
  });

  it('never drops alarm transitions or device states, even past its bound', () => {
    const outbox = new Outbox<StateEntry>(2, () => {});
    outbox.addPoint(entry('p1'));
    for (let i = 0; i < 3; i++) outbox.addAlarm(message(`a${i}`, true));
    outbox.addDeviceState(entry('d1'));
    expect(outbox.size).toBe(4);
    expect(outbox.dropped).toBe(1);
    expect(outbox.alarmTopics()).toEqual(new Set(['a0', 'a1', 'a2']));
    expect(drain(outbox)).toEqual(['a0=a0', 'a1=a1', 'a2=a2', 'd1=d1-v1']);
  });

  it('clear() empties it without counting drops', () => {
    const outbox = new Outbox<StateEntry>(10, () => {});
    outbox.addAlarm(message('a1', true));
    outbox.addPoint(entry('p1'));
    expect(outbox.clear()).toBe(2);
    expect(outbox.size).toBe(0);
    expect(outbox.dropped).toBe(0);
  });

  it('refuses a bound that is not a positive integer', () => {
    expect(() => new Outbox<StateEntry>(0, () => {})).toThrow(RangeError);
  });
});
