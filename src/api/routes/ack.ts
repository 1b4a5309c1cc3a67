import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { AckLinks, AckLinkContext } from '../../alarms/ack-links.js';
import { ACK_PAGE_HEADERS, renderAckPage, renderAckResult, type AckOutcome, type AckPageAlarm } from '../../alarms/ack-page.js';
import type { AlarmService } from '../../alarms/alarm-service.js';
import { isAlarmLifecycleError } from '../../alarms/lifecycle/errors.js';
import type { AlarmSnapshot } from '../../alarms/lifecycle/types.js';
import type { AlarmRationale } from '../../profiles/types.js';

export interface AckRouteOptions {
  links: AckLinks;
  alarms: AlarmService;
  /** The episode key the notifier put in the alarm's links (`<alarmId>@<raisedAt>`). */
  episodeKeyOf: (snapshot: AlarmSnapshot) => string | undefined;
  rationaleOf?: (alarmId: string) => AlarmRationale | undefined;
  timeZone: string;
}

const MAX_COMMENT = 2000;

/**
 * Acknowledge links from pushes. Chat apps fetch every link to build a preview, so GET only shows the
 * alarm and a button; the POST the button sends acknowledges, once (the link's signature is the
 * credential, the recipient it was made for is the actor in the audit log).
 */
export function ackRoutes(app: FastifyInstance, options: AckRouteOptions): void {
  const { links, alarms, timeZone } = options;
  const TokenParams = Type.Object({ token: Type.String({ maxLength: 4096 }) });
  const context: AckLinkContext = {
    currentEpisodeKey: (alarmId) => {
      const snapshot = alarms.get(alarmId);
      return snapshot === undefined ? undefined : options.episodeKeyOf(snapshot);
    },
  };
  const page = (alarmId: string): AckPageAlarm | undefined => {
    const s = alarms.get(alarmId);
    if (s === undefined) return undefined;
    const rationale = options.rationaleOf?.(alarmId);
    return {
      alarmId,
      title: s.message ?? alarmId,
      state: s.state,
      lifeSafety: s.lifeSafety,
      ...(s.site !== undefined ? { site: s.site } : {}),
      ...(s.device !== undefined ? { device: s.device } : {}),
      ...(s.priority !== undefined ? { priority: s.priority } : {}),
      ...(s.raisedAt !== undefined ? { raisedAt: s.raisedAt } : {}),
      ...(s.acknowledgedAt !== undefined ? { acknowledgedAt: s.acknowledgedAt } : {}),
      ...(s.acknowledgedBy !== undefined ? { acknowledgedBy: s.acknowledgedBy } : {}),
      ...(rationale !== undefined ? { rationale } : {}),
    };
  };
  const send = (reply: FastifyReply, status: number, html: string) => reply.code(status).headers(ACK_PAGE_HEADERS).type('text/html; charset=utf-8').send(html);
  const refused = (reply: FastifyReply, outcome: Extract<AckOutcome, { kind: 'refused' }>) =>
    send(reply, outcome.reason === 'not-acknowledgeable' ? 409 : outcome.reason === 'malformed' || outcome.reason === 'bad-signature' ? 400 : 410, renderAckResult({ ...outcome, timeZone }));

  // The ack page's form posts application/x-www-form-urlencoded; nothing else on the API does.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 16 * 1024 }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });

  app.get<{ Params: Static<typeof TokenParams> }>('/ack/:token', { schema: { hide: true, params: TokenParams } }, async (req, reply) => {
    const verdict = links.verify(req.params.token, context);
    if (!verdict.ok) return refused(reply, { kind: 'refused', reason: verdict.reason, message: verdict.message });
    const alarm = page(verdict.alarmId);
    if (alarm === undefined) return refused(reply, { kind: 'refused', reason: 'not-acknowledgeable', message: `Alarm ${verdict.alarmId} is no longer known.` });
    return send(reply, 200, renderAckPage({ alarm, recipientName: verdict.recipient.name, expiresAt: verdict.expiresAt, timeZone }));
  });

  app.post<{ Params: Static<typeof TokenParams>; Body: { comment?: string } | undefined }>(
    '/ack/:token',
    { schema: { hide: true, params: TokenParams } },
    async (req, reply) => {
      // Check first, so a link that cannot acknowledge (already acknowledged by someone) is not spent.
      const checked = links.verify(req.params.token, context);
      if (!checked.ok) return refused(reply, { kind: 'refused', reason: checked.reason, message: checked.message });
      const before = alarms.get(checked.alarmId);
      if (before === undefined || (before.state !== 'unack-active' && before.state !== 'rtn-unack')) {
        const alarm = page(checked.alarmId);
        const by = before?.acknowledgedBy;
        const message = by !== undefined ? `Already acknowledged by ${by}.` : 'The alarm has nothing to acknowledge.';
        return refused(reply, { kind: 'refused', reason: 'not-acknowledgeable', message, ...(alarm !== undefined ? { alarm } : {}) });
      }
      const verdict = links.consume(req.params.token, checked.recipient.name, context);
      if (!verdict.ok) return refused(reply, { kind: 'refused', reason: verdict.reason, message: verdict.message });
      const raw = req.body?.comment;
      const comment = typeof raw === 'string' && raw.trim() !== '' ? raw.slice(0, MAX_COMMENT) : undefined;
      let acknowledgedAt: number;
      try {
        const after = alarms.acknowledge(verdict.alarmId, verdict.recipient.name, comment ?? 'acknowledged from a push link');
        acknowledgedAt = after.acknowledgedAt ?? after.changedAt;
      } catch (err) {
        if (!isAlarmLifecycleError(err)) throw err;
        return refused(reply, { kind: 'refused', reason: 'not-acknowledgeable', message: err.message });
      }
      const alarm = page(verdict.alarmId);
      if (alarm === undefined) throw new Error(`alarm ${verdict.alarmId} vanished`);
      return send(reply, 200, renderAckResult({ kind: 'acknowledged', alarm, by: verdict.recipient.name, at: acknowledgedAt, timeZone }));
    },
  );
}
