import type { Clock, TimerHandle } from '../time/clock.js';
import { byUrgency, headline, type Notification } from './message.js';

export interface RateBudgetOptions {
  /** Messages allowed in any rolling 60 s (DingTalk and WeCom bots: 20; Feishu: 100). */
  perMinute: number;
  /** Messages allowed in any rolling 1 s (Feishu: 5). */
  perSecond?: number;
  /** How many held notifications a summary lists one by one; the rest are counted. Default 30. */
  maxListed?: number;
  /** Link put into summaries (for example the active-alarm list page; must not change state on GET). */
  summaryLink?: string;
}

const MINUTE = 60_000;
const SECOND = 1_000;

/**
 * A per-channel send budget on rolling windows. A notification that finds the budget spent is held;
 * every notification that arrives while some are held joins them (so order is kept). As soon as a slot
 * frees, all held notifications are folded into one summary (life-safety first) and that summary is
 * emitted, taking the slot. Nothing is dropped: `folded` counts every held notification.
 */
export class RateBudget {
  private readonly sentAt: number[] = [];
  private held: Notification[] = [];
  private timer: TimerHandle | undefined;
  private foldedCount = 0;
  private summaries = 0;

  constructor(
    readonly channel: string,
    private readonly options: RateBudgetOptions,
    private readonly clock: Clock,
    private readonly emitSummary: (summary: Notification, folded: Notification[]) => void,
  ) {
    if (!(options.perMinute >= 1)) throw new Error(`rate budget of ${channel}: perMinute must be at least 1`);
    if (options.perSecond !== undefined && !(options.perSecond >= 1)) throw new Error(`rate budget of ${channel}: perSecond must be at least 1`);
  }

  /** Notifications folded into summaries (or waiting to be) so far. */
  get folded(): number {
    return this.foldedCount;
  }

  /** Notifications waiting for the next summary. */
  get holding(): number {
    return this.held.length;
  }

  /** Summaries emitted so far. */
  get summariesSent(): number {
    return this.summaries;
  }

  /** True: send now (a slot is taken). False: held, it will go out folded into a summary. */
  offer(n: Notification): boolean {
    if (this.held.length === 0 && this.hasRoom()) {
      this.sentAt.push(this.clock.now());
      return true;
    }
    this.held.push(n);
    this.foldedCount++;
    this.schedule();
    return false;
  }

  /** Stops the timer; returns what was still held (the caller must report it). */
  dispose(): Notification[] {
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    const rest = this.held;
    this.held = [];
    return rest;
  }

  private prune(now: number): void {
    while (this.sentAt.length > 0 && (this.sentAt[0] ?? 0) <= now - MINUTE) this.sentAt.shift();
  }

  private lastSecond(now: number): number[] {
    return this.sentAt.filter((t) => t > now - SECOND);
  }

  private hasRoom(): boolean {
    const now = this.clock.now();
    this.prune(now);
    if (this.sentAt.length >= this.options.perMinute) return false;
    const perSecond = this.options.perSecond;
    return perSecond === undefined || this.lastSecond(now).length < perSecond;
  }

  /** Earliest time at which one more message fits both windows. */
  private nextFree(): number {
    const now = this.clock.now();
    this.prune(now);
    let at = now;
    const { perMinute, perSecond } = this.options;
    if (this.sentAt.length >= perMinute) at = Math.max(at, (this.sentAt[this.sentAt.length - perMinute] ?? now) + MINUTE);
    if (perSecond !== undefined) {
      const recent = this.lastSecond(now);
      if (recent.length >= perSecond) at = Math.max(at, (recent[recent.length - perSecond] ?? now) + SECOND);
    }
    return at;
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = this.clock.setTimeout(() => this.flush(), this.nextFree() - this.clock.now());
  }

  private flush(): void {
    this.timer = undefined;
    if (this.held.length === 0) return;
    if (!this.hasRoom()) {
      this.schedule();
      return;
    }
    const folded = this.held;
    this.held = [];
    this.sentAt.push(this.clock.now());
    this.summaries++;
    this.emitSummary(this.summarise(folded), folded);
  }

  private summarise(folded: Notification[]): Notification {
    const sorted = [...folded].sort(byUrgency);
    const fire = sorted.filter((n) => n.lifeSafety === true).length;
    const maxListed = this.options.maxListed ?? 30;
    const top = sorted[0];
    const counts = (['raise', 'escalation', 'resolve', 'summary'] as const)
      .map((kind) => [kind, folded.filter((n) => n.kind === kind).length] as const)
      .filter(([, c]) => c > 0)
      .map(([kind, c]) => `${c} ${kind}`)
      .join(', ');
    const lines = sorted.slice(0, maxListed).map((n) => `- ${headline(n)} (${new Date(n.ts).toISOString().slice(11, 19)}Z)`);
    if (sorted.length > maxListed) lines.push(`- …and ${sorted.length - maxListed} more`);
    const now = this.clock.now();
    const summary: Notification = {
      key: `summary:${this.channel}:${now}`,
      kind: 'summary',
      priority: top?.priority ?? 'low',
      lifeSafety: fire > 0,
      title: `${folded.length} notifications held back by the rate limit${fire > 0 ? ` (${fire} FIRE)` : ''}`,
      body: [`This channel reached its send budget; these were folded into this summary (${counts}):`, '', ...lines].join('\n'),
      ts: now,
    };
    if (this.options.summaryLink) summary.link = this.options.summaryLink;
    // Notifications addressed to one recipient keep that address; a mixed batch goes to the channel's default.
    const to = folded[0]?.to;
    if (to !== undefined && folded.every((n) => n.to === to)) {
      summary.to = to;
      if (folded[0]?.recipient !== undefined) summary.recipient = folded[0].recipient;
    }
    return summary;
  }
}

