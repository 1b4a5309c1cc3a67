import { describe, expect, it } from 'vitest';
import { ModbusError, toConnectError, toModbusError, type RequestDescription } from '../../../src/drivers/modbus/errors.js';

const REQUEST: RequestDescription = { unitId: 3, table: 'input', start: 100, count: 4, timeoutMs: 1000 };

/** Shaped like modbus-serial's errors, which are plain objects rather than Error instances. */
function libraryError(fields: Record<string, unknown>): unknown {
  return { ...fields };
}

describe('toModbusError', () => {
  it('names Modbus exceptions with the request', () => {
    const error = toModbusError(Object.assign(new Error('Modbus exception 2: Illegal data address'), { modbusCode: 2 }), REQUEST);
    expect(error).toBeInstanceOf(ModbusError);
    expect(error.kind).toBe('exception');
    expect(error.exceptionCode).toBe(2);
    expect(error.message).toBe('Modbus exception 2 (illegal data address) from unit 3 reading input 100+4');
    expect(error.retryable).toBe(false);
    expect(error.unitUnreachable).toBe(false);
  });

  it('treats busy devices as retryable and gateway exceptions as an absent unit', () => {
    expect(toModbusError({ modbusCode: 6 }, REQUEST)).toMatchObject({ retryable: true, unitUnreachable: false });
    const gateway = toModbusError({ modbusCode: 11 }, REQUEST);
    expect(gateway.message).toBe('Modbus exception 11 (gateway target device failed to respond) from unit 3 reading input 100+4');
    expect(gateway).toMatchObject({ retryable: true, unitUnreachable: true });
    expect(toModbusError({ modbusCode: 10 }, REQUEST).unitUnreachable).toBe(true);
    expect(toModbusError({ modbusCode: 42 }, REQUEST).message).toMatch(/^Modbus exception 42 \(unknown exception\)/);
  });

  it('maps timeouts with the configured duration', () => {
    const error = toModbusError(libraryError({ name: 'TransactionTimedOutError', message: 'Timed out', errno: 'ETIMEDOUT' }), REQUEST);
    expect(error).toMatchObject({ kind: 'timeout', message: 'timeout after 1000 ms', retryable: true, unitUnreachable: true });
  });

  it('maps a closed port and socket errors to connection errors', () => {
    const notOpen = toModbusError(libraryError({ name: 'PortNotOpenError', message: 'Port Not Open', errno: 'ECONNREFUSED' }), REQUEST);
    expect(notOpen).toMatchObject({ kind: 'connection', message: 'link not open', retryable: false, unitUnreachable: true });
    const reset = toModbusError(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }), REQUEST);
    expect(reset).toMatchObject({ kind: 'connection', message: 'connection reset (ECONNRESET)' });
  });

  it('maps framing problems to decode errors', () => {
    const error = toModbusError(new Error('CRC error'), REQUEST);
    expect(error).toMatchObject({ kind: 'decode', message: 'bad reply from unit 3 reading input 100+4: CRC error', retryable: true });
    expect(toModbusError('weird', REQUEST).kind).toBe('decode');
  });

  it('passes ModbusErrors through unchanged', () => {
    const original = new ModbusError('timeout', 'timeout after 5 ms');
    expect(toModbusError(original, REQUEST)).toBe(original);
  });
});

describe('toConnectError', () => {
  it('names the target', () => {
    const refused = toConnectError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:502'), { code: 'ECONNREFUSED' }), '127.0.0.1:502');
    expect(refused).toMatchObject({ kind: 'connection', message: 'connection refused (ECONNREFUSED) to 127.0.0.1:502' });
  });

  it('reads the serial binding\'s bare open failures like socket errors', () => {
    const open = (message: string) => toConnectError(new Error(message), '/dev/ttyUSB9').message;
    expect(open('Error: No such file or directory, cannot open /dev/ttyUSB9')).toBe('no such serial device (ENOENT) to /dev/ttyUSB9');
    expect(open('Error: Permission denied, cannot open /dev/ttyUSB9')).toBe('permission denied (EACCES) to /dev/ttyUSB9');
    expect(open('Error: Input/output error, cannot open /dev/ttyUSB9')).toBe('cannot open serial port: Input/output error to /dev/ttyUSB9');
  });
});
