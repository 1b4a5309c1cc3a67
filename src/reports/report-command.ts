import { existsSync, writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { StoreSchema, withDefaults } from '../config/alarm-management-schema.js';
import { loadConfigFile } from '../config/loader.js';
import { parsePeriod } from './period.js';
import { buildReport, ReportError, type ReportContext } from './report-data.js';
import { renderReport, type ReportFormat } from './render.js';

export interface ReportCommandOptions {
  from: string;
  to: string;
  format: ReportFormat;
  /** Site config: store path, site name and time zone, chattering rule. Without it: the default store, UTC. */
  configPath?: string | undefined;
  /** Write here instead of returning the text (for stdout). */
  out?: string | undefined;
  /** When the report is made (the Clock's now). */
  now: number;
}

/**
 * `facility-gw report`: the period's report from the gateway's store, opened read-only so that it can run beside
 * a running gateway. Returns the report text when no `out` file is given.
 */
export function runReportCommand(options: ReportCommandOptions): { content?: string; written?: string } {
  const config = options.configPath === undefined ? undefined : loadConfigFile(options.configPath, { displayName: options.configPath });
  const storePath = withDefaults(StoreSchema, config?.store).path;
  if (storePath === ':memory:') throw new ReportError('the config keeps its store in memory (store.path: ":memory:"): there is nothing to report from');
  if (!existsSync(storePath)) throw new ReportError(`store ${storePath} does not exist${options.configPath === undefined ? ' (give --config with the site file that names store.path)' : ''}`);
  const timeZone = config?.site.timezone ?? 'UTC';
  const period = parsePeriod(options.from, options.to, timeZone);
  const db = new Database(storePath, { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    const context: ReportContext = config
      ? {
          site: config.site,
          chatter: { cycles: config.alarmManagement?.chatter.cycles ?? 3, windowMs: (config.alarmManagement?.chatter.windowSeconds ?? 60) * 1000 },
        }
      : { site: siteFromStore(db) };
    const report = buildReport(db, period, context, options.now);
    if (config === undefined) report.notes.push('No site config given: times are in UTC.');
    const rendered = renderReport(report, options.format);
    if (options.out === undefined) return { content: rendered.content };
    writeFileSync(options.out, rendered.content);
    return { written: options.out };
  } finally {
    db.close();
  }
}

/** Without a config: the site of the newest work order, else a neutral name. */
function siteFromStore(db: Database.Database): ReportContext['site'] {
  let id = 'site';
  try {
    const row = db.prepare('SELECT site FROM work_order ORDER BY id DESC LIMIT 1').get() as { site: string } | undefined;
    if (row !== undefined) id = row.site;
  } catch {
    // No work-order table: buildReport says so.
  }
  return { id, name: id, timezone: 'UTC' };
}
