import { describe, expect, it } from 'vitest';
import { ACK_PAGE_HEADERS, escapeHtml, formatTime, renderAckPage, renderAckResult, type AckPageAlarm } from '../../../src/alarms/ack-page.js';

const RAISED = Date.UTC(2026, 0, 1, 8, 30, 0);

const HOSTILE = '<script>alert("x")</script>';

function alarm(overrides: Partial<AckPageAlarm> = {}): AckPageAlarm {
  return {
    alarmId: 'pump-1:motor_temperature_high',
    title: 'Motor temperature high',
    site: 'hq',
    device: 'pump-1',
    priority: 'high',
    state: 'unack-active',
    raisedAt: RAISED,
    rationale: { cause: 'Bearing wear or blocked cooling', consequence: 'Motor trips; no domestic water', action: 'Check the fan and bearing temperature' },
    ...overrides,
  };
}

/** Every `<form ...>` opening tag of the page. */
function forms(html: string): string[] {
  return html.match(/<form\b[^>]*>/g) ?? [];
}

describe('renderAckPage', () => {
  it('shows the alarm and offers a POST form, with no script and no external asset', () => {
    const html = renderAckPage({ alarm: alarm(), recipientName: 'Alice Zhang', expiresAt: RAISED + 86_400_000 });
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(forms(html)).toEqual(['<form method="post">']); // no action: it posts to the page's own URL
    expect(html).toMatch(/<button type="submit">Acknowledge as Alice Zhang<\/button>/);
    expect(html).toContain('name="comment"');
    for (const text of ['Motor temperature high', 'pump-1', 'hq', 'Active, not acknowledged', '2026-01-01 08:30:00 UTC', 'Bearing wear or blocked cooling', 'Motor trips; no domestic water', 'Check the fan and bearing temperature', 'high']) {
      expect(html).toContain(text);
    }
    expect(html).toContain('name="viewport"');
    expect(html).not.toMatch(/<script|<link|<img|src=|https?:\/\//i);
  });

  it('escapes every value that comes from the alarm or the link', () => {
    const html = renderAckPage({
      alarm: alarm({
        alarmId: `a"><${HOSTILE}`, title: HOSTILE, site: `'x'`, device: 'd&d',
        rationale: { cause: HOSTILE, consequence: '<b>bold</b>', action: `"quoted" & 'single'` },
      }),
      recipientName: `Eve <img src=x onerror=alert(1)>`,
      expiresAt: RAISED,
      actionUrl: `https://gw.example.com/ack/t"onmouseover="alert(1)`,
    });
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<img');
    expect(html).not.toContain('<b>bold');
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(html).toContain('d&amp;d');
    expect(html).toContain('&#39;x&#39;');
    expect(html).toContain('&quot;quoted&quot; &amp; &#39;single&#39;');
    expect(forms(html)).toEqual(['<form method="post" action="https://gw.example.com/ack/t&quot;onmouseover=&quot;alert(1)">']);
  });

  it('shows times in the site time zone, and UTC for an unknown zone', () => {
    const view = { alarm: alarm(), recipientName: 'A', expiresAt: RAISED };
    expect(renderAckPage({ ...view, timeZone: 'Asia/Shanghai' })).toContain('2026-01-01 16:30:00 Asia/Shanghai');
    expect(renderAckPage({ ...view, timeZone: 'Not/AZone' })).toContain('2026-01-01 08:30:00 UTC');
    expect(formatTime(Number.NaN)).toBe('unknown');
  });

  it('marks a fire alarm and offers no button for an alarm already acknowledged', () => {
    const fire = renderAckPage({ alarm: alarm({ lifeSafety: true, priority: 'critical' }), recipientName: 'A', expiresAt: RAISED });
    expect(fire).toContain('FIRE / LIFE SAFETY');
    const acked = renderAckPage({
      alarm: alarm({ state: 'ack-active', acknowledgedBy: 'Bob <ops>', acknowledgedAt: RAISED + 60_000 }),
      recipientName: 'A',
      expiresAt: RAISED,
    });
    expect(forms(acked)).toEqual([]);
    expect(acked).toContain('Already acknowledged by Bob &lt;ops&gt; at 2026-01-01 08:31:00 UTC');
    expect(forms(renderAckPage({ alarm: alarm({ state: 'rtn-unack' }), recipientName: 'A', expiresAt: RAISED }))).toHaveLength(1);
  });
});

describe('renderAckResult', () => {
  it('confirms an acknowledgement with who and when, and no form', () => {
    const html = renderAckResult({ kind: 'acknowledged', alarm: alarm({ state: 'ack-active' }), by: 'Alice <A>', at: RAISED + 120_000 });
    expect(html).toContain('Acknowledged by Alice &lt;A&gt; at 2026-01-01 08:32:00 UTC.');
    expect(html).toContain('Motor temperature high');
    expect(forms(html)).toEqual([]);
  });

  it('shows a refusal with its reason, escaped', () => {
    const html = renderAckResult({ kind: 'refused', reason: 'used', message: `This link was already used at 2026-01-01T00:01:30Z (${HOSTILE}).` });
    expect(html).toContain('Reason: used');
    expect(html).toContain('already used at 2026-01-01T00:01:30Z (&lt;script&gt;');
    expect(html).not.toContain('<script>');
    expect(forms(html)).toEqual([]);
  });
});

describe('ack page helpers', () => {
  it('escapes the five HTML specials and nothing else', () => {
    expect(escapeHtml(`<a href="x">'&'</a> 张伟`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt; 张伟');
  });

  it('sends headers that keep the token out of caches, referrers and indexes', () => {
    expect(ACK_PAGE_HEADERS).toMatchObject({ 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' });
    expect(ACK_PAGE_HEADERS['content-security-policy']).toContain("default-src 'none'");
  });
});
