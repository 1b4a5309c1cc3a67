import type { Logger } from 'pino';
import type { SiteConfig } from '../src/config/schema.js';
import { silentLogger } from '../src/log.js';
import type { PointValue } from '../src/points/sample.js';
import { findProfile } from '../src/profiles/index.js';
import type { Clock, TimerHandle } from '../src/time/clock.js';
import { AccessSystem, type AccessComm, type AccessSink } from './access/access-system.js';
import { BACNET_ELEVATOR_CARS, DEMO_GATEWAY_BACNET, FIRE_PANEL_DEVICE } from './bacnet/demo-bacnet.js';
import { startBacnetDeviceServer, type BacnetDeviceServer, type BacnetEventRecipient } from './bacnet/device-server.js';
import { BacnetElevatorCar } from './bacnet/elevator-gateway.js';
import { FirePanelModel } from './bacnet/fire-panel.js';
import { connectMqttAccessSink } from './access/mqtt-sink.js';
import { startControlServer, type ControlServer, type DeviceSnapshot, type SimulatorControl } from './control-http.js';
import { demoBuilding, demoSiteConfig, type DemoDevice } from './demo-building.js';
import { startLinkServer, type LinkServer, type ServedUnit } from './modbus-server.js';
import { ElevatorModel } from './models/elevator.js';
import { BoosterSet, FireSet, SumpPit, type PumpSystem } from './models/pump-systems.js';
import type { PumpUnit } from './models/pump.js';
import { RegisterBank } from './register-bank.js';
import { Rng } from './rng.js';
import { ScenarioManager, type ActiveScenario, type ScenarioInfo } from './scenarios.js';

/**
 * The device simulator: the demo building's models stepped on the injected Clock, served over Modbus TCP
 * (one port per link), its door controllers publishing to an MQTT broker, with fault scenarios on demand.
 * With a VirtualClock the models advance exactly as the test advances the clock; the same seed gives the
 * same values at the same simulated time.
 */

export interface SimulatorOptions {
  clock: Clock;
  /** Default 1: the demo is reproducible unless asked otherwise. */
  seed?: number;
  /** Where the Modbus servers listen; default 127.0.0.1. */
  host?: string;
  /** Link id → port; a missing link or 0 takes any free port. */
  ports?: Record<string, number>;
  /** Model step; default 100 ms. */
  stepMs?: number;
  /** Scenarios active from the start. */
  scenarios?: Array<{ name: string; device?: string }>;
  /** HTTP control port on 127.0.0.1: 0 (default) for any free port, null for no HTTP endpoint. */
  controlPort?: number | null;
  /** Logged with `module: simulator` unless the logger already names a module. */
  logger?: Logger;
  /** Broker the door controllers publish to. Without it (and without `accessSink`) they wait for `connectAccess`. */
  mqttUrl?: string;
  /** Receives the door controllers' messages instead of a broker (tests); not with `mqttUrl`. */
  accessSink?: AccessSink;
  /**
   * BACnet/IP devices. The fire panel is always modelled (its scenarios work without a network) but served
   * only with `firePanel`; the BACnet elevator gateway's cars exist only with `elevatorGateway`.
   */
  bacnet?: BacnetSimOptions;
}

export interface BacnetSimOptions {
  firePanel?: { address: string; port?: number; eventRecipients?: BacnetEventRecipient[] };
  /** Where the gateway's BACnet link listens, for `siteConfig()` (default DEMO_GATEWAY_BACNET). */
  gateway?: { interface: string; port: number };
  /** Car n (elevator-5, elevator-6) is served on `basePort + n - 1` (default basePort 47808). */
  elevatorGateway?: { address: string; basePort?: number };
}

/** A served BACnet device, as the CLI prints it. */
export interface BacnetEndpoint {
  id: string;
  address: string;
  port: number;
  deviceInstance: number;
}

export interface SimulatorHandle extends SimulatorControl {
  /** Link id → bound port. */
  readonly ports: Record<string, number>;
  readonly host: string;
  readonly controlPort: number | null;
  /** The broker the door controllers publish to, once connected. */
  readonly mqttUrl: string | null;
  /** A gateway site config pointing at this simulator (the `access` link without a URL until connected). */
  siteConfig(): SiteConfig;
  /**
   * Connects the door controllers to a broker, for when it exists only once the gateway has started (its
   * embedded broker); resolves when every controller is connected. Replaces an earlier connection.
   */
  connectAccess(url: string): Promise<void>;
  values(deviceId: string): Record<string, PointValue>;
  /** The BACnet devices being served. */
  bacnetEndpoints(): BacnetEndpoint[];
  /** Simulated now (ms since the epoch): the clock's time plus whatever `step()` added. */
  nowMs(): number;
  /** Advances the models by hand, in steps of `stepMs`, and refreshes the registers. */
  step(dtMs: number): void;
  stop(): Promise<void>;
}

const DEFAULT_SEED = 1;
const DEFAULT_STEP_MS = 100;
/** After a stall (laptop asleep, debugger) the models catch up at most this much, not hours at once. */
const MAX_CATCH_UP_MS = 10_000;

interface SimDevice {
  info: DemoDevice;
  bank: RegisterBank;
  values: () => Record<string, PointValue>;
}

export async function startSimulator(opts: SimulatorOptions): Promise<SimulatorHandle> {
  const { clock } = opts;
  const baseLogger = opts.logger ?? silentLogger();
  // Callers may hand in a logger that already names its module; pino would repeat the key.
  const log = 'module' in baseLogger.bindings() ? baseLogger : baseLogger.child({ module: 'simulator' });
  const host = opts.host ?? '127.0.0.1';
  const stepMs = opts.stepMs ?? DEFAULT_STEP_MS;
  if (!(stepMs > 0)) throw new Error(`stepMs must be positive, got ${stepMs}`);
  if (opts.mqttUrl !== undefined && opts.accessSink !== undefined) throw new Error('give mqttUrl or accessSink, not both');
  const seed = opts.seed ?? DEFAULT_SEED;
  const building = demoBuilding();
  const rng = new Rng(seed);
  let simNowMs = clock.now();

  const elevators = new Map(building.elevators.map((spec) => [spec.id, new ElevatorModel(spec, { rng: rng.fork(spec.id) })]));
  const bacnetCars = new Map<string, BacnetElevatorCar>();
  if (opts.bacnet?.elevatorGateway) {
    for (const car of BACNET_ELEVATOR_CARS) {
      const model = new ElevatorModel(car.spec, { rng: rng.fork(car.id) });
      elevators.set(car.id, model);
      bacnetCars.set(car.id, new BacnetElevatorCar(model));
    }
  }
  const firePanel = new FirePanelModel({
    now: () => simNowMs,
    onEventError: (err, e) => log.warn({ err, object: `${e.type} ${e.instance}` }, 'fire panel event not delivered'),
  });
  firePanel.onEvent((e) => log.info({ device: FIRE_PANEL_DEVICE.id, object: `${e.type} ${e.instance}`, toState: e.toState, priority: e.priority }, e.message ?? 'fire panel event'));
  const firePanelOf = (id: string): FirePanelModel | undefined => (id.split('/')[0] === FIRE_PANEL_DEVICE.id ? firePanel : undefined);
  const bacnetServers = new Map<string, BacnetDeviceServer>();
  const booster = new BoosterSet(building.booster, rng.fork('booster-set'), simNowMs);
  const sump = new SumpPit(building.sump, rng.fork('sump'));
  const fire = new FireSet(building.fire, rng.fork('fire-set'));
  const systems: PumpSystem[] = [booster, sump, fire];
  const pumps = new Map<string, PumpUnit>(systems.flatMap((s) => s.units.map((u) => [u.id, u] as const)));

  const devices = new Map<string, SimDevice>();
  for (const info of building.devices) {
    const profile = findProfile(info.profile);
    if (profile?.protocol !== 'modbus') throw new Error(`${info.id}: no Modbus profile ${info.profile}`);
    const model = elevators.get(info.id) ?? pumps.get(info.id);
    if (!model) throw new Error(`${info.id}: no model`);
    devices.set(info.id, { info, bank: new RegisterBank(profile), values: () => model.values() });
  }

  const access: AccessSystem = new AccessSystem({
    controllers: building.access.controllers,
    rng,
    startMs: simNowMs,
    // Called only from step and flush, after the scenario manager exists.
    comm: (id): AccessComm => scenarios.accessComm(id),
    sendsMalformed: (id) => scenarios.sendsMalformed(id),
  });

  const scenarios: ScenarioManager = new ScenarioManager({
    hasDevice: (id) => devices.has(id) || access.has(id) || bacnetCars.has(id) || firePanelOf(id) !== undefined,
    isModbus: (id) => devices.has(id),
    accessController: (id) => access.controller(id),
    door: (id) => access.door(id),
    elevator: (id) => elevators.get(id),
    pump: (id) => pumps.get(id),
    fireSetOfJockey: (id) => (id === fire.jockey.id ? fire : undefined),
    firePanel: firePanelOf,
    nowMs: () => simNowMs,
  });

  const reportedEncodeErrors = new Map<string, string>();
  const refreshBanks = (): void => {
    for (const [id, d] of devices) {
      d.bank.refresh(d.values(), { swapFloatWords: scenarios.swapsFloats(id) });
      // A model bug, not a device fault: say so once per change, not ten times a second.
      const errors = d.bank.encodeErrors.join('; ');
      if (errors !== (reportedEncodeErrors.get(id) ?? '')) {
        reportedEncodeErrors.set(id, errors);
        if (errors !== '') log.warn({ device: id, errors: d.bank.encodeErrors }, 'values that do not fit their registers keep their last registers');
      }
    }
  };

  /** Pushes the BACnet cars' values to their devices and applies communication scenarios. */
  const refreshBacnet = (): void => {
    for (const [id, car] of bacnetCars) {
      const server = bacnetServers.get(id);
      if (server) car.push(server);
    }
    bacnetServers.get(FIRE_PANEL_DEVICE.id)?.setSilent(scenarios.bacnetSilent(FIRE_PANEL_DEVICE.id));
  };

  const advance = (dtMs: number): void => {
    for (let done = 0; done < dtMs; ) {
      const sub = Math.min(stepMs, dtMs - done);
      simNowMs += sub;
      for (const car of elevators.values()) car.step(sub, simNowMs);
      for (const system of systems) system.step(sub, simNowMs);
      access.step(sub, simNowMs);
      firePanel.step(sub, simNowMs);
      done += sub;
    }
    refreshBanks();
    access.flush();
    refreshBacnet();
  };

  for (const s of opts.scenarios ?? []) scenarios.start(s.name, s.device);
  refreshBanks();
  access.flush();

  const links: LinkServer[] = [];
  let control: ControlServer | null = null;
  let timer: TimerHandle | undefined;
  let stopped = false;

  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    clock.clearTimeout(timer);
    await control?.stop();
    firePanel.attach(null);
    await Promise.all([...links.map((l) => l.stop()), ...[...bacnetServers.values()].map((b) => b.stop())]);
    await access.detach()?.close();
    log.info('simulator stopped');
  };

  let mqttUrl: string | null = null;
  const connectAccess = async (url: string): Promise<void> => {
    // The old clients go first: the new ones use the same client ids, and a broker lets only one of each in.
    await access.detach()?.close();
    mqttUrl = null;
    const sink = await connectMqttAccessSink({
      url,
      controllers: access.controllerIds().map((id) => ({ id, statusTopic: access.statusTopic(id) })),
      snapshot: (id) => access.snapshot(id),
      logger: log,
    });
    if (stopped) {
      await sink.close();
      return;
    }
    access.attach(sink);
    mqttUrl = url;
  };
  if (opts.accessSink) access.attach(opts.accessSink);

  const snapshot = (d: SimDevice): DeviceSnapshot => ({
    id: d.info.id, name: d.info.name, type: d.info.type, link: d.info.link, unitId: d.info.unitId,
    comm: scenarios.comm(d.info.id), swappedFloat: scenarios.swapsFloats(d.info.id), values: d.values(),
  });
  const bacnetSnapshots = (): DeviceSnapshot[] => {
    const comm = (id: string): AccessComm => (scenarios.bacnetSilent(id) ? 'silent' : 'normal');
    const panel: DeviceSnapshot = {
      id: FIRE_PANEL_DEVICE.id, name: FIRE_PANEL_DEVICE.name, type: 'fire-panel', link: 'bacnet', comm: comm(FIRE_PANEL_DEVICE.id), swappedFloat: false, values: firePanel.values(),
    };
    const cars = BACNET_ELEVATOR_CARS.filter((c) => bacnetCars.has(c.id)).map((c): DeviceSnapshot => ({
      id: c.id, name: c.name, type: 'elevator', link: 'bacnet', comm: 'normal', swappedFloat: false, values: bacnetCars.get(c.id)?.values() ?? {},
    }));
    return [panel, ...cars];
  };
  const accessLink = building.access.link.id;
  const accessSnapshots = (): DeviceSnapshot[] =>
    building.access.controllers.flatMap((c) => {
      const connection = { link: accessLink, comm: scenarios.accessComm(c.id), swappedFloat: false, malformed: scenarios.sendsMalformed(c.id) };
      return [
        { id: c.id, name: c.name, type: 'access-controller' as const, ...connection, values: access.values(c.id) ?? {} },
        ...c.doors.map((d) => ({ id: d.id, name: d.name, type: 'door' as const, parent: c.id, ...connection, values: access.values(d.id) ?? {} })),
      ];
    });

  const startBacnet = async (bacnet: BacnetSimOptions | undefined): Promise<void> => {
    const panelAt = bacnet?.firePanel;
    if (panelAt) {
      const server = await startBacnetDeviceServer({
        address: panelAt.address, port: panelAt.port, deviceInstance: FIRE_PANEL_DEVICE.deviceInstance, deviceName: FIRE_PANEL_DEVICE.name,
        description: `${FIRE_PANEL_DEVICE.name}, ${FIRE_PANEL_DEVICE.location}`, vendorName: 'facility-gw simulator', modelName: 'Addressable fire-alarm panel, 4 loops',
        // A panel's BACnet card: small buffers and no segmentation, as many have.
        maxApdu: 480, objects: firePanel.objects(), clock, eventRecipients: panelAt.eventRecipients ?? [], logger: log,
      });
      bacnetServers.set(FIRE_PANEL_DEVICE.id, server);
      firePanel.attach(server);
    }
    const gatewayAt = bacnet?.elevatorGateway;
    if (gatewayAt) {
      const basePort = gatewayAt.basePort ?? 47808;
      for (const [i, spec] of BACNET_ELEVATOR_CARS.entries()) {
        const car = bacnetCars.get(spec.id);
        if (!car) continue;
        const server = await startBacnetDeviceServer({
          address: gatewayAt.address, port: basePort === 0 ? 0 : basePort + i, deviceInstance: spec.deviceInstance, deviceName: spec.name,
          description: `${spec.name}, ${spec.location}`, vendorName: 'facility-gw simulator', modelName: 'Elevator monitoring gateway',
          objects: car.objects(), clock, logger: log,
        });
        bacnetServers.set(spec.id, server);
      }
    }
    refreshBacnet();
  };

  const handle: SimulatorHandle = {
    ports: {},
    host,
    get controlPort() {
      return control?.port ?? null;
    },
    get mqttUrl() {
      return mqttUrl;
    },
    siteConfig: () =>
      demoSiteConfig({
        host: connectableHost(host),
        ports: handle.ports,
        mqttUrl: mqttUrl ?? undefined,
        ...(bacnetServers.size > 0 ? { bacnet: { endpoints: handle.bacnetEndpoints(), gateway: opts.bacnet?.gateway ?? DEMO_GATEWAY_BACNET } } : {}),
      }),
    connectAccess,
    values: (id) => {
      const values = devices.get(id)?.values() ?? access.values(id) ?? bacnetCars.get(id)?.values() ?? (id === FIRE_PANEL_DEVICE.id ? firePanel.values() : undefined);
      if (!values) throw new Error(`no device "${id}"`);
      return values;
    },
    bacnetEndpoints: () =>
      [...bacnetServers.entries()].map(([id, b]) => ({ id, address: b.address, port: b.port, deviceInstance: b.deviceInstance })),
    nowMs: () => simNowMs,
    step: (dtMs) => advance(dtMs),
    scenarios: (): { available: ScenarioInfo[]; active: ActiveScenario[] } => ({ available: scenarios.available(), active: scenarios.active() }),
    startScenario: (name, device) => {
      const started = scenarios.start(name, device);
      refreshBanks();
      access.flush();
      refreshBacnet();
      log.info({ scenario: started.name, device: started.device }, 'scenario started');
      return started;
    },
    clearScenario: (name, device) => {
      const cleared = scenarios.clear(name, device);
      refreshBanks();
      access.flush();
      refreshBacnet();
      log.info({ scenario: name, device, cleared }, 'scenario cleared');
      return cleared;
    },
    devices: () => [...[...devices.values()].map(snapshot), ...accessSnapshots(), ...bacnetSnapshots()],
    stop,
  };

  try {
    for (const link of building.links) {
      const units: ServedUnit[] = [...devices.values()]
        .filter((d) => d.info.link === link.id)
        .map((d) => ({ deviceId: d.info.id, unitId: d.info.unitId, bank: d.bank, comm: () => scenarios.comm(d.info.id) }));
      const server = await startLinkServer({ linkId: link.id, host, port: opts.ports?.[link.id] ?? 0, units, logger: log });
      links.push(server);
      handle.ports[link.id] = server.port;
    }
    await startBacnet(opts.bacnet);
    const controlPort = opts.controlPort === undefined ? 0 : opts.controlPort;
    if (controlPort !== null) control = await startControlServer(handle, controlPort);
    if (opts.mqttUrl !== undefined) await connectAccess(opts.mqttUrl);
  } catch (err) {
    await stop();
    throw err;
  }

  let lastTickMs = clock.now();
  const tick = (): void => {
    if (stopped) return;
    const now = clock.now();
    const elapsed = Math.min(Math.max(0, now - lastTickMs), MAX_CATCH_UP_MS);
    lastTickMs = now;
    advance(elapsed);
    timer = clock.setTimeout(tick, stepMs);
  };
  timer = clock.setTimeout(tick, stepMs);

  log.info(
    { seed, host, ports: handle.ports, controlPort: handle.controlPort, devices: devices.size, accessControllers: access.controllerIds().length, mqttUrl, bacnet: handle.bacnetEndpoints() },
    'simulator started',
  );
  return handle;
}

/** A gateway cannot connect to a wildcard address: point it at loopback instead. */
export function connectableHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '::1';
  return host;
}
