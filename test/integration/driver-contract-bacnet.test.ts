import { BacnetDriver } from '../../src/drivers/bacnet/bacnet-driver.js';
import type { DriverContext } from '../../src/drivers/driver.js';
import { pointId } from '../../src/points/sample.js';
import { SystemClock } from '../../src/time/clock.js';
import { startBacnetDeviceServer } from '../../simulator/bacnet/device-server.js';
import { driverContract, type DriverContractFixture } from '../support/driver-contract.js';
import { TEST_PROFILE, bacnetDevice, bacnetLink, entry, testObjects } from './bacnet-support.js';

/**
 * The driver contract for BacnetDriver, over real UDP on loopback, against two simulated BACnet devices:
 * panel-1 answers; panel-2 is silent (answers nothing, sends nothing). The gateway binds 127.0.0.1:47831.
 */

const LINK = 'bacnet-contract';
const HEALTHY = 'panel-1';
const SILENT = 'panel-2';

async function bacnetFixture(context: DriverContext): Promise<DriverContractFixture> {
  const clock = new SystemClock();
  const healthy = await startBacnetDeviceServer({ address: '127.0.0.31', deviceInstance: 3101, deviceName: 'Panel 1', objects: testObjects(), clock });
  const silent = await startBacnetDeviceServer({ address: '127.0.0.32', deviceInstance: 3102, deviceName: 'Panel 2', objects: testObjects(), clock });
  silent.setSilent(true);
  const link = bacnetLink(LINK, 47831, { apduTimeoutMs: 150, retries: 1 });
  const devices = [entry(bacnetDevice(HEALTHY, LINK, '127.0.0.31', 3101)), entry(bacnetDevice(SILENT, LINK, '127.0.0.32', 3102))];
  const driver = new BacnetDriver({ link, siteId: 'test', devices, context });
  return {
    driver,
    devices: { healthy: HEALTHY, silent: SILENT },
    expectedPoints: (deviceId) => TEST_PROFILE.points.map((p) => pointId(deviceId, p.name)),
    teardown: async () => {
      await healthy.stop();
      await silent.stop();
    },
  };
}

driverContract('BacnetDriver (BACnet/IP, simulator)', bacnetFixture);
