import { describe, expect, it } from 'vitest';
import { compileTopic, filterProblem, TopicRouter, topicMatches } from '../../../src/drivers/mqtt/topic-pattern.js';

describe('compileTopic', () => {
  it('substitutes {device} and topic variables', () => {
    const topic = compileTopic('acs/{controller}/door/{door}/state', 'door-1', { controller: 'ctrl-a', door: '1' });
    expect(topic.filter).toBe('acs/ctrl-a/door/1/state');
    expect(topic.levels).toEqual(['acs', 'ctrl-a', 'door', '1', 'state']);
    expect(topic.hasWildcard).toBe(false);
    expect(compileTopic('sensors/{device}/temp', 'pump-3', {}).filter).toBe('sensors/pump-3/temp');
  });

  it('keeps wildcards of the pattern', () => {
    const topic = compileTopic('acs/{controller}/+/#', 'c', { controller: 'ctrl-a' });
    expect(topic.filter).toBe('acs/ctrl-a/+/#');
    expect(topic.hasWildcard).toBe(true);
  });

  it('lets a variable span levels', () => {
    expect(compileTopic('{site}/x', 'd', { site: 'a/b' }).levels).toEqual(['a', 'b', 'x']);
  });

  it('names device and variable when a variable is missing', () => {
    expect(() => compileTopic('acs/{controller}/door/{door}/state', 'door-7', { controller: 'c' })).toThrow(/device door-7.*\{door\}.*topicVars\.door/);
  });

  it('refuses a variable value that brings in a wildcard', () => {
    expect(() => compileTopic('acs/{controller}/state', 'c', { controller: '+' })).toThrow(/device c: topic variable controller = "\+" contains an MQTT wildcard/);
  });

  it('refuses results that are not valid filters', () => {
    expect(() => compileTopic('a/#/b', 'd', {})).toThrow(/'#' is not the last level/);
    expect(() => compileTopic('a/b+/c', 'd', {})).toThrow(/wildcard shares the level/);
    expect(() => compileTopic('a/{Bad Name/c', 'd', {})).toThrow(/brace/);
  });
});

describe('filterProblem', () => {
  it('accepts valid filters, including empty levels', () => {
    for (const filter of ['a', 'a/b', '+', '#', 'a/+/c', 'a/#', '/a', 'a//b', '+/+']) expect(filterProblem(filter), filter).toBeUndefined();
  });

  it('rejects invalid ones', () => {
    for (const filter of ['', 'a/#/b', 'a#', 'a/b+', 'x\u0000y']) expect(filterProblem(filter), filter).toBeDefined();
  });
});

describe('topicMatches', () => {
  const cases: Array<[string, string, boolean]> = [
    ['a/b/c', 'a/b/c', true],
    ['a/b/c', 'a/b', false],
    ['a/b', 'a/b/c', false],
    ['a/+/c', 'a/x/c', true],
    ['a/+/c', 'a/x/y/c', false],
    ['a/+', 'a/', true],
    ['a/#', 'a', true],
    ['a/#', 'a/b/c', true],
    ['a/#', 'b/c', false],
    ['#', 'anything/at/all', true],
    ['#', '$SYS/broker/uptime', false],
    ['+/broker/uptime', '$SYS/broker/uptime', false],
    ['$SYS/#', '$SYS/broker/uptime', true],
    ['a/+/+', 'a/b', false],
  ];
  it.each(cases)('%s against %s → %s', (filter, topic, expected) => {
    expect(topicMatches(filter, topic)).toBe(expected);
  });
});

describe('TopicRouter', () => {
  function router(entries: Array<[string, string]>): TopicRouter<string> {
    const r = new TopicRouter<string>();
    for (const [filter, handler] of entries) r.add(compileTopic(filter, 'd', {}), handler);
    return r;
  }

  it('finds exact handlers with one lookup and several per topic', () => {
    const r = router([
      ['acs/c1/state', 'c1-mains'],
      ['acs/c1/state', 'c1-battery'],
      ['acs/c2/state', 'c2'],
    ]);
    expect(r.match('acs/c1/state')).toEqual(['c1-mains', 'c1-battery']);
    expect(r.match('acs/c2/state')).toEqual(['c2']);
    expect(r.match('acs/c3/state')).toEqual([]);
  });

  it('finds wildcard handlers alongside exact ones', () => {
    const r = router([
      ['acs/c1/door/1/state', 'exact'],
      ['acs/+/door/+/state', 'doors'],
      ['acs/c1/#', 'all-c1'],
      ['#', 'everything'],
      ['acs/+/heartbeat', 'heartbeats'],
    ]);
    expect([...r.match('acs/c1/door/1/state')].sort()).toEqual(['all-c1', 'doors', 'everything', 'exact']);
    expect([...r.match('acs/c2/door/9/state')].sort()).toEqual(['doors', 'everything']);
    expect([...r.match('acs/c1')].sort()).toEqual(['all-c1', 'everything']);
    expect([...r.match('acs/c2/heartbeat')].sort()).toEqual(['everything', 'heartbeats']);
    expect(r.match('$SYS/broker/load')).toEqual([]);
  });

  it('lists each filter once, in the order first added', () => {
    const r = router([
      ['b/state', 'x'],
      ['a/+', 'y'],
      ['b/state', 'z'],
    ]);
    expect(r.filters()).toEqual(['b/state', 'a/+']);
  });

  it('agrees with topicMatches on a mixed set of filters and topics', () => {
    const filters = ['a/b', 'a/+', 'a/#', '+/b', '+/+', '#', 'a/b/c', 'a/+/c', '+/#', 'x/y'];
    const topics = ['a', 'a/b', 'a/c', 'a/b/c', 'z/b', 'x/y', 'x/y/z', '$SYS/b', 'a/b/c/d'];
    const r = router(filters.map((f) => [f, f]));
    for (const topic of topics) {
      expect([...r.match(topic)].sort(), topic).toEqual(filters.filter((f) => topicMatches(f, topic)).sort());
    }
  });
});
