import { writeFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { renderReport, type ReportFormat } from '../reports/render.js';
import { simulateMonth } from './month.js';
import { monthSummary } from './summary.js';

export interface MonthCommandOptions {
  days: number;
  from?: string | undefined;
  seed?: number | undefined;
  format: ReportFormat;
  /** Write the report here instead of printing it. */
  out?: string | undefined;
  logger: Logger;
}

/**
 * `facility-gw simulate --days N`: the scripted month, then its report (stdout or `--out`) and the summary
 * line on stderr, so that `> report.md` keeps the report clean.
 */
export async function runMonthCommand(options: MonthCommandOptions): Promise<void> {
  const result = await simulateMonth({ days: options.days, from: options.from, seed: options.seed, logger: options.logger });
  const rendered = renderReport(result.report, options.format);
  if (options.out === undefined) process.stdout.write(rendered.content.endsWith('\n') ? rendered.content : `${rendered.content}\n`);
  else writeFileSync(options.out, rendered.content);
  process.stderr.write(`${monthSummary(result)}${options.out !== undefined ? `; report written to ${options.out}` : ''}\n`);
}
