import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { AlarmNotifier } from '../../alarms/notify/index.js';
import type { TokenAuth } from '../auth.js';

/** What the notifier is doing: open episodes with their escalation, floods, who is on call, delivery counts. */
export function notificationRoutes(app: FastifyInstance, notifier: AlarmNotifier, auth: TokenAuth, now: () => number): void {
  const read = auth.require('viewer');
  const tags = ['notifications'];
  const Open = Type.Object({}, { additionalProperties: true });

  app.get(
    '/notifications/episodes',
    { preHandler: read, schema: { summary: 'Open alarm episodes: escalation level, next escalation, recipients and delivery state', tags, response: { 200: Type.Array(Open) } } },
    async () => notifier.episodes(),
  );
  app.get(
    '/notifications/on-call',
    { preHandler: read, schema: { summary: 'Who is on call now, per schedule, and until when', tags, response: { 200: Type.Array(Open) } } },
    async () => notifier.onCall(now()),
  );
  app.get(
    '/notifications/status',
    {
      preHandler: read,
      schema: { summary: 'Flood state per site and delivery counts per channel', tags, response: { 200: Type.Object({ floods: Type.Array(Open), stats: Open }) } },
    },
    async () => ({ floods: notifier.floodState(), stats: notifier.stats() }),
  );
}
