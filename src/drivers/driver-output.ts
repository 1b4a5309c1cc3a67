import type { Logger } from 'pino';
import type { DeviceStatusEvent, DriverContext } from './driver.js';
import type { AlarmEvent } from '../alarms/events.js';
import type { DeviceEvent } from '../points/device-event.js';
import type { Sample } from '../points/sample.js';

/**
 * What every driver hands to the gateway, guarded: nothing after stop, and a listener that throws is
 * logged, never allowed to break the driver's read loop. Shared so the drivers cannot differ on it.
 */
export class DriverOutput {
  constructor(
    private readonly context: DriverContext,
    private readonly log: Logger,
    private readonly stopped: () => boolean,
  ) {}

  samples(samples: Sample[]): void {
    if (samples.length === 0 || this.stopped()) return;
    this.guard('onSamples', () => this.context.onSamples(samples));
  }

  status(status: DeviceStatusEvent): void {
    if (this.stopped()) return;
    this.guard('onDeviceStatus', () => this.context.onDeviceStatus(status));
  }

  events(events: DeviceEvent[]): void {
    if (events.length === 0 || this.stopped()) return;
    this.guard('onEvents', () => this.context.onEvents(events));
  }

  alarms(alarms: AlarmEvent[]): void {
    if (alarms.length === 0 || this.stopped()) return;
    this.guard('onDeviceAlarms', () => this.context.onDeviceAlarms(alarms));
  }

  private guard(listener: string, call: () => void): void {
    try {
      call();
    } catch (err) {
      this.log.error({ err }, `${listener} listener threw`);
    }
  }
}

/**
 * Logs a device's read problem (a block, a point, an object) when it appears, changes or clears, and stays
 * silent while it persists: a broken sensor must not write a line per poll.
 */
export function noteProblem(problems: Map<string, string>, log: Logger, device: string, key: string, message: string | undefined): void {
  const previous = problems.get(key);
  if (previous === message) return;
  if (message === undefined) {
    problems.delete(key);
    log.info({ device, what: key }, 'read problem cleared');
  } else {
    problems.set(key, message);
    log.warn({ device, what: key, err: message }, 'read problem');
  }
}
