import { createServer, connect as tcpConnect, type Server, type Socket } from 'node:net';

const HOST = '127.0.0.1';

/**
 * A TCP relay on loopback to a broker that can cut its connections abruptly (no MQTT DISCONNECT, so the
 * broker publishes the client's last will), refuse new ones, or lead elsewhere. Close it after the test.
 */
export class TcpProxy {
  private readonly sockets = new Set<Socket>();
  private refusing = false;

  private constructor(
    private readonly server: Server,
    private targetPort: number,
    readonly url: string,
  ) {
    server.on('connection', (client) => this.relay(client));
  }

  static async start(targetPort: number): Promise<TcpProxy> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('proxy has no TCP address');
    return new TcpProxy(server, targetPort, `mqtt://${HOST}:${address.port}`);
  }

  refuse(refusing: boolean): void {
    this.refusing = refusing;
  }

  retarget(port: number): void {
    this.targetPort = port;
  }

  /** Destroys every relayed connection on both sides, without an MQTT DISCONNECT. */
  cut(): void {
    for (const socket of this.sockets) socket.destroy();
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private relay(client: Socket): void {
    if (this.refusing) {
      // A reset, as from a port nobody listens on: the client sees an error, not a polite close.
      client.resetAndDestroy();
      return;
    }
    const upstream = tcpConnect(this.targetPort, HOST);
    for (const [socket, other] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      this.sockets.add(socket);
      socket.on('error', () => socket.destroy());
      socket.on('close', () => {
        this.sockets.delete(socket);
        other.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  }
}
