/** What the API shows of planned maintenance: when each schedule is next due per asset, and the meters. */
export interface MaintenanceStatus {
  timeZone: string;
  schedules: ScheduleStatus[];
  counters: CounterStatus[];
}

export interface ScheduleStatus {
  id: string;
  builtIn: boolean;
  trigger: 'calendar' | 'meter';
  title: string;
  /** Runs seen in telemetry are attached to its orders. */
  evidence: boolean;
  assets: AssetScheduleStatus[];
}

export interface AssetScheduleStatus {
  asset: string;
  /** Calendar: when the next order falls due, ms since epoch (absent while a floating order is open). */
  nextDueAt?: number;
  /** Calendar: the last period handled. */
  lastDueAt?: number;
  lastCompletedAt?: number;
  /** The schedule's unfinished order for the asset (floating and meter schedules wait for it). */
  openOrder?: number;
  meter?: { point: string; reading: number; dueAt: number; every: number };
}

export interface CounterStatus {
  /** Point id `<device>.<point>`. */
  point: string;
  mode: 'value' | 'rising-edges';
  /** Units counted by the gateway since it started watching the point. */
  total: number;
  /** The device's last raw reading (rising-edges: 1/0). */
  lastRaw?: number;
  /** Device counter resets and implausible jumps seen. */
  resets: number;
}
