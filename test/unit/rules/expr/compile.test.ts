import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import jsep from 'jsep';
import { describe, expect, it } from 'vitest';
import type { PointValue, Quality } from '../../../../src/points/sample.js';
import type { PointKind } from '../../../../src/profiles/types.js';
import {
  compileCondition,
  compileExpression,
  ExpressionError,
  type PointReading,
} from '../../../../src/rules/expr/compile.js';

const POINTS: ReadonlyMap<string, PointKind> = new Map<string, PointKind>([
  ['discharge_pressure', 'analog'],
  ['suction_pressure', 'analog'],
  ['flow', 'analog'],
  ['starts', 'counter'],
  ['running', 'binary'],
  ['fault', 'binary'],
  ['door_open', 'binary'],
  ['mode', 'enum'],
]);

type Values = Record<string, PointValue | null | [PointValue | null, Quality]>;

/** A reader over fixed values; records which points were read. */
function reader(values: Values): { read: (p: string) => PointReading | undefined; reads: string[] } {
  const reads: string[] = [];
  return {
    reads,
    read: (p) => {
      reads.push(p);
      if (!(p in values)) return undefined;
      const v = values[p];
      if (Array.isArray(v)) return { value: v[0], quality: v[1] };
      return { value: v ?? null, quality: 'good' };
    },
  };
}

function run(source: string, values: Values = {}) {
  return compileExpression(source, POINTS).evaluate(reader(values).read);
}

function value(source: string, values: Values = {}) {
  const r = run(source, values);
  expect(r.quality).toBe('good');
  return r.value;
}

function compileError(source: string): ExpressionError {
  try {
    compileExpression(source, POINTS);
  } catch (err) {
    expect(err).toBeInstanceOf(ExpressionError);
    return err as ExpressionError;
  }
  throw new Error(`expected ${source} not to compile`);
}

describe('precedence and associativity', () => {
  it('multiplies before adding and subtracts left to right', () => {
    expect(value('1 + 2 * 3')).toBe(7);
    expect(value('(1 + 2) * 3')).toBe(9);
    expect(value('10 - 4 - 3')).toBe(3);
    expect(value('10 - (4 - 3)')).toBe(9);
    expect(value('24 / 4 / 2')).toBe(3);
    expect(value('2 * 3 - 8 / 4')).toBe(4);
  });

  it('compares before and, and before or', () => {
    // or binds looser than and: true or (false and false) = true.
    expect(value('true or false and false')).toBe(true);
    expect(value('(true or false) and false')).toBe(false);
    expect(value('flow + 1 > 2 and running', { flow: 1.5, running: true })).toBe(true);
    expect(value('1 < 2 == true')).toBe(true);
  });

  it('binds prefix operators to the next token', () => {
    expect(value('not false and false')).toBe(false);
    expect(value('not (false and false)')).toBe(true);
    expect(value('-flow * 2', { flow: 3 })).toBe(-6);
    expect(value('- (1 - 3)')).toBe(2);
    expect(value('!running', { running: false })).toBe(true);
  });

  it('accepts && || ! as and or not', () => {
    expect(value('running && !fault || door_open', { running: true, fault: false, door_open: false })).toBe(true);
  });
});

describe('points and types', () => {
  it('evaluates the issue example and lists its inputs', () => {
    const c = compileExpression('discharge_pressure < 2 and running', POINTS);
    expect(c.type).toBe('boolean');
    expect([...c.inputs].sort()).toEqual(['discharge_pressure', 'running']);
    expect(c.evaluate(reader({ discharge_pressure: 1.2, running: true }).read)).toEqual({ value: true, quality: 'good' });
    expect(c.evaluate(reader({ discharge_pressure: 3, running: true }).read)).toEqual({ value: false, quality: 'good' });
  });

  it('reports the static type of the result', () => {
    expect(compileExpression('flow * 2', POINTS).type).toBe('number');
    expect(compileExpression('mode', POINTS).type).toBe('string');
    expect(compileExpression('starts > 10', POINTS).type).toBe('boolean');
  });

  it('compares enum points with their state names', () => {
    expect(value('mode == "inspection"', { mode: 'inspection' })).toBe(true);
    expect(value("mode != 'inspection'", { mode: 'normal' })).toBe(true);
    expect(value('mode == "inspection" and running', { mode: 'normal', running: true })).toBe(false);
  });

  it('treats 0/1 as a binary value and anything else of the wrong type as bad', () => {
    expect(value('running', { running: 1 })).toBe(true);
    expect(run('running', { running: 'yes' })).toEqual({ value: null, quality: 'bad' });
    expect(run('flow > 1', { flow: 'high' }).quality).toBe('bad');
    expect(run('flow > 1', { flow: true }).quality).toBe('bad');
    expect(run('flow > 1', { flow: Number.NaN }).quality).toBe('bad');
    expect(run('mode == "x"', { mode: 3 }).quality).toBe('bad');
  });

  it('compileCondition demands a boolean', () => {
    expect(compileCondition('running', POINTS).type).toBe('boolean');
    expect(() => compileCondition('flow + 1', POINTS)).toThrow(/condition must be true or false/);
  });
});

describe('quality', () => {
  const bad: Values = { flow: [1, 'bad'] };

  it.each<[string, Values]>([
    ['missing', {}],
    ['bad', { flow: [1, 'bad'] }],
    ['stale', { flow: [1, 'stale'] }],
    ['uncertain', { flow: [1, 'uncertain'] }],
    ['null value', { flow: null }],
  ])('a %s input makes the result bad', (_what, values) => {
    expect(run('flow > 1', values)).toEqual({ value: null, quality: 'bad' });
    expect(run('abs(flow)', values).quality).toBe('bad');
    expect(run('max(1, flow, 2)', values).quality).toBe('bad');
    expect(run('-flow', values).quality).toBe('bad');
    expect(run('not (flow > 1)', values).quality).toBe('bad');
    expect(run('flow == 1', values).quality).toBe('bad');
  });

  it('and: false decides, in either order; the right side is not read then', () => {
    const c = compileExpression('running and flow > 1', POINTS);
    const r = reader({ running: false, ...bad });
    expect(c.evaluate(r.read)).toEqual({ value: false, quality: 'good' });
    expect(r.reads).toEqual(['running']);
    expect(run('flow > 1 and running', { running: false, ...bad })).toEqual({ value: false, quality: 'good' });
  });

  it('and: true with a bad input is bad', () => {
    expect(run('running and flow > 1', { running: true, ...bad }).quality).toBe('bad');
    expect(run('flow > 1 and running', { running: true, ...bad }).quality).toBe('bad');
    expect(run('running and fault', { running: [true, 'stale'], fault: true }).quality).toBe('bad');
  });

  it('or: true decides, in either order; false with a bad input is bad', () => {
    const r = reader({ running: true, ...bad });
    expect(compileExpression('running or flow > 1', POINTS).evaluate(r.read)).toEqual({ value: true, quality: 'good' });
    expect(r.reads).toEqual(['running']);
    expect(run('flow > 1 or running', { running: true, ...bad })).toEqual({ value: true, quality: 'good' });
    expect(run('running or flow > 1', { running: false, ...bad }).quality).toBe('bad');
    expect(run('flow > 1 || running', { running: false, ...bad }).quality).toBe('bad');
  });

  it('boolean truth table with good inputs', () => {
    for (const a of [true, false]) {
      for (const b of [true, false]) {
        expect(value('running and fault', { running: a, fault: b })).toBe(a && b);
        expect(value('running or fault', { running: a, fault: b })).toBe(a || b);
        expect(value('not running', { running: a })).toBe(!a);
      }
    }
  });

  it('a non-finite arithmetic result is bad', () => {
    expect(run('flow / 0 > 1', { flow: 1 }).quality).toBe('bad');
    expect(run('flow / starts', { flow: 0, starts: 0 }).quality).toBe('bad');
  });
});

describe('arithmetic and functions', () => {
  it('computes with points', () => {
    expect(value('discharge_pressure - suction_pressure', { discharge_pressure: 5.5, suction_pressure: 1.5 })).toBe(4);
    expect(value('flow / 2 + starts * 0.5', { flow: 3, starts: 4 })).toBe(3.5);
    expect(value('1.5e2')).toBe(150);
  });

  it('abs, min, max', () => {
    expect(value('abs(flow - 10)', { flow: 4 })).toBe(6);
    expect(value('min(flow, 3, 7)', { flow: 4 })).toBe(3);
    expect(value('max(flow, 3, 7)', { flow: 9 })).toBe(9);
    expect(value('max(flow)', { flow: 9 })).toBe(9);
    expect(value('abs(min(-5, flow)) > 4', { flow: 0 })).toBe(true);
  });
});

describe('compile errors name the expression and the position', () => {
  it('unknown point (the issue example)', () => {
    const e = compileError('discharge_presure < 2 and running');
    expect(e.message).toBe('discharge_presure < 2 and running: unknown point "discharge_presure" at 0');
    expect(e.position).toBe(0);
    expect(e.source).toBe('discharge_presure < 2 and running');
    expect(e.caret).toBe('discharge_presure < 2 and running\n^');
  });

  it.each<[string, number, RegExp]>([
    ['running and flw > 1', 12, /unknown point "flw"/],
    ['sqrt(flow) > 1', 0, /unknown function "sqrt"/],
    ['flow > 1 and eval("1")', 13, /unknown function "eval"/],
    ['Function("x")', 0, /unknown function "Function"/],
    ['constructor(1)', 0, /unknown function "constructor"/],
    ['max', 0, /function max must be called/],
    ['abs(1, 2)', 0, /abs takes 1 argument/],
    ['min()', 0, /min takes at least 1 argument/],
    ['flow.toString() == "1"', 0, /member access is not allowed/],
    ['a.b', 0, /member access is not allowed/],
    ['flow["x"] > 1', 0, /member access is not allowed/],
    ['Math.max(1, 2) > 1', 0, /member access is not allowed/],
    ['(flow)(1)', 1, /unknown function "flow"/],
    ['"abs"(1)', 0, /only abs, min and max can be called/],
    ['1 + flow.x', 4, /member access is not allowed/],
    ['this', 0, /"this" is not allowed/],
    ['null == null', 0, /literal null is not allowed/],
    ['[1, 2]', 0, /arrays are not allowed/],
    ['running ? 1 : 2', 0, /\?: is not allowed/],
    ['running, fault', 9, /only one expression/],
    ['flow % 2 == 0', 5, /operator % is not allowed/],
    ['flow ** 2', 5, /operator \*\* is not allowed/],
    ['mode === "x"', 5, /operator === is not allowed/],
    ['running & fault', 8, /operator & is not allowed/],
    ['~flow', 0, /operator ~ is not allowed/],
    ['+flow', 0, /operator \+ is not allowed/],
  ])('%s → at %i', (source, position, reason) => {
    const e = compileError(source);
    expect(e.message).toMatch(reason);
    expect(e.position).toBe(position);
    expect(e.message.startsWith(`${source}: `)).toBe(true);
    expect(e.message.endsWith(` at ${position}`)).toBe(true);
  });

  it.each<[string, number, RegExp]>([
    ['running + 1', 0, /operator \+ needs a number, got a boolean \(running\)/],
    ['flow and running', 0, /operator and needs a boolean, got a number \(flow\)/],
    ['running or flow * 2', 11, /operator or needs a boolean, got a number \(flow \* 2\)/],
    ['not flow < 2', 4, /operator not needs a boolean, got a number \(flow\)/],
    ['mode < 2', 0, /operator < needs a number, got a string \(mode\)/],
    ['mode == 1', 5, /operator == compares a string with a number/],
    ['running == 1', 8, /operator == compares a boolean with a number/],
    ['abs(running)', 4, /function abs needs a number, got a boolean \(running\)/],
    ['-mode', 1, /operator - needs a number, got a string/],
    ['max(1, (running)) > 0', 7, /function max needs a number, got a boolean \(\(running\)\)/],
  ])('type mismatch %s → at %i', (source, position, reason) => {
    const e = compileError(source);
    expect(e.message).toMatch(reason);
    expect(e.position).toBe(position);
  });

  it.each<[string, number, RegExp]>([
    ['flow = 1', 5, /syntax error: assignment is not allowed/],
    ['running and (flow = 2)', 18, /syntax error: assignment is not allowed/],
    ['flow +', 6, /syntax error: Expected expression after \+/],
    ['(flow > 1', 9, /syntax error: Unclosed \(/],
    ['"open', 5, /syntax error: Unclosed quote/],
    ['flow > 1 )', 9, /syntax error: Unexpected "\)"/],
    ['', 0, /empty expression/],
    ['   ', 0, /empty expression/],
  ])('syntax error %s → at %i', (source, position, reason) => {
    const e = compileError(source);
    expect(e.message).toMatch(reason);
    expect(e.position).toBe(position);
    expect(e.caret.split('\n')[1]).toBe(`${' '.repeat(position)}^`);
  });

  it('reports the first error in source order for nested expressions', () => {
    expect(compileError('running and (flow > 1 or nope)').message).toMatch(/unknown point "nope" at 25$/);
  });
});

describe('jsep global state', () => {
  it('leaves jsep as it found it', () => {
    compileExpression('not running and fault or door_open', POINTS);
    expect(Object.prototype.hasOwnProperty.call(jsep.binary_ops, 'and')).toBe(false);
    expect(Object.prototype.hasOwnProperty.call(jsep.binary_ops, 'or')).toBe(false);
    expect(Object.prototype.hasOwnProperty.call(jsep.unary_ops, 'not')).toBe(false);
    // Outside a compile, `and` is an ordinary identifier for other users of jsep.
    expect(jsep('and').type).toBe('Identifier');
  });

  it('still restores jsep after a syntax error', () => {
    compileError('running and (');
    expect(Object.prototype.hasOwnProperty.call(jsep.binary_ops, 'and')).toBe(false);
  });

  it('point names that start with a word operator are identifiers', () => {
    const points = new Map<string, PointKind>([
      ['order_count', 'counter'],
      ['android', 'binary'],
      ['notified', 'binary'],
    ]);
    const c = compileExpression('notified and android or order_count > 1', points);
    expect([...c.inputs].sort()).toEqual(['android', 'notified', 'order_count']);
  });
});

describe('no dynamic code', () => {
  it('the module source uses neither eval nor Function', () => {
    const dir = join(dirname(fileURLToPath(import.meta.url)), '../../../../src/rules/expr');
    const files = readdirSync(dir).filter((f) => f.endsWith('.ts'));
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) {
      const code = readFileSync(join(dir, f), 'utf8')
        // Comments may talk about eval and Function.
        .replace(/\/\*[\s\S]*?\*\//g, '')
        .replace(/\/\/.*$/gm, '');
      expect(code, f).not.toMatch(/\beval\s*\(/);
      expect(code, f).not.toMatch(/\bFunction\s*\(/);
      expect(code, f).not.toMatch(/new\s+Function\b/);
      expect(code, f).not.toMatch(/\bvm\b|node:vm/);
    }
  });
});
