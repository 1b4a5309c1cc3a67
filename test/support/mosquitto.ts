import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.js';
import { ServerProcess } from './server-process.js';

/**
 * A real Mosquitto broker (Debian's `mosquitto`, installed by scripts/test-deps.sh) on loopback, on a free
 * port, with its config and persistence file in a temporary directory. Persistence is on, so a `restart()`
 * brings back retained messages and persistent sessions with their queued QoS 1 messages, as a production
 * broker would after a restart.
 */

const MOSQUITTO_BIN = process.env.MOSQUITTO_BIN ?? '/usr/sbin/mosquitto';
const HOST = '127.0.0.1';

export interface MosquittoServer {
  url: string;
  host: string;
  port: number;
  /** Stops the broker (it saves its persistence file on SIGTERM); `restart()` brings it back on the same port. */
  pause(): Promise<void>;
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export async function startMosquitto(): Promise<MosquittoServer> {
  const dir = await mkdtemp(join(tmpdir(), 'facility-gw-mosquitto-'));
  const port = await freePort();
  const configFile = join(dir, 'mosquitto.conf');
  await writeFile(
    configFile,
    [
      `listener ${port} ${HOST}`,
      'allow_anonymous true',
      'persistence true',
      `persistence_location ${dir}/`,
      'autosave_interval 1',
      'max_queued_messages 100000',
      // Started as root, Mosquitto switches to its own user, which cannot write this directory.
      ...(process.getuid?.() === 0 ? ['user root'] : []),
      'log_dest stderr',
      'log_type error',
      'log_type warning',
      '',
    ].join('\n'),
  );
  let broker: ServerProcess | undefined;
  const launch = async (): Promise<void> => {
    broker = ServerProcess.start('mosquitto', MOSQUITTO_BIN, ['-c', configFile]);
    await broker.waitTcp(HOST, port);
  };
  await launch();
  return {
    url: `mqtt://${HOST}:${port}`,
    host: HOST,
    port,
    pause: async () => {
      await broker?.stop();
    },
    restart: launch,
    stop: async () => {
      await broker?.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
