import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseConfig } from '../../../src/config/loader.js';
import { demoConfigYaml } from '../../../simulator/demo-config-yaml.js';

/** The deployment files cannot be run here (no container engine), so their wiring is checked as data. */

const COMPOSE = 'deploy/docker-compose.yml';

interface ComposeService {
  image?: string;
  build?: string;
  command?: string[];
  volumes?: string[];
  environment?: Record<string, string>;
}

function compose(): { services: Record<string, ComposeService> } {
  return parse(readFileSync(COMPOSE, 'utf8'), { merge: true }) as { services: Record<string, ComposeService> };
}

describe('deploy/', () => {
  it('ships the site file that `facility-gw demo-config` writes for the compose stack, and it validates', () => {
    const expected = demoConfigYaml({
      host: 'simulator',
      basePort: 15020,
      mqttUrl: 'mqtt://mosquitto:1883',
      httpHost: '0.0.0.0',
      influx: { url: 'http://influxdb:8086', org: 'facilities', bucket: 'building' },
    });
    const shipped = readFileSync('deploy/site.yaml', 'utf8');
    expect(shipped, 'regenerate with: npm run cli -- demo-config --host simulator --mqtt-url mqtt://mosquitto:1883 --http-host 0.0.0.0 --influx-url http://influxdb:8086 > deploy/site.yaml').toBe(expected);
    const config = parseConfig(shipped, { env: { INFLUX_TOKEN: 't' } });
    expect(config.sinks[0]).toMatchObject({ type: 'influxdb-v2', url: 'http://influxdb:8086', org: 'facilities', bucket: 'building' });
  });

  it('wires the compose services to files that exist and to each other', () => {
    const { services } = compose();
    expect(Object.keys(services).sort()).toEqual(['gateway', 'grafana', 'influxdb', 'mosquitto', 'simulator']);
    for (const service of Object.values(services)) {
      if (service.build) expect(existsSync(join(resolve(dirname(COMPOSE), service.build), 'Dockerfile'))).toBe(true);
      for (const volume of service.volumes ?? []) {
        const [source] = volume.split(':');
        if (source?.startsWith('.')) expect(existsSync(resolve(dirname(COMPOSE), source)), volume).toBe(true);
      }
    }
    const gateway = services.gateway;
    const configPath = gateway?.command?.[gateway.command.indexOf('--config') + 1];
    expect(gateway?.volumes?.some((v) => v.endsWith(`:${configPath}:ro`))).toBe(true);
    expect(services.influxdb?.environment?.DOCKER_INFLUXDB_INIT_ORG).toBe('facilities');
    expect(services.influxdb?.environment?.DOCKER_INFLUXDB_INIT_BUCKET).toBe('building');
    // Grafana gets the dashboards where the provisioning file looks for them, and the datasource uid they use.
    const provider = readFileSync('dashboards/provisioning/dashboards/facility-gw.yaml', 'utf8');
    const dashboardsPath = /path: (\S+)/.exec(provider)?.[1];
    expect(services.grafana?.volumes).toContain(`../dashboards:${dashboardsPath}:ro`);
    expect(readFileSync('deploy/grafana/datasources/influxdb.yaml', 'utf8')).toContain('uid: facility-gw-influxdb');
    expect(services.simulator?.command).toEqual(expect.arrayContaining(['--base-port', '15020', '--mqtt-url', 'mqtt://mosquitto:1883']));
  });

  it('has a systemd unit that validates the site file before starting and restarts on failure', () => {
    const unit = readFileSync('deploy/facility-gw.service', 'utf8');
    expect(unit).toMatch(/^ExecStartPre=.*dist\/src\/cli\.js validate /m);
    expect(unit).toMatch(/^ExecStart=.*dist\/src\/cli\.js start --config /m);
    expect(unit).toMatch(/^Restart=always$/m);
    expect(unit).toMatch(/^StateDirectory=facility-gw$/m);
  });
});
