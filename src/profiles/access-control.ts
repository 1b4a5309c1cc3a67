import type { MqttProfile } from './types.js';

const SECOND_MS = 1000;
const MINUTE_MS = 60 * SECOND_MS;

/**
 * Access control over MQTT, as door controllers commonly publish it: one controller per group of doors,
 * a retained status topic that its last will turns to `offline`, a heartbeat, retained state per door and
 * one event topic per door. Topics: `acs/<controller>/status|heartbeat|state` and
 * `acs/<controller>/door/<door>/state|event`.
 */
export const accessControllerProfile: MqttProfile = {
  id: 'access-controller-mqtt-v1',
  protocol: 'mqtt',
  equipment: 'access-controller',
  description: 'Door controller on MQTT (JSON), v1: status with last will, heartbeat, power and tamper',
  availability: {
    statusTopic: 'acs/{controller}/status',
    onlineValue: 'online',
    offlineValue: 'offline',
    heartbeatTopic: 'acs/{controller}/heartbeat',
    heartbeatTimeoutMs: 30 * SECOND_MS,
  },
  points: [
    { name: 'mains_ok', description: 'Mains power present', topic: 'acs/{controller}/state', decode: { format: 'json', path: 'mains' }, kind: 'binary' },
    { name: 'battery_voltage', description: 'Backup battery voltage', topic: 'acs/{controller}/state', decode: { format: 'json', path: 'battery_v' }, unit: 'V', kind: 'analog', range: { min: 0, max: 30 } },
    { name: 'tamper', description: 'Enclosure tamper switch open', topic: 'acs/{controller}/state', decode: { format: 'json', path: 'tamper' }, kind: 'binary' },
  ],
  events: [],
  eventRules: [],
  thresholds: [
    { id: 'tamper', point: 'tamper', high: 0.5, priority: 'high', message: 'Controller enclosure opened (tamper)' },
    { id: 'mains_lost', point: 'mains_ok', low: 0.5, onDelayMs: MINUTE_MS, priority: 'medium', message: 'Controller on battery: mains power lost for a minute' },
    { id: 'battery_low', point: 'battery_voltage', low: 11.5, deadband: 0.3, onDelayMs: MINUTE_MS, priority: 'medium', message: 'Controller backup battery low' },
  ],
};

/**
 * One door of a controller. Its reachability follows its controller (`parent` in the site config): a
 * controller that goes offline raises one communication alarm, and its doors' points turn stale.
 * Held open: a pre-alarm after 5 s and an alarm after 10 s, both cleared when the door closes.
 */
export const doorProfile: MqttProfile = {
  id: 'door-mqtt-v1',
  protocol: 'mqtt',
  equipment: 'door',
  description: 'Door on an MQTT door controller, v1: state and access events',
  points: [
    { name: 'open', description: 'Door open (contact)', topic: 'acs/{controller}/door/{door}/state', decode: { format: 'json', path: 'open' }, kind: 'binary' },
    { name: 'locked', description: 'Lock engaged', topic: 'acs/{controller}/door/{door}/state', decode: { format: 'json', path: 'locked' }, kind: 'binary' },
  ],
  events: [
    { name: 'access_granted', description: 'Badge accepted', topic: 'acs/{controller}/door/{door}/event', match: { path: 'type', values: ['granted'] }, attributes: { badge: 'badge' } },
    { name: 'access_denied', description: 'Badge refused', topic: 'acs/{controller}/door/{door}/event', match: { path: 'type', values: ['denied'] }, attributes: { badge: 'badge', reason: 'reason' } },
    { name: 'door_forced', description: 'Door opened without a grant or exit request', topic: 'acs/{controller}/door/{door}/event', match: { path: 'type', values: ['forced'] } },
  ],
  eventRules: [
    { id: 'forced_open', event: 'door_forced', count: 1, windowMs: 5 * MINUTE_MS, priority: 'high', message: 'Door forced open' },
    { id: 'repeated_denials', event: 'access_denied', count: 5, windowMs: 2 * MINUTE_MS, priority: 'medium', message: '5 refused badges within 2 minutes' },
  ],
  thresholds: [
    { id: 'held_open_prealarm', point: 'open', high: 0.5, onDelayMs: 5 * SECOND_MS, priority: 'low', message: 'Door held open (pre-alarm, 5 s)' },
    { id: 'held_open', point: 'open', high: 0.5, onDelayMs: 10 * SECOND_MS, priority: 'high', message: 'Door held open too long (10 s)' },
  ],
};
