import { describe, expect, it } from 'vitest';
import { checkCmms, CmmsSchema, type CmmsConfig } from '../../../src/config/cmms-schema.js';
import { withDefaults } from '../../../src/config/alarm-management-schema.js';
import { ConfigError } from '../../../src/config/config-error.js';
import { parseConfig } from '../../../src/config/loader.js';
import { backoffDelayMs, retryAfterMs } from '../../../src/workorders/cmms/backoff.js';
import { orderId } from '../../../src/workorders/cmms/inbound.js';
import { verifySignature } from '../../../src/workorders/cmms/signature.js';
import { webhookSignature } from '../../../src/notify/channels/webhook.js';

const site = `site:
  id: demo
  name: Demo
`;

function issuesOf(text: string, env: NodeJS.ProcessEnv): string[] {
  try {
    parseConfig(text, { env });
  } catch (err) {
    if (err instanceof ConfigError) return err.message.split('\n');
    throw err;
  }
  return [];
}

describe('cmms config', () => {
  const cmms = `cmms:
  outbound:
    - id: maximo
      url: https://cmms.example.com/hooks/facility-gw
      secret: \${CMMS_OUT_SECRET}
      events: [created, complete]
  inbound:
    name: maximo
    secret: \${CMMS_IN_SECRET}
`;

  it('takes secrets from the environment and fills the defaults', () => {
    const config = parseConfig(site + cmms, { env: { CMMS_OUT_SECRET: 'out-secret-0123456789', CMMS_IN_SECRET: 'in-secret-0123456789' } });
    expect(config.cmms?.outbound[0]).toEqual({
      id: 'maximo',
      url: 'https://cmms.example.com/hooks/facility-gw',
      secret: 'out-secret-0123456789',
      events: ['created', 'complete'],
      echoInbound: false,
      timeoutMs: 10_000,
      maxAttempts: 12,
      maxAgeHours: 24,
      baseDelayMs: 2000,
      maxDelayMs: 600_000,
    });
    expect(config.cmms?.inbound).toEqual({ name: 'maximo', secret: 'in-secret-0123456789', toleranceSeconds: 300, keyRetentionHours: 72 });
  });

  it('names the path of what is wrong', () => {
    const issues = issuesOf(site + cmms.replace('[created, complete]', '[created, finished]').replace('https://cmms', 'ftp://cmms'), { CMMS_IN_SECRET: 'in-secret-0123456789' });
    expect(issues.some((i) => i.includes('cmms.outbound[0].secret') && i.includes('CMMS_OUT_SECRET'))).toBe(true);
    expect(issues.some((i) => i.includes('cmms.outbound[0].url'))).toBe(true);
    expect(issues.some((i) => i.includes('cmms.outbound[0].events[1]'))).toBe(true);
    const short = issuesOf(site + cmms, { CMMS_OUT_SECRET: 'short', CMMS_IN_SECRET: 'in-secret-0123456789' });
    expect(short.some((i) => i.includes('cmms.outbound[0].secret'))).toBe(true);
  });

  it('finds duplicate target ids and delays out of order', () => {
    const target = { id: 'a', url: 'https://x.example/', secret: 'secret-0123456789abcdef' };
    const config: CmmsConfig = withDefaults(CmmsSchema, { outbound: [target, { ...target, baseDelayMs: 5000, maxDelayMs: 1000 }] } as CmmsConfig);
    expect(checkCmms(config)).toEqual([
      { segments: ['cmms', 'outbound', 1, 'id'], message: 'duplicate outbound id "a"' },
      { segments: ['cmms', 'outbound', 1, 'maxDelayMs'], message: 'must be at least baseDelayMs (5000)' },
    ]);
    expect(checkCmms(undefined)).toEqual([]);
  });
});

describe('retry timing', () => {
  const policy = { baseDelayMs: 1000, maxDelayMs: 30_000 };

  it('doubles per attempt up to the maximum, with half of each delay jittered', () => {
    expect([1, 2, 3, 4, 5, 6, 40].map((a) => backoffDelayMs(policy, a, () => 0))).toEqual([500, 1000, 2000, 4000, 8000, 15_000, 15_000]);
    expect([1, 2, 3, 6].map((a) => backoffDelayMs(policy, a, () => 0.999_999))).toEqual([1000, 2000, 4000, 30_000]);
  });

  it('reads Retry-After in seconds or as an HTTP date', () => {
    const now = Date.parse('2026-11-02T08:00:00Z');
    expect(retryAfterMs('120', now)).toBe(120_000);
    expect(retryAfterMs('Mon, 02 Nov 2026 08:01:30 GMT', now)).toBe(90_000);
    expect(retryAfterMs('Mon, 02 Nov 2026 07:00:00 GMT', now)).toBe(0);
    expect(retryAfterMs('soon', now)).toBeUndefined();
    expect(retryAfterMs(null, now)).toBeUndefined();
  });
});

describe('inbound signature and order references', () => {
  const now = Date.parse('2026-11-02T08:00:00Z');
  const secret = 'inbound-secret-0123456789';
  const body = '{"action":"start"}';

  it('accepts exactly the signature of "timestamp.body" within the tolerance', () => {
    const ts = String(now - 1000);
    expect(verifySignature({ timestamp: ts, signature: webhookSignature(secret, ts, body), body }, [secret], now, 300_000)).toEqual({ ok: true });
    expect(verifySignature({ timestamp: ts, signature: webhookSignature(secret, ts, `${body} `), body }, [secret], now, 300_000).ok).toBe(false);
    expect(verifySignature({ timestamp: `${ts}.5`, signature: 'sha256=00', body }, [secret], now, 300_000)).toEqual({ ok: false, reason: 'X-Signature-Timestamp must be milliseconds since the epoch' });
    expect(verifySignature({ timestamp: ts, signature: undefined, body }, [secret], now, 300_000)).toEqual({ ok: false, reason: 'missing X-Signature header' });
  });

  it('reads order numbers and ids', () => {
    expect(['WO-000042', 'wo-42', '42', ' 42 '].map(orderId)).toEqual([42, 42, 42, 42]);
    expect(['WO-', 'WO-0', '0', 'WO-42x', '42.0', ''].map(orderId)).toEqual([undefined, undefined, undefined, undefined, undefined, undefined]);
  });
});
