import type { RegisterTable } from '../../profiles/types.js';

/**
 * Library errors are mapped to domain errors here, once, at the transport boundary, so the driver decides
 * what to do from a kind rather than from modbus-serial's message strings.
 *
 * - timeout:    the unit gave no reply in time (or a gateway said its target did not answer).
 * - exception:  the unit replied with a Modbus exception (it is alive, the request was refused).
 * - connection: the link itself failed (refused, reset, closed, serial port missing).
 * - decode:     a reply arrived but could not be used (CRC, length, unexpected unit or function, bad value).
 */
export type ModbusErrorKind = 'timeout' | 'exception' | 'connection' | 'decode';

/** One read request, as error messages describe it: `unit 3 reading input 100+4`. */
export interface RequestDescription {
  unitId: number;
  table: RegisterTable;
  start: number;
  count: number;
  timeoutMs: number;
}

/** Names of the exception codes of the Modbus application protocol (v1.1b3, section 7). */
const EXCEPTION_NAMES: Readonly<Record<number, string>> = {
  1: 'illegal function',
  2: 'illegal data address',
  3: 'illegal data value',
  4: 'server device failure',
  5: 'acknowledge',
  6: 'server device busy',
  7: 'negative acknowledge',
  8: 'memory parity error',
  10: 'gateway path unavailable',
  11: 'gateway target device failed to respond',
};

/** Exceptions worth one more try: the device or gateway was momentarily unable to answer. */
const TRANSIENT_EXCEPTIONS: ReadonlySet<number> = new Set([5, 6, 11]);
/** Exceptions a TCP gateway sends on behalf of a serial unit that does not answer: the unit is gone. */
const UNREACHABLE_EXCEPTIONS: ReadonlySet<number> = new Set([10, 11]);

/** Socket and serial error codes, as short phrases for logs and sample errors. */
const CONNECTION_CODES: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ECONNABORTED: 'connection aborted',
  EPIPE: 'connection broken',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  ETIMEDOUT: 'connect timeout',
  ENOENT: 'no such serial device',
  EACCES: 'permission denied',
  EBUSY: 'serial device busy',
};

export class ModbusError extends Error {
  readonly kind: ModbusErrorKind;
  /** The Modbus exception code, for kind `exception`. */
  readonly exceptionCode: number | undefined;

  constructor(kind: ModbusErrorKind, message: string, options: { exceptionCode?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ModbusError';
    this.kind = kind;
    this.exceptionCode = options.exceptionCode;
  }

  /** Whether repeating the same request may succeed (the driver retries only these). */
  get retryable(): boolean {
    switch (this.kind) {
      case 'timeout':
      case 'decode':
        return true;
      case 'exception':
        return this.exceptionCode !== undefined && TRANSIENT_EXCEPTIONS.has(this.exceptionCode);
      case 'connection':
        // The link must be re-established first; the reconnect logic owns that.
        return false;
    }
  }

  /** Whether the unit gave no answer at all (as opposed to refusing one request). */
  get unitUnreachable(): boolean {
    switch (this.kind) {
      case 'timeout':
      case 'connection':
        return true;
      case 'exception':
        return this.exceptionCode !== undefined && UNREACHABLE_EXCEPTIONS.has(this.exceptionCode);
      case 'decode':
        return false;
    }
  }
}

export function exceptionName(code: number): string {
  return EXCEPTION_NAMES[code] ?? 'unknown exception';
}

export function describeRequest(request: Omit<RequestDescription, 'timeoutMs'>): string {
  return `unit ${request.unitId} reading ${request.table} ${request.start}+${request.count}`;
}

export function timeoutError(timeoutMs: number, cause?: unknown): ModbusError {
  return new ModbusError('timeout', `timeout after ${timeoutMs} ms`, { cause });
}

export function exceptionError(code: number, request: Omit<RequestDescription, 'timeoutMs'>, cause?: unknown): ModbusError {
  return new ModbusError('exception', `Modbus exception ${code} (${exceptionName(code)}) from ${describeRequest(request)}`, {
    exceptionCode: code,
    cause,
  });
}

export function decodeError(message: string, cause?: unknown): ModbusError {
  return new ModbusError('decode', message, { cause });
}

export function connectionError(message: string, cause?: unknown): ModbusError {
  return new ModbusError('connection', message, { cause });
}

interface LibraryError {
  message?: unknown;
  name?: unknown;
  code?: unknown;
  errno?: unknown;
  modbusCode?: unknown;
}

function asLibraryError(err: unknown): LibraryError {
  return typeof err === 'object' && err !== null ? err : { message: String(err) };
}

function textOf(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/**
 * The serial binding reports a failed open as a bare message, "Error: No such file or directory, cannot
 * open /dev/ttyUSB0", with no code: recognise the usual system messages so they read like socket errors.
 */
const SERIAL_OPEN_FAILURE = /^Error: (.+), cannot open /;
const SERIAL_MESSAGE_CODES: Readonly<Record<string, string>> = {
  'No such file or directory': 'ENOENT',
  'Permission denied': 'EACCES',
  'Device or resource busy': 'EBUSY',
};

/** The socket/serial error code of an error, if it carries one (`code` from Node, `errno` from modbus-serial). */
function errorCode(err: LibraryError): string {
  const code = textOf(err.code);
  if (code !== '') return code;
  const errno = textOf(err.errno);
  if (errno !== '') return errno;
  const serial = SERIAL_OPEN_FAILURE.exec(textOf(err.message));
  return serial?.[1] !== undefined ? (SERIAL_MESSAGE_CODES[serial[1]] ?? '') : '';
}

function connectionPhrase(err: LibraryError): string {
  const message = textOf(err.message);
  if (message === 'Port Not Open') return 'link not open';
  const code = errorCode(err);
  const phrase = CONNECTION_CODES[code];
  if (phrase !== undefined) return `${phrase} (${code})`;
  const serial = SERIAL_OPEN_FAILURE.exec(message);
  if (serial?.[1] !== undefined) return `cannot open serial port: ${serial[1]}`;
  return message !== '' ? message : 'connection failed';
}

/**
 * Maps an error thrown by a modbus-serial read to a ModbusError. modbus-serial reports exceptions with a
 * numeric `modbusCode`, its own timeouts with errno ETIMEDOUT and message "Timed out", a closed port with
 * "Port Not Open", and framing problems (CRC, length, unexpected address or code) as plain Errors.
 */
export function toModbusError(err: unknown, request: RequestDescription): ModbusError {
  if (err instanceof ModbusError) return err;
  const lib = asLibraryError(err);
  if (typeof lib.modbusCode === 'number') return exceptionError(lib.modbusCode, request, err);
  const message = textOf(lib.message);
  if (message === 'Timed out' || textOf(lib.name) === 'TransactionTimedOutError') return timeoutError(request.timeoutMs, err);
  if (message === 'Port Not Open' || errorCode(lib) in CONNECTION_CODES) return connectionError(connectionPhrase(lib), err);
  return decodeError(`bad reply from ${describeRequest(request)}: ${message !== '' ? message : 'unknown error'}`, err);
}

/** Maps an error from opening a link (TCP connect, serial open) to a connection error naming the target. */
export function toConnectError(err: unknown, target: string): ModbusError {
  if (err instanceof ModbusError) return err;
  return connectionError(`${connectionPhrase(asLibraryError(err))} to ${target}`, err);
}
