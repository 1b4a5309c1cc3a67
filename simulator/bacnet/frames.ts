/**
 * The few BACnet/IP frames the device server builds or inspects itself, byte by byte, because
 * `@bacnet-js/client` has no call for them (Abort and Reject from a server) or fills them with the wrong
 * value (its I-Am announces the transport's buffer size, not the device's max APDU), and because the
 * server must measure a reply's APDU before it goes out.
 *
 * Layout of a frame: BVLC (4 bytes: 0x81, function, length) · NPDU (version, control, optional
 * addresses) · APDU (first byte: PDU type in the high nibble).
 */

const BVLL_TYPE_BACNET_IP = 0x81;
const BVLC_ORIGINAL_UNICAST = 0x0a;
const BVLC_ORIGINAL_BROADCAST = 0x0b;
const BVLC_FORWARDED = 0x04;
const BVLC_HEADER_BYTES = 4;
const BVLC_FORWARDED_HEADER_BYTES = 10;
const NPDU_VERSION = 0x01;
const NPDU_NETWORK_MESSAGE = 0x80;
const NPDU_DESTINATION = 0x20;
const NPDU_SOURCE = 0x08;

export const PDU_CONFIRMED_REQUEST = 0x0;
export const PDU_UNCONFIRMED_REQUEST = 0x1;
export const PDU_COMPLEX_ACK = 0x3;
const PDU_REJECT = 0x6;
const PDU_ABORT = 0x7;
const ABORT_FROM_SERVER = 0x01;
/** In a confirmed request: bit 3 of the first byte marks a segment. */
const SEGMENTED_MESSAGE_BIT = 0x08;
const SERVICE_I_AM = 0x00;
const OBJECT_TYPE_DEVICE = 8;

/** Where the APDU of a BACnet/IP frame starts, or undefined for anything that carries no APDU. */
export function apduOffset(frame: Buffer): number | undefined {
  if (frame.length < BVLC_HEADER_BYTES + 2 || frame[0] !== BVLL_TYPE_BACNET_IP) return undefined;
  const fn = frame[1];
  let offset: number;
  if (fn === BVLC_ORIGINAL_UNICAST || fn === BVLC_ORIGINAL_BROADCAST) offset = BVLC_HEADER_BYTES;
  else if (fn === BVLC_FORWARDED) offset = BVLC_FORWARDED_HEADER_BYTES;
  else return undefined;
  if (frame[offset] !== NPDU_VERSION) return undefined;
  const control = frame[offset + 1] ?? 0;
  if (control & NPDU_NETWORK_MESSAGE) return undefined;
  offset += 2;
  if (control & NPDU_DESTINATION) offset += 3 + (frame[offset + 2] ?? 0);
  if (control & NPDU_SOURCE) offset += 3 + (frame[offset + 2] ?? 0);
  if (control & NPDU_DESTINATION) offset += 1; // hop count
  return offset < frame.length ? offset : undefined;
}

export interface ApduInfo {
  pduType: number;
  /** Bytes from the first APDU byte to the end of the frame. */
  length: number;
  /** Confirmed requests and every answer to one. */
  invokeId?: number;
  /** Confirmed requests: whether this is one segment of a longer request. */
  segmented?: boolean;
}

export function inspectApdu(frame: Buffer, length = frame.length): ApduInfo | undefined {
  const at = apduOffset(frame);
  if (at === undefined || at >= length) return undefined;
  const first = frame[at] ?? 0;
  const pduType = first >> 4;
  const info: ApduInfo = { pduType, length: length - at };
  if (pduType === PDU_CONFIRMED_REQUEST) {
    info.invokeId = frame[at + 2];
    info.segmented = (first & SEGMENTED_MESSAGE_BIT) !== 0;
  } else if (pduType !== PDU_UNCONFIRMED_REQUEST) {
    info.invokeId = frame[at + 1];
  }
  return info;
}

function wrap(apdu: number[], broadcast = false): Buffer {
  const npdu = [NPDU_VERSION, 0x00];
  const length = BVLC_HEADER_BYTES + npdu.length + apdu.length;
  return Buffer.from([BVLL_TYPE_BACNET_IP, broadcast ? BVLC_ORIGINAL_BROADCAST : BVLC_ORIGINAL_UNICAST, length >> 8, length & 0xff, ...npdu, ...apdu]);
}

/** An Abort PDU sent by the server side of a transaction. */
export function abortFrame(invokeId: number, reason: number): Buffer {
  return wrap([(PDU_ABORT << 4) | ABORT_FROM_SERVER, invokeId & 0xff, reason & 0xff]);
}

export function rejectFrame(invokeId: number, reason: number): Buffer {
  return wrap([PDU_REJECT << 4, invokeId & 0xff, reason & 0xff]);
}

/** Application-tagged unsigned or enumerated (tag 2 or 9), in as few bytes as the value needs. */
function applicationUnsigned(tag: number, value: number): number[] {
  const bytes: number[] = [];
  let v = value;
  do {
    bytes.unshift(v & 0xff);
    v = Math.floor(v / 256);
  } while (v > 0);
  return [(tag << 4) | bytes.length, ...bytes];
}

/** I-Am with the device's own max APDU, segmentation and vendor. */
export function iAmFrame(deviceInstance: number, maxApdu: number, segmentation: number, vendorId: number): Buffer {
  const id = ((OBJECT_TYPE_DEVICE << 22) | deviceInstance) >>> 0;
  const objectId = [0xc4, (id >>> 24) & 0xff, (id >>> 16) & 0xff, (id >>> 8) & 0xff, id & 0xff];
  return wrap([PDU_UNCONFIRMED_REQUEST << 4, SERVICE_I_AM, ...objectId, ...applicationUnsigned(2, maxApdu), ...applicationUnsigned(9, segmentation), ...applicationUnsigned(2, vendorId)]);
}

/** The max-APDU code of a confirmed request (0..5) in octets; unknown codes count as the smallest. */
export function maxApduOctets(code: number): number {
  const OCTETS = [50, 128, 206, 480, 1024, 1476];
  return OCTETS[code] ?? OCTETS[0] ?? 50;
}
