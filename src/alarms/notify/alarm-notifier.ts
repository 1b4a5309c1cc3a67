import type { EscalationPolicyConfig, NotificationsConfig } from '../../config/notifications-schema.js';
import type { Logger } from '../../log.js';
import type { ChannelStats, RetryPolicy } from '../../notify/dispatcher.js';
import type { Clock, TimerHandle } from '../../time/clock.js';
import type { AlarmState, TransitionRecord } from '../lifecycle/types.js';
import { composePush, type PushReason } from './compose.js';
import { FloodDetector, type FloodEvent, type FloodSiteState } from './flood-detector.js';
import { FloodGrouper } from './flood-grouper.js';
import type { EscalationStatus, NotifyStore, RouteDecision } from './notify-store.js';
import { OnCallSchedules, type OnCallEntry } from './on-call.js';
import type { ConfiguredChannel } from '../../notify/channel-factory.js';
import { OutboxSender } from './outbox-sender.js';
import { RecipientResolver, type Reach } from './recipients.js';
import { routeAlarm } from './routing.js';
import type { AlarmInfo, DeliveryStatus, OutboxEntry, PlannedDelivery } from './types.js';

const MINUTE_MS = 60_000;
const DAY_MS = 24 * 60 * MINUTE_MS;

export interface AlarmNotifierOptions {
  clock: Clock;
  logger: Logger;
  /** The `notifications` section with its defaults filled in (withDefaults). */
  config: NotificationsConfig;
  /** `site.timezone`: on-call hand-offs follow its wall clock. */
  timeZone: string;
  store: NotifyStore;
  /** From `createChannels`. */
  channels: readonly ConfiguredChannel[];
  alarmInfo: (alarmId: string) => AlarmInfo | undefined;
  /** Signed acknowledge link of a push to a person; undefined: none. */
  ackLinkFor?: (alarmId: string, episodeKey: string, recipient: { id: string; name: string }) => string | undefined;
  /** The key of the alarm's current episode (src/alarms/episode.ts); `<alarmId>@<transition ts>` without it. */
  episodeKeyOf?: (alarmId: string) => string | undefined;
  /** The alarm's state now; lets `start()` close episodes whose alarm cleared or was acknowledged while the notifier was not told. */
  alarmState?: (alarmId: string) => AlarmState | undefined;
  /**
   * The alarms active now (e.g. `() => lifecycle.list({ state: 'unack-active', annunciated: true })`). Lets
   * `start()` open the episode of an alarm raised just before a crash, after the alarm store committed
   * the raise but before the notifier committed its episode.
   */
  activeAlarms?: () => Iterable<{ alarmId: string; state: AlarmState; annunciated: boolean; raisedAt?: number | undefined }>;
  /** Flood started or ended at a site. */
  onFlood?: (event: FloodEvent) => void;
  /** Default retry policy of the channels (each channel's own `retry` wins). */
  retry?: Partial<RetryPolicy>;
  /** Resolved episodes are deleted after this many days. Default 30. */
  retentionDays?: number;
  /** Told when pushes are handed to a channel queue (benchmarks). */
  onHandOff?: (entries: readonly OutboxEntry[]) => void;
}

type EpisodeStatus = 'active' | 'acknowledged' | 'silenced';

interface Track {
  policy: EscalationPolicyConfig | undefined;
  policyId: string;
  level: number;
  repeatsDone: number;
  status: EscalationStatus;
  nextDueAt?: number;
  timer?: TimerHandle;
}

interface Episode {
  key: string;
  alarmId: string;
  info: AlarmInfo;
  openedAt: number;
  cycle: number;
  status: EpisodeStatus;
  ackedAt?: number;
  route: RouteDecision;
  tracks: Track[];
}

export interface EpisodeView {
  key: string;
  alarmId: string;
  site: string;
  device: string;
  priority: AlarmInfo['priority'];
  lifeSafety: boolean;
  openedAt: number;
  status: EpisodeStatus;
  acknowledgedAt?: number;
  /** Re-annunciations after an acknowledgement or shelve. */
  cycle: number;
  escalations: Array<{ policyId: string; level: number; levels: number; repeatsDone: number; status: EscalationStatus; nextEscalationAt?: number }>;
  recipients: Array<{ id: string; name: string; kind: 'person' | 'channel'; channel: string; status: DeliveryStatus }>;
}

export interface AlarmNotifierStats {
  channels: Record<string, ChannelStats>;
  deliveries: Record<DeliveryStatus, number> & { groupPushes: number; grouped: number; waitingForGroup: number };
  episodes: { opened: number; open: number; acknowledged: number; resolved: number };
  deduplicated: number;
  escalations: number;
  exhausted: number;
  unrouted: number;
  unknownAlarms: number;
  nobodyOnCall: number;
  floods: { started: number; ended: number; flooding: string[] };
}

const ACTIVE: ReadonlySet<AlarmState> = new Set(['unack-active', 'ack-active']);

/**
 * Turns alarm lifecycle transitions into pushes: routes each alarm episode to escalation policies and group
 * channels, escalates until acknowledged, says when it resolved, and groups related pushes during a flood
 * (fire/life-safety never). Every push is stored pending before it goes to its channel, so `start()` after
 * a crash sends what was not delivered and resumes escalations where they stood.
 */
export class AlarmNotifier {
  private readonly open = new Map<string, Episode>();
  private readonly policies: Map<string, EscalationPolicyConfig>;
  private readonly schedules: OnCallSchedules;
  private readonly resolver: RecipientResolver;
  private readonly sender: OutboxSender;
  private readonly flood: FloodDetector;
  private readonly grouper: FloodGrouper;
  private readonly log: Logger;
  private started = false;
  private stopped = false;
  private readonly counts = { opened: 0, acknowledged: 0, resolved: 0, deduplicated: 0, escalations: 0, exhausted: 0, unrouted: 0, unknownAlarms: 0, nobodyOnCall: 0, floodsEnded: 0 };

  constructor(private readonly options: AlarmNotifierOptions) {
    const { config, clock, store } = options;
    this.log = options.logger.child({ module: 'alarm-notifier' });
    this.policies = new Map(config.policies.map((p) => [p.id, p]));
    this.schedules = new OnCallSchedules(config.schedules, config.people, options.timeZone);
    this.resolver = new RecipientResolver(config.people, this.schedules);
    const senderOptions: ConstructorParameters<typeof OutboxSender>[0] = { clock, logger: options.logger, store, channels: options.channels };
    if (options.retry) senderOptions.retry = options.retry;
    if (options.onHandOff) senderOptions.onHandOff = options.onHandOff;
    this.sender = new OutboxSender(senderOptions);
    this.flood = new FloodDetector({
      clock,
      startAbove: config.flood.startAbove,
      endBelow: config.flood.endBelow,
      windowMs: config.flood.windowMinutes * MINUTE_MS,
      onChange: (e) => this.onFloodChange(e),
    });
    this.grouper = new FloodGrouper({ clock, intervalMs: config.flood.groupIntervalSeconds * 1000, flush: (label, entries) => this.sender.sendGroup(label, entries) });
  }

  /** Reloads open episodes and undelivered pushes from the store; resumes escalations. Call once, before `handle`. */
  start(): void {
    if (this.started) return;
    this.started = true;
    const { store, clock } = this.options;
    const now = clock.now();
    const pruned = store.prune(now - (this.options.retentionDays ?? 30) * DAY_MS);
    const pending = store.pending();
    for (const entry of pending) this.sender.send(entry);
    const episodes = store.openEpisodes();
    for (const stored of episodes) {
      const ep: Episode = {
        key: stored.key,
        alarmId: stored.alarmId,
        info: this.options.alarmInfo(stored.alarmId) ?? stored.info,
        openedAt: stored.openedAt,
        cycle: stored.cycle,
        status: stored.ackedAt !== undefined ? 'acknowledged' : stored.escalations.some((e) => e.status === 'silenced') ? 'silenced' : 'active',
        route: stored.route,
        tracks: stored.escalations.map((e) => {
          const t: Track = { policy: this.policies.get(e.policyId), policyId: e.policyId, level: e.level, repeatsDone: e.repeatsDone, status: e.status };
          if (e.nextDueAt !== undefined) t.nextDueAt = e.nextDueAt;
          return t;
        }),
      };
      if (stored.ackedAt !== undefined) ep.ackedAt = stored.ackedAt;
      this.open.set(ep.alarmId, ep);
    }
    this.log.info({ episodes: episodes.length, pending: pending.length, pruned }, 'alarm notifier started');
    for (const ep of [...this.open.values()]) {
      const state = this.options.alarmState?.(ep.alarmId);
      if (this.options.alarmState && (state === undefined || !ACTIVE.has(state))) {
        this.resolve(ep);
        continue;
      }
      if (state === 'ack-active' && ep.status === 'active') this.stopEscalation(ep, 'acknowledged');
      // A step that fell due while the gateway was down fires now; the next one waits its full time from now.
      for (const t of ep.tracks) {
        if (t.status !== 'running') continue;
        if (t.nextDueAt !== undefined && t.nextDueAt <= now) this.onDue(ep, t);
        else this.schedule(ep, t);
      }
    }
    this.openMissedEpisodes();
  }

  private openMissedEpisodes(): void {
    for (const a of this.options.activeAlarms?.() ?? []) {
      if (a.state !== 'unack-active' || !a.annunciated || a.raisedAt === undefined || this.open.has(a.alarmId)) continue;
      if (this.options.store.hasEpisode(`${a.alarmId}@${a.raisedAt}`)) continue;
      const info = this.options.alarmInfo(a.alarmId);
      if (!info) continue;
      this.log.warn({ alarmId: a.alarmId, raisedAt: a.raisedAt }, 'alarm raised before a restart had no episode: notifying now');
      this.openEpisode({ alarmId: a.alarmId, ts: a.raisedAt }, info);
    }
  }

  /** Called synchronously for every lifecycle transition, after the alarm store committed it. Never throws. */
  handle(record: TransitionRecord): void {
    if (this.stopped) return;
    if (!this.started) this.start();
    try {
      this.apply(record);
    } catch (err) {
      this.log.error({ err, alarmId: record.alarmId, action: record.action }, 'alarm notifier failed on a transition');
    }
  }

  stats(): AlarmNotifierStats {
    const c = this.counts;
    return {
      channels: this.sender.channelStats(),
      deliveries: { ...this.options.store.counts(), ...this.sender.groupingStats(), waitingForGroup: this.grouper.waiting },
      episodes: { opened: c.opened, open: this.open.size, acknowledged: c.acknowledged, resolved: c.resolved },
      deduplicated: c.deduplicated,
      escalations: c.escalations,
      exhausted: c.exhausted,
      unrouted: c.unrouted,
      unknownAlarms: c.unknownAlarms,
      nobodyOnCall: c.nobodyOnCall,
      floods: { started: this.flood.floodsStarted, ended: c.floodsEnded, flooding: this.flood.state().filter((s) => s.flooding).map((s) => s.site) },
    };
  }

  floodState(): FloodSiteState[] {
    return this.flood.state();
  }

  /** Open episodes, oldest first. */
  episodes(): EpisodeView[] {
    return [...this.open.values()]
      .sort((a, b) => a.openedAt - b.openedAt)
      .map((ep) => {
        const view: EpisodeView = {
          key: ep.key,
          alarmId: ep.alarmId,
          site: ep.info.site,
          device: ep.info.device,
          priority: ep.info.priority,
          lifeSafety: ep.info.lifeSafety,
          openedAt: ep.openedAt,
          status: ep.status,
          cycle: ep.cycle,
          escalations: ep.tracks.map((t) => {
            const e: EpisodeView['escalations'][number] = { policyId: t.policyId, level: t.level + 1, levels: t.policy?.levels.length ?? 0, repeatsDone: t.repeatsDone, status: t.status };
            if (t.nextDueAt !== undefined) e.nextEscalationAt = t.nextDueAt;
            return e;
          }),
          recipients: this.options.store.notified(ep.key).map((n) => ({ id: n.recipient.id, name: n.recipient.name, kind: n.recipient.kind, channel: n.channel, status: n.status })),
        };
        if (ep.ackedAt !== undefined) view.acknowledgedAt = ep.ackedAt;
        return view;
      });
  }

  /** Who is on call in every schedule at `now`. */
  onCall(now: number): OnCallEntry[] {
    return this.schedules.all(now);
  }

  /** Resolves once every handed-off push reached a final outcome or waits in a retry (tests). */
  idle(): Promise<void> {
    return this.sender.idle();
  }

  /** Stops timers and closes the channels. Pushes not delivered stay pending in the store for the next start. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const ep of this.open.values()) for (const t of ep.tracks) this.options.clock.clearTimeout(t.timer);
    this.grouper.stop();
    this.flood.stop();
    await this.sender.close();
  }

  private apply(record: TransitionRecord): void {
    const ep = this.open.get(record.alarmId);
    if (record.annunciate) {
      const info = ep?.info ?? this.options.alarmInfo(record.alarmId);
      if (!info) {
        this.counts.unknownAlarms++;
        this.log.warn({ alarmId: record.alarmId, action: record.action }, 'annunciated alarm unknown to the notifier: nobody told');
        return;
      }
      this.flood.record(info.site);
      if (ep) this.reannunciate(ep, record);
      else this.openEpisode(record, info);
      return;
    }
    if (!ep) return;
    if (ACTIVE.has(record.from) && !ACTIVE.has(record.to)) this.resolve(ep);
    else if (record.action === 'ack' || (record.to === 'ack-active' && record.from === 'unack-active')) this.acknowledge(ep, record.ts);
    else if (record.flags.shelved || record.flags.suppressed || record.flags.outOfService) this.stopEscalation(ep, 'silenced');
  }

  private openEpisode(record: Pick<TransitionRecord, 'alarmId' | 'ts'>, info: AlarmInfo): void {
    const routed = routeAlarm(this.options.config.routes, info);
    const route: RouteDecision = { policies: routed.policies.filter((p) => this.policies.has(p)), channels: routed.channels };
    if (route.policies.length === 0 && route.channels.length === 0) {
      this.counts.unrouted++;
      this.log.warn({ alarmId: info.alarmId, site: info.site, priority: info.priority, deviceType: info.deviceType }, 'no notification route matches the alarm');
      return;
    }
    // The alarm's own episode key when the caller knows it (`<alarmId>@<raisedAt>`: the key acknowledge links
    // are checked against), so an alarm revealed by an unshelve keeps the key of the raise that started it.
    const key = this.options.episodeKeyOf?.(info.alarmId) ?? `${info.alarmId}@${record.ts}`;
    const { store, clock } = this.options;
    if (store.hasEpisode(key)) {
      this.log.warn({ alarmId: info.alarmId, episode: key }, 'episode already stored (transition replayed): not notified twice');
      return;
    }
    const now = clock.now();
    const ep: Episode = { key, alarmId: info.alarmId, info, openedAt: now, cycle: 0, status: 'active', route, tracks: [] };
    const planned = route.channels.flatMap((c) => this.plan(ep, [this.resolver.channel(c)], { kind: 'raise' }, 'raise'));
    for (const policyId of route.policies) {
      const track: Track = { policy: this.policies.get(policyId), policyId, level: 0, repeatsDone: 0, status: 'running' };
      ep.tracks.push(track);
      planned.push(...this.step(ep, track));
    }
    const entries = store.transaction(() => {
      store.insertEpisode({ key, alarmId: ep.alarmId, site: info.site, openedAt: now, cycle: 0, info, route });
      for (const t of ep.tracks) this.saveTrack(ep, t);
      return store.addDeliveries(planned, now);
    });
    this.open.set(ep.alarmId, ep);
    this.counts.opened++;
    this.log.info({ alarmId: ep.alarmId, episode: key, policies: route.policies, channels: route.channels, routes: routed.matched, pushes: entries.length }, 'alarm episode opened');
    this.submit(entries);
    for (const t of ep.tracks) this.schedule(ep, t);
  }

  private reannunciate(ep: Episode, record: TransitionRecord): void {
    if (ep.status === 'active') {
      this.counts.deduplicated++;
      this.log.debug({ alarmId: ep.alarmId, episode: ep.key, action: record.action }, 'annunciation within an open episode: not pushed again');
      return;
    }
    // Annunciated again after an acknowledgement or a shelve: the escalation starts over.
    ep.cycle++;
    ep.status = 'active';
    delete ep.ackedAt;
    const reason: PushReason = { kind: 'escalation', level: 0, levels: 1, policy: 'route', repeat: 0, repeats: 0, reannunciation: true };
    const planned = ep.route.channels.flatMap((c) => this.plan(ep, [this.resolver.channel(c)], reason, `c${ep.cycle}|route`));
    for (const t of ep.tracks) {
      this.options.clock.clearTimeout(t.timer);
      Object.assign(t, { level: 0, repeatsDone: 0, status: 'running' as const });
      planned.push(...this.step(ep, t));
    }
    this.commit(planned, () => {
      this.options.store.setCycle(ep.key, ep.cycle);
      for (const t of ep.tracks) this.saveTrack(ep, t);
    });
    this.log.info({ alarmId: ep.alarmId, episode: ep.key, cycle: ep.cycle, action: record.action }, 'alarm annunciated again: escalation restarted');
    for (const t of ep.tracks) this.schedule(ep, t);
  }

  private acknowledge(ep: Episode, at: number): void {
    if (ep.status === 'acknowledged') return;
    ep.ackedAt = at;
    this.counts.acknowledged++;
    if (ep.status === 'active') {
      this.stopEscalation(ep, 'acknowledged');
      return;
    }
    // Acknowledged while shelved or suppressed: nothing runs, only the fact is kept.
    ep.status = 'acknowledged';
    this.options.store.setAcknowledged(ep.key, at);
  }

  private stopEscalation(ep: Episode, status: 'acknowledged' | 'silenced'): void {
    if (ep.status !== 'active') return;
    ep.status = status;
    const { store, clock } = this.options;
    store.transaction(() => {
      if (status === 'acknowledged') store.setAcknowledged(ep.key, ep.ackedAt ?? clock.now());
      for (const t of ep.tracks) {
        clock.clearTimeout(t.timer);
        t.timer = undefined;
        if (t.status !== 'running') continue;
        t.status = status;
        delete t.nextDueAt;
        this.saveTrack(ep, t);
      }
    });
    this.log.info({ alarmId: ep.alarmId, episode: ep.key, status }, 'escalation stopped');
  }

  private resolve(ep: Episode): void {
    const { store, clock } = this.options;
    for (const t of ep.tracks) {
      clock.clearTimeout(t.timer);
      t.timer = undefined;
    }
    const reason: PushReason = { kind: 'resolve', openedAt: ep.openedAt };
    const planned = store.notified(ep.key).flatMap((n) => {
      const reach: Reach = { recipient: n.recipient, channel: n.channel };
      if (n.address !== undefined) reach.address = n.address;
      return this.plan(ep, [reach], reason, 'resolve');
    });
    this.open.delete(ep.alarmId);
    this.counts.resolved++;
    this.commit(planned, () => store.setResolved(ep.key, clock.now()));
    this.log.info({ alarmId: ep.alarmId, episode: ep.key, pushes: planned.length }, 'alarm episode resolved');
  }

  /** Plans the pushes of the track's current level and sets its next due time. */
  private step(ep: Episode, track: Track, waitedMinutes?: number): PlannedDelivery[] {
    const level = track.policy?.levels[track.level];
    if (!track.policy || !level) {
      track.status = 'exhausted';
      delete track.nextDueAt;
      this.log.error({ alarmId: ep.alarmId, policy: track.policyId, level: track.level }, 'escalation policy or level no longer configured');
      return [];
    }
    const now = this.options.clock.now();
    const { reaches, nobodyOnCall } = this.resolver.resolve(level.notify, now);
    if (nobodyOnCall.length > 0) {
      this.counts.nobodyOnCall++;
      this.log.warn({ alarmId: ep.alarmId, policy: track.policyId, level: track.level + 1, schedules: nobodyOnCall }, 'nobody on call in a schedule of this level');
    }
    track.nextDueAt = now + level.waitMinutes * MINUTE_MS;
    const first = track.level === 0 && track.repeatsDone === 0;
    if (first && ep.cycle === 0) return this.plan(ep, reaches, { kind: 'raise' }, 'raise');
    const reason: PushReason = {
      kind: 'escalation',
      level: track.level,
      levels: track.policy.levels.length,
      policy: track.policyId,
      repeat: track.repeatsDone,
      repeats: track.policy.repeat,
      reannunciation: ep.cycle > 0,
    };
    if (waitedMinutes !== undefined) reason.waitedMinutes = waitedMinutes;
    return this.plan(ep, reaches, reason, `c${ep.cycle}|r${track.repeatsDone}|l${track.level}`);
  }

  private onDue(ep: Episode, track: Track): void {
    track.timer = undefined;
    if (this.stopped || track.status !== 'running' || this.open.get(ep.alarmId) !== ep || !track.policy) return;
    const waited = track.policy.levels[track.level]?.waitMinutes;
    if (track.level + 1 < track.policy.levels.length) {
      track.level++;
    } else if (track.repeatsDone < track.policy.repeat) {
      track.level = 0;
      track.repeatsDone++;
    } else {
      track.status = 'exhausted';
      delete track.nextDueAt;
      this.counts.exhausted++;
      this.options.store.saveEscalation(ep.key, this.storedTrack(track));
      this.log.warn({ alarmId: ep.alarmId, episode: ep.key, policy: track.policyId, repeats: track.repeatsDone }, 'escalation exhausted: alarm still not acknowledged');
      return;
    }
    this.counts.escalations++;
    const planned = this.step(ep, track, waited);
    this.commit(planned, () => this.saveTrack(ep, track));
    this.log.warn({ alarmId: ep.alarmId, episode: ep.key, policy: track.policyId, level: track.level + 1, round: track.repeatsDone + 1, pushes: planned.length }, 'alarm not acknowledged: escalated');
    this.schedule(ep, track);
  }

  private schedule(ep: Episode, track: Track): void {
    const { clock } = this.options;
    clock.clearTimeout(track.timer);
    track.timer = undefined;
    if (track.status !== 'running' || track.nextDueAt === undefined) return;
    track.timer = clock.setTimeout(() => {
      try {
        this.onDue(ep, track);
      } catch (err) {
        this.log.error({ err, alarmId: ep.alarmId, policy: track.policyId }, 'escalation step failed');
      }
    }, track.nextDueAt - clock.now());
  }

  private plan(ep: Episode, reaches: readonly Reach[], reason: PushReason, step: string): PlannedDelivery[] {
    const now = this.options.clock.now();
    const { info } = ep;
    const groupKey = this.options.config.flood.groupBy === 'device' ? `${info.site}/${info.deviceName ?? info.device}` : `${info.site}/${info.rationale?.cause ?? info.message}`;
    return reaches.map((r) => {
      const link = r.recipient.kind === 'person' ? this.ackLink(ep, r) : undefined;
      const notification = composePush(info, ep.key, reason, now, link);
      notification.recipient = r.recipient.key;
      if (r.address !== undefined) notification.to = r.address;
      const planned: PlannedDelivery = {
        deliveryKey: `${ep.key}|${step}|${r.recipient.key}|${r.channel}`,
        episodeKey: ep.key,
        alarmId: ep.alarmId,
        site: info.site,
        groupKey,
        channel: r.channel,
        recipient: r.recipient,
        lifeSafety: info.lifeSafety,
        notification,
      };
      if (r.address !== undefined) planned.address = r.address;
      return planned;
    });
  }

  private ackLink(ep: Episode, r: Reach): string | undefined {
    try {
      return this.options.ackLinkFor?.(ep.alarmId, ep.key, { id: r.recipient.id, name: r.recipient.name });
    } catch (err) {
      this.log.error({ err, alarmId: ep.alarmId, recipient: r.recipient.key }, 'acknowledge link could not be made: push goes without it');
      return undefined;
    }
  }

  /** Stores the planned pushes (with `writes`) in one transaction, then hands the new ones on. */
  private commit(planned: readonly PlannedDelivery[], writes: () => void): void {
    const { store, clock } = this.options;
    const entries = store.transaction(() => {
      writes();
      return store.addDeliveries(planned, clock.now());
    });
    this.submit(entries);
  }

  private submit(entries: readonly OutboxEntry[]): void {
    for (const e of entries) {
      if (e.lifeSafety || !this.flood.isFlooding(e.site)) this.sender.send(e);
      else this.grouper.add(e);
    }
  }

  private saveTrack(ep: Episode, t: Track): void {
    this.options.store.saveEscalation(ep.key, this.storedTrack(t));
  }

  private storedTrack(t: Track): Parameters<NotifyStore['saveEscalation']>[1] {
    const s: Parameters<NotifyStore['saveEscalation']>[1] = { policyId: t.policyId, level: t.level, repeatsDone: t.repeatsDone, status: t.status };
    if (t.nextDueAt !== undefined) s.nextDueAt = t.nextDueAt;
    return s;
  }

  private onFloodChange(e: FloodEvent): void {
    if (e.flooding) this.log.warn({ site: e.site, count: e.count }, 'alarm flood started: related pushes are grouped');
    else {
      this.counts.floodsEnded++;
      this.log.info({ site: e.site, count: e.count }, 'alarm flood ended');
      this.grouper.flushSite(e.site);
    }
    try {
      this.options.onFlood?.(e);
    } catch (err) {
      this.log.error({ err, site: e.site }, 'flood listener failed');
    }
  }
}
