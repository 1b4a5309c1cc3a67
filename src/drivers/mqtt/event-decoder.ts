import type { PointValue } from '../../points/sample.js';
import type { MqttEventDef } from '../../profiles/types.js';
import { compilePath, readPath, type FieldPath, type MessagePayload, type Rejection } from './payload-decoder.js';

/**
 * Device events out of MQTT payloads. Several events usually share one topic and tell themselves apart by
 * a field (`type` = `granted` | `denied` | `forced`): `decodeEvents` checks every event of a topic against
 * one message, parsing it once.
 *
 * - An event without `match` happens on every message of its topic.
 * - A message that matches no event is not an error when it carries the match field with another value
 *   (a device reporting something the profile does not model); it is one when it cannot be read at all
 *   (not JSON, match field missing).
 * - Attributes are details: one missing from the message is left out, it does not lose the event.
 *   Objects and arrays are kept as JSON text.
 */

export interface CompiledEvent {
  readonly name: string;
  readonly match: { path: FieldPath; values: readonly PointValue[] } | undefined;
  readonly attributes: ReadonlyArray<{ name: string; path: FieldPath }>;
}

export type EventsOutcome =
  | { kind: 'events'; events: Array<{ name: string; attributes: Record<string, PointValue> }> }
  /** Readable, but none of the events it could be. */
  | { kind: 'none' }
  | { kind: 'rejected'; rejection: Rejection };

export function compileEvent(def: MqttEventDef): CompiledEvent {
  return {
    name: def.name,
    match: def.match === undefined ? undefined : { path: compilePath(def.match.path), values: def.match.values },
    attributes: Object.entries(def.attributes ?? {}).map(([name, path]) => ({ name, path: compilePath(path) })),
  };
}

export function decodeEvents(events: readonly CompiledEvent[], payload: MessagePayload): EventsOutcome {
  const found: Array<{ name: string; attributes: Record<string, PointValue> }> = [];
  let rejection: Rejection | undefined;
  for (const event of events) {
    const needsJson = event.match !== undefined || event.attributes.length > 0;
    let root: unknown;
    if (needsJson) {
      const json = payload.json();
      if (!json.ok) {
        rejection ??= json.rejection;
        continue;
      }
      root = json.value;
    }
    if (event.match !== undefined) {
      const field = readPath(root, event.match.path);
      if (!field.ok) {
        rejection ??= field.rejection;
        continue;
      }
      if (!event.match.values.includes(field.value as PointValue)) continue;
    }
    found.push({ name: event.name, attributes: attributesOf(event, root) });
  }
  if (found.length > 0) return { kind: 'events', events: found };
  return rejection === undefined ? { kind: 'none' } : { kind: 'rejected', rejection };
}

function attributesOf(event: CompiledEvent, root: unknown): Record<string, PointValue> {
  const attributes: Record<string, PointValue> = {};
  for (const { name, path } of event.attributes) {
    const field = readPath(root, path);
    if (!field.ok) continue;
    const value = field.value;
    attributes[name] = typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? value : JSON.stringify(value);
  }
  return attributes;
}
