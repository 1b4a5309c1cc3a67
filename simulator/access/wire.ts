import { accessControllerProfile, doorProfile } from '../../src/profiles/access-control.js';
import type { MqttProfile } from '../../src/profiles/types.js';
import type { ControllerState } from './controller-model.js';
import type { DoorEvent, DoorState } from './door-model.js';

/**
 * What the simulated controllers put on MQTT: topics filled in from the profiles' topic patterns (so the
 * simulator and the gateway read the same contract) and payloads as the profiles decode them.
 */

export type AccessMessageKind = 'status' | 'heartbeat' | 'controller-state' | 'door-state' | 'door-event' | 'malformed';

export interface AccessMessage {
  /** Simulated time it was sent, ms since the epoch. */
  atMs: number;
  /** Device id of the controller that publishes it (doors publish through their controller). */
  controller: string;
  kind: AccessMessageKind;
  topic: string;
  payload: string | Buffer;
  retain: boolean;
  qos: 0 | 1;
}

export interface ControllerTopics {
  status: string;
  heartbeat: string;
  state: string;
}

export interface DoorTopics {
  state: string;
  event: string;
}

export const ONLINE = accessControllerProfile.availability?.onlineValue ?? 'online';
export const OFFLINE = accessControllerProfile.availability?.offlineValue ?? 'offline';

export function controllerTopics(controller: string): ControllerTopics {
  const vars = { controller };
  const { statusTopic, heartbeatTopic } = accessControllerProfile.availability ?? {};
  if (statusTopic === undefined || heartbeatTopic === undefined) throw new Error(`${accessControllerProfile.id}: no status or heartbeat topic`);
  return { status: fillTopic(statusTopic, vars), heartbeat: fillTopic(heartbeatTopic, vars), state: fillTopic(onlyTopic(accessControllerProfile.points, 'points'), vars) };
}

export function doorTopics(controller: string, door: string): DoorTopics {
  const vars = { controller, door };
  return { state: fillTopic(onlyTopic(doorProfile.points, 'points'), vars), event: fillTopic(onlyTopic(doorProfile.events, 'events'), vars) };
}

export function statusMessage(controller: string, topics: ControllerTopics, online: boolean, atMs: number): AccessMessage {
  return { atMs, controller, kind: 'status', topic: topics.status, payload: online ? ONLINE : OFFLINE, retain: true, qos: 1 };
}

/** The payload is the controller's uptime in seconds; the gateway only looks at its arrival. */
export function heartbeatMessage(controller: string, topics: ControllerTopics, uptimeS: number, atMs: number): AccessMessage {
  // QoS 1 like everything else: the embedded broker (aedes) can drop a retained message for live subscribers
  // when a QoS 0 message overtakes it inside the broker, and door states are retained.
  return { atMs, controller, kind: 'heartbeat', topic: topics.heartbeat, payload: String(uptimeS), retain: false, qos: 1 };
}

export function controllerStateMessage(controller: string, topics: ControllerTopics, state: ControllerState, atMs: number): AccessMessage {
  const payload = JSON.stringify({ mains: state.mains, battery_v: state.battery_v, tamper: state.tamper });
  return { atMs, controller, kind: 'controller-state', topic: topics.state, payload, retain: true, qos: 1 };
}

export function doorStateMessage(controller: string, topics: DoorTopics, state: DoorState, atMs: number): AccessMessage {
  return { atMs, controller, kind: 'door-state', topic: topics.state, payload: JSON.stringify({ open: state.open, locked: state.locked }), retain: true, qos: 1 };
}

export function doorEventMessage(controller: string, topics: DoorTopics, event: DoorEvent, atMs: number): AccessMessage {
  const body = event.reason === undefined ? { type: event.type, badge: event.badge } : { type: event.type, badge: event.badge, reason: event.reason };
  return { atMs, controller, kind: 'door-event', topic: topics.event, payload: JSON.stringify(body), retain: false, qos: 1 };
}

/** `acs/{controller}/door/{door}/state` with `{ controller: 'lobby', door: 'east' }` → `acs/lobby/door/east/state`. */
function fillTopic(pattern: string, vars: Record<string, string>): string {
  return pattern.replace(/\{([a-z][a-z0-9_]*)\}/g, (_whole, name: string) => {
    const value = vars[name];
    if (value === undefined) throw new Error(`topic ${pattern}: no value for {${name}}`);
    return value;
  });
}

/** The simulator publishes each kind of payload on one topic; a profile that splits them needs new code here. */
function onlyTopic(items: MqttProfile['points'] | MqttProfile['events'], what: string): string {
  const topics = new Set(items.map((i) => i.topic));
  const [topic] = topics;
  if (topics.size !== 1 || topic === undefined) throw new Error(`access profile ${what} use ${topics.size} topics; the simulator expects one`);
  return topic;
}
