import type { Notification } from '../message.js';

/** A delivery failure. `retryable` says whether sending the same notification again may succeed. */
export class NotifyError extends Error {
  override readonly name = 'NotifyError';
  constructor(
    message: string,
    readonly channel: string,
    readonly retryable: boolean,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface Channel {
  /** Unique name, used in logs and metrics. */
  readonly name: string;
  /** Delivers one notification; throws NotifyError. */
  send(notification: Notification): Promise<void>;
  /** Releases connections (SMTP pool); optional. */
  close?(): Promise<void>;
}

export interface HttpOptions {
  /** Per-request timeout in ms (real time: network I/O). Default 10 000. */
  timeoutMs?: number;
}

export interface HttpResult {
  status: number;
  text: string;
}

/**
 * POSTs and classifies the outcome: network errors, timeouts, 5xx and 429 are retryable; other
 * non-2xx are not.
 */
export async function httpPost(
  channel: string,
  url: string,
  body: string,
  headers: Record<string, string>,
  options: HttpOptions = {},
): Promise<HttpResult> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  let response: Response;
  let text: string;
  try {
    response = await fetch(url, { method: 'POST', body, headers, signal: AbortSignal.timeout(timeoutMs), redirect: 'error' });
    text = await response.text();
  } catch (err) {
    const timedOut = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
    const what = timedOut ? `timed out after ${timeoutMs} ms` : `network error: ${err instanceof Error ? err.message : String(err)}`;
    throw new NotifyError(`${channel}: ${what}`, channel, true, undefined, { cause: err });
  }
  if (response.status >= 200 && response.status < 300) return { status: response.status, text };
  const retryable = response.status >= 500 || response.status === 429;
  throw new NotifyError(`${channel}: HTTP ${response.status} ${text.slice(0, 200)}`, channel, retryable, response.status);
}

/** Parses a chat-bot JSON reply; a 2xx with an unparsable body is taken as not retryable. */
export function parseReply(channel: string, text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    if (value && typeof value === 'object') return value as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw new NotifyError(`${channel}: unexpected reply ${text.slice(0, 200)}`, channel, false);
}
