import { execFile } from 'node:child_process';
import modbusSerial from 'modbus-serial';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeRegisters } from '../../src/drivers/modbus/codec.js';
import { elevatorProfile } from '../../src/profiles/elevator.js';
import { pumpProfile } from '../../src/profiles/pump.js';
import { registerCount, type ModbusPointDef } from '../../src/profiles/types.js';
import { VirtualClock } from '../../src/time/clock.js';
import { startSimulator, type SimulatorHandle } from '../../simulator/simulator.js';

/**
 * The simulator read over real Modbus TCP by Debian's mbpoll (an independent implementation) and by
 * modbus-serial's client. The simulator runs on a virtual clock that the test does not advance while
 * reading, so the registers hold still between reading the model's values and reading the wire.
 */

// modbus-serial is CommonJS; its exports object carries itself as `default`, which is where its typings
// put the client class.
const ModbusRTU = modbusSerial.default;
type ModbusClient = InstanceType<typeof ModbusRTU>;

const HOST = '127.0.0.1';
const ELEVATOR_3 = 3;
const ELEVATOR_4 = 4;
const SUMP = 4;
const FIRE_PUMP = 5;
const JOCKEY = 6;
const BOOSTER_1 = 1;

interface MbpollResult {
  code: number;
  stdout: string;
  stderr: string;
  /** Reference → value as printed. */
  values: Map<number, string>;
}

/**
 * Runs mbpoll once with PDU (0-based) addressing; never rejects, the exit code tells. A null count with
 * values after the host writes them instead of reading.
 */
function mbpoll(port: number, unit: number, type: string, ref: number, count: number | null, extra: string[] = []): Promise<MbpollResult> {
  const countArgs = count === null ? [] : ['-c', String(count)];
  const args = ['-m', 'tcp', '-a', String(unit), '-t', type, '-0', '-r', String(ref), ...countArgs, '-1', '-o', '0.5', '-p', String(port), HOST, ...extra];
  return new Promise((resolve) => {
    execFile('mbpoll', args, { timeout: 10_000 }, (err, stdout, stderr) => {
      const values = new Map<number, string>();
      for (const line of stdout.split('\n')) {
        const m = /^\[(\d+)\]:\s+(\S+)/.exec(line);
        if (m?.[1] !== undefined && m[2] !== undefined) values.set(Number(m[1]), m[2]);
      }
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr, values });
    });
  });
}

/** Unsigned 16-bit registers from `-t 3` / `-t 4` output ("62212 (-3324)" prints both). */
function registers(result: MbpollResult, ref: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => {
    const text = result.values.get(ref + i);
    if (text === undefined) throw new Error(`mbpoll printed no value for ${ref + i}:\n${result.stdout}\n${result.stderr}`);
    return Number(text);
  });
}

function point(name: string, profile = pumpProfile): ModbusPointDef {
  const def = profile.points.find((p) => p.name === name);
  if (!def) throw new Error(`no point ${name}`);
  return def;
}

let sim: SimulatorHandle;
let elevators: number;
let plantRoom: number;

beforeAll(async () => {
  sim = await startSimulator({ clock: new VirtualClock(), seed: 5, controlPort: null });
  elevators = sim.ports.elevators ?? 0;
  plantRoom = sim.ports['plant-room'] ?? 0;
  // Bring the car-park lift down to a basement, so a negative floor goes over the wire.
  for (let t = 0; t < 3_600_000 && (sim.values('elevator-4').floor as number) >= 0; t += 1000) sim.step(1000);
});

afterAll(async () => {
  await sim.stop();
});

describe('simulator read by mbpoll', () => {
  it('serves an elevator map that decodes to the model values', async () => {
    const values = sim.values('elevator-4');
    expect(values.floor as number).toBeLessThan(0);
    const result = await mbpoll(elevators, ELEVATOR_4, '3', 0, 14);
    expect(result.code).toBe(0);
    // mbpoll prints a negative int16 as "65534 (-2)".
    expect(result.stdout).toMatch(new RegExp(`^\\[0\\]:\\s+\\d+ \\(${String(values.floor)}\\)$`, 'm'));
    const regs = registers(result, 0, 14);
    for (const def of elevatorProfile.points) {
      const decoded = decodeRegisters(def, regs.slice(def.address, def.address + registerCount(def.type)));
      if (def.type === 'float32') expect(decoded as number, def.name).toBeCloseTo(values[def.name] as number, 2);
      else expect(decoded, def.name).toEqual(values[def.name]);
    }
  });

  it('serves run hours as a float32 low word first, as mbpoll decodes floats by default', async () => {
    const result = await mbpoll(elevators, ELEVATOR_4, '3:float', 9, 1);
    expect(Number(result.values.get(9))).toBeCloseTo(sim.values('elevator-4').run_hours as number, 1);
  });

  it('serves pump float32 pressures and flow big-endian (mbpoll -B)', async () => {
    const values = sim.values('fire-pump-1');
    const result = await mbpoll(plantRoom, FIRE_PUMP, '3:float', 0, 3, ['-B']);
    expect(result.code).toBe(0);
    expect(Number(result.values.get(0))).toBeCloseTo(values.discharge_pressure as number, 3);
    expect(Number(result.values.get(2))).toBeCloseTo(values.suction_pressure as number, 3);
    expect(Number(result.values.get(4))).toBeCloseTo(values.flow as number, 3);
    expect(values.discharge_pressure as number).toBeGreaterThan(6);
  });

  it('serves run, fault and remote as discrete inputs, and the setpoint as a holding register', async () => {
    const values = sim.values('fire-pump-1');
    const bits = await mbpoll(plantRoom, FIRE_PUMP, '1', 0, 3);
    expect([0, 1, 2].map((i) => bits.values.get(i))).toEqual([values.running, values.fault, values.remote].map((b) => (b ? '1' : '0')));
    const holding = await mbpoll(plantRoom, JOCKEY, '4', 0, 1);
    expect(registers(holding, 0, 1)).toEqual([Math.round((sim.values('jockey-pump-1').pressure_setpoint as number) / 0.01)]);
  });

  it('answers an address outside the map with exception 2, and a write with exception 1', async () => {
    const outside = await mbpoll(plantRoom, BOOSTER_1, '3', 18, 2);
    expect(outside.code).not.toBe(0);
    expect(outside.stderr).toMatch(/Illegal data address/i);
    const write = await mbpoll(plantRoom, JOCKEY, '4', 0, null, ['123']);
    expect(write.code).not.toBe(0);
    expect(write.stderr).toMatch(/Illegal function/i);
  });

  it('answers an unknown unit id with exception 11', async () => {
    const result = await mbpoll(plantRoom, 42, '3', 0, 1);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/Target device failed to respond/i);
  });

  it('lets a no-answer device time out while the other units on its link keep answering', async () => {
    sim.startScenario('no-answer', 'elevator-3');
    try {
      const silent = await mbpoll(elevators, ELEVATOR_3, '3', 0, 1);
      expect(silent.code).not.toBe(0);
      expect(silent.stderr).toMatch(/timed out/i);
      const neighbour = await mbpoll(elevators, ELEVATOR_4, '3', 0, 1);
      expect(neighbour.code).toBe(0);
    } finally {
      sim.clearScenario('no-answer', 'elevator-3');
    }
    expect((await mbpoll(elevators, ELEVATOR_3, '3', 0, 1)).code).toBe(0);
  });

  it('answers every request of a modbus-exception device with exception 4', async () => {
    sim.startScenario('modbus-exception', 'sump-1');
    try {
      const result = await mbpoll(plantRoom, SUMP, '3', 0, 2);
      expect(result.stderr).toMatch(/Slave device or server failure/i);
      expect((await mbpoll(plantRoom, SUMP, '1', 0, 1)).stderr).toMatch(/Slave device or server failure/i);
    } finally {
      sim.clearScenario('modbus-exception');
    }
  });

  it('serves the floats of a swapped-float device in the other word order', async () => {
    const discharge = sim.values('fire-pump-1').discharge_pressure as number;
    sim.startScenario('swapped-float', 'fire-pump-1');
    try {
      const asConfigured = await mbpoll(plantRoom, FIRE_PUMP, '3:float', 0, 1, ['-B']);
      expect(Number(asConfigured.values.get(0))).not.toBeCloseTo(discharge, 1);
      const swappedBack = await mbpoll(plantRoom, FIRE_PUMP, '3:float', 0, 1);
      expect(Number(swappedBack.values.get(0))).toBeCloseTo(discharge, 3);
    } finally {
      sim.clearScenario('swapped-float');
    }
  });
});

describe('simulator read by the modbus-serial client', () => {
  let client: ModbusClient;

  beforeAll(async () => {
    client = new ModbusRTU();
    await client.connectTCP(HOST, { port: plantRoom });
    client.setTimeout(500);
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => client.close(() => resolve()));
  });

  it('reads a pump map in one block read that decodes to the model values', async () => {
    client.setID(BOOSTER_1);
    const values = sim.values('booster-1');
    const { data } = await client.readInputRegisters(0, 19);
    for (const def of pumpProfile.points.filter((p) => p.table === 'input')) {
      const decoded = decodeRegisters(def, data.slice(def.address, def.address + registerCount(def.type)));
      if (def.type === 'float32') expect(decoded as number, def.name).toBeCloseTo(values[def.name] as number, 3);
      else expect(decoded, def.name).toEqual(values[def.name]);
    }
    const bits = await client.readDiscreteInputs(0, 3);
    expect(bits.data.slice(0, 3)).toEqual([values.running, values.fault, values.remote]);
    const holding = await client.readHoldingRegisters(0, 1);
    expect(decodeRegisters(point('pressure_setpoint'), holding.data)).toBe(values.pressure_setpoint);
  });

  it('gets the Modbus exception code of an illegal address', async () => {
    client.setID(BOOSTER_1);
    await expect(client.readInputRegisters(19, 1)).rejects.toMatchObject({ modbusCode: 2 });
    await expect(client.readCoils(0, 1)).rejects.toMatchObject({ modbusCode: 2 });
  });

  it('times out on a no-answer device', async () => {
    sim.startScenario('no-answer', 'booster-2');
    try {
      client.setID(2);
      await expect(client.readInputRegisters(0, 2)).rejects.toThrow(/timed out/i);
    } finally {
      sim.clearScenario('no-answer');
    }
  });
});
