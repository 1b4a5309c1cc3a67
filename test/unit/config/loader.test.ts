import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/config/config-error.js';
import { loadConfigFile, parseConfig } from '../../../src/config/loader.js';

function issuesOf(text: string, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    parseConfig(text, { env });
  } catch (err) {
    if (err instanceof ConfigError) return err.message.split('\n');
    throw err;
  }
  return [];
}

const minimal = `site:
  id: demo
  name: Demo
links:
  - id: plant
    type: modbus-tcp
    host: 127.0.0.1
devices:
  - id: pump-1
    type: pump
    profile: pump-vfd-v1
    link: plant
    unitId: 1
`;

describe('site config loader', () => {
  it('fills defaults into a minimal valid config', () => {
    const config = parseConfig(minimal, { env: {} });
    expect(config.site.timezone).toBe('UTC');
    expect(config.http).toEqual({ host: '127.0.0.1', port: 8080 });
    expect(config.links[0]).toMatchObject({ port: 502, timeoutMs: 1000, maxRegistersPerRead: 125 });
    expect(config.devices[0]).toMatchObject({ pollIntervalMs: 1000, staleAfterPolls: 3, enabled: true, thresholds: [] });
    expect(config.sinks).toEqual([]);
  });

  it('names file, line and path for a value out of range', () => {
    const text = minimal.replace('unitId: 1', 'unitId: 300');
    expect(issuesOf(text)).toEqual(['site.yaml:13 devices[0].unitId: must be <= 247']);
  });

  it('reports every problem at once, in line order', () => {
    const text = `site:
  id: Demo Site
  name: Demo
links:
  - id: plant
    type: modbus-tcp
    host: 127.0.0.1
    port: 70000
    baudRate: 9600
  - id: bus
    type: modbus-udp
devices:
  - id: pump-1
    type: pump
    profile: pump-vfd-v1
    link: plant
    unitId: 1
    pollIntervalMs: 10
`;
    expect(issuesOf(text)).toEqual([
      'site.yaml:2 site.id: must match ^[a-z0-9][a-z0-9_-]*$ (Lower-case id: letters, digits, - and _)',
      'site.yaml:8 links[0].port: must be <= 65535',
      'site.yaml:9 links[0].baudRate: unknown setting',
      'site.yaml:11 links[1].type: unknown type "modbus-udp"',
      'site.yaml:18 devices[0].pollIntervalMs: must be >= 50',
    ]);
  });

  it('points at the parent block when a required key is missing', () => {
    const text = minimal.replace('    profile: pump-vfd-v1\n', '');
    expect(issuesOf(text)).toEqual(['site.yaml:9 devices[0].profile: is required']);
  });

  it('requires a unit id on a Modbus link', () => {
    const text = minimal.replace('    unitId: 1\n', '');
    expect(issuesOf(text)).toEqual(['site.yaml:9 devices[0].unitId: is required on a Modbus link']);
  });

  it('checks references, duplicates, unit ids and threshold points', () => {
    const text = `site: {id: s, name: S}
links: [{id: l1, type: modbus-tcp, host: h}]
devices:
  - {id: d1, type: elevator, profile: pump-vfd-v1, link: l1, unitId: 3}
  - {id: d1, type: pump, profile: pump-vfd-v2, link: l9, unitId: 3}
  - id: d3
    type: pump
    profile: pump-vfd-v1
    link: l1
    unitId: 3
    thresholds: [{id: x, point: vibraton, high: 3, low: 2, priority: low, message: m}]
    disableThresholds: [no_such]
`;
    expect(issuesOf(text)).toEqual([
      'site.yaml:4 devices[0].type: profile "pump-vfd-v1" is for equipment type "pump", not "elevator"',
      'site.yaml:5 devices[1].id: duplicate id "d1" (also devices[0])',
      'site.yaml:5 devices[1].link: link "l9" is not defined in links (known: l1)',
      'site.yaml:5 devices[1].profile: unknown profile "pump-vfd-v2"',
      'site.yaml:10 devices[2].unitId: unit id 3 is already used by device "d1" on link "l1"',
      'site.yaml:11 devices[2].thresholds[0].point: point "vibraton" is not in profile pump-vfd-v1',
      'site.yaml:11 devices[2].thresholds[0]: a threshold needs exactly one of high or low',
      'site.yaml:12 devices[2].disableThresholds[0]: neither profile pump-vfd-v1 nor this device has a rule "no_such"',
    ]);
  });

  it('takes secrets from the environment and names a missing variable', () => {
    const text = `${minimal}sinks:
  - id: influx
    type: influxdb-v2
    url: http://127.0.0.1:8086
    bucket: b
    token: \${INFLUX_TOKEN}
`;
    expect(parseConfig(text, { env: { INFLUX_TOKEN: 's3cret' } }).sinks[0]).toMatchObject({ token: 's3cret' });
    expect(issuesOf(text)).toEqual(['site.yaml:19 sinks[0].token: environment variable INFLUX_TOKEN is not set']);
  });

  it('reports YAML syntax errors with their line', () => {
    expect(issuesOf('site:\n  id: a\n  name: [x\n')).toHaveLength(1);
    expect(issuesOf('site:\n  id: a\n  name: [x\n')[0]).toMatch(/^site\.yaml:\d+: YAML syntax: /);
  });

  it('names the file when it cannot be read', () => {
    expect(() => loadConfigFile('no/such/site.yaml')).toThrow(/^site\.yaml: cannot read: /);
  });

  it('accepts the shipped example config', () => {
    const config = loadConfigFile('config/example-site.yaml', { env: { INFLUX_TOKEN: 't', MQTT_PASSWORD: 'p' } });
    expect(config.devices.map((d) => d.id)).toEqual(['booster-1', 'sump-1', 'lift-a1', 'acs-lobby', 'door-lobby-main']);
  });

  it('checks MQTT devices: protocol, unit ids, topic variables and parents', () => {
    const text = `site: {id: s, name: S}
links:
  - {id: plant, type: modbus-tcp, host: h}
  - {id: access, type: mqtt}
devices:
  - {id: ctrl, type: access-controller, profile: access-controller-mqtt-v1, link: access, topicVars: {controller: c1}}
  - {id: door-1, type: door, profile: door-mqtt-v1, link: access, parent: ctrl, topicVars: {controller: c1}, unitId: 3}
  - {id: door-2, type: door, profile: door-mqtt-v1, link: plant, parent: nobody, topicVars: {controller: c1, door: d2}}
  - {id: door-3, type: door, profile: door-mqtt-v1, link: access, parent: ctrl, topicVars: {controller: c1, door: d3},
     eventRules: [{id: x, event: acces_denied, count: 2, windowMs: 1000, priority: low, message: m}]}
northbound: {link: plant}
`;
    expect(issuesOf(text)).toEqual([
      'site.yaml:7 devices[1].unitId: only devices on Modbus links take a unit id',
      'site.yaml:7 devices[1].topicVars: profile door-mqtt-v1 needs topicVars.door',
      'site.yaml:8 devices[2].parent: parent device "nobody" is not defined',
      'site.yaml:8 devices[2].profile: profile "door-mqtt-v1" speaks mqtt, but link "plant" is modbus-tcp',
      'site.yaml:10 devices[3].eventRules[0].event: event "acces_denied" is not in profile door-mqtt-v1',
      'site.yaml:11 northbound.link: "plant" is not an MQTT link',
    ]);
  });
});
