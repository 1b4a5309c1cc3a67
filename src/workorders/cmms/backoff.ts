/**
 * Retry timing of the outbound webhooks: exponential, with "equal jitter" (half the delay fixed, half
 * random) so that events that failed together — a CMMS outage — do not all come back at the same instant,
 * while no retry comes sooner than half its nominal delay.
 */
export interface BackoffPolicy {
  baseDelayMs: number;
  maxDelayMs: number;
}

/** The wait after failed attempt number `attempt` (1 = the first attempt failed). `random` in [0, 1). */
export function backoffDelayMs(policy: BackoffPolicy, attempt: number, random: () => number): number {
  const nominal = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.min(attempt - 1, 30));
  return Math.round(nominal / 2 + random() * (nominal / 2));
}

/**
 * A Retry-After header (RFC 9110 §10.2.3): delay in seconds or an HTTP date. Returns ms from `now`, or
 * undefined when absent or unreadable (then the policy's own delay applies).
 */
export function retryAfterMs(header: string | null, now: number): number | undefined {
  if (header === null) return undefined;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isFinite(at) ? Math.max(0, at - now) : undefined;
}
