import { describe, expect, it } from 'vitest';
import type { BacnetEventRequest, SettableProperty } from '../../../simulator/bacnet/device-server.js';
import { EVENT_PRIORITY, FirePanelModel, type FirePanelSink } from '../../../simulator/bacnet/fire-panel.js';
import type { BacnetObjectType } from '../../../src/profiles/types.js';

/** Records what the panel pushes to its BACnet device. */
class RecordingSink implements FirePanelSink {
  readonly sets: Array<{ type: BacnetObjectType; instance: number; values: Partial<Record<SettableProperty, unknown>> }> = [];
  readonly events: BacnetEventRequest[] = [];
  setMany(type: BacnetObjectType, instance: number, values: Partial<Record<SettableProperty, unknown>>): void {
    this.sets.push({ type, instance, values });
  }
  notifyEvent(e: BacnetEventRequest): Promise<void> {
    this.events.push(e);
    return Promise.resolve();
  }
  last(type: BacnetObjectType, instance: number): Partial<Record<SettableProperty, unknown>> | undefined {
    return this.sets.filter((s) => s.type === type && s.instance === instance).at(-1)?.values;
  }
}

function panel(): { model: FirePanelModel; sink: RecordingSink; now: { ms: number }; step: (ms: number) => void } {
  const now = { ms: 0 };
  const model = new FirePanelModel({ now: () => now.ms });
  const sink = new RecordingSink();
  model.attach(sink);
  const step = (ms: number): void => {
    for (let t = 0; t < ms; t += 100) {
      now.ms += 100;
      model.step(100, now.ms);
    }
  };
  return { model, sink, now, step };
}

describe('fire panel model', () => {
  it('serves 240 detectors, 16 zones and the binary objects, all quiet at first', () => {
    const { model } = panel();
    const objects = model.objects();
    expect(objects.filter((o) => o.type === 'life-safety-point')).toHaveLength(240);
    expect(objects.filter((o) => o.type === 'life-safety-zone')).toHaveLength(16);
    expect(objects.find((o) => o.name === 'l2_d017')).toMatchObject({ instance: 2017, presentValue: 0, mode: 1, notificationClass: 1 });
    const values = model.values();
    expect(values).toMatchObject({ l2_d017: 'quiet', l2_d017_mode: 'on', zone_06: 'quiet', valve_closed_3: false, linkage_fan_1_start: false });
  });

  it('puts a detector and its zone in alarm with events, starts every linkage and confirms it', () => {
    const { model, sink, step } = panel();
    model.setFire('l2_d017', true);
    expect(sink.last('life-safety-point', 2017)).toMatchObject({ 'present-value': 2, 'status-flags': { inAlarm: true, fault: false } });
    expect(sink.last('life-safety-zone', 6)).toMatchObject({ 'present-value': 2 });
    expect(sink.events.map((e) => [e.type, e.instance, e.fromState, e.toState, e.priority])).toEqual([
      ['life-safety-point', 2017, 0, 5, EVENT_PRIORITY.fire],
      ['life-safety-zone', 6, 0, 5, EVENT_PRIORITY.fire],
    ]);
    expect(sink.events[0]?.message).toBe('Alarm: Loop 2 address 017: smoke detector, zone 6 (L6-L7 offices)');
    expect(model.values()).toMatchObject({ linkage_fan_1_start: true, linkage_fan_1_feedback: false, linkage_elevator_recall_start: true });
    step(4_900);
    expect(model.values().linkage_fan_1_feedback).toBe(false);
    step(200);
    expect(model.values()).toMatchObject({ linkage_fan_1_feedback: true, linkage_door_release_feedback: true });

    model.setFire('l2_d017', false);
    expect(model.values()).toMatchObject({ l2_d017: 'quiet', zone_06: 'quiet', linkage_fan_1_start: false, linkage_fan_1_feedback: false });
    expect(sink.events.at(-1)).toMatchObject({ type: 'life-safety-zone', fromState: 5, toState: 0 });
  });

  it('keeps a failed linkage without feedback', () => {
    const { model, step } = panel();
    model.setLinkageFailed('fan_1', true);
    model.setFire('l1_d001', true);
    step(30_000);
    expect(model.values()).toMatchObject({ linkage_fan_1_start: true, linkage_fan_1_feedback: false, linkage_fan_2_feedback: true });
    model.setLinkageFailed('fan_1', false);
    step(5_000);
    expect(model.values().linkage_fan_1_feedback).toBe(true);
    expect(() => model.setLinkageFailed('fan_9', true)).toThrow('no linkage "fan_9"');
  });

  it('reports faults (fault-alarm with a fire), disabled detectors and supervisory signals', () => {
    const { model, sink } = panel();
    model.setFault('l1_d033', true);
    expect(sink.last('life-safety-point', 1033)).toMatchObject({ 'present-value': 3, reliability: 1, 'status-flags': { fault: true } });
    expect(model.values()).toMatchObject({ l1_d033: 'fault', zone_03: 'fault' });
    expect(sink.events.at(-1)).toMatchObject({ fromState: 0, toState: 1, type: 'life-safety-zone', priority: EVENT_PRIORITY.fault });
    model.setFire('l1_d033', true);
    expect(model.values()).toMatchObject({ l1_d033: 'fault-alarm', zone_03: 'alarm' });

    model.setDisabled('l1_d040', true);
    expect(model.values()).toMatchObject({ l1_d040: 'quiet', l1_d040_mode: 'disabled' });

    model.setSupervisory('valve_closed_3', true);
    expect(sink.last('binary-input', 3)).toEqual({ 'status-flags': { inAlarm: true, fault: false, overridden: false, outOfService: false }, 'present-value': true });
    expect(sink.events.at(-1)).toMatchObject({ type: 'binary-input', instance: 3, fromState: 0, toState: 2, priority: EVENT_PRIORITY.supervisory });
    expect(() => model.setSupervisory('l1_d001', true)).toThrow('no supervisory input "l1_d001"');
    expect(() => model.setFire('l9_d001', true)).toThrow('no detector "l9_d001"');
  });

  it('floods 30 fire alarms within a minute, one every 2 s', () => {
    const { model, sink, step } = panel();
    const names = Array.from({ length: 30 }, (_, i) => `l3_d${String(i + 1).padStart(3, '0')}`);
    model.startFlood(names, 2_000);
    const fires = (): number => sink.events.filter((e) => e.type === 'life-safety-point' && e.toState === 5).length;
    step(100);
    expect(fires()).toBe(1);
    step(30_000);
    expect(fires()).toBe(16);
    step(30_000);
    expect(fires()).toBe(30);
    model.stopFlood(names);
    expect(Object.entries(model.values()).filter(([k, v]) => /^l3_d0\d\d$/.test(k) && v !== 'quiet')).toEqual([]);
  });
});
