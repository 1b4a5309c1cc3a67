import { describe, expect, it } from 'vitest';
import type { Sample } from '../../../src/points/sample.js';
import {
  encodeLine,
  escapeKey,
  escapeMeasurement,
  fieldKeys,
  formatFields,
  quoteString,
  SampleEncoder,
  seriesKey,
} from '../../../src/telemetry/line-protocol.js';

const TS = Date.UTC(2026, 0, 1, 8, 0, 0);

describe('escaping', () => {
  it('escapes comma and space in measurements, but not equals signs', () => {
    expect(escapeMeasurement('pump')).toBe('pump');
    expect(escapeMeasurement('fire pump,main=1')).toBe('fire\\ pump\\,main=1');
  });

  it('escapes comma, equals sign and space in tag keys, tag values and field keys', () => {
    expect(escapeKey('p-1_a')).toBe('p-1_a');
    expect(escapeKey('a b,c=d')).toBe('a\\ b\\,c\\=d');
  });

  it('turns a newline, which would end the line, into \\n', () => {
    expect(escapeKey('a\nb')).toBe('a\\nb');
    expect(escapeMeasurement('a\nb')).toBe('a\\nb');
  });

  it('quotes string values, escaping double quotes and backslashes only', () => {
    expect(quoteString('auto')).toBe('"auto"');
    expect(quoteString('say "hi" \\ bye, a=b')).toBe('"say \\"hi\\" \\\\ bye, a=b"');
  });

  it('escapes tags in the series key and sorts them by key', () => {
    expect(seriesKey('pump', { site: 'hq 1', device: 'p=1' })).toBe('pump,device=p\\=1,site=hq\\ 1');
  });

  it('leaves out empty tag values, which line protocol forbids', () => {
    expect(seriesKey('pump', { site: '', device: 'p1' })).toBe('pump,device=p1');
  });
});

describe('field types', () => {
  const keys = fieldKeys('flow');

  it('writes every number as a float (no i suffix), whole or not', () => {
    expect(formatFields(keys, 3, 'good')).toBe('flow=3');
    expect(formatFields(keys, 3.25, 'good')).toBe('flow=3.25');
    expect(formatFields(keys, -0.5, 'good')).toBe('flow=-0.5');
    expect(formatFields(keys, 1e21, 'good')).toBe('flow=1e+21');
  });

  it('writes booleans as booleans and enum labels as strings', () => {
    expect(formatFields(fieldKeys('running'), true, 'good')).toBe('running=true');
    expect(formatFields(fieldKeys('running'), false, 'good')).toBe('running=false');
    expect(formatFields(fieldKeys('mode'), 'auto', 'good')).toBe('mode="auto"');
  });

  it('escapes the field key', () => {
    expect(formatFields(fieldKeys('a b'), 1, 'good')).toBe('a\\ b=1');
  });
});

describe('quality', () => {
  const keys = fieldKeys('flow');

  it('writes only the value of a good sample (absent _quality means good)', () => {
    expect(formatFields(keys, 1.5, 'good')).toBe('flow=1.5');
  });

  it('adds <point>_quality for any other quality, with the value when there is one', () => {
    expect(formatFields(keys, 1.5, 'uncertain')).toBe('flow_quality="uncertain",flow=1.5');
    expect(formatFields(keys, 0, 'bad')).toBe('flow_quality="bad",flow=0');
    expect(formatFields(keys, 'auto', 'stale')).toBe('flow_quality="stale",flow="auto"');
  });

  it('writes just the quality when the value is null', () => {
    expect(formatFields(keys, null, 'bad')).toBe('flow_quality="bad"');
    expect(formatFields(keys, null, 'stale')).toBe('flow_quality="stale"');
  });

  it('writes nothing for a good null', () => {
    expect(formatFields(keys, null, 'good')).toBe('');
  });
});

describe('non-finite numbers', () => {
  const keys = fieldKeys('flow');

  it('skips the value field of NaN and ±Infinity', () => {
    expect(formatFields(keys, Number.NaN, 'good')).toBe('');
    expect(formatFields(keys, Number.POSITIVE_INFINITY, 'good')).toBe('');
    expect(formatFields(keys, Number.NEGATIVE_INFINITY, 'bad')).toBe('flow_quality="bad"');
  });

  it('writes no line when no field is left', () => {
    expect(encodeLine({ measurement: 'pump', tags: { site: 's', device: 'p1' }, ts: TS, fields: [{ name: 'flow', value: Number.NaN, quality: 'good' }] })).toBeUndefined();
  });
});

describe('encodeLine', () => {
  it('writes measurement, sorted tags, the fields in order and a millisecond timestamp', () => {
    const line = encodeLine({
      measurement: 'pump',
      tags: { site: 'hq', device: 'p1' },
      ts: TS + 0.9,
      fields: [
        { name: 'flow', value: 12, quality: 'good' },
        { name: 'running', value: true, quality: 'good' },
        { name: 'pressure', value: null, quality: 'bad' },
        { name: 'temp', value: Number.NaN, quality: 'good' },
      ],
    });
    expect(line).toBe(`pump,device=p1,site=hq flow=12,running=true,pressure_quality="bad" ${TS}`);
  });

  it('writes no line for a timestamp that is not a finite number', () => {
    expect(encodeLine({ measurement: 'pump', tags: {}, ts: Number.NaN, fields: [{ name: 'flow', value: 1, quality: 'good' }] })).toBeUndefined();
  });
});

describe('SampleEncoder', () => {
  function encoder(unknown: string[] = []): SampleEncoder {
    const enc = new SampleEncoder('hq', (device) => unknown.push(device));
    enc.registerDevice('p1', 'pump');
    enc.registerDevice('e1', 'elevator');
    return enc;
  }

  function encodeAll(enc: SampleEncoder, samples: Sample[]): string[] {
    const lines: string[] = [];
    const count = enc.encode(samples, (line) => lines.push(line));
    expect(count).toBe(lines.length);
    return lines;
  }

  it('puts the samples of one device with one timestamp on one line', () => {
    const lines = encodeAll(encoder(), [
      { point: 'p1.flow', value: 3, ts: TS, quality: 'good' },
      { point: 'p1.running', value: true, ts: TS, quality: 'good' },
      { point: 'p1.mode', value: 'auto', ts: TS, quality: 'good' },
    ]);
    expect(lines).toEqual([`pump,device=p1,site=hq flow=3,running=true,mode="auto" ${TS}`]);
  });

  it('starts a new line when the device or the timestamp changes', () => {
    const lines = encodeAll(encoder(), [
      { point: 'p1.flow', value: 3, ts: TS, quality: 'good' },
      { point: 'p1.flow', value: 4, ts: TS + 1000, quality: 'good' },
      { point: 'e1.floor', value: 7, ts: TS + 1000, quality: 'good' },
      { point: 'e1.door_open', value: false, ts: TS + 1000, quality: 'stale' },
    ]);
    expect(lines).toEqual([
      `pump,device=p1,site=hq flow=3 ${TS}`,
      `pump,device=p1,site=hq flow=4 ${TS + 1000}`,
      `elevator,device=e1,site=hq floor=7,door_open_quality="stale",door_open=false ${TS + 1000}`,
    ]);
  });

  it('keeps a line going past a sample that writes nothing', () => {
    const lines = encodeAll(encoder(), [
      { point: 'p1.flow', value: 3, ts: TS, quality: 'good' },
      { point: 'p1.temp', value: Number.NaN, ts: TS, quality: 'good' },
      { point: 'p1.current', value: 8.5, ts: TS, quality: 'good' },
    ]);
    expect(lines).toEqual([`pump,device=p1,site=hq flow=3,current=8.5 ${TS}`]);
  });

  it('skips samples of unregistered devices and reports each such device once', () => {
    const unknown: string[] = [];
    const enc = encoder(unknown);
    const lines = encodeAll(enc, [
      { point: 'x9.flow', value: 1, ts: TS, quality: 'good' },
      { point: 'x9.flow', value: 2, ts: TS + 1, quality: 'good' },
      { point: 'p1.flow', value: 3, ts: TS, quality: 'good' },
    ]);
    expect(lines).toEqual([`pump,device=p1,site=hq flow=3 ${TS}`]);
    expect(unknown).toEqual(['x9']);
  });

  it('picks up a device registered after its first samples, and a changed equipment type', () => {
    const enc = encoder();
    expect(encodeAll(enc, [{ point: 'x9.flow', value: 1, ts: TS, quality: 'good' }])).toEqual([]);
    enc.registerDevice('x9', 'pump');
    expect(encodeAll(enc, [{ point: 'x9.flow', value: 1, ts: TS, quality: 'good' }])).toEqual([`pump,device=x9,site=hq flow=1 ${TS}`]);
    enc.registerDevice('x9', 'elevator');
    expect(encodeAll(enc, [{ point: 'x9.flow', value: 1, ts: TS, quality: 'good' }])).toEqual([`elevator,device=x9,site=hq flow=1 ${TS}`]);
  });

  it('writes nothing for an empty batch', () => {
    expect(encodeAll(encoder(), [])).toEqual([]);
  });
});
