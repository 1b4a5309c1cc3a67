import { createServer } from 'node:net';
import { ServerTCP, type FCallback, type FCallbackVal, type IServiceVector } from 'modbus-serial';
import type { Logger } from 'pino';
import type { RegisterTable } from '../src/profiles/types.js';
import type { RegisterBank } from './register-bank.js';

/**
 * One Modbus TCP server per link (modbus-serial's ServerTCP), routing requests by unit id to the device's
 * register bank, like a TCP gateway in front of several serial devices.
 *
 * Answers:
 * - a read inside the device's map: the registers;
 * - a read outside it: exception 2 (illegal data address);
 * - an unknown unit id: exception 11 (gateway target device failed to respond), which is what a real
 *   TCP-to-serial gateway answers; a device that times out is simulated on purpose with `no-answer`;
 * - any write: exception 1 (illegal function): the simulated devices are read-only;
 * - a device in `no-answer`: nothing at all, so the client times out; other units keep answering;
 * - a device in `exception`: exception 4 (server device failure) to every request.
 */

export type CommBehaviour = 'normal' | 'no-answer' | 'exception';

export interface ServedUnit {
  deviceId: string;
  unitId: number;
  bank: RegisterBank;
  /** Read at each request, so a scenario takes effect at once. */
  comm: () => CommBehaviour;
}

export interface LinkServer {
  linkId: string;
  host: string;
  /** The bound port (a free one was picked when 0 was asked for). */
  port: number;
  stop(): Promise<void>;
}

export interface LinkServerOptions {
  linkId: string;
  host: string;
  /** 0 picks a free port. */
  port: number;
  units: readonly ServedUnit[];
  logger: Logger;
}

const ILLEGAL_FUNCTION = 1;
const ILLEGAL_DATA_ADDRESS = 2;
const ILLEGAL_DATA_VALUE = 3;
const SERVER_DEVICE_FAILURE = 4;
const GATEWAY_TARGET_FAILED = 11;
const MAX_REGISTERS_PER_READ = 125;
/** ServerTCP with unit id 255 accepts every unit id; we route them ourselves. */
const ALL_UNITS = 255;
/** Picking a free port and binding it is not atomic: another process may win; try again. */
const BIND_ATTEMPTS = 5;

/** modbus-serial turns an error's `modbusErrorCode` into the exception response. */
class ModbusException extends Error {
  constructor(readonly modbusErrorCode: number) {
    super(`Modbus exception ${modbusErrorCode}`);
  }
}

type Reply = (err: Error | null, words: number[]) => void;

export async function startLinkServer(opts: LinkServerOptions): Promise<LinkServer> {
  const log = opts.logger.child({ link: opts.linkId });
  const units = new Map<number, ServedUnit>();
  for (const unit of opts.units) {
    if (units.has(unit.unitId)) throw new Error(`link ${opts.linkId}: unit id ${unit.unitId} used twice`);
    units.set(unit.unitId, unit);
  }

  /** Every request ends here; `reply` is simply never called for a device that does not answer. */
  const serve = (unitId: number, table: RegisterTable | 'write', address: number, count: number, reply: Reply): void => {
    const unit = units.get(unitId);
    if (!unit) return reply(new ModbusException(GATEWAY_TARGET_FAILED), []);
    const comm = unit.comm();
    switch (comm) {
      case 'no-answer':
        return;
      case 'exception':
        return reply(new ModbusException(SERVER_DEVICE_FAILURE), []);
      case 'normal':
        break;
    }
    if (table === 'write') return reply(new ModbusException(ILLEGAL_FUNCTION), []);
    if (count > MAX_REGISTERS_PER_READ && !(table === 'coil' || table === 'discrete')) return reply(new ModbusException(ILLEGAL_DATA_VALUE), []);
    const words = unit.bank.read(table, address, count);
    if (!words) return reply(new ModbusException(ILLEGAL_DATA_ADDRESS), []);
    reply(null, words);
  };

  const one =
    <T>(table: RegisterTable, convert: (word: number) => T, fallback: T) =>
    (addr: number, unitID: number, cb: FCallbackVal<T>): void =>
      serve(unitID, table, addr, 1, (err, words) => cb(err, err ? fallback : convert(words[0] ?? 0)));
  const many =
    (table: RegisterTable) =>
    (addr: number, length: number, unitID: number, cb: FCallbackVal<number[]>): void =>
      serve(unitID, table, addr, length, cb);
  const refuseWrite = (unitID: number, cb: FCallback): void => serve(unitID, 'write', 0, 1, (err) => cb(err));

  // Callback forms throughout: modbus-serial picks the form by the function's arity, and only the
  // callback form can leave a request unanswered.
  const vector: IServiceVector = {
    getCoil: one('coil', (w) => w !== 0, false),
    getDiscreteInput: one('discrete', (w) => w !== 0, false),
    getInputRegister: one('input', (w) => w, 0),
    getHoldingRegister: one('holding', (w) => w, 0),
    getMultipleInputRegisters: many('input'),
    getMultipleHoldingRegisters: many('holding'),
    setCoil: (_addr: number, _value: boolean, unitID: number, cb: FCallback) => refuseWrite(unitID, cb),
    setRegister: (_addr: number, _value: number, unitID: number, cb: FCallback) => refuseWrite(unitID, cb),
    setRegisterArray: (_addr: number, _values: number[], unitID: number, cb: FCallback) => refuseWrite(unitID, cb),
  };

  const { server, port } = await bind(vector, opts.host, opts.port);
  server.on('socketError', (err: Error | null) => log.debug({ err }, 'client socket error'));
  server.on('error', (err: Error | null) => log.warn({ err }, 'modbus server error'));
  log.debug({ host: opts.host, port, units: [...units.keys()] }, 'modbus link listening');
  return {
    linkId: opts.linkId,
    host: opts.host,
    port,
    stop: () => closeServer(server),
  };
}

async function bind(vector: IServiceVector, host: string, port: number): Promise<{ server: ServerTCP; port: number }> {
  let lastError: Error | undefined;
  for (let attempt = 0; attempt < BIND_ATTEMPTS; attempt++) {
    // ServerTCP reads `port || 502`, so it cannot bind port 0 itself: pick a free port first.
    const candidate = port === 0 ? await freePort(host) : port;
    const server = new ServerTCP(vector, { host, port: candidate, unitID: ALL_UNITS });
    const error = await new Promise<Error | null>((resolve) => {
      server.once('initialized', () => resolve(null));
      server.once('serverError', (err: Error) => resolve(err));
    });
    if (!error) return { server, port: candidate };
    await closeServer(server);
    lastError = error;
    const inUse = (error as NodeJS.ErrnoException).code === 'EADDRINUSE';
    if (port !== 0 || !inUse) break;
  }
  throw lastError ?? new Error(`cannot bind ${host}:${port}`);
}

function closeServer(server: ServerTCP): Promise<void> {
  // The callback gets an error when the server was not listening: closed either way.
  return new Promise((resolve) => server.close(() => resolve()));
}

function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.unref();
    probe.once('error', reject);
    probe.listen(0, host, () => {
      const address = probe.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      probe.close(() => (port > 0 ? resolve(port) : reject(new Error('no free port assigned'))));
    });
  });
}
