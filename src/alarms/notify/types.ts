import type { Notification } from '../../notify/message.js';
import type { AlarmPriority } from '../../profiles/types.js';

/** What the notifier needs to know about an alarm; the gateway answers it from the alarm's definition. */
export interface AlarmInfo {
  alarmId: string;
  site: string;
  device: string;
  /** Equipment type (elevator, pump, fire-panel …); routes match on it. */
  deviceType: string;
  deviceName?: string;
  location?: string;
  priority: AlarmPriority;
  message: string;
  lifeSafety: boolean;
  /** ISA-18.2 rationalisation; goes into every push. */
  rationale?: { cause: string; consequence: string; action: string };
  point?: string;
}

/** Someone (or some group channel) a push is for. */
export interface Recipient {
  /** `person:<id>` or `channel:<id>`. */
  key: string;
  id: string;
  name: string;
  kind: 'person' | 'channel';
}

/** One push to one recipient over one channel, as planned before it is stored. */
export interface PlannedDelivery {
  /** Unique per episode, step, recipient and channel: a planned push with a key already stored is never sent again. */
  deliveryKey: string;
  episodeKey: string;
  alarmId: string;
  site: string;
  /** Related alarms share it; during a flood they go out as one push per group and interval. */
  groupKey: string;
  channel: string;
  recipient: Recipient;
  address?: string;
  lifeSafety: boolean;
  notification: Notification;
}

export type DeliveryStatus = 'pending' | 'sent' | 'failed' | 'folded';

/** A stored push (the outbox row). */
export interface OutboxEntry extends PlannedDelivery {
  id: number;
  status: DeliveryStatus;
  attempts: number;
  lastError?: string;
  createdAt: number;
}
