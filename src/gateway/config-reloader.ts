import { watch, type FSWatcher } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ConfigError, formatIssue } from '../config/config-error.js';
import { loadConfigFile } from '../config/loader.js';
import { expandRuleFiles } from '../config/rule-files.js';
import type { Logger } from '../log.js';
import type { Clock, TimerHandle } from '../time/clock.js';
import type { Gateway } from './gateway.js';
import type { RuleReloadReport } from './rule-reload.js';

const DEBOUNCE_MS = 500;

/**
 * Reloads the rules of a gateway started from a site file: on SIGHUP, on an API call, and when the site
 * file or one of its rule files changes on disk (an editor's save often comes as several events, hence
 * the debounce). The file is read and validated whole; a file that does not validate is refused with its
 * errors and the running rules stay.
 */
export class ConfigReloader {
  private watchers: FSWatcher[] = [];
  private timer: TimerHandle | undefined;

  constructor(
    private readonly configPath: string,
    private readonly gateway: Gateway,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  reload(trigger: string): RuleReloadReport {
    let next;
    try {
      next = loadConfigFile(this.configPath, { displayName: this.configPath });
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      const errors = err.issues.map(formatIssue);
      this.logger.warn({ trigger, errors }, 'rule reload refused: the site or a rule file does not validate; the running rules are unchanged');
      return { applied: false, errors, added: [], removed: [], changed: [], unchanged: 0, restartRequired: [], at: this.clock.now() };
    }
    const report = this.gateway.reloadRules(next);
    if (report.applied) this.logger.info({ trigger, restartRequired: report.restartRequired }, 'rule reload done');
    this.watch();
    return report;
  }

  /** Watches the site file and the rule files it names now (again after each reload: the list may change). */
  watch(): void {
    this.unwatch();
    const base = dirname(resolve(this.configPath));
    const paths = [resolve(this.configPath), ...expandRuleFiles(this.gateway.config.ruleFiles ?? [], base).map((f) => f.path)];
    for (const path of paths) {
      try {
        this.watchers.push(watch(path, () => this.changed()));
      } catch (err) {
        this.logger.warn({ err, path }, 'cannot watch a rule file; reload with SIGHUP or POST /rules/reload');
      }
    }
  }

  stop(): void {
    this.unwatch();
    this.clock.clearTimeout(this.timer);
  }

  private changed(): void {
    this.clock.clearTimeout(this.timer);
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.reload('file changed');
    }, DEBOUNCE_MS);
  }

  private unwatch(): void {
    for (const w of this.watchers) w.close();
    this.watchers = [];
  }
}
