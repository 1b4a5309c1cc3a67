import { connectAsync } from 'mqtt';
import type { DeviceConfig, MqttLinkConfig } from '../../src/config/schema.js';
import type { DriverContext } from '../../src/drivers/driver.js';
import { MqttDriver } from '../../src/drivers/mqtt/mqtt-driver.js';
import type { MqttDeviceEntry } from '../../src/gateway/device-catalog.js';
import { pointId } from '../../src/points/sample.js';
import { accessControllerProfile } from '../../src/profiles/access-control.js';
import type { MqttProfile } from '../../src/profiles/types.js';
import { driverContract, type DriverContractFixture } from '../support/driver-contract.js';
import { startMosquitto } from '../support/mosquitto.js';

/**
 * The driver contract for MqttDriver, against a real Mosquitto on loopback. Two access controllers: the
 * healthy one is played by a small publisher in this file (retained "online" status with a last will,
 * heartbeat and state every PUBLISH_INTERVAL_MS); the silent one never publishes anything, so it goes
 * offline when its heartbeat deadline (a short one, from a test profile) runs out after the connect.
 */

const LINK_ID = 'acs';
const HEALTHY = 'ctrl-healthy';
const SILENT = 'ctrl-silent';
const PUBLISH_INTERVAL_MS = 100;
/** The contract wants a silent device given up on within about a second. */
const HEARTBEAT_TIMEOUT_MS = 1000;

const testControllerProfile: MqttProfile = {
  ...accessControllerProfile,
  id: 'access-controller-mqtt-contract',
  availability: { ...accessControllerProfile.availability, heartbeatTimeoutMs: HEARTBEAT_TIMEOUT_MS },
};

function controller(id: string): MqttDeviceEntry {
  const config: DeviceConfig = {
    id,
    type: 'access-controller',
    profile: testControllerProfile.id,
    link: LINK_ID,
    topicVars: { controller: id },
    pollIntervalMs: 1000,
    staleAfterPolls: 3,
    commLossDelayMs: 0,
    enabled: true,
    thresholds: [],
    disableThresholds: [],
    eventRules: [],
  };
  return { config, profile: testControllerProfile };
}

async function mqttFixture(context: DriverContext): Promise<DriverContractFixture> {
  const broker = await startMosquitto();
  try {
    const publisher = await connectAsync(broker.url, {
      clientId: `device-${HEALTHY}`,
      will: { topic: `acs/${HEALTHY}/status`, payload: Buffer.from('offline'), qos: 1, retain: true },
    });
    await publisher.publishAsync(`acs/${HEALTHY}/status`, 'online', { qos: 1, retain: true });
    let battery = 13;
    const timer = setInterval(() => {
      battery = battery > 13.5 ? 13 : battery + 0.1;
      publisher.publish(`acs/${HEALTHY}/heartbeat`, String(Date.now()));
      publisher.publish(`acs/${HEALTHY}/state`, JSON.stringify({ mains: true, battery_v: Number(battery.toFixed(1)), tamper: false }));
    }, PUBLISH_INTERVAL_MS);
    const link: MqttLinkConfig = { id: LINK_ID, type: 'mqtt', keepaliveS: 30, reconnectPeriodMs: 200, connectTimeoutMs: 2000, maxPayloadBytes: 65_536 };
    const devices = [controller(HEALTHY), controller(SILENT)];
    const driver = new MqttDriver({ link, brokerUrl: broker.url, siteId: 'contract', devices, context });
    return {
      driver,
      devices: { healthy: HEALTHY, silent: SILENT },
      expectedPoints: (deviceId) => testControllerProfile.points.map((p) => pointId(deviceId, p.name)),
      teardown: async () => {
        clearInterval(timer);
        await publisher.endAsync(true);
        await broker.stop();
      },
    };
  } catch (err) {
    await broker.stop();
    throw err;
  }
}

driverContract('MqttDriver (Mosquitto)', mqttFixture);
