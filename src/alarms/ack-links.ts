import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../time/clock.js';
import type { AckLinkStore } from './ack-link-store.js';

/**
 * Signed, single-use acknowledge links for pushes (chat bots, mail). A link opens the gateway's ack page;
 * the page acknowledges only on its button (POST), because chat apps fetch every link to build a preview.
 *
 * Token: `<payload>.<signature>`, both base64url. The payload is the JSON array
 * `[1, alarmId, episode, recipientId, recipientName, expiresAtMs, nonce]` (1 = format version), where
 * `episode` is `*<rest>` when the episode key is the alarm id followed by `<rest>` (the usual
 * `<alarmId>@<time>` keys: the id is not carried twice) and `=<episodeKey>` otherwise. The signature is
 * HMAC-SHA256 over `ack1.<payload>` with the gateway's secret, all 32 bytes. The token carries everything
 * needed to check it, so nothing is stored when a link is made; the store only remembers the nonces of
 * used links. With typical ids a link is about 210 characters (see the tests), short enough for chat apps
 * that cut long URLs.
 *
 * Secret: a configured secret wins; without one, a random secret is generated once and kept in the alarm
 * database (`resolveAckSecret`), so links survive a restart. Changing or rotating the secret invalidates
 * every outstanding link (they are refused as `bad-signature`); that is also the way to revoke them all.
 */
export interface AckRecipient {
  id: string;
  name: string;
}

export interface AckLinksOptions {
  /** At least 32 bytes; a string counts its UTF-8 bytes. */
  secret: Buffer | string;
  /** Public URL of the gateway's API, e.g. `https://gw.example.com/`; links are `<baseUrl>ack/<token>`. */
  baseUrl: string;
  /** How long a link stays valid after it is made (ms). Default 24 h. */
  expiryMs?: number;
  clock: Clock;
  store: AckLinkStore;
}

export type AckLinkRefusal = 'malformed' | 'bad-signature' | 'expired' | 'used' | 'stale-episode';

export interface AckLinkAccepted {
  ok: true;
  alarmId: string;
  episodeKey: string;
  recipient: AckRecipient;
  expiresAt: number;
  /** The link's random id (the key of its use record). */
  nonce: string;
}

export interface AckLinkRefused {
  ok: false;
  reason: AckLinkRefusal;
  /** One sentence for the person holding the link (shown on the ack page). */
  message: string;
  /** For `used`: when and by whom. */
  usedAt?: number;
  usedBy?: string;
  /** When the payload could be read (signature good): the alarm it was for. */
  alarmId?: string;
}

export type AckLinkVerdict = AckLinkAccepted | AckLinkRefused;

export interface AckLinkContext {
  /**
   * The key of the alarm's current episode — the same opaque key the notifier passed to `linkFor` — or
   * undefined when the alarm is unknown. A different key means the link is for an earlier occurrence.
   */
  currentEpisodeKey(alarmId: string): string | undefined;
}

export const DEFAULT_ACK_LINK_EXPIRY_MS = 24 * 60 * 60 * 1000;
export const MIN_ACK_SECRET_BYTES = 32;

const FORMAT_VERSION = 1;
const SIGNATURE_CONTEXT = 'ack1.';
const SIGNATURE_BYTES = 32;
const NONCE_BYTES = 12;
/** Far above any real token; refuses junk before hashing it. */
const MAX_TOKEN_CHARS = 4096;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** Checks a configured secret; throws a RangeError naming the problem when it is too short. */
export function checkAckSecret(secret: Buffer | string): Buffer {
  if (typeof secret !== 'string' && !Buffer.isBuffer(secret)) throw new TypeError('ack link secret must be a string or a Buffer');
  const bytes = typeof secret === 'string' ? Buffer.from(secret, 'utf8') : Buffer.from(secret);
  if (bytes.length < MIN_ACK_SECRET_BYTES) {
    throw new RangeError(
      `ack link secret is ${bytes.length} bytes; it must be at least ${MIN_ACK_SECRET_BYTES} bytes (e.g. 64 hex characters from a random generator)`,
    );
  }
  return bytes;
}

/**
 * The secret to sign links with: the configured one when given (checked for length), otherwise the one
 * generated and kept in the database on first use.
 */
export function resolveAckSecret(configured: Buffer | string | undefined, store: AckLinkStore, clock: Clock): Buffer {
  if (configured !== undefined && configured !== '') return checkAckSecret(configured);
  return store.loadOrCreateSecret(clock.now());
}

export class AckLinks {
  private readonly secret: Buffer;
  private readonly baseUrl: string;
  private readonly expiryMs: number;
  private readonly clock: Clock;
  private readonly store: AckLinkStore;

  constructor(options: AckLinksOptions) {
    this.secret = checkAckSecret(options.secret);
    this.baseUrl = normaliseBaseUrl(options.baseUrl);
    const expiryMs = options.expiryMs ?? DEFAULT_ACK_LINK_EXPIRY_MS;
    if (!Number.isFinite(expiryMs) || expiryMs <= 0) {
      throw new RangeError(`ack link expiryMs must be a positive number of milliseconds, got ${String(expiryMs)}`);
    }
    this.expiryMs = expiryMs;
    this.clock = options.clock;
    this.store = options.store;
  }

  /** A new link for one recipient and one episode of an alarm, valid for `expiryMs` from now. */
  linkFor(alarmId: string, episodeKey: string, recipient: AckRecipient): string {
    requireText(alarmId, 'alarmId');
    requireText(episodeKey, 'episodeKey');
    if (typeof recipient !== 'object' || recipient === null) throw new TypeError('ack link recipient must be an object { id, name }');
    requireText(recipient.id, 'recipient.id');
    if (typeof recipient.name !== 'string') throw new TypeError('ack link recipient.name must be a string');
    const nonce = randomBytes(NONCE_BYTES).toString('base64url');
    const expiresAt = this.clock.now() + this.expiryMs;
    const payload = Buffer.from(
      JSON.stringify([FORMAT_VERSION, alarmId, encodeEpisode(alarmId, episodeKey), recipient.id, recipient.name, expiresAt, nonce]),
      'utf8',
    ).toString('base64url');
    return `${this.baseUrl}ack/${payload}.${this.sign(payload)}`;
  }

  /** Checks a token without changing anything (the GET of the ack page). */
  verify(token: string, context: AckLinkContext): AckLinkVerdict {
    const parsed = this.parse(token);
    if (!parsed.ok) return parsed;
    const use = this.store.useOf(parsed.nonce);
    if (use !== undefined) return usedVerdict(parsed.alarmId, use.usedAt, use.usedBy);
    if (this.clock.now() >= parsed.expiresAt) {
      return refuse('expired', `This link expired at ${iso(parsed.expiresAt)}. Open the alarm from a newer message or from the alarm list.`, parsed.alarmId);
    }
    const current = context.currentEpisodeKey(parsed.alarmId);
    if (current === undefined) {
      return refuse('stale-episode', `Alarm ${parsed.alarmId} is no longer known to the gateway.`, parsed.alarmId);
    }
    if (current !== parsed.episodeKey) {
      return refuse(
        'stale-episode',
        `This link is for an earlier occurrence of alarm ${parsed.alarmId}; it has been raised again since. Use the link from the latest message.`,
        parsed.alarmId,
      );
    }
    return parsed;
  }

  /**
   * Verifies the token and marks it used, atomically (the POST of the ack page). Exactly one of two
   * concurrent calls — in this process or another on the same database — gets `ok: true`; the other gets
   * `used`. `by` records who used it (e.g. the recipient's name and the client address).
   */
  consume(token: string, by: string, context: AckLinkContext): AckLinkVerdict {
    const verdict = this.verify(token, context);
    if (!verdict.ok) return verdict;
    const usedAt = this.clock.now();
    const first = this.store.markUsed({
      nonce: verdict.nonce,
      alarmId: verdict.alarmId,
      episodeKey: verdict.episodeKey,
      recipientId: verdict.recipient.id,
      usedBy: by,
      usedAt,
      expiresAt: verdict.expiresAt,
    });
    if (first) return verdict;
    const use = this.store.useOf(verdict.nonce);
    return usedVerdict(verdict.alarmId, use?.usedAt ?? usedAt, use?.usedBy ?? 'another request');
  }

  /** Forgets the use records of links that have expired (they stay refused, as `expired`). */
  pruneExpired(): number {
    return this.store.pruneExpired(this.clock.now());
  }

  private sign(payload: string): string {
    return createHmac('sha256', this.secret).update(SIGNATURE_CONTEXT).update(payload).digest('base64url');
  }

  /** Structure and signature; the payload is only parsed once the signature holds. */
  private parse(token: string): AckLinkAccepted | AckLinkRefused {
    const damaged = (): AckLinkRefused =>
      refuse('malformed', 'This acknowledge link is damaged or incomplete (it may have been cut by the chat app). Open the alarm from the alarm list.');
    if (typeof token !== 'string' || token.length > MAX_TOKEN_CHARS) return damaged();
    const parts = token.split('.');
    if (parts.length !== 2) return damaged();
    const [payload = '', signature = ''] = parts;
    if (!BASE64URL.test(payload) || !BASE64URL.test(signature)) return damaged();
    const given = Buffer.from(signature, 'base64url');
    // A non-canonical encoding (spare low bits set) would decode to the same bytes; refuse it as damaged.
    if (given.length !== SIGNATURE_BYTES || given.toString('base64url') !== signature) return damaged();
    const expected = Buffer.from(this.sign(payload), 'base64url');
    if (!timingSafeEqual(given, expected)) {
      return refuse('bad-signature', 'This acknowledge link was not issued by this gateway, or its signing secret has changed since.');
    }
    const fields = decodePayload(payload);
    return fields ?? damaged();
  }
}

function decodePayload(payload: string): AckLinkAccepted | undefined {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (!Array.isArray(value) || value.length !== 7) return undefined;
  const [version, alarmId, episode, recipientId, recipientName, expiresAt, nonce] = value as unknown[];
  if (version !== FORMAT_VERSION) return undefined;
  if (typeof alarmId !== 'string' || alarmId === '' || typeof episode !== 'string') return undefined;
  const episodeKey = decodeEpisode(alarmId, episode);
  if (episodeKey === undefined) return undefined;
  if (typeof recipientId !== 'string' || recipientId === '' || typeof recipientName !== 'string') return undefined;
  if (typeof expiresAt !== 'number' || !Number.isFinite(expiresAt) || typeof nonce !== 'string' || nonce === '') return undefined;
  return { ok: true, alarmId, episodeKey, recipient: { id: recipientId, name: recipientName }, expiresAt, nonce };
}

/** `*<rest>` when the key is the alarm id + rest, `=<key>` otherwise (see the token format above). */
function encodeEpisode(alarmId: string, episodeKey: string): string {
  return episodeKey.startsWith(alarmId) ? `*${episodeKey.slice(alarmId.length)}` : `=${episodeKey}`;
}

function decodeEpisode(alarmId: string, episode: string): string | undefined {
  const rest = episode.slice(1);
  if (episode.startsWith('*')) return alarmId + rest;
  if (episode.startsWith('=') && rest !== '') return rest;
  return undefined;
}

function usedVerdict(alarmId: string, usedAt: number, usedBy: string): AckLinkRefused {
  return { ...refuse('used', `This link was already used at ${iso(usedAt)} (${usedBy}).`, alarmId), usedAt, usedBy };
}

function refuse(reason: AckLinkRefusal, message: string, alarmId?: string): AckLinkRefused {
  return alarmId === undefined ? { ok: false, reason, message } : { ok: false, reason, message, alarmId };
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function requireText(value: unknown, what: string): void {
  if (typeof value !== 'string' || value === '') throw new TypeError(`ack link ${what} must be a non-empty string`);
}

/** `https://host/api` → `https://host/api/`; refuses anything but a plain http(s) URL. */
function normaliseBaseUrl(baseUrl: string): string {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new TypeError(`ack link baseUrl is not a URL: ${JSON.stringify(baseUrl)}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new TypeError(`ack link baseUrl must be http(s), got ${url.protocol}`);
  if (url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
    throw new TypeError(`ack link baseUrl must not carry a query, fragment or credentials: ${JSON.stringify(baseUrl)}`);
  }
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  return url.toString();
}
