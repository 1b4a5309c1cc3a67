import { retryAfterMs } from './backoff.js';

/**
 * What one POST to a CMMS came to. `retry` covers what may pass (network errors, timeouts, 5xx, 408, 429);
 * `reject` what will not (other 4xx, redirects): sending the same request again cannot succeed.
 */
export type PostOutcome =
  | { kind: 'delivered'; status: number }
  | { kind: 'retry'; reason: string; status?: number; retryAfterMs?: number }
  | { kind: 'reject'; reason: string; status: number };

export interface PostRequest {
  url: string;
  body: string;
  headers: Record<string, string>;
  /** Real time: the request waits on the network, not on the gateway's clock. */
  timeoutMs: number;
  /** For Retry-After given as an HTTP date. */
  now: number;
}

const REASON_CHARS = 200;

export async function signedPost(request: PostRequest): Promise<PostOutcome> {
  let response: Response;
  let text: string;
  try {
    response = await fetch(request.url, {
      method: 'POST',
      body: request.body,
      headers: request.headers,
      signal: AbortSignal.timeout(request.timeoutMs),
      // A redirect of a signed POST is a wrong URL in the config, not something to follow.
      redirect: 'manual',
    });
    text = await response.text();
  } catch (err) {
    const timedOut = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
    return { kind: 'retry', reason: timedOut ? `timed out after ${request.timeoutMs} ms` : `network error: ${describe(err)}` };
  }
  const status = response.status;
  const answer = `HTTP ${status}${text.trim() === '' ? '' : ` ${text.trim().slice(0, REASON_CHARS)}`}`;
  if (status >= 200 && status < 300) return { kind: 'delivered', status };
  if (status >= 500 || status === 408 || status === 429) {
    const after = retryAfterMs(response.headers.get('retry-after'), request.now);
    return { kind: 'retry', reason: answer, status, ...(after !== undefined ? { retryAfterMs: after } : {}) };
  }
  if (status >= 300 && status < 400) {
    const location = response.headers.get('location');
    return { kind: 'reject', reason: `${answer}: redirected${location !== null ? ` to ${location}` : ''}; configure the final URL`, status };
  }
  return { kind: 'reject', reason: answer, status };
}

function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  // fetch wraps the socket error ("fetch failed"); the cause says what happened (ECONNREFUSED …).
  const cause = (err as Error & { cause?: unknown }).cause;
  return cause instanceof Error ? `${err.message}: ${cause.message}` : err.message;
}
