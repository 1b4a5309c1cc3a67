/** A time in a query string: ISO 8601 (`2026-11-01`, `2026-11-01T08:00:00+08:00`) or ms since the epoch. */
export function parseTime(text: string | undefined, name: string): number | undefined {
  if (text === undefined || text === '') return undefined;
  const ms = /^\d+$/.test(text) ? Number(text) : Date.parse(text);
  if (!Number.isFinite(ms)) throw Object.assign(new Error(`${name}: "${text}" is neither an ISO 8601 time nor milliseconds since the epoch`), { statusCode: 400, code: 'bad-time' });
  return ms;
}
