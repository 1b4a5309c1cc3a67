import { timingSafeEqual } from 'node:crypto';
import { webhookSignature } from '../../notify/channels/webhook.js';

/**
 * Checks a signed request from a CMMS: the scheme of our own webhooks (`X-Signature: sha256=<hex HMAC-SHA256
 * over "<timestamp>.<body>">`), with a timestamp within the tolerance either way so that a captured request
 * cannot be replayed later. The timestamp is ms since the epoch, as we send it; a CMMS that sends seconds
 * (10 digits) is understood too — the HMAC covers the header exactly as sent either way.
 */
export type SignatureCheck = { ok: true } | { ok: false; reason: string };

export interface SignedRequest {
  timestamp: string | undefined;
  signature: string | undefined;
  body: string;
}

/** Below this a timestamp is read as seconds: 1e11 ms is in 1973, 1e11 s in the year 5138. */
const SECONDS_BELOW = 1e11;

export function verifySignature(request: SignedRequest, secrets: readonly string[], now: number, toleranceMs: number): SignatureCheck {
  const { timestamp, signature } = request;
  if (timestamp === undefined || timestamp === '') return { ok: false, reason: 'missing X-Signature-Timestamp header' };
  if (signature === undefined || signature === '') return { ok: false, reason: 'missing X-Signature header' };
  if (!/^\d{1,16}$/.test(timestamp)) return { ok: false, reason: 'X-Signature-Timestamp must be milliseconds since the epoch' };
  const n = Number(timestamp);
  const at = n < SECONDS_BELOW ? n * 1000 : n;
  const skewMs = now - at;
  if (skewMs > toleranceMs) return { ok: false, reason: `X-Signature-Timestamp is ${Math.round(skewMs / 1000)} s old (tolerance ${toleranceMs / 1000} s)` };
  if (-skewMs > toleranceMs) return { ok: false, reason: `X-Signature-Timestamp is ${Math.round(-skewMs / 1000)} s in the future (tolerance ${toleranceMs / 1000} s)` };
  const given = Buffer.from(signature.trim(), 'utf8');
  // Every secret is compared, so the time taken does not tell which one matched.
  let matched = false;
  for (const secret of secrets) {
    const expected = Buffer.from(webhookSignature(secret, timestamp, request.body), 'utf8');
    if (expected.length === given.length && timingSafeEqual(expected, given)) matched = true;
  }
  return matched ? { ok: true } : { ok: false, reason: 'signature does not match (X-Signature: sha256=<hex HMAC-SHA256 of "timestamp.body">)' };
}
