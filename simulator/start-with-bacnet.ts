import type { Logger } from '../src/log.js';
import { startSimulator, type SimulatorHandle, type SimulatorOptions } from './simulator.js';

/**
 * Starts the simulator with its BACnet devices, or without them where their loopback addresses
 * (127.0.0.2, 127.0.0.3) cannot be bound (macOS has only 127.0.0.1): the rest of the building still runs.
 */
export async function startSimulatorWithBacnet(options: SimulatorOptions, logger: Logger): Promise<SimulatorHandle> {
  try {
    return await startSimulator(options);
  } catch (err) {
    if (options.bacnet === undefined || !(err instanceof Error) || !err.message.includes('BACnet device cannot bind')) throw err;
    logger.warn({ err: err.message }, 'BACnet devices not served: their loopback addresses cannot be bound here');
    const { bacnet: _bacnet, ...withoutBacnet } = options;
    return startSimulator(withoutBacnet);
  }
}
