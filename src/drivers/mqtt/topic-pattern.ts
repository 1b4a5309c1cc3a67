/**
 * Profile topics are patterns (`acs/{controller}/door/{door}/state`): this module turns one into a device's
 * subscription filter, and routes incoming topics to whatever listens on them.
 *
 * Matching splits the topic by `/` and compares level by level: no regular expression runs per message.
 * Most profile topics have no wildcard left after substitution, so the router answers those with one Map
 * lookup and only walks its small trie of wildcard filters when there are any.
 */

const LEVEL_SEPARATOR = '/';
const SINGLE_LEVEL = '+';
const MULTI_LEVEL = '#';
/** MQTT caps topic names and filters at 65,535 bytes of UTF-8. */
const MAX_TOPIC_BYTES = 65_535;
/** `{name}` placeholders; anything between braces is checked against the device's topic variables. */
const PLACEHOLDER = /\{([^{}]*)\}/g;

/** One device's instance of a profile topic pattern. */
export interface CompiledTopic {
  /** The pattern as written in the profile. */
  readonly pattern: string;
  /** The MQTT subscription filter, placeholders substituted, wildcards kept. */
  readonly filter: string;
  readonly levels: readonly string[];
  readonly hasWildcard: boolean;
}

/**
 * Substitutes `{device}` (the device id) and `{name}` (the device's `topicVars.name`) in a profile topic.
 * Throws an Error naming the device and the variable when one is missing, and when the result is not a
 * valid MQTT filter. A variable's value may span levels (`site/a`) but may not bring in a wildcard: that
 * would make one device listen to its neighbours' topics.
 */
export function compileTopic(pattern: string, deviceId: string, topicVars: Readonly<Record<string, string>>): CompiledTopic {
  const filter = pattern.replace(PLACEHOLDER, (_match, name: string) => {
    const value = name === 'device' ? deviceId : Object.hasOwn(topicVars, name) ? topicVars[name] : undefined;
    if (value === undefined) throw new Error(`device ${deviceId}: topic ${pattern} needs topic variable {${name}}, which the device does not set (topicVars.${name})`);
    if (value.includes(SINGLE_LEVEL) || value.includes(MULTI_LEVEL)) {
      throw new Error(`device ${deviceId}: topic variable ${name} = "${value}" contains an MQTT wildcard`);
    }
    return value;
  });
  const problem = filterProblem(filter);
  if (problem !== undefined) throw new Error(`device ${deviceId}: topic ${pattern} gives "${filter}", ${problem}`);
  const levels = filter.split(LEVEL_SEPARATOR);
  return { pattern, filter, levels, hasWildcard: levels.some(isWildcard) };
}

/** Why a string is not a valid MQTT subscription filter, or undefined when it is one. */
export function filterProblem(filter: string): string | undefined {
  if (filter.length === 0) return 'which is empty';
  if (Buffer.byteLength(filter, 'utf8') > MAX_TOPIC_BYTES) return `which is longer than ${MAX_TOPIC_BYTES} bytes`;
  if (filter.includes('\u0000')) return 'which contains a NUL character';
  if (/[{}]/.test(filter)) return 'which still contains a brace (a malformed placeholder?)';
  const levels = filter.split(LEVEL_SEPARATOR);
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i] ?? '';
    if (level === MULTI_LEVEL && i !== levels.length - 1) return "where '#' is not the last level";
    if (level.length > 1 && (level.includes(SINGLE_LEVEL) || level.includes(MULTI_LEVEL))) return `where a wildcard shares the level "${level}"`;
  }
  return undefined;
}

/**
 * Whether a topic (split into levels) matches a filter (split into levels), as MQTT defines it: `+` is one
 * level, `#` the rest (including its parent level), and a wildcard in the first level never matches a
 * topic starting with `$` (broker topics such as `$SYS/...`).
 */
export function matchesLevels(filter: readonly string[], topic: readonly string[]): boolean {
  for (let i = 0; i < filter.length; i++) {
    const level = filter[i];
    if (level === MULTI_LEVEL) return i > 0 || !isSystemTopic(topic);
    if (i >= topic.length) return false;
    if (level === SINGLE_LEVEL) {
      if (i === 0 && isSystemTopic(topic)) return false;
      continue;
    }
    if (level !== topic[i]) return false;
  }
  return filter.length === topic.length;
}

/** Convenience form of matchesLevels for one-off checks (tests, config tools); the router does not use it. */
export function topicMatches(filter: string, topic: string): boolean {
  return matchesLevels(filter.split(LEVEL_SEPARATOR), topic.split(LEVEL_SEPARATOR));
}

interface TrieNode<T> {
  readonly children: Map<string, TrieNode<T>>;
  /** Handlers whose filter ends at this node. */
  readonly handlers: T[];
  /** Handlers whose filter ends with `#` right below this node. */
  readonly rest: T[];
}

function newNode<T>(): TrieNode<T> {
  return { children: new Map(), handlers: [], rest: [] };
}

const NO_HANDLERS: readonly never[] = Object.freeze([]);

/**
 * Finds every handler listening on an incoming topic. Exact filters sit in a Map; wildcard filters in a
 * trie keyed by level, in which a lookup follows the topic's level, `+` and `#` at each step. Handlers of
 * a filter come back in the order they were added; exact handlers before wildcard ones.
 */
export class TopicRouter<T> {
  private readonly exact = new Map<string, T[]>();
  private readonly root: TrieNode<T> = newNode();
  private readonly filterSet = new Set<string>();
  private wildcardCount = 0;

  add(topic: CompiledTopic, handler: T): void {
    this.filterSet.add(topic.filter);
    if (!topic.hasWildcard) {
      const list = this.exact.get(topic.filter);
      if (list) list.push(handler);
      else this.exact.set(topic.filter, [handler]);
      return;
    }
    this.wildcardCount++;
    let node = this.root;
    for (const level of topic.levels) {
      if (level === MULTI_LEVEL) {
        node.rest.push(handler);
        return;
      }
      let child = node.children.get(level);
      if (!child) {
        child = newNode();
        node.children.set(level, child);
      }
      node = child;
    }
    node.handlers.push(handler);
  }

  /** Handlers for a topic name (no wildcards); an empty array when nobody listens. Do not modify the result. */
  match(topic: string): readonly T[] {
    const exact = this.exact.get(topic);
    if (this.wildcardCount === 0) return exact ?? NO_HANDLERS;
    const found: T[] = exact ? [...exact] : [];
    const levels = topic.split(LEVEL_SEPARATOR);
    collect(this.root, levels, 0, isSystemTopic(levels), found);
    return found.length === 0 ? NO_HANDLERS : found;
  }

  /** The distinct filters added, in the order first seen: what to subscribe to. */
  filters(): string[] {
    return [...this.filterSet];
  }
}

function collect<T>(node: TrieNode<T>, levels: readonly string[], depth: number, system: boolean, found: T[]): void {
  // A wildcard in the first level never matches a `$` topic.
  const wildcardsAllowed = depth > 0 || !system;
  if (wildcardsAllowed) found.push(...node.rest);
  if (depth === levels.length) {
    found.push(...node.handlers);
    return;
  }
  const level = levels[depth] ?? '';
  const child = node.children.get(level);
  if (child) collect(child, levels, depth + 1, system, found);
  const any = wildcardsAllowed ? node.children.get(SINGLE_LEVEL) : undefined;
  if (any && level !== SINGLE_LEVEL) collect(any, levels, depth + 1, system, found);
}

function isWildcard(level: string): boolean {
  return level === SINGLE_LEVEL || level === MULTI_LEVEL;
}

function isSystemTopic(levels: readonly string[]): boolean {
  return levels[0]?.startsWith('$') ?? false;
}
