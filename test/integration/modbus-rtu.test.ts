import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readlinkSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeviceConfig, ModbusRtuLinkConfig } from '../../src/config/schema.js';
import type { DeviceStatusEvent } from '../../src/drivers/driver.js';
import { ModbusDriver } from '../../src/drivers/modbus/modbus-driver.js';
import { silentLogger } from '../../src/log.js';
import type { Sample } from '../../src/points/sample.js';
import { elevatorProfile } from '../../src/profiles/elevator.js';
import { pumpProfile } from '../../src/profiles/pump.js';
import type { ModbusProfile } from '../../src/profiles/types.js';
import { SystemClock } from '../../src/time/clock.js';
import { expectSilentUnitContained, interopDevice, interopLinkTiming } from '../support/pymodbus-fixture.js';

/**
 * The real driver over a real serial line: Modbus RTU through a pseudo-terminal pair made by socat, against
 * pymodbus's RTU serial server (test/support/pymodbus_rtu_server.py, the same units and values as the TCP
 * server). The gateway end is opened by modbus-serial's buffered RTU port (node-serialport), so framing,
 * CRCs, exception frames and silent units are all exercised as on an RS-485 bus.
 *
 * Parity: the driver opens its end with even parity, as configured. A pty has no line and the kernel clears
 * PARENB on it; glibc's tcsetattr then reports EINVAL when a call changes nothing else, which makes
 * pyserial fail to open a pty with parity (node-serialport ignores that result). So the server opens its end
 * without parity; on a pty that changes nothing on the wire.
 */

const PYTHON = '/usr/bin/python3';
const SOCAT = 'socat';
const SERVER_SCRIPT = fileURLToPath(new URL('../support/pymodbus_rtu_server.py', import.meta.url));
const READY_TIMEOUT_MS = 15_000;
const BAUD_RATE = 19200;
const POLL_MS = 250;
const TIMEOUT_MS = 300;
const SETTLE_MS = 2000;

function linkConfig(path: string): ModbusRtuLinkConfig {
  return {
    id: 'rs485-1',
    type: 'modbus-rtu',
    path,
    baudRate: BAUD_RATE,
    parity: 'even',
    dataBits: 8,
    stopBits: 1,
    ...interopLinkTiming(TIMEOUT_MS),
  };
}

function device(id: string, unitId: number, profile: ModbusProfile): { config: DeviceConfig; profile: ModbusProfile } {
  return interopDevice('rs485-1', id, unitId, profile, POLL_MS);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

interface Spawned {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
}

function start(command: string, args: string[]): Spawned {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  // A missing binary is reported through the exit check below, not as an unhandled 'error' event.
  child.on('error', (err) => (stderr += String(err)));
  return { child, stdout: () => stdout, stderr: () => stderr };
}

async function waitFor(what: string, proc: Spawned, ready: () => boolean): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (!ready()) {
    if (proc.child.exitCode !== null || proc.child.signalCode !== null) throw new Error(`${what} exited: ${proc.stderr()}`);
    if (Date.now() > deadline) throw new Error(`${what} not ready after ${READY_TIMEOUT_MS} ms: ${proc.stderr()}`);
    await sleep(25);
  }
}

/** SIGTERM, then SIGKILL if it has not exited within a second. */
async function kill(proc: Spawned | undefined): Promise<void> {
  if (proc === undefined || proc.child.exitCode !== null || proc.child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => proc.child.once('exit', () => resolve()));
  proc.child.kill('SIGTERM');
  const timer = setTimeout(() => proc.child.kill('SIGKILL'), 1000);
  await exited;
  clearTimeout(timer);
}

/** File descriptors of this process open on the device behind `path` (Linux). */
function openFdsOn(path: string): string[] {
  const device = realpathSync(path);
  return readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`) === device;
    } catch {
      return false; // closed meanwhile, or the directory's own descriptor
    }
  });
}

function runDriver(path: string, devices: Array<{ config: DeviceConfig; profile: ModbusProfile }>) {
  const batches: Sample[][] = [];
  const statuses: DeviceStatusEvent[] = [];
  const driver = new ModbusDriver({
    link: linkConfig(path),
    devices,
    context: { clock: new SystemClock(), logger: silentLogger(), onSamples: (s) => batches.push(s), onDeviceStatus: (s) => statuses.push(s), onEvents: () => undefined, onDeviceAlarms: () => undefined },
  });
  const of = (id: string) => batches.filter((b) => b[0]?.point.startsWith(`${id}.`));
  return { driver, batches, statuses, of };
}

describe('ModbusDriver over a serial line (RTU) against pymodbus', () => {
  let dir = '';
  let gatewayEnd = '';
  let socat: Spawned | undefined;
  let server: Spawned | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'facility-gw-rtu-'));
    gatewayEnd = join(dir, 'gw');
    const deviceEnd = join(dir, 'dev');
    const pty = (link: string) => `pty,raw,echo=0,link=${link}`;
    const bus = start(SOCAT, ['-d', '-d', pty(gatewayEnd), pty(deviceEnd)]);
    socat = bus;
    await waitFor('socat', bus, () => bus.stderr().includes('starting data transfer loop') && existsSync(gatewayEnd) && existsSync(deviceEnd));
    const modbus = start(PYTHON, [SERVER_SCRIPT, deviceEnd, String(BAUD_RATE), 'N']);
    server = modbus;
    await waitFor('pymodbus RTU server', modbus, () => modbus.stdout().includes(`READY ${deviceEnd}`));
  });

  afterAll(async () => {
    await kill(server);
    await kill(socat);
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  it('decodes both units, marks a refused block and a silent unit bad, keeps the good unit on schedule, and closes the port on stop', async () => {
    const { driver, statuses, of } = runDriver(gatewayEnd, [
      device('lift-1', 1, elevatorProfile),
      device('pump-1', 2, pumpProfile),
      device('ghost-1', 7, pumpProfile),
    ]);
    const startedAt = Date.now();
    await driver.start();
    expect(Date.now() - startedAt).toBeLessThan(100);
    await sleep(SETTLE_MS);
    const health = driver.health();
    expect(openFdsOn(gatewayEnd)).toHaveLength(1);
    await driver.stop();
    expect(openFdsOn(gatewayEnd)).toEqual([]);
    expect(driver.health().state).toBe('stopped');

    expectSilentUnitContained({ batchesOf: of, statuses, health, settleMs: SETTLE_MS, pollMs: POLL_MS, timeoutMs: TIMEOUT_MS });
    expect(health).toMatchObject({ protocol: 'modbus-rtu', state: 'connected', reconnects: 0, lastError: null });
  });

  it('opens the port again with a new driver once the previous one has stopped', async () => {
    const { driver, of } = runDriver(gatewayEnd, [device('lift-1', 1, elevatorProfile)]);
    await driver.start();
    const deadline = Date.now() + 3000;
    while (of('lift-1').length === 0 && Date.now() < deadline) await sleep(25);
    const health = driver.health();
    await driver.stop();
    expect(openFdsOn(gatewayEnd)).toEqual([]);
    expect(health).toMatchObject({ state: 'connected', lastError: null });
    const first = of('lift-1')[0] ?? [];
    expect(first).toHaveLength(elevatorProfile.points.length);
    expect(first.every((s) => s.quality === 'good')).toBe(true);
  });
});
