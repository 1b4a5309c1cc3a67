import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { webhookSignature } from '../../../src/notify/channels/webhook.js';

export interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  /** Whether X-Signature matched the body and timestamp under the shared secret. */
  signatureOk: boolean;
  answered: number;
}

/**
 * A CMMS on loopback for the outbound tests: checks every request's signature (401 when it does not match)
 * and answers with the scripted statuses in turn, then 200. `hang` keeps a request unanswered (timeouts).
 */
export class TestReceiver {
  readonly received: Received[] = [];
  private script: Array<number | 'hang'> = [];
  private headersFor: Record<number, Record<string, string>> = {};
  private readonly server: Server;

  constructor(private readonly secret: string) {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const ts = String(req.headers['x-signature-timestamp'] ?? '');
        const signatureOk = req.headers['x-signature'] === webhookSignature(this.secret, ts, body);
        const next = this.script.shift() ?? 200;
        const answered = signatureOk ? (next === 'hang' ? 0 : next) : 401;
        this.received.push({ headers: req.headers, body, signatureOk, answered });
        if (next === 'hang' && signatureOk) return; // never answered; the client times out
        res.writeHead(answered, { 'content-type': 'text/plain', ...(this.headersFor[answered] ?? {}) });
        res.end(answered >= 400 ? `scripted ${answered}` : 'ok');
      });
    });
  }

  /** The next answers, in order; 200 after them. */
  answer(...statuses: Array<number | 'hang'>): void {
    this.script.push(...statuses);
  }

  /** Extra headers sent with every answer of this status (Retry-After). */
  withHeaders(status: number, headers: Record<string, string>): void {
    this.headersFor[status] = headers;
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hooks/work-orders`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  keys(): string[] {
    return this.received.map((r) => String(r.headers['idempotency-key']));
  }
}
