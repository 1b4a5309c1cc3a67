import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { AlarmLifecycle } from '../../src/alarms/lifecycle/index.js';
import { AlarmStore, restoreLifecycle } from '../../src/alarms/lifecycle/sqlite-store.js';
import { VirtualClock } from '../../src/time/clock.js';

/**
 * kill -9 drill for the alarm store: a child process raises and acknowledges alarms, printing a line after
 * each committed transition, and is killed with SIGKILL mid-run. Every printed transition must be in the
 * database, none twice, and a lifecycle restored from it must agree with the log.
 */

const CHILD = fileURLToPath(new URL('../support/alarm-store-child.ts', import.meta.url));
/** Printed transitions to wait for before the kill. */
const KILL_AFTER = 400;
const dirs: string[] = [];

afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

interface Printed {
  alarmId: string;
  action: string;
  to: string;
}

/**
 * Runs the child on `db` until it printed `count` transitions, then SIGKILLs it. Returns every transition it
 * printed, including those printed between the decision to kill and the kill itself.
 */
async function runAndKill(db: string, count: number): Promise<Printed[]> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, db], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
  const printed: Printed[] = [];
  const lines = createInterface({ input: child.stdout });
  try {
    for await (const line of lines) {
      const msg = JSON.parse(line) as Partial<Printed> & { ready?: boolean };
      if (msg.ready === true) continue;
      printed.push(msg as Printed);
      if (printed.length === count) child.kill('SIGKILL');
    }
  } finally {
    lines.close();
  }
  const signal = await exited;
  expect(signal, `child ended by itself: ${stderr}`).toBe('SIGKILL');
  return printed;
}

function key(t: { alarmId: string; action: string }): string {
  return `${t.alarmId} ${t.action}`;
}

describe('alarm store kill -9 drill', () => {
  it('keeps every committed transition, once, across two SIGKILLs', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'facility-gw-alarm-drill-'));
    dirs.push(dir);
    const db = join(dir, 'alarms.db');

    const printed = [...(await runAndKill(db, KILL_AFTER)), ...(await runAndKill(db, KILL_AFTER / 2))];

    const store = AlarmStore.open(db);
    try {
      const log = store.transitions();
      const keys = log.map(key);
      // None duplicated: each alarm is raised once and acknowledged once, even across the restart.
      expect(new Set(keys).size).toBe(keys.length);
      // Every printed transition is stored (a transition committed but not printed before the kill is allowed).
      const stored = new Set(keys);
      expect(printed.filter((p) => !stored.has(key(p)))).toEqual([]);
      // At most one per kill: committed, then killed before its line was printed.
      expect(log.length - printed.length).toBeGreaterThanOrEqual(0);
      expect(log.length - printed.length).toBeLessThanOrEqual(2);
      expect(log.map((t) => t.seq)).toEqual(log.map((_t, i) => i + 1));

      // The state rows agree with the log, and a restored lifecycle has the same states.
      const lastTo = new Map<string, string>();
      for (const t of log) lastTo.set(t.alarmId, t.to);
      const snapshots = store.loadAll();
      expect(new Map(snapshots.map((s) => [s.alarmId, s.state]))).toEqual(lastTo);
      const ack = log.filter((t) => t.action === 'ack');
      expect(ack.every((t) => t.by === 'drill-operator')).toBe(true);
      // The second run carried on: at most the very last alarm is still unacknowledged.
      expect([...lastTo.values()].filter((s) => s === 'unack-active').length).toBeLessThanOrEqual(1);

      const lifecycle = new AlarmLifecycle({ clock: new VirtualClock(Date.now()), maxShelveMs: 3600_000 });
      const before = log.length;
      restoreLifecycle(lifecycle, store);
      expect(store.transitions()).toHaveLength(before); // nothing was due: restore records nothing
      const restored = new Map(lifecycle.list({ skipQuiet: false }).map((s) => [s.alarmId, s.state]));
      expect(restored).toEqual(lastTo);
    } finally {
      store.close();
    }
  }, 15_000);
});
