import type { AlarmSnapshot } from './lifecycle/types.js';

/**
 * The key of an alarm episode, from the raise that made the alarm active until it is back to normal:
 * `<alarmId>@<raisedAt>`. Pushes are deduplicated by it and acknowledge links are bound to it, so a link
 * from an earlier episode cannot acknowledge a later one.
 */
export function episodeKey(snapshot: Pick<AlarmSnapshot, 'alarmId' | 'raisedAt' | 'state'>): string | undefined {
  if (snapshot.raisedAt === undefined || snapshot.state === 'normal') return undefined;
  return `${snapshot.alarmId}@${snapshot.raisedAt}`;
}
