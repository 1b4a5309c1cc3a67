import modbusSerial from 'modbus-serial';
import type { ModbusRtuLinkConfig, ModbusTcpLinkConfig } from '../../config/schema.js';
import type { RegisterTable } from '../../profiles/types.js';
import type { Clock } from '../../time/clock.js';
import { connectionError, toConnectError, toModbusError } from './errors.js';

/** Registers (input, holding) or bits (coil, discrete), as many as requested. */
export type ReadValues = number[] | boolean[];

/**
 * What the driver needs from a Modbus link. The real one wraps modbus-serial; unit tests use an in-memory
 * fake on a virtual clock. Implementations throw ModbusError (see errors.ts) and settle every read within
 * the link's timeout. Callers serialise requests: a transport never sees two reads at once.
 */
export interface ModbusTransport {
  /** Opens the link; rejects with a connection error. */
  connect(): Promise<void>;
  /** Closes the link; resolves even if it was not open. */
  close(): Promise<void>;
  isOpen(): boolean;
  read(unitId: number, table: RegisterTable, start: number, count: number): Promise<ReadValues>;
  /** Registers the one listener told when the link closes by itself (peer closed, cable pulled). */
  onClose(listener: () => void): void;
}

export type ModbusLinkConfig = ModbusTcpLinkConfig | ModbusRtuLinkConfig;

export function isModbusLink(link: { type: string }): link is ModbusLinkConfig {
  return link.type === 'modbus-tcp' || link.type === 'modbus-rtu';
}

// modbus-serial is CommonJS; its exports object carries itself as `default`, which is how its typings
// expose the client class to an ES module.
const ModbusRTU = modbusSerial.default;
type ModbusClient = InstanceType<typeof ModbusRTU>;

/** `host:port` or the serial path, for messages. */
export function linkTarget(link: ModbusLinkConfig): string {
  switch (link.type) {
    case 'modbus-tcp':
      return `${link.host}:${link.port}`;
    case 'modbus-rtu':
      return link.path;
  }
}

export interface ModbusSerialTransportOptions {
  link: ModbusLinkConfig;
  /** Paces the TCP connect timeout. */
  clock: Clock;
}

/**
 * A modbus-serial client for one link: TCP (`connectTCP`) or RTU over a serial port (`connectRTUBuffered`).
 * A fresh client is made for every connect so nothing of a dead socket (listeners, transaction ids,
 * half-read frames) leaks into the next one.
 */
export class ModbusSerialTransport implements ModbusTransport {
  private readonly link: ModbusLinkConfig;
  private readonly clock: Clock;
  private client: ModbusClient | undefined;
  private closeListener: (() => void) | undefined;
  /** Set while a TCP connect is pending, so close() can end the wait at once. */
  private abortConnect: ((reason: Error) => void) | undefined;

  constructor(options: ModbusSerialTransportOptions) {
    this.link = options.link;
    this.clock = options.clock;
  }

  onClose(listener: () => void): void {
    this.closeListener = listener;
  }

  isOpen(): boolean {
    return this.client?.isOpen === true;
  }

  async connect(): Promise<void> {
    await this.close();
    const client = new ModbusRTU();
    // modbus-serial relays socket errors as 'error' events; without a listener Node would throw them.
    client.on('error', () => undefined);
    this.client = client;
    try {
      await this.open(client);
    } catch (err) {
      await endClient(client, this.link.type);
      if (this.client === client) this.client = undefined;
      throw toConnectError(err, linkTarget(this.link));
    }
    // Set after connecting: connectTCP would otherwise also use it as the socket's idle timeout.
    client.setTimeout(this.link.timeoutMs);
    client.on('close', () => {
      if (this.client === client) this.closeListener?.();
    });
  }

  async close(): Promise<void> {
    this.abortConnect?.(connectionError('connect aborted: link closed'));
    const client = this.client;
    this.client = undefined;
    if (client !== undefined) await endClient(client, this.link.type);
  }

  async read(unitId: number, table: RegisterTable, start: number, count: number): Promise<ReadValues> {
    const client = this.client;
    const request = { unitId, table, start, count, timeoutMs: this.link.timeoutMs };
    if (client === undefined || !client.isOpen) throw connectionError('link not open');
    client.setID(unitId);
    try {
      switch (table) {
        case 'coil':
          // Bits come back padded to whole bytes.
          return (await client.readCoils(start, count)).data.slice(0, count);
        case 'discrete':
          return (await client.readDiscreteInputs(start, count)).data.slice(0, count);
        case 'input':
          return (await client.readInputRegisters(start, count)).data;
        case 'holding':
          return (await client.readHoldingRegisters(start, count)).data;
      }
    } catch (err) {
      throw toModbusError(err, request);
    }
  }

  private async open(client: ModbusClient): Promise<void> {
    switch (this.link.type) {
      case 'modbus-tcp':
        await this.withConnectTimeout(client.connectTCP(this.link.host, { port: this.link.port }), this.link.connectTimeoutMs);
        return;
      case 'modbus-rtu':
        await client.connectRTUBuffered(this.link.path, {
          baudRate: this.link.baudRate,
          parity: this.link.parity,
          dataBits: this.link.dataBits,
          stopBits: this.link.stopBits,
        });
        return;
    }
  }

  /**
   * modbus-serial has no connect timeout of its own (an unanswered SYN waits minutes), and destroying a
   * connecting socket never calls back; so the wait ends on connect, on error, on timeout or on close().
   */
  private withConnectTimeout(connecting: Promise<void>, timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const done = (err?: unknown) => {
        this.clock.clearTimeout(timer);
        this.abortConnect = undefined;
        if (err === undefined) resolve();
        else reject(toConnectError(err, linkTarget(this.link)));
      };
      const timer = this.clock.setTimeout(() => done(connectionError(`connect timeout after ${timeoutMs} ms to ${linkTarget(this.link)}`)), timeoutMs);
      this.abortConnect = done;
      connecting.then(() => done(), done);
    });
  }
}

/**
 * Ends a client without waiting for the peer. For TCP, destroy() always calls back, where close() waits for
 * the peer's FIN, which a hung gateway never sends. (destroy() also cancels modbus-serial's pending timeouts,
 * so a read in flight never settles; the driver's watchdog covers that.) The buffered serial port has no
 * destroy(), so it is closed normally.
 */
function endClient(client: ModbusClient, type: ModbusLinkConfig['type']): Promise<void> {
  return new Promise<void>((resolve) => {
    try {
      switch (type) {
        case 'modbus-tcp':
          client.destroy(() => resolve());
          return;
        case 'modbus-rtu':
          if (client.isOpen) client.close(() => resolve());
          else resolve();
          return;
      }
    } catch {
      resolve();
    }
  });
}
