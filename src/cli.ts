#!/usr/bin/env node
import { Command, InvalidArgumentError, Option } from 'commander';
import { addBacktestCommand } from './backtest/cli-command.js';
import { ConfigError, formatIssue } from './config/config-error.js';
import { checkRuleFiles } from './cli/rules-check.js';
import { loadConfigFile } from './config/loader.js';
import { runBacnetDiscovery } from './drivers/bacnet/discover-command.js';
import { runGatewayCli } from './gateway/run.js';
import { createLogger } from './log.js';
import { runReportCommand } from './reports/report-command.js';
import { REPORT_FORMATS, type ReportFormat } from './reports/render.js';
import { SystemClock } from './time/clock.js';
import { runMonthCommand } from './simulate/month-command.js';
import { SimulateMonthError } from './simulate/month.js';
import { packageVersion } from './version.js';
import { demoConfigYaml } from '../simulator/demo-config-yaml.js';
import { DEFAULT_BASE_PORT, runSimulatorCli } from '../simulator/main.js';

function integer(min: number, max: number) {
  return (text: string): number => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`must be an integer from ${min} to ${max}`);
    return n;
  };
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

const program = new Command()
  .name('facility-gw')
  .description('Building-equipment gateway: Modbus polling, alarm rules, InfluxDB telemetry, HTTP API')
  .version(packageVersion());

program
  .command('start')
  .description('run the gateway; without --config, on the simulated demo building')
  .option('-c, --config <file>', 'site config (YAML)')
  .option('--http-port <n>', 'API port (overrides the config)', integer(0, 65535))
  .option('--http-host <host>', 'API address (overrides the config)')
  .option('--scenario <name[:device]>', 'demo only: start a simulator fault scenario (repeatable)', collect, [])
  .option('--seed <n>', 'demo only: simulator seed', integer(0, 2 ** 31 - 1))
  .action(async (opts: { config?: string; httpPort?: number; httpHost?: string; scenario: string[]; seed?: number }) => {
    await runGatewayCli({
      configPath: opts.config,
      httpPort: opts.httpPort,
      httpHost: opts.httpHost,
      scenarios: opts.scenario,
      seed: opts.seed,
      version: packageVersion(),
    });
  });

program
  .command('validate')
  .description('check a site config; prints every error with file, line and path')
  .argument('<file>', 'site config (YAML)')
  .action((file: string) => {
    try {
      const config = loadConfigFile(file, { displayName: file });
      console.log(`${file}: ok (${config.links.length} links, ${config.devices.length} devices, ${config.sinks.length} sinks)`);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      console.error(err.message);
      process.exitCode = 1;
    }
  });

program
  .command('simulate')
  .description('run the simulated demo building on its own (Modbus TCP servers, doors on MQTT, a control endpoint)')
  .option('--seed <n>', 'seed of the device models', integer(0, 2 ** 31 - 1), 1)
  .option('--host <host>', 'address to serve on', '127.0.0.1')
  .option('--base-port <n>', 'first Modbus TCP port (one port per link); 0 = any free port', integer(0, 65535), 15020)
  .option('--control-port <n>', 'HTTP control endpoint port', integer(0, 65535), 8099)
  .option('--scenario <name[:device]>', 'start a fault scenario (repeatable)', collect, [])
  .option('--mqtt-url <url>', 'publish the doors to this broker instead of starting one')
  .option('--mqtt-port <n>', 'port of the broker the simulator starts when no --mqtt-url is given; 0 = any free port', integer(0, 65535), 1883)
  .option('--days <n>', 'instead: run the scripted month of faults and planned work on a virtual clock for N days and print its report', integer(1, 366))
  .option('--from <date>', 'with --days: first day, YYYY-MM-DD in the site time zone (default 2026-11-01, the script’s month)')
  .addOption(new Option('--format <format>', 'with --days: report format').choices([...REPORT_FORMATS]).default('md'))
  .option('--out <file>', 'with --days: write the report to this file instead of stdout')
  .action(
    async (opts: {
      seed: number; host: string; basePort: number; controlPort: number; scenario: string[]; mqttUrl?: string; mqttPort: number;
      days?: number; from?: string; format: ReportFormat; out?: string;
    }) => {
      if (opts.days !== undefined) {
        try {
          await runMonthCommand({ days: opts.days, from: opts.from, seed: opts.seed, format: opts.format, out: opts.out, logger: createLogger({ level: 'error' }) });
        } catch (err) {
          if (!(err instanceof SimulateMonthError)) throw err;
          console.error(err.message);
          process.exitCode = 1;
        }
        return;
      }
      await runSimulatorCli({
        seed: opts.seed,
        host: opts.host,
        basePort: opts.basePort,
        controlPort: opts.controlPort,
        scenarios: opts.scenario,
        mqttUrl: opts.mqttUrl,
        mqttPort: opts.mqttPort,
      });
    },
  );

program
  .command('demo-config')
  .description('print the demo building as a site file (a starting point, and what deploy/ runs)')
  .option('--host <host>', 'where the gateway reaches the simulator', '127.0.0.1')
  .option('--base-port <n>', "the simulator's first Modbus TCP port", integer(1, 65535), DEFAULT_BASE_PORT)
  .option('--mqtt-url <url>', 'the broker the doors publish to (default: the embedded broker)')
  .option('--http-host <host>', 'where the API listens')
  .option('--influx-url <url>', 'write telemetry to this InfluxDB v2 API (token from INFLUX_TOKEN)')
  .option('--influx-org <org>', 'InfluxDB organisation', 'facilities')
  .option('--influx-bucket <bucket>', 'InfluxDB bucket', 'building')
  .action(
    (opts: { host: string; basePort: number; mqttUrl?: string; httpHost?: string; influxUrl?: string; influxOrg: string; influxBucket: string }) => {
      const influx = opts.influxUrl === undefined ? undefined : { url: opts.influxUrl, org: opts.influxOrg, bucket: opts.influxBucket };
      process.stdout.write(demoConfigYaml({ host: opts.host, basePort: opts.basePort, mqttUrl: opts.mqttUrl, httpHost: opts.httpHost, influx }));
    },
  );

const discover = program.command('discover').description('find devices on a network and describe them');

discover
  .command('bacnet')
  .description('Who-Is on a BACnet/IP network: lists devices and their objects; can write a profile skeleton')
  .option('-c, --config <file>', 'site config whose BACnet link settings to use')
  .option('--link <id>', 'the BACnet link of the config (default: the first)')
  .option('--bind <address[:port]>', 'without --config: local address and port to bind', '0.0.0.0:47808')
  .option('--broadcast <address>', 'without --config: broadcast address for Who-Is', '255.255.255.255')
  .option('--target <address[:port]>', 'send Who-Is to this device only (unicast)')
  .option('--timeout <ms>', 'how long to wait for I-Am answers', integer(100, 600_000), 3000)
  .option('--profile-out <file>', 'write a profile skeleton (.ts or .json) of the device given by --device')
  .option('--device <instance>', 'device instance for --profile-out', integer(0, 4_194_302))
  .option('--profile-id <id>', 'id of the written profile')
  .action(
    async (opts: { config?: string; link?: string; bind: string; broadcast: string; target?: string; timeout: number; profileOut?: string; device?: number; profileId?: string }) => {
      const result = await runBacnetDiscovery({
        configPath: opts.config,
        linkId: opts.link,
        bind: opts.bind,
        broadcastAddress: opts.broadcast,
        target: opts.target,
        timeoutMs: opts.timeout,
        profileOut: opts.profileOut,
        deviceInstance: opts.device,
        profileId: opts.profileId,
        logger: createLogger({ level: 'warn' }),
      });
      if (result.profileWritten !== undefined) console.error(`wrote ${result.profileWritten}`);
    },
  );

const rules = program.command('rules').description('alarm rule files: check them, back-test a change');
addBacktestCommand(rules);

rules
  .command('check')
  .description('check rule files: every error with file, line and path; warns of rules that can never raise or never clear')
  .argument('<files...>', 'rule files (YAML)')
  .option('-c, --config <file>', 'check against the devices of this site file (with its own rule files)')
  .action((files: string[], opts: { config?: string }) => {
    const result = checkRuleFiles(files, { config: opts.config });
    for (const e of result.errors) console.error(formatIssue(e));
    for (const w of result.warnings) console.error(`warning: ${formatIssue(w)}`);
    const summary = `${files.length} rule file(s) against ${result.checkedAgainst}: ${result.errors.length} error(s), ${result.warnings.length} warning(s)`;
    if (result.errors.length > 0) {
      console.error(summary);
      process.exitCode = 1;
    } else {
      console.log(summary);
    }
  });

program
  .command('report')
  .description("write a period's maintenance report from the gateway's store (read-only, beside a running gateway): work-order KPIs, SLA, planned maintenance, backlog, repeat faults, alarm figures")
  .requiredOption('--from <date>', 'first day, YYYY-MM-DD in the site time zone (or YYYY-MM-DDTHH:MM[Z|±HH:MM])')
  .requiredOption('--to <date>', 'last day, inclusive, YYYY-MM-DD (or a date and time, exclusive)')
  .addOption(new Option('--format <format>', 'md, html (self-contained page), csv (one table per section: a "# id: title" line, header, rows; a blank line between) or json (all data)').choices(REPORT_FORMATS).default('md'))
  .option('-c, --config <file>', 'site config: store.path, site name and time zone (without it: data/facility-gw.db, UTC)')
  .option('-o, --out <file>', 'write the report to this file instead of stdout')
  .action((opts: { from: string; to: string; format: ReportFormat; config?: string; out?: string }) => {
    const result = runReportCommand({ from: opts.from, to: opts.to, format: opts.format, configPath: opts.config, out: opts.out, now: new SystemClock().now() });
    if (result.content !== undefined) process.stdout.write(result.content);
    else if (result.written !== undefined) console.error(`wrote ${result.written}`);
  });

program.parseAsync().catch((err: unknown) => {
  if (err instanceof ConfigError) console.error(err.message);
  else console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
