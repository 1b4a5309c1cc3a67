import type { AlarmKind } from '../alarms/events.js';
import type { CommLossRule, CommLossSnapshot, CommLossState } from './comm-loss.js';
import type { DelayedAlarm, EpisodeSnapshot, EpisodeState } from './delayed-alarm.js';
import type { EventCountRule, EventRuleSnapshot } from './event-rule.js';
import type { RepeatRule, RepeatSnapshot } from './repeat-rule.js';

/**
 * Rule-state snapshots: what the engine needs to resume after a restart (even `kill -9`) or a reload,
 * without raising again what was raised or forgetting what was pending. JSON-serialisable; the owner of
 * the engine persists it (debounced, on `onStateChange`) and hands it to `restoreState` of the next engine
 * right after construction, before any sample.
 *
 * Held per alarm id, only for rules that are not in their initial state (normal, nothing pending, empty
 * window, not suppressed), so a quiet site has a small snapshot:
 * - every delayed kind (thresholds, state, rate, expression): settled or pending state, since when, and
 *   when the pending delay started, so it resumes with what was left of it;
 * - repeats: that, plus the edge window (timestamps) and the last known result of the condition;
 * - event rules: active or not, and the event window;
 * - communication loss: online, pending (since when) or active;
 * - the suppression-by-design state of alarms that have one.
 * Rate histories are not kept: a rate rule measures again from the first samples after the restart.
 */

export const RULE_SNAPSHOT_VERSION = 1;

export interface RuleStateSnapshot {
  version: typeof RULE_SNAPSHOT_VERSION;
  /** Engine clock when taken, ms since the epoch. */
  takenAt: number;
  alarms: Record<string, AlarmStateSnapshot>;
}

export type AlarmStateSnapshot = (
  | ({ rule: 'delayed' } & EpisodeSnapshot)
  | ({ rule: 'repeat' } & RepeatSnapshot)
  | ({ rule: 'event' } & EventRuleSnapshot)
  | ({ rule: 'comm-loss' } & CommLossSnapshot)
) & {
  /** The alarm's kind when taken: a snapshot of another kind under the same id is not applied. */
  kind: AlarmKind;
  /** Suppressed by design when taken. */
  suppressed?: boolean;
};

export interface RestoreReport {
  /** Alarm ids whose state was taken up. */
  restored: string[];
  /** Alarm ids in the snapshot that no rule has any more (the rule was removed): ignored. */
  unknownAlarmIds: string[];
  /** Entries that could not be applied (another kind under the same id, a malformed entry), with why. */
  rejected: Array<{ alarmId: string; reason: string }>;
}

/** A rule of any kind, as the engine registers it for snapshots. */
export type SnapshotTarget =
  | { rule: 'delayed'; kind: AlarmKind; target: DelayedAlarm }
  | { rule: 'repeat'; kind: AlarmKind; target: RepeatRule }
  | { rule: 'event'; kind: AlarmKind; target: EventCountRule }
  | { rule: 'comm-loss'; kind: AlarmKind; target: CommLossRule };

/** The entry of one rule, or undefined when it is in its initial state (nothing to resume). */
export function snapshotEntry(entry: SnapshotTarget, suppressed: boolean): AlarmStateSnapshot | undefined {
  const extra = { kind: entry.kind, ...(suppressed ? { suppressed: true } : {}) };
  switch (entry.rule) {
    case 'delayed': {
      if (entry.target.state === 'normal' && !suppressed) return undefined;
      return { rule: 'delayed', ...entry.target.snapshotEpisode(), ...extra };
    }
    case 'repeat': {
      const snapshot = entry.target.snapshot();
      if (snapshot.state === 'normal' && snapshot.window.length === 0 && snapshot.lastWhen === undefined && !suppressed) return undefined;
      return { rule: 'repeat', ...snapshot, ...extra };
    }
    case 'event': {
      const snapshot = entry.target.snapshot();
      if (snapshot.state === 'normal' && snapshot.window.length === 0 && !suppressed) return undefined;
      return { rule: 'event', ...snapshot, ...extra };
    }
    case 'comm-loss': {
      if (entry.target.state === 'online') return undefined;
      return { rule: 'comm-loss', ...entry.target.snapshot(), ...extra };
    }
  }
}

/** Applies one entry; returns why it could not be, or undefined when it was. Emits nothing. */
export function restoreEntry(entry: SnapshotTarget, raw: unknown, now: number): string | undefined {
  if (!isRecord(raw)) return 'not an object';
  if (raw.kind !== entry.kind || raw.rule !== entry.rule) return `saved as ${String(raw.kind)}, the rule is now ${entry.kind}`;
  switch (entry.rule) {
    case 'delayed': {
      const episode = parseEpisode(raw);
      if (typeof episode === 'string') return episode;
      entry.target.restoreEpisode(episode);
      return undefined;
    }
    case 'repeat': {
      const episode = parseEpisode(raw);
      if (typeof episode === 'string') return episode;
      const window = parseTimes(raw.window);
      if (window === undefined) return 'window must be a list of timestamps';
      if (raw.lastWhen !== undefined && typeof raw.lastWhen !== 'boolean') return 'lastWhen must be true or false';
      entry.target.restore({ ...episode, window, ...(raw.lastWhen === undefined ? {} : { lastWhen: raw.lastWhen }) }, now);
      return undefined;
    }
    case 'event': {
      if (raw.state !== 'normal' && raw.state !== 'active') return `unknown state ${JSON.stringify(raw.state)}`;
      const window = parseTimes(raw.window);
      if (window === undefined) return 'window must be a list of timestamps';
      if (!isFiniteNumber(raw.raisedAt) || !isFiniteNumber(raw.lastValue)) return 'raisedAt and lastValue must be numbers';
      entry.target.restore({ state: raw.state, window, raisedAt: raw.raisedAt, lastValue: raw.lastValue });
      return undefined;
    }
    case 'comm-loss': {
      const states: readonly CommLossState[] = ['online', 'pending-raise', 'active'];
      const state = states.find((s) => s === raw.state);
      if (state === undefined) return `unknown state ${JSON.stringify(raw.state)}`;
      if (!isFiniteNumber(raw.conditionSince) || !isFiniteNumber(raw.raisedAt)) return 'conditionSince and raisedAt must be numbers';
      if (state === 'pending-raise' && !isFiniteNumber(raw.pendingSince)) return 'a pending raise needs pendingSince';
      entry.target.restore({
        state,
        conditionSince: raw.conditionSince,
        raisedAt: raw.raisedAt,
        ...(isFiniteNumber(raw.pendingSince) ? { pendingSince: raw.pendingSince } : {}),
      });
      return undefined;
    }
  }
}

const EPISODE_STATES: readonly EpisodeState[] = ['normal', 'pending-raise', 'active', 'pending-clear'];

function parseEpisode(raw: Record<string, unknown>): EpisodeSnapshot | string {
  const state = EPISODE_STATES.find((s) => s === raw.state);
  if (state === undefined) return `unknown state ${JSON.stringify(raw.state)}`;
  if (!isFiniteNumber(raw.conditionSince) || !isFiniteNumber(raw.raisedAt)) return 'conditionSince and raisedAt must be numbers';
  const pending = state === 'pending-raise' || state === 'pending-clear';
  if (pending && !isFiniteNumber(raw.pendingSince)) return `${state} needs pendingSince`;
  return { state, conditionSince: raw.conditionSince, raisedAt: raw.raisedAt, ...(pending ? { pendingSince: raw.pendingSince as number } : {}) };
}

function parseTimes(raw: unknown): number[] | undefined {
  if (!Array.isArray(raw) || !raw.every(isFiniteNumber)) return undefined;
  return raw;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}
