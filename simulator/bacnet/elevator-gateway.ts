import type { PointValue } from '../../src/points/sample.js';
import { elevatorBacnetProfile } from '../../src/profiles/elevator-bacnet.js';
import type { ElevatorModel } from '../models/elevator.js';
import type { SimBacnetObject } from './device-server.js';
import { ProfileObjects, type PresentValueSink } from './profile-objects.js';

/**
 * One car behind the BACnet elevator-monitoring gateway. The car's motion, doors, passengers and faults
 * come from the same ElevatorModel as the Modbus lifts; this class adds what the BACnet map has on top
 * (inspection and fire-service operation) and renames the values to the elevator-bacnet-gw-v1 points.
 * The gateway presents each car as its own BACnet device, so every car has the same object map.
 */

export class BacnetElevatorCar {
  private inspection = false;
  private fireService = false;
  private readonly map = new ProfileObjects(elevatorBacnetProfile);

  constructor(readonly model: ElevatorModel) {}

  get id(): string {
    return this.model.id;
  }

  setInspection(on: boolean): void {
    this.inspection = on;
  }

  setFireService(on: boolean): void {
    this.fireService = on;
  }

  values(): Record<string, PointValue> {
    const v = this.model.values();
    const faulted = v.fault_code !== 'none';
    return {
      floor: v.floor ?? 1,
      direction: v.direction ?? 'stopped',
      door_state: v.door_state ?? 'closed',
      fault_code: v.fault_code ?? 'none',
      in_service: !faulted && !this.inspection && !this.fireService,
      inspection_mode: this.inspection,
      fire_service: this.fireService,
      alarm_button: v.alarm_button ?? false,
      load: v.load ?? 0,
      trip_count: v.run_count ?? 0,
      door_cycles: v.door_cycles ?? 0,
      run_hours: v.run_hours ?? 0,
      speed: v.speed ?? 0,
    };
  }

  objects(): SimBacnetObject[] {
    return this.map.objects(this.values());
  }

  push(sink: PresentValueSink): void {
    this.map.push(sink, this.values());
  }
}
