import { describe, expect, it } from 'vitest';
import { checkedPrefix, NorthboundTopics, topicLevel } from '../../../src/northbound/topics.js';

describe('northbound topics', () => {
  const topics = new NorthboundTopics('facility-gw', 'hq');

  it('builds every topic under <prefix>/<site>', () => {
    expect(topics.base).toBe('facility-gw/hq');
    expect(topics.status).toBe('facility-gw/hq/status');
    expect(topics.deviceState('pump-1')).toBe('facility-gw/hq/devices/pump-1/state');
    expect(topics.point('pump-1', 'motor_temp')).toBe('facility-gw/hq/devices/pump-1/points/motor_temp');
    expect(topics.alarm('pump-1', 'comm_loss')).toBe('facility-gw/hq/alarms/pump-1/comm_loss');
    expect(topics.event('door-3', 'access_denied')).toBe('facility-gw/hq/events/door-3/access_denied');
    expect(topics.all()).toBe('facility-gw/hq/#');
  });

  it('accepts a prefix of several levels and drops a trailing slash', () => {
    expect(new NorthboundTopics('acme/campus-north/', 'b1').status).toBe('acme/campus-north/b1/status');
  });

  it('turns wildcards, separators and NUL inside a name into _, so a name is always exactly one level', () => {
    expect(topicLevel('a+b#c/d\u0000e')).toBe('a_b_c_d_e');
    expect(topicLevel('')).toBe('_');
    expect(topicLevel('door.state')).toBe('door.state');
    expect(topics.point('x/+', '#')).toBe('facility-gw/hq/devices/x__/points/_');
    expect(new NorthboundTopics('gw', 'a/b').base).toBe('gw/a_b');
  });

  it.each([
    ['', 'empty'],
    ['/', 'empty'],
    ['gw/+', '+ # or NUL'],
    ['gw/#', '+ # or NUL'],
    ['gw\u0000x', '+ # or NUL'],
    ['$SYS/gw', 'starts with $'],
    ['gw//x', 'empty level'],
  ])('refuses the prefix %j', (prefix, reason) => {
    expect(() => checkedPrefix(prefix)).toThrow(reason);
  });
});
