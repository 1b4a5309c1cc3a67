import { describe, expect, it } from 'vitest';
import type { Notification } from '../../../src/notify/message.js';
import { byUrgency, renderText, safeLink, truncateUtf8 } from '../../../src/notify/message.js';
import { RateBudget } from '../../../src/notify/rate-budget.js';
import { VirtualClock } from '../../../src/time/clock.js';

function note(title: string, over: Partial<Notification> = {}): Notification {
  return { key: title, kind: 'raise', priority: 'medium', title, body: title, ts: 0, ...over };
}

describe('rate budget', () => {
  it('admits perMinute in a rolling minute, then holds and emits one summary when a slot frees', async () => {
    const clock = new VirtualClock();
    const summaries: Array<{ summary: Notification; folded: Notification[] }> = [];
    const budget = new RateBudget('ding', { perMinute: 20 }, clock, (summary, folded) => summaries.push({ summary, folded }));
    const admitted: boolean[] = [];
    for (let i = 0; i < 21; i++) {
      admitted.push(budget.offer(note(`m${i}`)));
      await clock.advance(1_000);
    }
    expect(admitted.filter(Boolean)).toHaveLength(20);
    expect(admitted[20]).toBe(false);
    expect(budget.folded).toBe(1);
    expect(budget.holding).toBe(1);
    await clock.advance(60_000 - 21_000 - 1);
    expect(summaries).toHaveLength(0);
    await clock.advance(1);
    expect(summaries).toHaveLength(1);
    expect(summaries[0]?.folded.map((n) => n.key)).toEqual(['m20']);
    expect(summaries[0]?.summary).toMatchObject({ kind: 'summary', priority: 'medium', lifeSafety: false });
    expect(budget.holding).toBe(0);
    // The summary took the slot freed by m0; m1's slot frees one second later.
    expect(budget.offer(note('next'))).toBe(false);
    await clock.advance(1_000);
    expect(summaries).toHaveLength(2);
    expect(budget.summariesSent).toBe(2);
  });

  it('lists fire first, then by priority, and counts the ones beyond maxListed', async () => {
    const clock = new VirtualClock();
    const summaries: Notification[] = [];
    const budget = new RateBudget('ding', { perMinute: 1, maxListed: 3, summaryLink: 'https://gw.example.org/alarms' }, clock, (s) => summaries.push(s));
    budget.offer(note('first'));
    budget.offer(note('low', { priority: 'low' }));
    budget.offer(note('crit', { priority: 'critical' }));
    budget.offer(note('fire', { priority: 'medium', lifeSafety: true }));
    budget.offer(note('resolve', { kind: 'resolve', priority: 'low' }));
    await clock.advance(60_000);
    const s = summaries[0];
    expect(s?.title).toBe('4 notifications held back by the rate limit (1 FIRE)');
    expect(s).toMatchObject({ lifeSafety: true, priority: 'medium', link: 'https://gw.example.org/alarms' });
    const lines = s?.body.split('\n').filter((l) => l.startsWith('- ')) ?? [];
    expect(lines.map((l) => l.replace(/ \(.*\)$/, ''))).toEqual(['- [FIRE ALARM/medium] fire', '- [ALARM/critical] crit', '- [ALARM/low] low', '- …and 1 more']);
    expect(s?.body).toContain('3 raise, 1 resolve');
  });

  it('rejects a budget below one message', () => {
    expect(() => new RateBudget('x', { perMinute: 0 }, new VirtualClock(), () => {})).toThrow(/perMinute/);
  });
});

describe('notification rendering', () => {
  it('orders by urgency, drops non-http links and cuts UTF-8 on character boundaries', () => {
    const list = [note('a', { priority: 'low', ts: 1 }), note('b', { priority: 'critical', ts: 2 }), note('c', { lifeSafety: true, priority: 'low', ts: 3 })];
    expect([...list].sort(byUrgency).map((n) => n.key)).toEqual(['c', 'b', 'a']);
    expect(safeLink('javascript:alert(1)')).toBeUndefined();
    expect(safeLink('not a url')).toBeUndefined();
    expect(safeLink('https://gw.example.org/a/1')).toBe('https://gw.example.org/a/1');
    const cut = truncateUtf8('火警'.repeat(10), 10, '…');
    expect(Buffer.byteLength(cut)).toBeLessThanOrEqual(10);
    expect(cut).toBe('火警…');
    expect(renderText(note('x', { cause: 'c', link: 'ftp://x' }))).not.toContain('Acknowledge');
  });
});

describe('rate budget summaries and recipients', () => {
  it('keeps the address when every folded notification is for one recipient, and drops it for a mixed batch', async () => {
    const clock = new VirtualClock();
    const summaries: Notification[] = [];
    const budget = new RateBudget('mail', { perMinute: 1 }, clock, (summary) => summaries.push(summary));
    budget.offer(note('a', { to: 'alice@example.org', recipient: 'person:alice' }));
    budget.offer(note('b', { to: 'alice@example.org', recipient: 'person:alice' }));
    budget.offer(note('c', { to: 'alice@example.org', recipient: 'person:alice' }));
    await clock.advance(60_000);
    budget.offer(note('d', { to: 'bob@example.org' }));
    budget.offer(note('e', { to: 'alice@example.org' }));
    await clock.advance(60_000);
    expect(summaries.map((s) => [s.to, s.recipient])).toEqual([
      ['alice@example.org', 'person:alice'],
      [undefined, undefined],
    ]);
  });
});
