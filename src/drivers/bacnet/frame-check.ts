/**
 * A structural check of a BACnet/IP datagram (BVLC, NPDU and APDU headers) before the library sees it.
 * The library decodes with few bounds checks and can throw from inside the socket's message handler; this
 * check lets only frames with consistent headers through, names why the others are rejected, and tells
 * the caller which kind of APDU a frame carries (so a reply can be matched to a request it answers).
 */

export const BVLC_TYPE_BACNET_IP = 0x81;

/** BVLC functions a BACnet/IP client receives; the others are for BBMDs. */
const BVLC_RESULT = 0x00;
const BVLC_FORWARDED_NPDU = 0x04;
const BVLC_ORIGINAL_UNICAST = 0x0a;
const BVLC_ORIGINAL_BROADCAST = 0x0b;

export const PDU_CONFIRMED_REQUEST = 0;
export const PDU_UNCONFIRMED_REQUEST = 1;
export const PDU_SIMPLE_ACK = 2;
export const PDU_COMPLEX_ACK = 3;
export const PDU_SEGMENT_ACK = 4;
export const PDU_ERROR = 5;
export const PDU_REJECT = 6;
export const PDU_ABORT = 7;

export type FrameRejectReason = 'bvlc' | 'npdu' | 'apdu';

export type FrameVerdict =
  | { ok: false; reason: FrameRejectReason; detail: string }
  /** A BVLC-Result (e.g. the answer to a foreign-device registration). */
  | { ok: true; kind: 'bvlc-result' }
  /** A network-layer message (routers talking); nothing for a client. */
  | { ok: true; kind: 'network' }
  | { ok: true; kind: 'apdu'; pduType: number; invokeId?: number; service?: number };

const reject = (reason: FrameRejectReason, detail: string): FrameVerdict => ({ ok: false, reason, detail });

export function checkFrame(frame: Uint8Array): FrameVerdict {
  if (frame.length < 4) return reject('bvlc', `${frame.length} bytes, shorter than a BVLC header`);
  if (frame[0] !== BVLC_TYPE_BACNET_IP) return reject('bvlc', `type 0x${(frame[0] ?? 0).toString(16)} is not BACnet/IP`);
  const declared = ((frame[2] ?? 0) << 8) | (frame[3] ?? 0);
  if (declared !== frame.length) return reject('bvlc', `length field ${declared} but ${frame.length} bytes received`);
  const fn = frame[1];
  switch (fn) {
    case BVLC_RESULT:
      return frame.length === 6 ? { ok: true, kind: 'bvlc-result' } : reject('bvlc', `BVLC-Result of ${frame.length} bytes`);
    case BVLC_FORWARDED_NPDU:
      return frame.length < 10 ? reject('bvlc', 'forwarded NPDU without its originating address') : checkNpdu(frame, 10);
    case BVLC_ORIGINAL_UNICAST:
    case BVLC_ORIGINAL_BROADCAST:
      return checkNpdu(frame, 4);
    case undefined:
    default:
      return reject('bvlc', `function 0x${(fn ?? 0).toString(16)} is not one a BACnet/IP client receives`);
  }
}

function checkNpdu(frame: Uint8Array, start: number): FrameVerdict {
  let at = start;
  if (frame.length < at + 2) return reject('npdu', 'truncated NPDU header');
  if (frame[at] !== 0x01) return reject('npdu', `protocol version ${frame[at] ?? 0}, not 1`);
  const control = frame[at + 1] ?? 0;
  at += 2;
  if ((control & 0x50) !== 0) return reject('npdu', 'reserved control bits set');
  const hasDestination = (control & 0x20) !== 0;
  const hasSource = (control & 0x08) !== 0;
  if (hasDestination) {
    if (frame.length < at + 3) return reject('npdu', 'truncated destination');
    const dlen = frame[at + 2] ?? 0;
    at += 3 + dlen;
  }
  if (hasSource) {
    if (frame.length < at + 3) return reject('npdu', 'truncated source');
    const slen = frame[at + 2] ?? 0;
    if (slen === 0) return reject('npdu', 'source address of length 0');
    at += 3 + slen;
  }
  if (hasDestination) at += 1; // hop count
  if ((control & 0x80) !== 0) {
    if (frame.length < at + 1) return reject('npdu', 'network message without its type');
    return { ok: true, kind: 'network' };
  }
  if (frame.length <= at) return reject('npdu', 'no APDU after the NPDU header');
  return checkApdu(frame, at);
}

function checkApdu(frame: Uint8Array, at: number): FrameVerdict {
  const first = frame[at] ?? 0;
  const pduType = first >> 4;
  const remaining = frame.length - at;
  const need = (n: number, what: string): FrameVerdict | undefined => (remaining < n ? reject('apdu', `${what} of ${remaining} bytes`) : undefined);
  switch (pduType) {
    case PDU_CONFIRMED_REQUEST: {
      const segmented = (first & 0x08) !== 0;
      const headerLength = segmented ? 6 : 4;
      const short = need(headerLength, 'confirmed request');
      if (short) return short;
      return { ok: true, kind: 'apdu', pduType, invokeId: frame[at + 2] ?? 0, service: frame[at + headerLength - 1] ?? 0 };
    }
    case PDU_UNCONFIRMED_REQUEST:
      return need(2, 'unconfirmed request') ?? { ok: true, kind: 'apdu', pduType, service: frame[at + 1] ?? 0 };
    case PDU_SIMPLE_ACK:
      return need(3, 'simple ACK') ?? { ok: true, kind: 'apdu', pduType, invokeId: frame[at + 1] ?? 0, service: frame[at + 2] ?? 0 };
    case PDU_COMPLEX_ACK: {
      const segmented = (first & 0x08) !== 0;
      const headerLength = segmented ? 5 : 3;
      return need(headerLength + 1, 'complex ACK') ?? { ok: true, kind: 'apdu', pduType, invokeId: frame[at + 1] ?? 0, service: frame[at + headerLength - 1] ?? 0 };
    }
    case PDU_SEGMENT_ACK:
      return need(4, 'segment ACK') ?? { ok: true, kind: 'apdu', pduType, invokeId: frame[at + 1] ?? 0 };
    case PDU_ERROR:
      // invoke id, service, then error class and code (two application-tagged enumerations).
      return need(7, 'error') ?? { ok: true, kind: 'apdu', pduType, invokeId: frame[at + 1] ?? 0, service: frame[at + 2] ?? 0 };
    case PDU_REJECT:
    case PDU_ABORT:
      return need(3, pduType === PDU_REJECT ? 'reject' : 'abort') ?? { ok: true, kind: 'apdu', pduType, invokeId: frame[at + 1] ?? 0 };
    default:
      return reject('apdu', `unknown PDU type ${pduType}`);
  }
}

/** Replies answer a request of ours: they must come from the address we sent it to, with its invoke id. */
export function isReplyPdu(pduType: number): boolean {
  return pduType >= PDU_SIMPLE_ACK && pduType <= PDU_ABORT;
}
