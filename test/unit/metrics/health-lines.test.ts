import { describe, expect, it } from 'vitest';
import { gatewayHealthLines } from '../../../src/metrics/health-lines.js';
import { fakeGatewayState, fakeMetricsSource } from './fake-metrics-source.js';

const TS = 1_700_000_123_456;

describe('gateway health lines', () => {
  it('writes the gateway, each link, each sink and northbound as lines of the gateway measurement', () => {
    const lines = gatewayHealthLines(fakeMetricsSource(fakeGatewayState()), TS);
    expect(lines).toEqual([
      `gateway,site=demo samples_total=1234,devices_online=2,devices_offline=1,alarms_active=3 ${TS}`,
      `gateway,link=plant,site=demo connected=true,queue_depth=3,devices_online=1,devices_offline=1,requests_total=150,errors_total=54,overruns_total=1 ${TS}`,
      `gateway,link=doors,site=demo connected=false,queue_depth=0,devices_online=1,devices_offline=0,requests_total=30,errors_total=2,overruns_total=0 ${TS}`,
      `gateway,sink=influx,site=demo connected=true,lines_written_total=900,lines_dropped_total=5,lines_rejected_total=2,lines_buffered=40,spool_lines=120,spool_bytes=40960 ${TS}`,
      `gateway,sink=vm,site=demo connected=false,lines_written_total=10,lines_dropped_total=0,lines_rejected_total=0,lines_buffered=0 ${TS}`,
      `gateway,channel=mqtt-northbound,site=demo connected=true,published_total=77,dropped_total=6,queued=8 ${TS}`,
    ]);
  });

  it('escapes tag values and leaves out northbound when there is none', () => {
    const state = fakeGatewayState();
    state.northbound = undefined;
    state.links = [{ link: 'bus 1,east', protocol: 'modbus', state: 'connecting', reconnects: 0, queueDepth: 0, devices: [] }];
    state.sinks = [];
    const lines = gatewayHealthLines(fakeMetricsSource(state), TS);
    expect(lines).toEqual([
      `gateway,site=demo samples_total=1234,devices_online=0,devices_offline=0,alarms_active=3 ${TS}`,
      `gateway,link=bus\\ 1\\,east,site=demo connected=false,queue_depth=0,devices_online=0,devices_offline=0,requests_total=0,errors_total=0,overruns_total=0 ${TS}`,
    ]);
  });
});
