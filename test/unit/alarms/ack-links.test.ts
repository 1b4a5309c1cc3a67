import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { ACK_LINK_MIGRATIONS, AckLinkStore } from '../../../src/alarms/ack-link-store.js';
import {
  AckLinks, DEFAULT_ACK_LINK_EXPIRY_MS, resolveAckSecret, type AckLinkContext, type AckLinkVerdict,
} from '../../../src/alarms/ack-links.js';
import { MIGRATIONS, migrate } from '../../../src/alarms/lifecycle/migrations.js';
import { AlarmStore } from '../../../src/alarms/lifecycle/sqlite-store.js';
import { VirtualClock } from '../../../src/time/clock.js';

const SECRET = 'a-test-secret-that-is-32-bytes!!';
const OTHER_SECRET = Buffer.alloc(32, 7);
const BASE = 'https://gw.example.com/';
const ALARM = 'pump-1:motor_temperature_high';
/** The notifier's key of one episode: alarm id and the time it opened. */
const EPISODE = `${ALARM}@1767225600000`;
const ALICE = { id: 'u-1042', name: 'Alice Zhang' };
const ALL_MIGRATIONS = [...MIGRATIONS, ...ACK_LINK_MIGRATIONS];

const dirs: string[] = [];
const stores: AckLinkStore[] = [];

afterEach(() => {
  for (const s of stores.splice(0)) s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function dbPath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'facility-gw-ack-'));
  dirs.push(dir);
  return join(dir, 'alarms.db');
}

function openStore(path: string): AckLinkStore {
  const s = AckLinkStore.open(path, ALL_MIGRATIONS);
  stores.push(s);
  return s;
}

function setup(options: { secret?: Buffer | string; path?: string; clock?: VirtualClock; baseUrl?: string } = {}) {
  const clock = options.clock ?? new VirtualClock();
  const path = options.path ?? dbPath();
  const store = openStore(path);
  const links = new AckLinks({ secret: options.secret ?? SECRET, baseUrl: options.baseUrl ?? BASE, clock, store });
  return { clock, path, store, links };
}

const episodes = new Map<string, string>([[ALARM, EPISODE]]);
const context: AckLinkContext = { currentEpisodeKey: (id) => episodes.get(id) };

function tokenOf(link: string): string {
  const marker = '/ack/';
  return link.slice(link.indexOf(marker) + marker.length);
}

function refusal(v: AckLinkVerdict): string | undefined {
  return v.ok ? undefined : v.reason;
}

describe('AckLinks: making and verifying links', () => {
  it('makes a compact link that verifies with everything it carries, and verify changes nothing', () => {
    const { clock, links } = setup();
    const link = links.linkFor(ALARM, EPISODE, ALICE);
    expect(link.startsWith(`${BASE}ack/`)).toBe(true);
    // Typical ids: the whole link stays well under what chat apps cut.
    expect(link.length).toBeLessThan(230);
    expect(link).toMatch(/^https:\/\/gw\.example\.com\/ack\/[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    const expected = { ok: true, alarmId: ALARM, episodeKey: EPISODE, recipient: ALICE, expiresAt: clock.now() + DEFAULT_ACK_LINK_EXPIRY_MS };
    expect(links.verify(tokenOf(link), context)).toMatchObject(expected);
    expect(links.verify(tokenOf(link), context)).toMatchObject(expected); // a GET (or a chat preview) can repeat
    expect(links.consume(tokenOf(link), 'Alice Zhang via link', context)).toMatchObject(expected);
  });

  it('makes a different link each time (random nonce) and keeps a base path', () => {
    const { links } = setup({ baseUrl: 'https://example.org/gw/api' });
    const a = links.linkFor(ALARM, EPISODE, ALICE);
    const b = links.linkFor(ALARM, EPISODE, ALICE);
    expect(a).not.toBe(b);
    expect(a.startsWith('https://example.org/gw/api/ack/')).toBe(true);
  });

  it('carries non-ASCII names and ids intact', () => {
    const { links } = setup();
    const link = links.linkFor('电梯-2:困人', EPISODE, { id: 'wx:张伟', name: '张伟 <值班>' });
    const v = links.verify(tokenOf(link), { currentEpisodeKey: () => EPISODE });
    expect(v).toMatchObject({ ok: true, alarmId: '电梯-2:困人', recipient: { id: 'wx:张伟', name: '张伟 <值班>' } });
  });

  it('carries any episode key exactly, whether or not it starts with the alarm id', () => {
    const { links } = setup();
    for (const key of [EPISODE, ALARM, '*odd', '=odd', '7', `${ALARM}`.slice(0, 5)]) {
      const v = links.verify(tokenOf(links.linkFor(ALARM, key, ALICE)), { currentEpisodeKey: () => key });
      expect(v, key).toMatchObject({ ok: true, episodeKey: key });
    }
  });

  it('refuses a tampered payload', () => {
    const { links } = setup();
    const [payload = '', signature = ''] = tokenOf(links.linkFor(ALARM, EPISODE, ALICE)).split('.');
    const fields = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as unknown[];
    fields[1] = 'fire-panel-1:fire'; // the same signature on another alarm
    const forged = `${Buffer.from(JSON.stringify(fields)).toString('base64url')}.${signature}`;
    expect(refusal(links.verify(forged, context))).toBe('bad-signature');
    fields[1] = ALARM;
    fields[5] = Number(fields[5]) + 365 * DEFAULT_ACK_LINK_EXPIRY_MS; // a longer life
    expect(refusal(links.verify(`${Buffer.from(JSON.stringify(fields)).toString('base64url')}.${signature}`, context))).toBe('bad-signature');
  });

  it('refuses a tampered signature', () => {
    const { links } = setup();
    const token = tokenOf(links.linkFor(ALARM, EPISODE, ALICE));
    const dot = token.indexOf('.');
    const k = dot + 10;
    const flipped = `${token.slice(0, k)}${token[k] === 'A' ? 'B' : 'A'}${token.slice(k + 1)}`;
    expect(refusal(links.verify(flipped, context))).toBe('bad-signature');
    expect(refusal(links.consume(flipped, 'x', context))).toBe('bad-signature');
  });

  it('refuses malformed and truncated tokens', () => {
    const { links } = setup();
    const token = tokenOf(links.linkFor(ALARM, EPISODE, ALICE));
    for (const bad of ['', 'abc', 'a.b.c', `${token}.x`, token.slice(0, -5), token.replace('.', ''), `${token.slice(0, 8)}!${token.slice(9)}`, 'x'.repeat(5000)]) {
      const v = links.verify(bad, context);
      expect(refusal(v), bad.slice(0, 40)).toBe('malformed');
      expect(v.ok ? '' : v.message).toMatch(/damaged/);
    }
  });

  it('refuses an expired link, and accepts it until the last millisecond', async () => {
    const { clock, links } = setup();
    const token = tokenOf(links.linkFor(ALARM, EPISODE, ALICE));
    await clock.advance(DEFAULT_ACK_LINK_EXPIRY_MS - 1);
    expect(links.verify(token, context).ok).toBe(true);
    await clock.advance(1);
    const v = links.verify(token, context);
    expect(refusal(v)).toBe('expired');
    expect(v.ok ? '' : v.message).toContain('2026-01-02T00:00:00Z');
    expect(refusal(links.consume(token, 'late', context))).toBe('expired');
  });

  it('uses the configured expiry', async () => {
    const clock = new VirtualClock();
    const store = openStore(dbPath());
    const links = new AckLinks({ secret: SECRET, baseUrl: BASE, clock, store, expiryMs: 60_000 });
    const token = tokenOf(links.linkFor(ALARM, EPISODE, ALICE));
    await clock.advance(60_000);
    expect(refusal(links.verify(token, context))).toBe('expired');
  });

  it('refuses a link for an earlier episode of the alarm, and for an alarm the gateway no longer knows', () => {
    const { links } = setup();
    const token = tokenOf(links.linkFor(ALARM, EPISODE, ALICE));
    const v = links.verify(token, { currentEpisodeKey: () => `${ALARM}@1767229200000` });
    expect(refusal(v)).toBe('stale-episode');
    expect(v.ok ? '' : v.message).toMatch(/earlier occurrence/);
    expect(refusal(links.consume(token, 'x', { currentEpisodeKey: () => `${ALARM}@1767229200000` }))).toBe('stale-episode');
    const gone = links.verify(token, { currentEpisodeKey: () => undefined });
    expect(refusal(gone)).toBe('stale-episode');
    expect(gone.ok ? '' : gone.message).toMatch(/no longer known/);
    // Refusals did not use it up.
    expect(links.consume(token, 'Alice', context).ok).toBe(true);
  });

  it('refuses a link signed with another secret', () => {
    const path = dbPath();
    const clock = new VirtualClock();
    const a = setup({ path, clock });
    const b = new AckLinks({ secret: OTHER_SECRET, baseUrl: BASE, clock, store: a.store });
    expect(refusal(b.verify(tokenOf(a.links.linkFor(ALARM, EPISODE, ALICE)), context))).toBe('bad-signature');
  });

  it('refuses a secret shorter than 32 bytes, and bad settings, with clear errors', () => {
    const clock = new VirtualClock();
    const store = openStore(dbPath());
    expect(() => new AckLinks({ secret: 'x'.repeat(31), baseUrl: BASE, clock, store })).toThrow(/31 bytes; it must be at least 32 bytes/);
    expect(() => new AckLinks({ secret: Buffer.alloc(16), baseUrl: BASE, clock, store })).toThrow(/at least 32 bytes/);
    expect(() => new AckLinks({ secret: '密'.repeat(11), baseUrl: BASE, clock, store })).not.toThrow(); // 33 UTF-8 bytes
    expect(() => new AckLinks({ secret: SECRET, baseUrl: 'gw.example.com', clock, store })).toThrow(/baseUrl is not a URL/);
    expect(() => new AckLinks({ secret: SECRET, baseUrl: 'ftp://gw.example.com/', clock, store })).toThrow(/http\(s\)/);
    expect(() => new AckLinks({ secret: SECRET, baseUrl: 'https://gw.example.com/?a=1', clock, store })).toThrow(/query/);
    expect(() => new AckLinks({ secret: SECRET, baseUrl: BASE, clock, store, expiryMs: 0 })).toThrow(/expiryMs/);
    const links = new AckLinks({ secret: SECRET, baseUrl: BASE, clock, store });
    expect(() => links.linkFor('', EPISODE, ALICE)).toThrow(/alarmId/);
    expect(() => links.linkFor(ALARM, '', ALICE)).toThrow(/episodeKey/);
    expect(() => links.linkFor(ALARM, EPISODE, { id: '', name: 'x' })).toThrow(/recipient.id/);
  });
});

describe('AckLinks: single use', () => {
  it('a second consume fails as used, and names the first use', async () => {
    const { clock, links } = setup();
    const token = tokenOf(links.linkFor(ALARM, EPISODE, ALICE));
    await clock.advance(90_000);
    expect(links.consume(token, 'Alice Zhang (203.0.113.5)', context).ok).toBe(true);
    await clock.advance(1_000);
    const again = links.consume(token, 'Mallory', context);
    expect(again).toMatchObject({ ok: false, reason: 'used', usedBy: 'Alice Zhang (203.0.113.5)', usedAt: clock.now() - 1_000 });
    expect(again.ok ? '' : again.message).toBe('This link was already used at 2026-01-01T00:01:30Z (Alice Zhang (203.0.113.5)).');
    expect(refusal(links.verify(token, context))).toBe('used');
  });

  it('holds across two instances on the same database file (two connections, as two processes would have)', () => {
    const path = dbPath();
    const clock = new VirtualClock();
    const a = setup({ path, clock });
    const b = setup({ path, clock });
    const token = tokenOf(a.links.linkFor(ALARM, EPISODE, ALICE));
    // Both pass the read-only check first, as two racing requests would.
    expect(a.links.verify(token, context).ok).toBe(true);
    expect(b.links.verify(token, context).ok).toBe(true);
    const results = [b.links.consume(token, 'via b', context), a.links.consume(token, 'via a', context)];
    expect(results.map(refusal)).toEqual([undefined, 'used']);
    expect(results[1]).toMatchObject({ usedBy: 'via b' });
  });

  it('the insert itself decides: of two racing markUsed calls only one wins', () => {
    const path = dbPath();
    const a = openStore(path);
    const b = openStore(path);
    const use = { nonce: 'n-1', alarmId: ALARM, episodeKey: EPISODE, recipientId: ALICE.id, usedBy: 'x', usedAt: 1, expiresAt: 2 };
    expect([a.markUsed(use), b.markUsed({ ...use, usedBy: 'y' })]).toEqual([true, false]);
    expect(b.useOf('n-1')?.usedBy).toBe('x');
  });

  it('prunes the records of expired links; an expired link stays refused', async () => {
    const { clock, links, store } = setup();
    const token = tokenOf(links.linkFor(ALARM, EPISODE, ALICE));
    const fresh = tokenOf(links.linkFor(ALARM, EPISODE, ALICE));
    links.consume(token, 'Alice', context);
    await clock.advance(DEFAULT_ACK_LINK_EXPIRY_MS / 2);
    const later = tokenOf(links.linkFor(ALARM, EPISODE, ALICE));
    links.consume(later, 'Alice', context);
    expect(links.pruneExpired()).toBe(0);
    await clock.advance(DEFAULT_ACK_LINK_EXPIRY_MS / 2);
    expect(links.pruneExpired()).toBe(1);
    expect(refusal(links.verify(token, context))).toBe('expired');
    expect(refusal(links.verify(fresh, context))).toBe('expired');
    expect(refusal(links.verify(later, context))).toBe('used');
    expect(store.useOf('nonexistent')).toBeUndefined();
  });
});

describe('AckLinkStore: schema and secret', () => {
  it('generates a secret once and keeps it, so links survive a restart', () => {
    const path = dbPath();
    const clock = new VirtualClock();
    const first = openStore(path);
    const secret = resolveAckSecret(undefined, first, clock);
    expect(secret).toHaveLength(32);
    const link = new AckLinks({ secret, baseUrl: BASE, clock, store: first }).linkFor(ALARM, EPISODE, ALICE);
    first.close();

    const second = openStore(path);
    const again = resolveAckSecret('', second, clock);
    expect(again.equals(secret)).toBe(true);
    expect(new AckLinks({ secret: again, baseUrl: BASE, clock, store: second }).verify(tokenOf(link), context).ok).toBe(true);
  });

  it('a configured secret wins over the generated one, and is checked', () => {
    const clock = new VirtualClock();
    const store = openStore(dbPath());
    const generated = resolveAckSecret(undefined, store, clock);
    expect(resolveAckSecret(SECRET, store, clock).toString('utf8')).toBe(SECRET);
    expect(resolveAckSecret(undefined, store, clock).equals(generated)).toBe(true);
    expect(() => resolveAckSecret('short', store, clock)).toThrow(/at least 32 bytes/);
  });

  it('two connections asking for the secret at once get the same one', () => {
    const path = dbPath();
    const clock = new VirtualClock();
    const a = openStore(path);
    const b = openStore(path);
    expect(resolveAckSecret(undefined, a, clock).equals(resolveAckSecret(undefined, b, clock))).toBe(true);
  });

  it('shares the alarm store connection when the gateway opens it with the composed migrations', () => {
    const path = dbPath();
    const clock = new VirtualClock();
    const alarms = AlarmStore.open(path, ALL_MIGRATIONS);
    try {
      const store = new AckLinkStore(alarms.database);
      const links = new AckLinks({ secret: resolveAckSecret(undefined, store, clock), baseUrl: BASE, clock, store });
      const token = tokenOf(links.linkFor(ALARM, EPISODE, ALICE));
      expect(links.consume(token, 'Alice', context).ok).toBe(true);
      store.close();
      expect(refusal(links.verify(token, context))).toBe('used'); // the shared connection stayed open
    } finally {
      alarms.close();
    }
  });

  it('composes with the alarm store migrations on one file', () => {
    const path = dbPath();
    openStore(path).close();
    const alarms = AlarmStore.open(path);
    expect(alarms.schemaVersion).toBe(Math.max(...ALL_MIGRATIONS.map((m) => m.version)));
    alarms.close();
    const db = new Database(path);
    try {
      const versions = [...new Set(ALL_MIGRATIONS.map((m) => m.version))].sort((a, b) => a - b);
      expect(db.prepare('SELECT version FROM schema_version ORDER BY version').all()).toEqual(versions.map((version) => ({ version })));
    } finally {
      db.close();
    }
  });

  it('refuses a database without its tables, naming the migration, and a migration list without it', () => {
    const db = new Database(':memory:');
    try {
      migrate(db, MIGRATIONS);
      expect(() => new AckLinkStore(db)).toThrow(/run ACK_LINK_MIGRATIONS \(schema version 4\)/);
      migrate(db, ALL_MIGRATIONS);
      const shared = new AckLinkStore(db);
      shared.close(); // does not close a connection it was given
      expect(db.open).toBe(true);
    } finally {
      db.close();
    }
    expect(() => AckLinkStore.open(dbPath(), MIGRATIONS)).toThrow(/must include ACK_LINK_MIGRATIONS/);
  });
});
