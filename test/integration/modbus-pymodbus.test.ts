import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeviceConfig, ModbusTcpLinkConfig } from '../../src/config/schema.js';
import type { DeviceStatusEvent } from '../../src/drivers/driver.js';
import { ModbusDriver } from '../../src/drivers/modbus/modbus-driver.js';
import { silentLogger } from '../../src/log.js';
import type { Sample } from '../../src/points/sample.js';
import { elevatorProfile } from '../../src/profiles/elevator.js';
import { pumpProfile } from '../../src/profiles/pump.js';
import type { ModbusProfile } from '../../src/profiles/types.js';
import { SystemClock } from '../../src/time/clock.js';
import { expectSilentUnitContained, interopDevice, interopLinkTiming } from '../support/pymodbus-fixture.js';
import { freePort } from '../support/ports.js';

/**
 * The real driver, over real TCP, against an independent Modbus server (pymodbus) whose values are encoded
 * by Python's struct module: see test/support/pymodbus_server.py.
 */

const PYTHON = '/usr/bin/python3';
const SERVER_SCRIPT = fileURLToPath(new URL('../support/pymodbus_server.py', import.meta.url));
const SERVER_READY_TIMEOUT_MS = 15_000;
const POLL_MS = 250;
const TIMEOUT_MS = 300;
const SETTLE_MS = 2000;
const HOST = '127.0.0.1';

function linkConfig(port: number): ModbusTcpLinkConfig {
  return {
    id: 'plant-room',
    type: 'modbus-tcp',
    host: HOST,
    port,
    connectTimeoutMs: 1000,
    ...interopLinkTiming(TIMEOUT_MS),
  };
}

function device(id: string, unitId: number, profile: ModbusProfile): { config: DeviceConfig; profile: ModbusProfile } {
  return interopDevice('plant-room', id, unitId, profile, POLL_MS);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function portAccepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: HOST, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Starts the Python server and waits for its ready line and for the port to accept connections. */
async function startServer(port: number): Promise<{ child: ChildProcess; stderr: () => string }> {
  const child = spawn(PYTHON, [SERVER_SCRIPT, String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const deadline = Date.now() + SERVER_READY_TIMEOUT_MS;
  while (!stdout.includes(`READY ${port}`) || !(await portAccepts(port))) {
    if (child.exitCode !== null) throw new Error(`pymodbus server exited with ${child.exitCode}: ${stderr}`);
    if (Date.now() > deadline) throw new Error(`pymodbus server not ready after ${SERVER_READY_TIMEOUT_MS} ms: ${stderr}`);
    await sleep(50);
  }
  return { child, stderr: () => stderr };
}

function runDriver(port: number, devices: Array<{ config: DeviceConfig; profile: ModbusProfile }>) {
  const batches: Sample[][] = [];
  const statuses: DeviceStatusEvent[] = [];
  const driver = new ModbusDriver({
    link: linkConfig(port),
    devices,
    context: { clock: new SystemClock(), logger: silentLogger(), onSamples: (s) => batches.push(s), onDeviceStatus: (s) => statuses.push(s), onEvents: () => undefined, onDeviceAlarms: () => undefined },
  });
  const of = (id: string) => batches.filter((b) => b[0]?.point.startsWith(`${id}.`));
  return { driver, batches, statuses, of };
}

describe('ModbusDriver against pymodbus', () => {
  let server: { child: ChildProcess; stderr: () => string } | undefined;
  let port = 0;

  beforeAll(async () => {
    port = await freePort();
    server = await startServer(port);
  });

  afterAll(() => {
    server?.child.kill('SIGTERM');
  });

  it('decodes both units, marks a refused block and a silent unit bad, and keeps the good unit on schedule', async () => {
    const { driver, statuses, of } = runDriver(port, [
      device('lift-1', 1, elevatorProfile),
      device('pump-1', 2, pumpProfile),
      device('ghost-1', 7, pumpProfile),
    ]);
    const startedAt = Date.now();
    await driver.start();
    expect(Date.now() - startedAt).toBeLessThan(100);
    await sleep(SETTLE_MS);
    const health = driver.health();
    await driver.stop();

    expectSilentUnitContained({ batchesOf: of, statuses, health, settleMs: SETTLE_MS, pollMs: POLL_MS, timeoutMs: TIMEOUT_MS });
    expect(health).toMatchObject({ state: 'connected', reconnects: 0 });
  });

  it('reports a closed port as bad samples and one offline event per device', async () => {
    const closedPort = await freePort();
    const { driver, statuses, of } = runDriver(closedPort, [device('lift-1', 1, elevatorProfile), device('pump-1', 2, pumpProfile)]);
    await driver.start();
    await sleep(1500);
    const health = driver.health();
    await driver.stop();
    const refused = `connection refused (ECONNREFUSED) to ${HOST}:${closedPort}`;
    const byDevice = [...statuses].sort((a, b) => a.device.localeCompare(b.device));
    expect(byDevice.map((s) => [s.device, s.online, s.error])).toEqual([
      ['lift-1', false, refused],
      ['pump-1', false, refused],
    ]);
    expect(of('lift-1')[0]?.every((s) => s.quality === 'bad' && s.error === refused)).toBe(true);
    expect(health).toMatchObject({ state: 'disconnected', lastError: refused });
  });
});
