import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { backtest, BacktestNoDataError, type BacktestReport } from '../backtest/backtest.js';
import type { HistorySource } from '../backtest/history-source.js';
import { InfluxSource, influxTargetFromConfig } from '../backtest/influx-source.js';
import { RecordingSource } from '../backtest/recording-source.js';
import { BacktestInputError, loadCandidate, loadCurrent } from '../backtest/rule-sets.js';
import { ConfigError } from '../config/config-error.js';
import type { SiteConfig } from '../config/schema.js';
import type { Logger } from '../log.js';

export interface BacktestRequest {
  /** A rule file (YAML), or a whole site file, as text. */
  candidate: string;
  from: number;
  to: number;
  source: 'recording' | 'influx';
  /** The InfluxDB sink to read from (default the first). */
  sink?: string | undefined;
  warmupMs?: number | undefined;
  repairMs?: number | undefined;
}

/** A refusal the API answers with 4xx: bad input (400) or no data in the window (404). */
export class BacktestRequestError extends Error {
  constructor(
    readonly statusCode: 400 | 404,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The back-test behind `POST /rules/backtest`: the candidate (sent as text) against the running site file,
 * over the gateway's own recording or its InfluxDB — the same function `facility-gw rules backtest` runs.
 */
export function backtestEndpoint(configPath: string, config: () => SiteConfig, logger: Logger): (request: BacktestRequest) => Promise<BacktestReport> {
  return async (request) => {
    const dir = mkdtempSync(join(tmpdir(), 'backtest-'));
    try {
      const candidatePath = join(dir, 'candidate.yaml');
      writeFileSync(candidatePath, request.candidate);
      const current = loadCurrent({ path: configPath });
      const candidate = loadCandidate(candidatePath, { path: configPath });
      return await backtest({
        current,
        candidate,
        source: sourceFor(request, config()),
        from: request.from,
        to: request.to,
        ...(request.warmupMs !== undefined ? { warmupMs: request.warmupMs } : {}),
        ...(request.repairMs !== undefined ? { repairMs: request.repairMs } : {}),
        logger,
      });
    } catch (err) {
      if (err instanceof BacktestNoDataError) throw new BacktestRequestError(404, err.message);
      if (err instanceof BacktestInputError || err instanceof ConfigError) throw new BacktestRequestError(400, err.message.replaceAll(dir, 'candidate'));
      throw err;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

function sourceFor(request: BacktestRequest, config: SiteConfig): HistorySource {
  if (request.source === 'recording') {
    const dir = config.recording?.dir;
    if (dir === undefined) throw new BacktestInputError('this gateway records nothing: configure `recording`, or back-test with source influx');
    return new RecordingSource(dir);
  }
  return new InfluxSource({ target: influxTargetFromConfig(config, request.sink), config });
}
