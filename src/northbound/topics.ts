/**
 * The northbound topic scheme, in one place so that the publisher, the tests and the README agree. With
 * `P = <prefix>/<siteId>`:
 *
 * | topic                                  | retained | payload                                              |
 * |----------------------------------------|----------|------------------------------------------------------|
 * | `P/status`                             | yes      | `online` / `offline` (plain text; the will is `offline`) |
 * | `P/devices/<deviceId>/state`           | yes      | `{ device, state, lastSeen, ts, error? }`            |
 * | `P/devices/<deviceId>/points/<point>`  | yes      | `{ value, quality, ts, unit? }`                      |
 * | `P/alarms/<deviceId>/<ruleId>`         | yes      | the latest AlarmEvent; emptied after a clear         |
 * | `P/events/<deviceId>/<event>`          | no       | the DeviceEvent                                      |
 *
 * Ids in the config are `[a-z0-9_-]` already, but names also come from profiles and devices (event names,
 * point names), so each level is made safe here rather than trusted: MQTT gives `+` and `#` a meaning in
 * filters, `/` separates levels and NUL is forbidden, so each becomes `_`; an empty name becomes `_`.
 */

/** Characters that would change the topic's structure inside one level. */
const WILDCARDS_AND_SEPARATOR = /[+#/]/g;
/** Forbidden anywhere in a topic name. */
const NUL = '\u0000';
const REPLACEMENT = '_';

/** One topic level from a name: the characters MQTT reserves become `_`, and it is never empty. */
export function topicLevel(name: string): string {
  const safe = name.replace(WILDCARDS_AND_SEPARATOR, REPLACEMENT).replaceAll(NUL, REPLACEMENT);
  return safe === '' ? REPLACEMENT : safe;
}

/**
 * Checks the configured prefix, which may span several levels (`acme/north-campus`). A trailing `/` is
 * dropped. Wildcards, NUL, empty levels and a leading `$` (reserved for broker topics such as `$SYS`) are
 * refused, since they would publish somewhere other than where consumers subscribe.
 */
export function checkedPrefix(prefix: string): string {
  const trimmed = prefix.replace(/\/+$/, '');
  if (trimmed === '') throw new Error('northbound prefix is empty');
  if (/[+#]/.test(trimmed) || trimmed.includes(NUL)) throw new Error(`northbound prefix ${JSON.stringify(prefix)} contains + # or NUL`);
  if (trimmed.startsWith('$')) throw new Error(`northbound prefix ${JSON.stringify(prefix)} starts with $, which brokers reserve`);
  if (trimmed.split('/').includes('')) throw new Error(`northbound prefix ${JSON.stringify(prefix)} has an empty level`);
  return trimmed;
}

/** Builds every topic of one site. Construct once; the builders only concatenate. */
export class NorthboundTopics {
  /** `<prefix>/<siteId>`, the root of everything this gateway publishes. */
  readonly base: string;
  readonly status: string;

  constructor(prefix: string, siteId: string) {
    this.base = `${checkedPrefix(prefix)}/${topicLevel(siteId)}`;
    this.status = `${this.base}/status`;
  }

  deviceState(deviceId: string): string {
    return `${this.base}/devices/${topicLevel(deviceId)}/state`;
  }

  point(deviceId: string, pointName: string): string {
    return `${this.base}/devices/${topicLevel(deviceId)}/points/${topicLevel(pointName)}`;
  }

  alarm(deviceId: string, ruleId: string): string {
    return `${this.base}/alarms/${topicLevel(deviceId)}/${topicLevel(ruleId)}`;
  }

  event(deviceId: string, eventName: string): string {
    return `${this.base}/events/${topicLevel(deviceId)}/${topicLevel(eventName)}`;
  }

  /** A filter for everything under the site, for consumers and tests. */
  all(): string {
    return `${this.base}/#`;
  }
}
