import { InvalidArgumentError, type Command } from 'commander';
import { ConfigError } from '../config/config-error.js';
import { demoConfigYaml } from '../../simulator/demo-config-yaml.js';
import { DEFAULT_BASE_PORT } from '../../simulator/main.js';
import { backtest, BacktestNoDataError, DEFAULT_REPAIR_MS } from './backtest.js';
import type { HistorySource } from './history-source.js';
import { InfluxSource, influxTargetFromConfig } from './influx-source.js';
import { RecordingSource } from './recording-source.js';
import { formatReportJson, formatReportTable } from './report-format.js';
import { BacktestInputError, loadCandidate, loadCurrent, type CurrentConfigSource, type RuleSetUnderTest } from './rule-sets.js';

/**
 * `facility-gw rules backtest`: exit code 0 with a report, 2 when the window holds no samples, 1 for bad
 * input (every config error with file, line and path) or a source that cannot be read.
 */

export interface BacktestCliOptions {
  rules: string;
  from: number;
  to: number;
  source?: 'influx' | 'recording';
  recording?: string;
  config?: string;
  sink?: string;
  format: 'table' | 'json';
  warmupMs: number;
  repairMs: number;
}

export interface CliOutput {
  out: (text: string) => void;
  err: (text: string) => void;
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `30s`, `15m`, `4h`, `7d`, `500ms`. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(text.trim());
  if (m === null) throw new InvalidArgumentError('must be a duration such as 30s, 15m, 4h or 7d');
  return Math.round(Number(m[1]) * (DURATION_UNITS[m[2] ?? 'ms'] ?? 1));
}

/** ISO 8601 with a zone (`2026-03-01T08:00:00Z`, `…+08:00`), a date (UTC midnight), or ms since the epoch. */
export function parseTime(text: string): number {
  const t = text.trim();
  if (/^\d{10,}$/.test(t)) return Number(t);
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(t);
  const zoned = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/.test(t);
  const ms = dateOnly || zoned ? Date.parse(t) : Number.NaN;
  if (!Number.isFinite(ms)) throw new InvalidArgumentError('must be an ISO 8601 time with a zone (2026-03-01T08:00:00Z, …+08:00), a date, or ms since the epoch');
  return ms;
}

/** Runs a back-test for the CLI; returns the exit code. */
export async function runBacktestCommand(opts: BacktestCliOptions, output: CliOutput): Promise<number> {
  try {
    const currentSource: CurrentConfigSource =
      opts.config === undefined ? { text: demoConfigYaml({ host: '127.0.0.1', basePort: DEFAULT_BASE_PORT }), name: 'demo building (built-in)' } : { path: opts.config };
    const current = loadCurrent(currentSource);
    const candidate = loadCandidate(opts.rules, currentSource);
    const source = sourceFor(opts, current);
    const report = await backtest({ current, candidate, source, from: opts.from, to: opts.to, warmupMs: opts.warmupMs, repairMs: opts.repairMs });
    output.out(opts.format === 'json' ? formatReportJson(report) : formatReportTable(report));
    return 0;
  } catch (err) {
    if (err instanceof BacktestNoDataError) {
      output.err(`${err.message}\n`);
      return 2;
    }
    // Config errors list every problem with file, line and path; the others name the input or the source.
    output.err(`${err instanceof ConfigError || err instanceof BacktestInputError || err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}

function sourceFor(opts: BacktestCliOptions, current: RuleSetUnderTest): HistorySource {
  const recordingDir = opts.recording ?? current.config.recording?.dir;
  const kind = opts.source ?? (recordingDir !== undefined ? 'recording' : 'influx');
  if (kind === 'recording') {
    if (recordingDir === undefined) throw new BacktestInputError('--source recording needs --recording DIR (or a recording section in the site config)');
    return new RecordingSource(recordingDir);
  }
  if (opts.recording !== undefined) throw new BacktestInputError('--recording is for --source recording');
  return new InfluxSource({ target: influxTargetFromConfig(current.config, opts.sink), config: current.config });
}

/** Adds `backtest` to the `rules` command group. */
export function addBacktestCommand(rules: Command, output: CliOutput = { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) }): void {
  rules
    .command('backtest')
    .description('replay history through the current rules and a candidate on a virtual clock, and compare them per alarm (exit 2: no data in the window)')
    .requiredOption('--rules <file>', 'candidate rules: a rule file (applied over the current config) or a whole site config file of the same site')
    .requiredOption('--from <time>', 'window start: ISO 8601 with a zone, a date, or ms since the epoch', parseTime)
    .requiredOption('--to <time>', 'window end (exclusive)', parseTime)
    .option('--source <kind>', 'history: influx or recording (default: recording when a directory is known, else influx)', (v: string) => {
      if (v !== 'influx' && v !== 'recording') throw new InvalidArgumentError('must be influx or recording');
      return v;
    })
    .option('--recording <dir>', 'recording directory (default: the site config’s recording.dir)')
    .option('-c, --config <file>', 'site config with the current rules (default: the demo building)')
    .option('--sink <id>', 'with --source influx: the InfluxDB sink of the config to read (default: the first)')
    .option('--format <format>', 'table or json', (v: string) => {
      if (v !== 'table' && v !== 'json') throw new InvalidArgumentError('must be table or json');
      return v;
    }, 'table')
    .option('--warmup <duration>', 'history replayed before --from to settle the rules, not counted (e.g. 1h)', parseDuration, 0)
    .option('--repair-time <duration>', 'simulated work: an order is completed this long after its alarm cleared', parseDuration, DEFAULT_REPAIR_MS)
    .action(async (o: { rules: string; from: number; to: number; source?: 'influx' | 'recording'; recording?: string; config?: string; sink?: string; format: 'table' | 'json'; warmup: number; repairTime: number }) => {
      process.exitCode = await runBacktestCommand(
        {
          rules: o.rules,
          from: o.from,
          to: o.to,
          format: o.format,
          warmupMs: o.warmup,
          repairMs: o.repairTime,
          ...(o.source === undefined ? {} : { source: o.source }),
          ...(o.recording === undefined ? {} : { recording: o.recording }),
          ...(o.config === undefined ? {} : { config: o.config }),
          ...(o.sink === undefined ? {} : { sink: o.sink }),
        },
        output,
      );
    });
}
