/**
 * A gateway stand-in for the alarm-store kill -9 drill (test/integration/alarm-store-kill9.test.ts), run as its
 * own process so that the test can SIGKILL it:
 *
 *   node --import tsx test/support/alarm-store-child.ts <db>
 *
 * Opens the AlarmStore at <db>, restores the lifecycle from it, then forever: raises alarm `drill-<n>:high`
 * and acknowledges it, one transition per loop turn (a restart first acknowledges the alarm left unacknowledged). The store is the first subscriber; a second one prints
 * `{"alarmId":…,"action":…,"to":…}` on stdout, so a printed line means the transition was committed.
 * stdout to a pipe is synchronous on Linux: a line read by the test was written before the kill.
 */
import { writeSync } from 'node:fs';
import { AlarmLifecycle } from '../../src/alarms/lifecycle/index.js';
import { AlarmStore, restoreLifecycle } from '../../src/alarms/lifecycle/sqlite-store.js';
import { SystemClock } from '../../src/time/clock.js';

const path = process.argv[2];
if (path === undefined) throw new Error('usage: alarm-store-child.ts <db>');

const clock = new SystemClock();
const store = AlarmStore.open(path);
const lifecycle = new AlarmLifecycle({
  clock,
  maxShelveMs: 3600_000,
  onError: (err) => {
    process.stderr.write(`alarm-store-child: ${String(err)}\n`);
    process.exit(1);
  },
});
restoreLifecycle(lifecycle, store);
lifecycle.subscribe((r) => {
  writeSync(1, `${JSON.stringify({ alarmId: r.alarmId, action: r.action, to: r.to })}\n`);
});

// Carry on where the previous run stopped: its last alarm may still wait for acknowledgement.
let n = Math.max(0, lifecycle.list({ skipQuiet: false }).length - 1);
function step(): void {
  const alarmId = `drill-${n}:high`;
  const state = lifecycle.get(alarmId)?.state;
  if (state === undefined) {
    const now = clock.now();
    lifecycle.onRaise({
      type: 'raise', alarmId, site: 'drill', device: `drill-${n}`, rule: 'high', kind: 'threshold-high',
      priority: 'high', message: 'drill', conditionSince: now, ts: now,
    });
  } else {
    if (state === 'unack-active') lifecycle.acknowledge(alarmId, 'drill-operator', `ack ${n}`);
    n++;
  }
  setImmediate(step);
}
writeSync(1, `${JSON.stringify({ ready: true, restored: n })}\n`);
step();
