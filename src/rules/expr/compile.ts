import jsep from 'jsep';
import type { PointValue, Quality } from '../../points/sample.js';
import type { PointKind } from '../../profiles/types.js';

/**
 * Alarm-condition expressions over the points of one device, e.g. `discharge_pressure < 2 and running`.
 *
 * The source is parsed once by jsep (a maintained expression parser) and compiled into a tree of closures;
 * nothing is ever handed to `eval` or `Function`. Everything that is not part of the language below is a
 * compile error (an `ExpressionError` naming the expression and the character position), raised when the
 * config is loaded, never while rules run.
 *
 * Grammar (loosest binding first; binary operators are left-associative):
 *
 *   expr    := expr ('or' | '||') expr
 *            | expr ('and' | '&&') expr
 *            | expr ('==' | '!=') expr
 *            | expr ('<' | '<=' | '>' | '>=') expr
 *            | expr ('+' | '-') expr
 *            | expr ('*' | '/') expr
 *            | ('not' | '!' | '-') primary
 *            | primary
 *   primary := point_name | number | 'string' | "string" | true | false
 *            | ('abs' | 'min' | 'max') '(' expr (',' expr)* ')' | '(' expr ')'
 *
 * Prefix operators bind to the token that follows them, as in JavaScript: `not a < b` is `(not a) < b`,
 * which is a type error when `a` is a number; write `not (a < b)`.
 *
 * Types are checked at compile time: analog and counter points are numbers, binary points booleans and
 * enum points strings (their state names, e.g. `mode == "inspection"`). `and`/`or`/`not` take booleans;
 * `< <= > >=` and arithmetic take numbers; `==`/`!=` compare two values of the same type; `abs(n)`,
 * `min(n, ...)`, `max(n, ...)` take numbers. Not allowed: member access (`a.b`, `a[0]`), calls other than the
 * three functions, assignment, `this`, `null`, arrays, the ternary `?:`, several expressions (`a, b`) and
 * any other operator jsep knows (`%`, `**`, `===`, `&`, `|`, `??`, shifts, `~`, unary `+`).
 *
 * Evaluation and quality: a point is usable only when it is present, its quality is `good` and its value
 * has the point's type (a finite number, a boolean, a string). Any operation with an unusable operand is
 * unusable, and so is an arithmetic result that is not finite (division by zero); the expression's result
 * is then `{ value: null, quality: 'bad' }`, so a rule never judges a bad value as good. The one exception
 * is `and`/`or` when the outcome is decided by a usable operand alone (three-valued logic): `false and X`
 * and `X and false` are a good `false`, `true or X` and `X or true` a good `true`, whatever X is. Both
 * orders are treated alike, so the result does not depend on how the condition was written; the left
 * operand is evaluated first and the right one (and the points it reads) only when the left one did not
 * decide the outcome.
 */

export type ExprType = 'number' | 'boolean' | 'string';

export type ExprValue = number | boolean | string;

export interface PointReading {
  value: PointValue | null;
  quality: Quality;
}

export type PointReader = (point: string) => PointReading | undefined;

export interface ExpressionResult {
  value: ExprValue | null;
  quality: 'good' | 'bad';
}

export interface CompiledExpression {
  readonly source: string;
  /** Static type of the result. */
  readonly type: ExprType;
  /** Point names the expression may read, for indexing the expression by point. */
  readonly inputs: ReadonlySet<string>;
  evaluate(read: PointReader): ExpressionResult;
  /**
   * The result as a condition without allocating (for rules that evaluate on every change): true or false,
   * or undefined when the result is unusable or not a boolean.
   */
  test(read: PointReader): boolean | undefined;
}

/** A compile error: the message names the expression and the 0-based character position. */
export class ExpressionError extends Error {
  readonly source: string;
  readonly position: number;
  /** What is wrong, without expression or position (e.g. `unknown point "x"`). */
  readonly reason: string;

  constructor(source: string, position: number, reason: string) {
    super(`${source}: ${reason} at ${position}`);
    this.name = 'ExpressionError';
    this.source = source;
    this.position = position;
    this.reason = reason;
  }

  /** The expression and a caret under the position, for display in a fixed-width font. */
  get caret(): string {
    return `${this.source}\n${' '.repeat(Math.max(0, this.position))}^`;
  }
}

/** Compiles an expression over the points of a device; throws `ExpressionError`. */
export function compileExpression(source: string, points: ReadonlyMap<string, PointKind>): CompiledExpression {
  const parsed = parse(source);
  const compiler = new Compiler(source, points, parsed.spans);
  const root = compiler.compile(parsed.ast);
  const inputs: ReadonlySet<string> = compiler.inputs;
  const type = root.type;
  const fn = root.fn;
  return {
    source,
    type,
    inputs,
    evaluate(read: PointReader): ExpressionResult {
      const value = fn(read);
      return value === BAD ? { value: null, quality: 'bad' } : { value, quality: 'good' };
    },
    test(read: PointReader): boolean | undefined {
      const value = fn(read);
      return typeof value === 'boolean' ? value : undefined;
    },
  };
}

/** Like `compileExpression`, but the expression must be a condition (boolean). */
export function compileCondition(source: string, points: ReadonlyMap<string, PointKind>): CompiledExpression {
  const compiled = compileExpression(source, points);
  if (compiled.type !== 'boolean') {
    throw new ExpressionError(source, 0, `a condition must be true or false, this expression is a ${compiled.type}`);
  }
  return compiled;
}

// ---------------------------------------------------------------------------------------------------------
// Parsing

interface Span {
  start: number;
  end: number;
}

const WORD_BINARY_OPS: ReadonlyArray<[string, number]> = [
  ['or', 1],
  ['and', 2],
];
const WORD_UNARY_OPS = ['not'];

/**
 * jsep's configuration is global. The word operators are registered only for the duration of one parse
 * and removed again, so other users of jsep are not affected. Token positions are recorded by a
 * `gobble-token` hook (hooks cannot be removed; ours does nothing unless one of our parses is running).
 */
let activeSpans: WeakMap<jsep.Expression, Span> | undefined;
let reentered = false;

jsep.hooks.add('gobble-token', function recordTokenSpan(this: jsep.HookScope, env: { node?: jsep.Expression }) {
  if (activeSpans === undefined) return;
  if (reentered) {
    // The nested gobbleToken below: let jsep parse the token itself.
    reentered = false;
    return;
  }
  const start = this.index;
  reentered = true;
  const node = this.gobbleToken();
  reentered = false;
  if (node) {
    // jsep leaves the index after the token's trailing spaces.
    let end = this.index;
    while (end > start && /\s/.test(this.expr.charAt(end - 1))) end--;
    activeSpans.set(node, { start, end });
    env.node = node;
  }
});

function parse(source: string): { ast: jsep.Expression; spans: WeakMap<jsep.Expression, Span> } {
  const added: Array<() => void> = [];
  for (const [op, precedence] of WORD_BINARY_OPS) {
    if (!Object.prototype.hasOwnProperty.call(jsep.binary_ops, op)) {
      jsep.addBinaryOp(op, precedence);
      added.push(() => jsep.removeBinaryOp(op));
    }
  }
  for (const op of WORD_UNARY_OPS) {
    if (!Object.prototype.hasOwnProperty.call(jsep.unary_ops, op)) {
      jsep.addUnaryOp(op);
      added.push(() => jsep.removeUnaryOp(op));
    }
  }
  const spans = new WeakMap<jsep.Expression, Span>();
  activeSpans = spans;
  reentered = false;
  try {
    if (source.trim() === '') throw new ExpressionError(source, 0, 'empty expression');
    const ast = jsep(source);
    return { ast, spans };
  } catch (err) {
    if (err instanceof ExpressionError) throw err;
    const e = err as { index?: unknown; description?: unknown; message?: unknown };
    const position = typeof e.index === 'number' ? e.index : 0;
    let reason = typeof e.description === 'string' ? e.description : String(e.message);
    if (source.charAt(position) === '=' && source.charAt(position + 1) !== '=') {
      reason = 'assignment is not allowed (compare with ==)';
    }
    throw new ExpressionError(source, position, `syntax error: ${reason}`);
  } finally {
    activeSpans = undefined;
    reentered = false;
    for (const undo of added) undo();
  }
}

// ---------------------------------------------------------------------------------------------------------
// Compiling

/** An unusable value: a point missing, not good or of the wrong type, or a non-finite result. */
const BAD: unique symbol = Symbol('bad');
type Value = ExprValue | typeof BAD;
type Fn = (read: PointReader) => Value;

/** A binary operation that is bad as soon as either operand is; the right side is not read if the left is bad. */
function strict(l: Fn, r: Fn, combine: (a: ExprValue, b: ExprValue) => Value): Fn {
  return (read) => {
    const a = l(read);
    if (a === BAD) return BAD;
    const b = r(read);
    if (b === BAD) return BAD;
    return combine(a, b);
  };
}

interface Node {
  type: ExprType;
  fn: Fn;
}

const FUNCTIONS: ReadonlyMap<string, { minArgs: number; maxArgs: number }> = new Map([
  ['abs', { minArgs: 1, maxArgs: 1 }],
  ['min', { minArgs: 1, maxArgs: Infinity }],
  ['max', { minArgs: 1, maxArgs: Infinity }],
]);

const KIND_TYPES: Record<PointKind, ExprType> = {
  analog: 'number',
  counter: 'number',
  binary: 'boolean',
  enum: 'string',
};

const LOGICAL: Record<string, 'and' | 'or'> = { and: 'and', '&&': 'and', or: 'or', '||': 'or' };
const ORDERING = new Set(['<', '<=', '>', '>=']);
const EQUALITY = new Set(['==', '!=']);
const ARITHMETIC = new Set(['+', '-', '*', '/']);

class Compiler {
  readonly inputs = new Set<string>();

  constructor(
    private readonly source: string,
    private readonly points: ReadonlyMap<string, PointKind>,
    private readonly spans: WeakMap<jsep.Expression, Span>,
  ) {}

  compile(node: jsep.Expression): Node {
    const n = node as jsep.CoreExpression;
    switch (n.type) {
      case 'Literal':
        return this.literal(n);
      case 'Identifier':
        return this.point(n);
      case 'UnaryExpression':
        return this.unary(n);
      case 'BinaryExpression':
        return this.binary(n);
      case 'CallExpression':
        return this.call(n);
      case 'MemberExpression':
        return this.fail(n, 'member access is not allowed');
      case 'ThisExpression':
        return this.fail(n, '"this" is not allowed');
      case 'ArrayExpression':
        return this.fail(n, 'arrays are not allowed');
      case 'ConditionalExpression':
        return this.fail(n, 'the conditional operator ?: is not allowed');
      case 'Compound': {
        const second = n.body[1];
        return this.fail(second ?? n, 'only one expression is allowed');
      }
      case 'SequenceExpression': {
        const second = n.expressions[1];
        return this.fail(second ?? n, 'only one expression is allowed');
      }
      default:
        return this.fail(n, `unsupported syntax ${String((n as jsep.Expression).type)}`);
    }
  }

  private literal(n: jsep.Literal): Node {
    const v = n.value;
    if (typeof v === 'number') return { type: 'number', fn: () => v };
    if (typeof v === 'boolean') return { type: 'boolean', fn: () => v };
    if (typeof v === 'string') return { type: 'string', fn: () => v };
    return this.fail(n, `literal ${n.raw} is not allowed`);
  }

  private point(n: jsep.Identifier): Node {
    const name = n.name;
    const kind = this.points.has(name) ? this.points.get(name) : undefined;
    if (kind === undefined) {
      if (FUNCTIONS.has(name)) return this.fail(n, `function ${name} must be called: ${name}(...)`);
      return this.fail(n, `unknown point "${name}"`);
    }
    this.inputs.add(name);
    const type = KIND_TYPES[kind];
    switch (type) {
      case 'number':
        return {
          type,
          fn: (read) => {
            const r = read(name);
            if (r === undefined || r.quality !== 'good') return BAD;
            return typeof r.value === 'number' && Number.isFinite(r.value) ? r.value : BAD;
          },
        };
      case 'boolean':
        return {
          type,
          fn: (read) => {
            const r = read(name);
            if (r === undefined || r.quality !== 'good') return BAD;
            const v = r.value;
            if (typeof v === 'boolean') return v;
            if (v === 0 || v === 1) return v === 1;
            return BAD;
          },
        };
      case 'string':
        return {
          type,
          fn: (read) => {
            const r = read(name);
            if (r === undefined || r.quality !== 'good') return BAD;
            return typeof r.value === 'string' ? r.value : BAD;
          },
        };
    }
  }

  private unary(n: jsep.UnaryExpression): Node {
    const op = n.operator;
    const pos = this.start(n);
    if (op === 'not' || op === '!') {
      const arg = this.expect(n.argument, 'boolean', `operator ${op}`);
      const f = arg.fn;
      return {
        type: 'boolean',
        fn: (read) => {
          const v = f(read);
          return v === BAD ? BAD : !v;
        },
      };
    }
    if (op === '-') {
      const arg = this.expect(n.argument, 'number', 'operator -');
      const f = arg.fn;
      return {
        type: 'number',
        fn: (read) => {
          const v = f(read);
          return v === BAD ? BAD : -(v as number);
        },
      };
    }
    throw new ExpressionError(this.source, pos, `operator ${op} is not allowed`);
  }

  private binary(n: jsep.BinaryExpression): Node {
    const op = n.operator;
    const opPos = this.operatorPosition(n);
    const logical = LOGICAL[op];
    if (logical !== undefined) {
      const l = this.expect(n.left, 'boolean', `operator ${op}`).fn;
      const r = this.expect(n.right, 'boolean', `operator ${op}`).fn;
      // Three-valued logic: a usable operand that decides the outcome wins over an unusable one.
      const decisive = logical === 'or';
      return {
        type: 'boolean',
        fn: (read) => {
          const a = l(read);
          if (a === decisive) return decisive;
          const b = r(read);
          if (b === decisive) return decisive;
          return a === BAD || b === BAD ? BAD : !decisive;
        },
      };
    }
    if (ORDERING.has(op)) {
      const l = this.expect(n.left, 'number', `operator ${op}`).fn;
      const r = this.expect(n.right, 'number', `operator ${op}`).fn;
      const cmp = comparator(op);
      return { type: 'boolean', fn: strict(l, r, (a, b) => cmp(a as number, b as number)) };
    }
    if (EQUALITY.has(op)) {
      const left = this.compile(n.left);
      const right = this.compile(n.right);
      if (left.type !== right.type) {
        throw new ExpressionError(
          this.source,
          opPos,
          `operator ${op} compares a ${left.type} with a ${right.type}`,
        );
      }
      const l = left.fn;
      const r = right.fn;
      const equal = op === '==';
      return { type: 'boolean', fn: strict(l, r, (a, b) => (a === b) === equal) };
    }
    if (ARITHMETIC.has(op)) {
      const l = this.expect(n.left, 'number', `operator ${op}`).fn;
      const r = this.expect(n.right, 'number', `operator ${op}`).fn;
      const calc = arithmetic(op);
      return {
        type: 'number',
        fn: strict(l, r, (a, b) => {
          const v = calc(a as number, b as number);
          return Number.isFinite(v) ? v : BAD;
        }),
      };
    }
    throw new ExpressionError(this.source, opPos, `operator ${op} is not allowed`);
  }

  private call(n: jsep.CallExpression): Node {
    const callee = n.callee as jsep.CoreExpression;
    // A callee parsed together with its call (`name(...)`) has no span of its own; the call starts there.
    const at = this.spans.has(callee) ? callee : n;
    if (callee.type !== 'Identifier') {
      if (callee.type === 'MemberExpression') return this.fail(at, 'member access is not allowed');
      return this.fail(at, 'only abs, min and max can be called');
    }
    const name = callee.name;
    const spec = FUNCTIONS.get(name);
    if (spec === undefined) {
      return this.fail(at, `unknown function "${name}" (allowed: abs, min, max)`);
    }
    const count = n.arguments.length;
    if (count < spec.minArgs || count > spec.maxArgs) {
      const wanted = spec.maxArgs === spec.minArgs ? `${spec.minArgs}` : `at least ${spec.minArgs}`;
      return this.fail(at, `function ${name} takes ${wanted} argument(s), got ${count}`);
    }
    const args = n.arguments.map((a) => this.expect(a, 'number', `function ${name}`).fn);
    if (name === 'abs') {
      const f = args[0] as Fn;
      return {
        type: 'number',
        fn: (read) => {
          const v = f(read);
          return v === BAD ? BAD : Math.abs(v as number);
        },
      };
    }
    const pick = name === 'min' ? Math.min : Math.max;
    return {
      type: 'number',
      fn: (read) => {
        let acc = 0;
        for (let i = 0; i < args.length; i++) {
          const v = (args[i] as Fn)(read);
          if (v === BAD) return BAD;
          acc = i === 0 ? (v as number) : pick(acc, v as number);
        }
        return acc;
      },
    };
  }

  /** Compiles `node` and checks that it has type `want`. */
  private expect(node: jsep.Expression, want: ExprType, what: string): Node {
    const compiled = this.compile(node);
    if (compiled.type !== want) {
      throw new ExpressionError(
        this.source,
        this.start(node),
        `${what} needs a ${want}, got a ${compiled.type} (${this.text(node)})`,
      );
    }
    return compiled;
  }

  private fail(node: jsep.Expression, reason: string): never {
    throw new ExpressionError(this.source, this.start(node), reason);
  }

  private start(node: jsep.Expression): number {
    const span = this.span(node);
    return span ? span.start : 0;
  }

  private span(node: jsep.Expression): Span | undefined {
    const own = this.spans.get(node);
    if (own) return own;
    if (node.type === 'BinaryExpression') {
      const b = node as jsep.BinaryExpression;
      const l = this.span(b.left);
      const r = this.span(b.right);
      if (l && r) return { start: l.start, end: r.end };
    }
    return undefined;
  }

  private text(node: jsep.Expression): string {
    const span = this.span(node);
    return span ? this.source.slice(span.start, span.end) : '?';
  }

  /** The position of a binary operator: the first non-space character after its left operand. */
  private operatorPosition(n: jsep.BinaryExpression): number {
    const left = this.span(n.left);
    if (!left) return 0;
    let i = left.end;
    while (i < this.source.length && /\s/.test(this.source.charAt(i))) i++;
    // A parenthesised left operand: its span does not include the closing parenthesis.
    const found = this.source.indexOf(n.operator, i);
    return found >= 0 ? found : i;
  }
}

function comparator(op: string): (a: number, b: number) => boolean {
  switch (op) {
    case '<':
      return (a, b) => a < b;
    case '<=':
      return (a, b) => a <= b;
    case '>':
      return (a, b) => a > b;
    default:
      return (a, b) => a >= b;
  }
}

function arithmetic(op: string): (a: number, b: number) => number {
  switch (op) {
    case '+':
      return (a, b) => a + b;
    case '-':
      return (a, b) => a - b;
    case '*':
      return (a, b) => a * b;
    default:
      return (a, b) => a / b;
  }
}
