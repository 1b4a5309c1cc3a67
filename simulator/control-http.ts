import { Type } from '@sinclair/typebox';
import Fastify, { type FastifyInstance } from 'fastify';
import type { PointValue } from '../src/points/sample.js';
import type { AccessComm } from './access/access-system.js';
import type { CommBehaviour } from './modbus-server.js';
import { ScenarioError, type ActiveScenario, type ScenarioErrorKind, type ScenarioInfo } from './scenarios.js';

/**
 * A small HTTP control endpoint for the simulator, bound to loopback: list, start and clear fault
 * scenarios and look at every device's current values. The app is built apart from listening so tests can
 * use `inject()`.
 */

export interface DeviceSnapshot {
  id: string;
  name: string;
  type: 'elevator' | 'pump' | 'access-controller' | 'door' | 'fire-panel';
  link: string;
  /** Modbus devices only. */
  unitId?: number;
  /** A door's controller. */
  parent?: string;
  /** Modbus devices: how the unit answers; access devices: how their controller talks to the broker; BACnet devices: normal or silent. */
  comm: CommBehaviour | AccessComm;
  swappedFloat: boolean;
  /** Access devices: whether their controller publishes garbage. */
  malformed?: boolean;
  values: Record<string, PointValue>;
}

/** What the endpoint controls: implemented by the simulator handle. */
export interface SimulatorControl {
  scenarios(): { available: ScenarioInfo[]; active: ActiveScenario[] };
  startScenario(name: string, device?: string): ActiveScenario;
  clearScenario(name: string, device?: string): number;
  devices(): DeviceSnapshot[];
}

const STATUS_BY_KIND: Record<ScenarioErrorKind, number> = {
  'unknown-scenario': 404,
  'unknown-device': 404,
  'wrong-device': 400,
  conflict: 409,
};

const NameParams = Type.Object({ name: Type.String({ minLength: 1, maxLength: 64 }) });
const DeviceField = Type.String({ minLength: 1, maxLength: 64 });
const StartBody = Type.Union([Type.Object({ device: Type.Optional(DeviceField) }, { additionalProperties: false }), Type.Null()]);
const ClearQuery = Type.Object({ device: Type.Optional(DeviceField) }, { additionalProperties: false });

export function buildControlApp(control: SimulatorControl): FastifyInstance {
  const app = Fastify({ logger: false });

  app.setErrorHandler((err, _request, reply) => {
    if (err instanceof ScenarioError) return reply.code(STATUS_BY_KIND[err.kind]).send({ error: err.kind, message: err.message });
    const status = typeof err === 'object' && err !== null && 'statusCode' in err && typeof err.statusCode === 'number' ? err.statusCode : 500;
    // Validation and other client errors say what was wrong; server errors do not leak internals.
    const message = status < 500 && err instanceof Error ? err.message : 'internal error';
    return reply.code(status).send({ error: status < 500 ? 'bad-request' : 'internal', message });
  });

  app.get('/health', () => ({ status: 'ok' }));

  app.get('/scenarios', () => control.scenarios());

  app.post<{ Params: { name: string }; Body: { device?: string } | null }>(
    '/scenarios/:name',
    { schema: { params: NameParams, body: StartBody } },
    (request, reply) => {
      const started = control.startScenario(request.params.name, request.body?.device ?? undefined);
      return reply.code(201).send(started);
    },
  );

  app.delete<{ Params: { name: string }; Querystring: { device?: string } }>(
    '/scenarios/:name',
    { schema: { params: NameParams, querystring: ClearQuery } },
    (request) => ({ cleared: control.clearScenario(request.params.name, request.query.device) }),
  );

  app.get('/devices', () => ({ devices: control.devices() }));

  return app;
}

export interface ControlServer {
  port: number;
  stop(): Promise<void>;
}

/** Listens on 127.0.0.1 only: the endpoint injects faults and has no authentication. */
export async function startControlServer(control: SimulatorControl, port: number): Promise<ControlServer> {
  const app = buildControlApp(control);
  await app.listen({ host: '127.0.0.1', port });
  const address = app.server.address();
  const bound = typeof address === 'object' && address !== null ? address.port : port;
  return { port: bound, stop: () => app.close() };
}
