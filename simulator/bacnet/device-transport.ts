import { createSocket, type Socket } from 'node:dgram';
import { EventEmitter } from 'node:events';
import { abortFrame, inspectApdu, PDU_COMPLEX_ACK } from './frames.js';

/**
 * The UDP transport under one simulated device's `@bacnet-js/client`, in place of the library's own so
 * that the device can do what a real device does and the library cannot:
 * - bind one address and report a failed bind to whoever started the device (not as a stray event);
 * - fall silent (communication loss): nothing in, nothing out;
 * - refuse a reply that does not fit the requester's max APDU: the device has no segmentation, so it
 *   sends Abort segmentation-not-supported instead and the client has to ask for less;
 * - screen requests before the library decodes them (too long, segmented).
 *
 * It implements what the client calls on a transport: `on`, `open`, `close`, `send`, `getMaxPayload`,
 * `getBroadcastAddress`.
 */

export const DEFAULT_BACNET_PORT = 47808;
/**
 * Size of the buffer the library encodes each message into. Large, so that an oversized reply encodes
 * completely and is then measured and refused, rather than overflowing mid-encode.
 */
const ENCODE_BUFFER_BYTES = 65_535;
const ABORT_SEGMENTATION_NOT_SUPPORTED = 4;

export interface DeviceTransportOptions {
  address: string;
  port: number;
  /** Whether the device is silent now; read for every datagram. */
  silent: () => boolean;
  /** Sees each request first: return false to keep it from the library (the screen has answered it). */
  screen: (frame: Buffer, from: string) => boolean;
  onSendError: (err: Error, to: string) => void;
}

export class DeviceTransport extends EventEmitter {
  private readonly socket: Socket;
  private replyLimit: number | undefined;
  private aborted = false;
  private closed = false;
  readonly ready: Promise<number>;

  constructor(private readonly opts: DeviceTransportOptions) {
    super();
    this.socket = createSocket({ type: 'udp4', reuseAddr: false });
    this.ready = new Promise<number>((resolve, reject) => {
      const onError = (err: Error): void => reject(new Error(`BACnet device cannot bind ${opts.address}:${opts.port}: ${err.message}`));
      this.socket.once('error', onError);
      this.socket.once('listening', () => {
        this.socket.off('error', onError);
        this.socket.on('error', (err) => this.emit('error', err));
        resolve(this.socket.address().port);
      });
    });
    this.socket.on('message', (msg, rinfo) => {
      if (this.opts.silent()) return;
      const from = addressString(rinfo.address, rinfo.port);
      if (!this.opts.screen(msg, from)) return;
      this.emit('message', msg, from);
    });
  }

  open(): void {
    this.socket.bind(this.opts.port, this.opts.address);
  }

  /** Emits `close` once the socket is closed. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.socket.close(() => this.emit('close'));
    } catch {
      // Never bound (a failed start): nothing to close.
      this.emit('close');
    }
  }

  getBroadcastAddress(): string {
    return '255.255.255.255';
  }

  getMaxPayload(): number {
    return ENCODE_BUFFER_BYTES;
  }

  /** Called by the library with the encoded message in `buffer[0..offset)`. */
  send(buffer: Buffer, offset: number, receiver?: string): void {
    if (this.opts.silent() || this.closed) return;
    const to = receiver ?? this.getBroadcastAddress();
    let frame = buffer.subarray(0, offset);
    if (this.replyLimit !== undefined) {
      const apdu = inspectApdu(frame);
      if (apdu?.pduType === PDU_COMPLEX_ACK && apdu.length > this.replyLimit) {
        frame = abortFrame(apdu.invokeId ?? 0, ABORT_SEGMENTATION_NOT_SUPPORTED);
        this.aborted = true;
      }
    }
    this.sendRaw(frame, to);
  }

  /** Sends a frame built outside the library (I-Am, Abort, Reject). */
  sendRaw(frame: Buffer, to: string): void {
    if (this.opts.silent() || this.closed) return;
    const { host, port } = parseAddress(to);
    this.socket.send(frame, 0, frame.length, port, host, (err) => {
      if (err) this.opts.onSendError(err, to);
    });
  }

  /**
   * Runs `reply` (which sends one answer through the library) with a limit on the answer's APDU length;
   * returns whether the answer went out, or was replaced by an Abort because it did not fit.
   */
  replyWithin(limitBytes: number, reply: () => void): 'sent' | 'aborted' {
    this.replyLimit = limitBytes;
    this.aborted = false;
    try {
      reply();
    } finally {
      this.replyLimit = undefined;
    }
    return this.aborted ? 'aborted' : 'sent';
  }
}

/** The library's address convention: `ip` for the standard port, `ip:port` otherwise. */
export function addressString(host: string, port: number): string {
  return port === DEFAULT_BACNET_PORT ? host : `${host}:${port}`;
}

export function parseAddress(address: string): { host: string; port: number } {
  const colon = address.lastIndexOf(':');
  if (colon < 0) return { host: address, port: DEFAULT_BACNET_PORT };
  const port = Number(address.slice(colon + 1));
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`invalid BACnet address "${address}": bad port`);
  return { host: address.slice(0, colon), port };
}
