import { AbortReason, ErrorClass, ErrorCode, RejectReason } from '@bacnet-js/client';

/**
 * Library failures mapped once to one domain error. The library reports a device's refusal as an Error
 * whose message carries class/code or reason numbers, and does not tell a Reject from an Abort; the link
 * client knows which PDU came back and passes it in.
 */
export type BacnetErrorKind =
  /** No answer within the APDU timeout (after retries). */
  | 'timeout'
  /** The device answered with an Error PDU (class and code). */
  | 'error'
  | 'reject'
  | 'abort'
  /** The answer could not be decoded. */
  | 'decode'
  /** The link is closed or not open yet. */
  | 'closed';

export class BacnetError extends Error {
  readonly kind: BacnetErrorKind;
  readonly errorClass?: number;
  readonly errorCode?: number;
  /** Reject or abort reason. */
  readonly reason?: number;

  constructor(kind: BacnetErrorKind, message: string, detail: { errorClass?: number; errorCode?: number; reason?: number } = {}) {
    super(message);
    this.name = 'BacnetError';
    this.kind = kind;
    this.errorClass = detail.errorClass;
    this.errorCode = detail.errorCode;
    this.reason = detail.reason;
  }

  /** Nothing came back: the device may be gone. */
  get noAnswer(): boolean {
    return this.kind === 'timeout' || this.kind === 'closed';
  }
}

const ERROR_PATTERN = /BacnetError - Class:(\d+) - Code:(\d+)/;
const ABORT_PATTERN = /BacnetAbort - Reason:(\d+)/;

function enumName(table: object, value: number, fallback: string): string {
  const name = (table as Record<number, string | undefined>)[value];
  return name === undefined ? `${fallback} ${value}` : name.toLowerCase().replace(/_/g, '-');
}

/** Maps whatever the library threw; `replyPdu` is the kind of the reply seen for the request, when any. */
export function toBacnetError(err: unknown, what: string, replyPdu?: 'reject' | 'abort'): BacnetError {
  if (err instanceof BacnetError) return err;
  const message = err instanceof Error ? err.message : String(err);
  if (message === 'ERR_TIMEOUT') return new BacnetError('timeout', `${what}: no answer`);
  if (message === 'ERR_CLOSED') return new BacnetError('closed', `${what}: link closed`);
  if (message === 'INVALID_DECODING') return new BacnetError('decode', `${what}: the answer could not be decoded`);
  const error = ERROR_PATTERN.exec(message);
  if (error) {
    const errorClass = Number(error[1]);
    const errorCode = Number(error[2]);
    return new BacnetError('error', `${what}: ${enumName(ErrorClass, errorClass, 'class')}/${enumName(ErrorCode, errorCode, 'code')}`, { errorClass, errorCode });
  }
  const abort = ABORT_PATTERN.exec(message);
  if (abort) {
    const reason = Number(abort[1]);
    if (replyPdu === 'reject') return new BacnetError('reject', `${what}: rejected (${enumName(RejectReason, reason, 'reason')})`, { reason });
    return new BacnetError('abort', `${what}: aborted (${enumName(AbortReason, reason, 'reason')})`, { reason });
  }
  return new BacnetError('decode', `${what}: ${message}`);
}

/** The reply would not fit: the device wants a smaller request (ReadPropertyMultiple batches shrink). */
export function isReplyTooBig(err: BacnetError): boolean {
  if (err.kind === 'abort') {
    return err.reason === AbortReason.SEGMENTATION_NOT_SUPPORTED || err.reason === AbortReason.BUFFER_OVERFLOW || err.reason === AbortReason.APDU_TOO_LONG;
  }
  if (err.kind === 'reject') return err.reason === RejectReason.BUFFER_OVERFLOW;
  if (err.kind === 'error') {
    return err.errorCode === ErrorCode.ABORT_SEGMENTATION_NOT_SUPPORTED || err.errorCode === ErrorCode.ABORT_BUFFER_OVERFLOW || err.errorCode === ErrorCode.ABORT_APDU_TOO_LONG;
  }
  return false;
}

/** The device does not implement the service (e.g. ReadPropertyMultiple, SubscribeCOV). */
export function isServiceUnsupported(err: BacnetError): boolean {
  if (err.kind === 'reject') return err.reason === RejectReason.UNRECOGNIZED_SERVICE;
  if (err.kind === 'error') {
    return err.errorCode === ErrorCode.REJECT_UNRECOGNIZED_SERVICE || err.errorCode === ErrorCode.OPTIONAL_FUNCTIONALITY_NOT_SUPPORTED || err.errorCode === ErrorCode.SERVICE_REQUEST_DENIED;
  }
  return false;
}

export function isUnknownObject(err: { errorClass?: number; errorCode?: number }): boolean {
  return err.errorCode === ErrorCode.UNKNOWN_OBJECT;
}

export function isUnknownProperty(err: { errorClass?: number; errorCode?: number }): boolean {
  return err.errorCode === ErrorCode.UNKNOWN_PROPERTY;
}

/** A per-property error inside a ReadPropertyMultiple answer, as text. */
export function propertyErrorText(err: { errorClass: number; errorCode: number }): string {
  return `${enumName(ErrorClass, err.errorClass, 'class')}/${enumName(ErrorCode, err.errorCode, 'code')}`;
}
