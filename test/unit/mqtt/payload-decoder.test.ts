import { describe, expect, it } from 'vitest';
import { compileEvent, decodeEvents } from '../../../src/drivers/mqtt/event-decoder.js';
import { compilePath, compilePointDecoder, MessagePayload, readPath, type DecodablePoint, type Decoded } from '../../../src/drivers/mqtt/payload-decoder.js';
import type { PointValue } from '../../../src/points/sample.js';
import { doorProfile } from '../../../src/profiles/access-control.js';

function decode(def: DecodablePoint, payload: string | Buffer): Decoded<PointValue> {
  return compilePointDecoder(def)(new MessagePayload(typeof payload === 'string' ? Buffer.from(payload) : payload));
}

function value(result: Decoded<PointValue>): PointValue {
  if (!result.ok) throw new Error(`rejected: ${result.rejection.message}`);
  return result.value;
}

function reason(result: Decoded<unknown>): string {
  if (result.ok) throw new Error(`accepted: ${String(result.value)}`);
  return result.rejection.message;
}

const jsonAnalog = (path: string, range?: { min: number; max: number }): DecodablePoint => ({ name: 'p', kind: 'analog', decode: { format: 'json', path }, range });

describe('MessagePayload', () => {
  it('parses JSON once however often it is asked', () => {
    const payload = new MessagePayload(Buffer.from('{"a":1}'));
    const first = payload.json();
    expect(payload.json()).toBe(first);
    expect(first).toEqual({ ok: true, value: { a: 1 } });
  });

  it('caches a parse failure too', () => {
    const payload = new MessagePayload(Buffer.from('{nope'));
    expect(payload.json()).toBe(payload.json());
    expect(reason(payload.json())).toBe('not JSON');
  });
});

describe('field paths', () => {
  const root: unknown = { door: { open: true, sensors: [{ value: 4 }, { value: 5 }] }, nothing: null, zero: 0 };

  it('reads nested fields and array indexes', () => {
    expect(readPath(root, compilePath('door.open'))).toEqual({ ok: true, value: true });
    expect(readPath(root, compilePath('door.sensors.1.value'))).toEqual({ ok: true, value: 5 });
    expect(readPath(root, compilePath('zero'))).toEqual({ ok: true, value: 0 });
  });

  it('says which field is missing; null counts as missing', () => {
    expect(reason(readPath(root, compilePath('door.closed')))).toBe('field door.closed missing');
    expect(reason(readPath(root, compilePath('door.sensors.7.value')))).toBe('field door.sensors.7.value missing');
    expect(reason(readPath(root, compilePath('door.open.x')))).toBe('field door.open.x missing');
    expect(reason(readPath(root, compilePath('nothing')))).toBe('field nothing missing');
    expect(reason(readPath([1, 2], compilePath('length')))).toBe('field length missing');
  });

  it('does not read inherited properties', () => {
    expect(readPath({}, compilePath('constructor')).ok).toBe(false);
    expect(readPath({}, compilePath('__proto__')).ok).toBe(false);
  });

  it('refuses empty paths and segments', () => {
    expect(() => compilePath('')).toThrow();
    expect(() => compilePath('a..b')).toThrow(/empty segment/);
  });
});

describe('point decoders', () => {
  it('json: numbers, and numeric strings for analog points', () => {
    expect(value(decode(jsonAnalog('battery_v'), '{"battery_v": 12.6}'))).toBe(12.6);
    expect(value(decode(jsonAnalog('battery_v'), '{"battery_v": "12.6"}'))).toBe(12.6);
    expect(reason(decode(jsonAnalog('battery_v'), '{"battery_v": "abc"}'))).toBe('expected a number, got "abc"');
    expect(reason(decode(jsonAnalog('battery_v'), '{"battery_v": true}'))).toBe('expected a number, got true');
    expect(reason(decode(jsonAnalog('battery_v'), '{"battery_v": {"v": 1}}'))).toBe('expected a number, got an object');
    expect(reason(decode(jsonAnalog('battery_v'), '{"mains": true}'))).toBe('field battery_v missing');
    expect(reason(decode(jsonAnalog('battery_v'), 'garbage'))).toBe('not JSON');
  });

  it('json: the whole payload when there is no path', () => {
    expect(value(decode({ name: 'p', kind: 'analog', decode: { format: 'json' } }, '21.5'))).toBe(21.5);
    expect(value(decode({ name: 'p', kind: 'binary', decode: { format: 'json' } }, 'true'))).toBe(true);
  });

  it('checks the point range', () => {
    expect(reason(decode(jsonAnalog('v', { min: 0, max: 30 }), '{"v": 99}'))).toBe('99 is outside [0, 30]');
    expect(decode(jsonAnalog('v', { min: 0, max: 30 }), '{"v": 0}').ok).toBe(true);
  });

  it('binary points take JSON booleans, 1/0 and boolean words', () => {
    const open: DecodablePoint = { name: 'open', kind: 'binary', decode: { format: 'json', path: 'open' } };
    expect(value(decode(open, '{"open": true}'))).toBe(true);
    expect(value(decode(open, '{"open": 0}'))).toBe(false);
    expect(value(decode(open, '{"open": "ON"}'))).toBe(true);
    expect(reason(decode(open, '{"open": "maybe"}'))).toBe('expected a boolean, got "maybe"');
    expect(reason(decode(open, '{"open": 2}'))).toBe('expected a boolean, got 2');
  });

  it('number format: finite decimal numbers only', () => {
    const def: DecodablePoint = { name: 't', kind: 'analog', decode: { format: 'number' } };
    expect(value(decode(def, ' 21.5\n'))).toBe(21.5);
    expect(value(decode(def, '-1e3'))).toBe(-1000);
    expect(reason(decode(def, 'abc'))).toBe('expected a number, got "abc"');
    for (const bad of ['', '0x1f', 'NaN', 'Infinity', '1,5', '1e999']) expect(decode(def, bad).ok, bad).toBe(false);
  });

  it('boolean format: true/false/1/0/on/off in any case', () => {
    const def: DecodablePoint = { name: 'b', kind: 'binary', decode: { format: 'boolean' } };
    const words: Array<[string, boolean]> = [['true', true], ['FALSE', false], ['1', true], ['0', false], ['On', true], ['off\n', false]];
    for (const [word, expected] of words) expect(value(decode(def, word)), word).toBe(expected);
    expect(reason(decode(def, 'yes'))).toBe('expected a boolean, got "yes"');
  });

  it('string format with a map', () => {
    const def: DecodablePoint = { name: 'open', kind: 'binary', decode: { format: 'string', map: { OPEN: true, CLOSED: false } } };
    expect(value(decode(def, 'OPEN'))).toBe(true);
    expect(value(decode(def, 'CLOSED\n'))).toBe(false);
    expect(reason(decode(def, 'AJAR'))).toBe('"AJAR" is not one of OPEN, CLOSED');
  });

  it('json map on numbers to enum states', () => {
    const def: DecodablePoint = { name: 'mode', kind: 'enum', decode: { format: 'json', path: 'mode', map: { '0': 'normal', '1': 'fire' } } };
    expect(value(decode(def, '{"mode": 1}'))).toBe('fire');
    expect(reason(decode(def, '{"mode": [1]}'))).toBe('expected a value to look up, got an array');
  });

  it('enum points look numbers up in states', () => {
    const def: DecodablePoint = { name: 'mode', kind: 'enum', states: { 0: 'off', 1: 'auto' }, decode: { format: 'json', path: 'mode' } };
    expect(value(decode(def, '{"mode": 1}'))).toBe('auto');
    expect(value(decode(def, '{"mode": "off"}'))).toBe('off');
    expect(value(decode(def, '{"mode": "1"}'))).toBe('auto');
    expect(reason(decode(def, '{"mode": 7}'))).toBe('7 is not a known state');
    expect(reason(decode(def, '{"mode": false}'))).toBe('expected a state, got false');
    const free: DecodablePoint = { name: 'mode', kind: 'enum', decode: { format: 'string' } };
    expect(value(decode(free, 'whatever'))).toBe('whatever');
  });

  it('counters are finite numbers', () => {
    const def: DecodablePoint = { name: 'n', kind: 'counter', decode: { format: 'json', path: 'n' } };
    expect(value(decode(def, '{"n": 100000}'))).toBe(100000);
  });

  it('quotes long garbage briefly', () => {
    const def: DecodablePoint = { name: 't', kind: 'analog', decode: { format: 'number' } };
    const message = reason(decode(def, 'x'.repeat(100_000)));
    expect(message.length).toBeLessThan(120);
    expect(message).toContain('(100000 characters)');
  });

  it('refuses a path on a non-JSON format at compile time', () => {
    expect(() => compilePointDecoder({ name: 'p', kind: 'analog', decode: { format: 'number', path: 'x' } })).toThrow(/point p: decode.path needs format json/);
  });

  it('reads each point of the door profile from one parse', () => {
    const payload = new MessagePayload(Buffer.from('{"open": true, "locked": false}'));
    const decoders = doorProfile.points.map((p) => compilePointDecoder(p));
    expect(decoders.map((d) => value(d(payload)))).toEqual([true, false]);
    expect(payload.json()).toBe(payload.json());
  });
});

describe('events', () => {
  const events = doorProfile.events.map(compileEvent);
  const run = (text: string) => decodeEvents(events, new MessagePayload(Buffer.from(text)));

  it('matches on a field and copies attributes', () => {
    expect(run('{"type": "denied", "badge": "B-17", "reason": "expired"}')).toEqual({
      kind: 'events',
      events: [{ name: 'access_denied', attributes: { badge: 'B-17', reason: 'expired' } }],
    });
    expect(run('{"type": "forced"}')).toEqual({ kind: 'events', events: [{ name: 'door_forced', attributes: {} }] });
  });

  it('leaves out missing attributes and keeps objects as JSON text', () => {
    expect(run('{"type": "denied", "badge": {"id": 5}}')).toEqual({
      kind: 'events',
      events: [{ name: 'access_denied', attributes: { badge: '{"id":5}' } }],
    });
  });

  it('is not an error when the message is another kind of event', () => {
    expect(run('{"type": "exit_request"}')).toEqual({ kind: 'none' });
  });

  it('rejects what cannot be read', () => {
    expect(run('not json')).toEqual({ kind: 'rejected', rejection: { kind: 'not-json', message: 'not JSON' } });
    expect(run('{"badge": "B-1"}')).toEqual({ kind: 'rejected', rejection: { kind: 'missing-field', message: 'field type missing' } });
  });

  it('an event without match happens on every message, without parsing', () => {
    const always = [compileEvent({ name: 'ring', description: 'bell', topic: 't' })];
    expect(decodeEvents(always, new MessagePayload(Buffer.from('\u0000\u0001 not json')))).toEqual({ kind: 'events', events: [{ name: 'ring', attributes: {} }] });
  });
});
