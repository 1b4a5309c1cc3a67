import { createSocket, type Socket } from 'node:dgram';
import { EventEmitter } from 'node:events';
import { checkFrame, isReplyPdu, type FrameVerdict } from './frame-check.js';

/** The library's well-known port: it writes addresses on it without `:port`. */
export const BACNET_DEFAULT_PORT = 47808;

/** The library's largest BVLC frame. */
const MAX_PAYLOAD = 1482;

export type RejectReason = 'bvlc' | 'npdu' | 'apdu' | 'unsolicited' | 'decode' | 'payload';

export interface GuardedTransportOptions {
  interface: string;
  port: number;
  broadcastAddress: string;
  /** Whether a reply (ACK, error, reject, abort) from `address` with this invoke id answers a request of ours. */
  expectsReply: (address: string, invokeId: number) => boolean;
  /** Told the kind of every reply let through, so an error can be told apart as reject or abort. */
  onReply?: (address: string, invokeId: number, pduType: number) => void;
  /** Told once per rejected frame. */
  onReject?: (reason: RejectReason, detail: string, from: string) => void;
}

/**
 * The UDP transport handed to the BACnet library in place of its own. It owns the socket and feeds the
 * library only frames that pass `checkFrame`; replies must answer a request of ours (address and invoke
 * id); and anything the library throws while decoding is caught here, so a malformed datagram can never
 * escape into the process. Every rejected frame is counted by reason.
 *
 * Implements the shape the library expects of a transport (an event emitter with `message`, `error`,
 * `listening` and `close`, and send/open/close).
 */
export class GuardedTransport extends EventEmitter {
  private readonly socket: Socket;
  private readonly options: GuardedTransportOptions;
  private ownPort = 0;
  private ownAddress = '';
  /** Set while a frame is inside the library: a handler that recognises it marks it handled. */
  private current: { handled: boolean } | null = null;
  readonly rejected: Record<RejectReason, number> = { bvlc: 0, npdu: 0, apdu: 0, unsolicited: 0, decode: 0, payload: 0 };
  /** Frames handed to the library and not refused afterwards. */
  accepted = 0;
  /** Well-formed frames with nothing for a client (network-layer messages). */
  ignored = 0;
  closed = false;

  constructor(options: GuardedTransportOptions) {
    super();
    this.options = options;
    this.socket = createSocket({ type: 'udp4', reuseAddr: false });
    this.socket.on('message', (msg, rinfo) => this.receive(msg, rinfo.address, rinfo.port));
    this.socket.on('listening', () => {
      const address = this.socket.address();
      this.ownPort = address.port;
      this.ownAddress = address.address;
      this.emit('listening', address);
    });
    this.socket.on('error', (err) => this.emit('error', err));
    this.socket.on('close', () => this.emit('close'));
  }

  get rejectedTotal(): number {
    return Object.values(this.rejected).reduce((a, b) => a + b, 0);
  }

  /** The bound port (useful when configured as 0 in tests). */
  get localPort(): number {
    return this.ownPort;
  }

  getBroadcastAddress(): string {
    return this.options.broadcastAddress;
  }

  getMaxPayload(): number {
    return MAX_PAYLOAD;
  }

  send(buffer: Buffer, offset: number, receiver?: string): void {
    if (this.closed) return;
    const target = receiver ?? this.options.broadcastAddress;
    const [host, portText] = target.split(':');
    const port = portText === undefined ? BACNET_DEFAULT_PORT : Number(portText);
    this.socket.send(buffer, 0, offset, port, host, (err) => {
      if (err) this.emit('error', err);
    });
  }

  open(): void {
    this.socket.bind(this.options.port, this.options.interface, () => {
      try {
        this.socket.setBroadcast(true);
      } catch (err) {
        this.emit('error', err instanceof Error ? err : new Error(String(err)));
      }
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.socket.close();
    } catch {
      // Already closed (bind failed): nothing to release.
    }
  }

  /** Called by whoever consumes a decoded frame (an I-Am, a notification): the frame was understood. */
  markHandled(): void {
    if (this.current) this.current.handled = true;
  }

  /** Counts a frame the library decoded but whose content made no sense (a payload with bad fields). */
  countRejected(reason: RejectReason, detail: string, from: string): void {
    this.rejected[reason]++;
    this.options.onReject?.(reason, detail, from);
  }

  private receive(msg: Buffer, address: string, port: number): void {
    if (this.closed) return;
    // Our own broadcasts come back to us.
    if (port === this.ownPort && (address === this.ownAddress || this.ownAddress === '0.0.0.0')) return;
    const from = port === BACNET_DEFAULT_PORT ? address : `${address}:${port}`;
    const verdict = checkFrame(msg);
    if (!verdict.ok) {
      this.countRejected(verdict.reason, verdict.detail, from);
      return;
    }
    if (verdict.kind === 'network') {
      this.ignored++;
      return;
    }
    if (verdict.kind === 'apdu' && isReplyPdu(verdict.pduType)) {
      const invokeId = verdict.invokeId ?? -1;
      if (!this.options.expectsReply(from, invokeId)) {
        this.countRejected('unsolicited', `reply with invoke id ${invokeId} answers no request of ours`, from);
        return;
      }
      this.options.onReply?.(from, invokeId, verdict.pduType);
    }
    this.deliver(msg, from, verdict);
  }

  private deliver(msg: Buffer, from: string, verdict: FrameVerdict): void {
    const frame = { handled: false };
    this.current = frame;
    try {
      this.emit('message', msg, from);
    } catch (err) {
      this.countRejected('decode', `the library could not decode it: ${err instanceof Error ? err.message : String(err)}`, from);
      return;
    } finally {
      this.current = null;
    }
    // Notifications and I-Ams the library could not decode are dropped by it without a word: count them.
    if (verdict.ok && verdict.kind === 'apdu' && expectsHandler(verdict) && !frame.handled) {
      this.countRejected('decode', `service ${verdict.service ?? -1} could not be decoded`, from);
      return;
    }
    this.accepted++;
  }
}

/** Requests the gateway consumes: I-Am, COV and event notifications (confirmed and unconfirmed). */
function expectsHandler(verdict: { pduType: number; service?: number }): boolean {
  if (verdict.pduType === 1) return verdict.service === 0 || verdict.service === 2 || verdict.service === 3;
  if (verdict.pduType === 0) return verdict.service === 1 || verdict.service === 2;
  return false;
}
