import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';

/** How long a server may take to answer its readiness endpoint, ms. */
const READY_TIMEOUT_MS = 30_000;
const READY_POLL_MS = 50;
/** How long a server may take to exit after SIGTERM before it is killed, ms. */
const EXIT_TIMEOUT_MS = 5000;
/** Output kept from a server, for the error when it fails to start. Characters. */
const OUTPUT_TAIL_CHARS = 4000;

/** A server process with its output tail, started and stopped by these helpers. */
export class ServerProcess {
  private output = '';
  private exited = false;
  private readonly exit: Promise<void>;

  constructor(
    private readonly name: string,
    private readonly child: ChildProcess,
  ) {
    const keep = (chunk: Buffer): void => {
      this.output = (this.output + chunk.toString('utf8')).slice(-OUTPUT_TAIL_CHARS);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.exit = new Promise((resolve) => {
      child.once('exit', () => {
        this.exited = true;
        resolve();
      });
      child.once('error', (error) => {
        this.output += `\n${String(error)}`;
        this.exited = true;
        resolve();
      });
    });
  }

  static start(name: string, command: string, args: string[]): ServerProcess {
    return new ServerProcess(name, spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] }));
  }

  /** Resolves once `url` answers 2xx; fails if the process exits first or the time runs out. */
  async waitReady(url: string): Promise<void> {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (this.exited) throw new Error(`${this.name} exited during start-up:\n${this.output}`);
      try {
        const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
        await response.arrayBuffer();
        if (response.ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, READY_POLL_MS));
    }
    await this.stop();
    throw new Error(`${this.name} did not answer ${url} within ${READY_TIMEOUT_MS} ms:\n${this.output}`);
  }

  /** Resolves once `host:port` accepts a TCP connection; fails if the process exits first or the time runs out. */
  async waitTcp(host: string, port: number): Promise<void> {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (this.exited) throw new Error(`${this.name} exited during start-up:\n${this.output}`);
      if (await accepts(host, port)) return;
      await new Promise((resolve) => setTimeout(resolve, READY_POLL_MS));
    }
    await this.stop();
    throw new Error(`${this.name} did not accept connections on ${host}:${port} within ${READY_TIMEOUT_MS} ms:\n${this.output}`);
  }

  /** The last lines the process printed. */
  tail(): string {
    return this.output;
  }

  async stop(): Promise<void> {
    if (this.exited) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), EXIT_TIMEOUT_MS);
    await this.exit;
    clearTimeout(timer);
  }
}


function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
