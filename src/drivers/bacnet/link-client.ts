import bacnet, { ConfirmedServiceChoice, type BACNetAddress, type BACNetReadAccessSpecification } from '@bacnet-js/client';
import type { Logger } from 'pino';
import type { Clock, TimerHandle } from '../../time/clock.js';
import { BacnetError, toBacnetError } from './errors.js';
import { PDU_REJECT } from './frame-check.js';
import { GuardedTransport, type RejectReason } from './guarded-transport.js';
import { anyObjectTypeName, propertyName } from './objects.js';
import type { AppValue } from './values.js';

type ClientClass = typeof bacnet.default;
/**
 * A CommonJS package: under Node's ESM loader the default import is `module.exports` (the class is its
 * `default`); bundlers (vitest) hand over the class itself.
 */
const BACnetClient: ClientClass = typeof bacnet === 'function' ? bacnet : bacnet.default;
type LibraryClient = InstanceType<ClientClass>;

/** Invoke ids 0..255 are shared by every request of the socket; 0 means "let the library pick" to it. */
const FIRST_INVOKE_ID = 1;
const LAST_INVOKE_ID = 255;

export interface BacnetLinkClientOptions {
  interface: string;
  port: number;
  broadcastAddress: string;
  apduTimeoutMs: number;
  /** Retries of a request that got no answer. */
  retries: number;
  clock: Clock;
  logger: Logger;
}

export interface IAm {
  address: string;
  deviceInstance: number;
  maxApdu: number;
  segmentation: number;
  vendorId: number;
}

export interface PropertyResult {
  property: number;
  index: number;
  value: AppValue[];
  /** Set when the device answered this property with an error. */
  error?: { errorClass: number; errorCode: number };
}

export interface ObjectResult {
  objectType: number;
  instance: number;
  properties: PropertyResult[];
}

export interface CovNotification {
  from: string;
  deviceInstance: number;
  processId: number;
  objectType: number;
  instance: number;
  timeRemainingS: number;
  values: Array<{ property: number; value: AppValue[] }>;
}

export interface EventNotification {
  from: string;
  deviceInstance: number;
  processId: number;
  objectType: number;
  instance: number;
  notificationClass: number;
  priority: number;
  eventType: number;
  notifyType: number;
  ackRequired: boolean;
  fromState: number | undefined;
  toState: number;
  messageText: string | undefined;
  confirmed: boolean;
}

export interface RequestTarget {
  address: string;
  /** Largest APDU the device accepts; the request says what we accept back, not this. */
  label: string;
}

interface PendingRequest {
  address: string;
  replyPdu?: 'reject' | 'abort';
}

/**
 * One UDP socket on a BACnet/IP network, through the library, with:
 * - requests that time out on the injected clock (and the library's own timer as a backstop), retried
 *   when unanswered, and failing with a BacnetError;
 * - invoke ids allocated here, so that a reply is matched to the address it was sent to (the library
 *   matches on the invoke id alone) and an id is never reused while the library may still hold it;
 * - the GuardedTransport in front of the library's decoder, with counts of what it rejected;
 * - notifications and I-Ams handed to listeners as plain, validated records; confirmed notifications
 *   are acknowledged once the listener has taken them.
 * It only reads: it has no write method.
 */
export class BacnetLinkClient {
  private readonly options: BacnetLinkClientOptions;
  private readonly clock: Clock;
  private readonly log: Logger;
  readonly transport: GuardedTransport;
  private client: LibraryClient | undefined;
  private readonly pending = new Map<number, PendingRequest>();
  private readonly invokeWaiters: Array<() => void> = [];
  private nextInvokeId = FIRST_INVOKE_ID;
  private closed = false;
  private iAmListeners: Array<(iAm: IAm) => void> = [];
  covListener: ((n: CovNotification) => void) | undefined;
  eventListener: ((n: EventNotification) => void) | undefined;
  /** Requests sent (attempts), for stats and benchmarks. */
  requestsSent = 0;

  constructor(options: BacnetLinkClientOptions) {
    this.options = options;
    this.clock = options.clock;
    this.log = options.logger;
    this.transport = new GuardedTransport({
      interface: options.interface,
      port: options.port,
      broadcastAddress: options.broadcastAddress,
      expectsReply: (address, invokeId) => this.pending.get(invokeId)?.address === address,
      onReply: (address, invokeId, pduType) => {
        const request = this.pending.get(invokeId);
        if (request) request.replyPdu = pduType === PDU_REJECT ? 'reject' : 'abort';
      },
      onReject: (reason: RejectReason, detail, from) => this.log.debug({ reason, detail, from }, 'frame rejected'),
    });
  }

  /** Binds the socket; rejects when it cannot (address in use, no such interface). */
  open(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const onError = (err: Error) => {
        this.transport.off('listening', onListening);
        reject(new Error(`cannot bind ${this.options.interface}:${this.options.port}: ${err.message}`));
      };
      const onListening = () => {
        this.transport.off('error', onError);
        this.transport.on('error', (err: Error) => this.log.warn({ err: err.message }, 'socket error'));
        resolve();
      };
      this.transport.once('error', onError);
      this.transport.once('listening', onListening);
      const client = new BACnetClient({ transport: this.transport, apduTimeout: this.options.apduTimeoutMs, broadcastAddress: this.options.broadcastAddress });
      // The library re-emits socket errors; without a listener an EventEmitter would throw them.
      client.on('error', () => undefined);
      client.on('iAm', (content) => this.receiveIAm(content));
      client.on('covNotify', (content) => this.receiveCov(content, true));
      client.on('covNotifyUnconfirmed', (content) => this.receiveCov(content, false));
      client.on('eventNotify', (content) => this.receiveEvent(content));
      this.client = client;
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const wake of this.invokeWaiters.splice(0)) wake();
    try {
      this.client?.close();
    } catch (err) {
      this.log.debug({ err }, 'closing the BACnet client failed');
    }
    this.transport.close();
  }

  get localPort(): number {
    return this.transport.localPort;
  }

  onIAm(listener: (iAm: IAm) => void): () => void {
    this.iAmListeners.push(listener);
    return () => {
      this.iAmListeners = this.iAmListeners.filter((l) => l !== listener);
    };
  }

  /** Who-Is to the broadcast address, or unicast to `target` (ip or ip:port). */
  whoIs(target?: string, range?: { low: number; high: number }): void {
    const client = this.requireClient();
    const options = range === undefined ? undefined : { lowLimit: range.low, highLimit: range.high };
    if (target === undefined) client.whoIs(options);
    else client.whoIs({ address: target }, options);
  }

  registerForeignDevice(bbmd: string, ttlS: number): Promise<void> {
    return this.requireClient().registerForeignDevice({ address: bbmd }, ttlS);
  }

  async readProperty(target: RequestTarget, objectType: number, instance: number, property: number, arrayIndex?: number): Promise<AppValue[]> {
    const what = `${target.label}: ReadProperty ${anyObjectTypeName(objectType)} ${instance} ${propertyName(property)}${arrayIndex === undefined ? '' : `[${arrayIndex}]`}`;
    const result = await this.request(target.address, what, (client, invokeId) =>
      client.readProperty({ address: target.address }, { type: objectType, instance }, property, arrayIndex === undefined ? { invokeId } : { invokeId, arrayIndex }),
    );
    return result.values.map((v): AppValue => ({ type: v.type, value: v.value as unknown }));
  }

  async readPropertyMultiple(target: RequestTarget, specs: BACNetReadAccessSpecification[]): Promise<ObjectResult[]> {
    const what = `${target.label}: ReadPropertyMultiple of ${specs.length} objects`;
    const result = await this.request(target.address, what, (client, invokeId) => client.readPropertyMultiple({ address: target.address }, specs, { invokeId }));
    return result.values.map((object) => ({
      objectType: object.objectId.type,
      instance: object.objectId.instance,
      properties: object.values.map((p): PropertyResult => {
        const values = (p.value as Array<{ type: number; value: unknown }> | undefined) ?? [];
        const first = values[0];
        if (first?.type === 105 && typeof first.value === 'object' && first.value !== null) {
          const err = first.value as { errorClass?: unknown; errorCode?: unknown };
          return { property: p.id, index: p.index, value: [], error: { errorClass: Number(err.errorClass), errorCode: Number(err.errorCode) } };
        }
        return { property: p.id, index: p.index, value: values.map((v) => ({ type: v.type, value: v.value })) };
      }),
    }));
  }

  async subscribeCov(target: RequestTarget, objectType: number, instance: number, processId: number, confirmed: boolean, lifetimeS: number): Promise<void> {
    const what = `${target.label}: SubscribeCOV ${anyObjectTypeName(objectType)} ${instance}`;
    await this.request(target.address, what, (client, invokeId) =>
      client.subscribeCov({ address: target.address }, { type: objectType, instance }, processId, false, confirmed, lifetimeS, { invokeId }),
    );
  }

  /** Sends with retries on no answer; a refusal from the device is not retried. */
  private async request<T>(address: string, what: string, send: (client: LibraryClient, invokeId: number) => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.attempt(address, what, send);
      } catch (err) {
        const error = toBacnetError(err, what);
        if (error.kind !== 'timeout' || attempt >= this.options.retries || this.closed) throw error;
      }
    }
  }

  private async attempt<T>(address: string, what: string, send: (client: LibraryClient, invokeId: number) => Promise<T>): Promise<T> {
    const client = this.requireClient();
    const invokeId = await this.allocateInvokeId();
    if (this.closed) throw new BacnetError('closed', `${what}: link closed`);
    const request: PendingRequest = { address };
    this.pending.set(invokeId, request);
    this.requestsSent++;
    let library: Promise<T>;
    try {
      library = send(client, invokeId);
    } catch (err) {
      this.release(invokeId);
      throw toBacnetError(err, what);
    }
    // The id stays taken until the library lets go of it, even when our own timeout fired first.
    library.then(
      () => this.release(invokeId),
      () => this.release(invokeId),
    );
    let timer: TimerHandle | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = this.clock.setTimeout(() => reject(new BacnetError('timeout', `${what}: no answer within ${this.options.apduTimeoutMs} ms`)), this.options.apduTimeoutMs);
    });
    try {
      return await Promise.race([library, timeout]);
    } catch (err) {
      if (err instanceof BacnetError) throw err;
      const error = toBacnetError(err, what, request.replyPdu);
      if (error.kind === 'timeout') throw new BacnetError('timeout', `${what}: no answer within ${this.options.apduTimeoutMs} ms`);
      if (error.kind === 'decode') this.transport.countRejected('decode', error.message, address);
      throw error;
    } finally {
      this.clock.clearTimeout(timer);
    }
  }

  private async allocateInvokeId(): Promise<number> {
    for (;;) {
      if (this.closed) return FIRST_INVOKE_ID;
      for (let i = 0; i <= LAST_INVOKE_ID - FIRST_INVOKE_ID; i++) {
        const id = this.nextInvokeId;
        this.nextInvokeId = id >= LAST_INVOKE_ID ? FIRST_INVOKE_ID : id + 1;
        if (!this.pending.has(id)) return id;
      }
      await new Promise<void>((resolve) => this.invokeWaiters.push(resolve));
    }
  }

  private release(invokeId: number): void {
    this.pending.delete(invokeId);
    this.invokeWaiters.shift()?.();
  }

  private requireClient(): LibraryClient {
    if (this.closed || this.client === undefined) throw new BacnetError('closed', 'BACnet link is not open');
    return this.client;
  }

  // ── Unsolicited messages ───────────────────────────────────────────────────────────────────────────

  private receiveIAm(content: { header?: { sender?: BACNetAddress }; payload: unknown }): void {
    const from = content.header?.sender?.address;
    const p = content.payload as Partial<Record<'deviceId' | 'maxApdu' | 'segmentation' | 'vendorId', unknown>>;
    if (from === undefined || !isUint(p.deviceId, 4_194_303) || !isUint(p.maxApdu, 65_535) || !isUint(p.segmentation, 255) || !isUint(p.vendorId, 65_535)) {
      this.transport.countRejected('payload', 'I-Am with missing or out-of-range fields', from ?? 'unknown');
      this.transport.markHandled();
      return;
    }
    this.transport.markHandled();
    const iAm: IAm = { address: from, deviceInstance: p.deviceId, maxApdu: p.maxApdu, segmentation: p.segmentation, vendorId: p.vendorId };
    for (const listener of this.iAmListeners) {
      try {
        listener(iAm);
      } catch (err) {
        this.log.error({ err }, 'I-Am listener threw');
      }
    }
  }

  private receiveCov(content: { header?: { sender?: BACNetAddress }; invokeId?: number; payload: unknown }, confirmed: boolean): void {
    this.transport.markHandled();
    const sender = content.header?.sender;
    const from = sender?.address ?? 'unknown';
    const p = content.payload as {
      subscriberProcessId?: unknown;
      initiatingDeviceId?: { instance?: unknown };
      monitoredObjectId?: { type?: unknown; instance?: unknown };
      timeRemaining?: unknown;
      values?: unknown;
    };
    const values = Array.isArray(p.values) ? (p.values as Array<{ property?: { id?: unknown }; value?: unknown }>) : undefined;
    const deviceInstance = p.initiatingDeviceId?.instance;
    const objectType = p.monitoredObjectId?.type;
    const instance = p.monitoredObjectId?.instance;
    if (
      !isUint(p.subscriberProcessId, 0xffffffff) ||
      !isUint(deviceInstance, 4_194_303) ||
      !isUint(objectType, 1023) ||
      !isUint(instance, 4_194_303) ||
      !isUint(p.timeRemaining, 0xffffffff) ||
      values === undefined ||
      !values.every((v) => isUint(v.property?.id, 0xffffffff) && Array.isArray(v.value))
    ) {
      this.transport.countRejected('payload', 'COV notification with missing or malformed fields', from);
      return;
    }
    const notification: CovNotification = {
      from,
      deviceInstance,
      processId: p.subscriberProcessId,
      objectType,
      instance,
      timeRemainingS: p.timeRemaining,
      values: values.map((v) => ({ property: v.property?.id as number, value: (v.value as AppValue[]).map((a) => ({ type: a.type, value: a.value })) })),
    };
    try {
      this.covListener?.(notification);
    } catch (err) {
      this.log.error({ err }, 'COV listener threw');
    }
    if (confirmed && sender !== undefined && content.invokeId !== undefined) this.acknowledge(sender, ConfirmedServiceChoice.CONFIRMED_COV_NOTIFICATION, content.invokeId);
  }

  private receiveEvent(content: { header?: { sender?: BACNetAddress; confirmedService?: boolean }; invokeId?: number; payload: unknown }): void {
    this.transport.markHandled();
    const sender = content.header?.sender;
    const from = sender?.address ?? 'unknown';
    const confirmed = content.header?.confirmedService === true;
    const p = content.payload as Record<string, unknown>;
    const initiating = p.initiatingObjectId as { instance?: unknown } | undefined;
    const object = p.eventObjectId as { type?: unknown; instance?: unknown } | undefined;
    const deviceInstance = initiating?.instance;
    const objectType = object?.type;
    const instance = object?.instance;
    if (
      !isUint(p.processId, 0xffffffff) ||
      !isUint(deviceInstance, 4_194_303) ||
      !isUint(objectType, 1023) ||
      !isUint(instance, 4_194_303) ||
      !isUint(p.notificationClass, 0xffffffff) ||
      !isUint(p.priority, 255) ||
      !isUint(p.eventType, 0xffff) ||
      !isUint(p.notifyType, 2) ||
      !isUint(p.toState, 0xffff) ||
      (p.fromState !== undefined && !isUint(p.fromState, 0xffff)) ||
      (p.messageText !== undefined && typeof p.messageText !== 'string')
    ) {
      this.transport.countRejected('payload', 'event notification with missing or malformed fields', from);
      return;
    }
    const notification: EventNotification = {
      from,
      deviceInstance,
      processId: p.processId,
      objectType,
      instance,
      notificationClass: p.notificationClass,
      priority: p.priority,
      eventType: p.eventType,
      notifyType: p.notifyType,
      ackRequired: p.ackRequired === true,
      fromState: p.fromState,
      toState: p.toState,
      messageText: p.messageText,
      confirmed,
    };
    try {
      this.eventListener?.(notification);
    } catch (err) {
      this.log.error({ err }, 'event listener threw');
    }
    if (confirmed && sender !== undefined && content.invokeId !== undefined) this.acknowledge(sender, ConfirmedServiceChoice.CONFIRMED_EVENT_NOTIFICATION, content.invokeId);
  }

  private acknowledge(sender: BACNetAddress, service: number, invokeId: number): void {
    try {
      this.client?.simpleAckResponse({ address: sender.address }, service, invokeId);
    } catch (err) {
      this.log.warn({ err, to: sender.address }, 'could not acknowledge a notification');
    }
  }
}

function isUint(value: unknown, max: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= max;
}
