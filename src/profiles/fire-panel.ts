import {
  FIRE_PANEL_LAYOUT,
  firePanelObjects,
  LIFE_SAFETY_MODES,
  LIFE_SAFETY_STATES,
  modePointName,
  type FirePanelLayout,
  type FirePanelObjectDef,
} from './fire-panel-layout.js';
import type { AlarmRationale, BacnetPointDef, BacnetProfile, ConditionAlarmDef } from './types.js';

const SECOND_MS = 1000;

/**
 * An addressable fire-alarm panel on BACnet/IP (life-safety objects), generated from the layout in
 * fire-panel-layout.ts. Alarms follow the signal kinds of DOMAIN.md in priority order: fire (critical,
 * life-safety: never delayed, shelved or suppressed) > supervisory (high) > fault (medium) >
 * disabled/shielded (low); a linkage the panel started without feedback is high. No point is writable:
 * the gateway never writes to a fire panel.
 */

/** Life-safety states that are a fire signal: a detector in alarm (with or without a fault), a local or general alarm. */
export const FIRE_STATES = ['alarm', 'fault-alarm', 'local-alarm', 'general-alarm'] as const;
/** Smoke rising towards the alarm threshold: a fire signal's warning. */
export const PRE_ALARM_STATES = ['pre-alarm', 'fault-pre-alarm'] as const;
/** Trouble: the device cannot do its job (removed, dirty, wiring, tampered). */
export const FAULT_STATES = ['fault', 'fault-pre-alarm', 'fault-alarm', 'not-ready', 'tamper', 'tamper-alarm', 'abnormal'] as const;
/** Modes in which a detector or zone does not report fire: disabled ("shielded") on purpose. */
export const DISABLED_MODES = ['disabled', 'off', 'disconnected'] as const;
/** The field equipment has this long to confirm a linkage the panel started. */
export const LINKAGE_FEEDBACK_DELAY_MS = 10 * SECOND_MS;

const FIRE_RATIONALE: AlarmRationale = {
  cause: 'The detector sensed smoke or heat above its alarm threshold, or the manual call point was operated.',
  consequence: 'A fire may be developing here. The panel starts its automatic linkages; people in the area may be in danger.',
  action:
    'Confirm by the fastest means: CCTV, or send the nearest person with an extinguisher. Real fire: switch the linkages to AUTO, call 119 and start the evacuation. ' +
    'False alarm: find the cause (dust, steam, cooking smoke, a faulty head), log a fault-repair record, then reset the panel.',
};

const PRE_ALARM_RATIONALE: AlarmRationale = {
  cause: 'Smoke at the detector is rising but still below its alarm threshold.',
  consequence: 'A fire may be starting; if it grows the detector goes into alarm.',
  action: 'Send someone to look at once (smouldering, cooking, dust from works). If it is a real fire, operate the nearest call point; if not, remove the cause and log it.',
};

const FAULT_RATIONALE: AlarmRationale = {
  cause: 'The device reports trouble: head removed or dirty, loop wiring open or short-circuited, tampering, or a device that is not ready.',
  consequence: 'The area it covers may not detect a fire. GB 25201 expects the fault to be shown, recorded and repaired.',
  action: 'Dispatch the fire-system maintenance contractor, arrange a fire watch if the area is unprotected for long, and close the fault-repair record when fixed.',
};

const DISABLED_RATIONALE: AlarmRationale = {
  cause: 'The device or zone has been disabled (shielded) at the panel, usually for building works or to silence a faulty device.',
  consequence: 'No fire alarm will come from it while it stays disabled.',
  action: 'Check that a work permit covers it and set a fire watch; re-enable it as soon as the works end and record the shield and its removal.',
};

const SUPERVISORY_RATIONALE: AlarmRationale = {
  cause: 'A supervised part of the fire-protection system is not in its normal position (a sprinkler control valve closed, the fire-pump controller out of automatic).',
  consequence: 'Water may not reach the sprinklers, or the fire pump may not start, if a fire breaks out.',
  action: 'Send someone to the valve or pump room: restore the normal position (valve fully open and locked), find out who changed it and why, and log it.',
};

const LINKAGE_RATIONALE: AlarmRationale = {
  cause: 'The panel started a linkage but the equipment did not confirm it: motor tripped or in manual at its starter, damper jammed, wiring or module fault.',
  consequence: 'Smoke control, evacuation aids or door release may not work during the fire the panel is reacting to.',
  action: 'Start the equipment by hand from the fire control room (manual control panel) or at the equipment, check the fire signal that started it, and have the linkage repaired.',
};

const PANEL_FAULT_RATIONALE: AlarmRationale = {
  cause: 'The fire-alarm panel reports a fault of its own power or wiring (mains failed, standby battery missing or low, earth fault).',
  consequence: 'The panel may shut down when its battery runs out, or miss faults on the affected wiring.',
  action: 'Restore the mains supply or replace the battery, call the fire-system contractor for an earth fault, and record the fault and its repair.',
};

function statePoint(def: FirePanelObjectDef): BacnetPointDef {
  return { name: def.name, description: def.description, kind: 'enum', states: { ...LIFE_SAFETY_STATES }, object: { ...def.object } };
}

function modePoint(def: FirePanelObjectDef): BacnetPointDef {
  return {
    name: modePointName(def.name), description: `Operating mode (disabled = shielded): ${def.description}`, kind: 'enum', states: { ...LIFE_SAFETY_MODES },
    object: { ...def.object }, property: 'mode',
  };
}

function binaryPoint(def: FirePanelObjectDef): BacnetPointDef {
  return { name: def.name, description: def.description, kind: 'binary', object: { ...def.object } };
}

function pointsOf(def: FirePanelObjectDef): BacnetPointDef[] {
  switch (def.role) {
    case 'detector':
    case 'zone':
      return [statePoint(def), modePoint(def)];
    case 'supervisory':
    case 'linkage-start':
    case 'linkage-feedback':
    case 'panel-fault':
      return [binaryPoint(def)];
  }
}

/** Where an alarm is, in the words of the zone chart. */
function where(def: FirePanelObjectDef): string {
  return def.description;
}

function alarmsOf(def: FirePanelObjectDef): ConditionAlarmDef[] {
  switch (def.role) {
    case 'detector':
      return [
        { kind: 'state', id: `${def.name}_fire`, point: def.name, states: [...FIRE_STATES], priority: 'critical', lifeSafety: true, message: `FIRE: ${where(def)}`, rationale: FIRE_RATIONALE },
        { kind: 'state', id: `${def.name}_prealarm`, point: def.name, states: [...PRE_ALARM_STATES], priority: 'high', lifeSafety: true, message: `Fire pre-alarm: ${where(def)}`, rationale: PRE_ALARM_RATIONALE },
        { kind: 'state', id: `${def.name}_fault`, point: def.name, states: [...FAULT_STATES], priority: 'medium', message: `Fault: ${where(def)}`, rationale: FAULT_RATIONALE },
        { kind: 'state', id: `${def.name}_disabled`, point: modePointName(def.name), states: [...DISABLED_MODES], priority: 'low', message: `Disabled (shielded): ${where(def)}`, rationale: DISABLED_RATIONALE },
      ];
    case 'zone':
      return [
        { kind: 'state', id: `${def.name}_fire`, point: def.name, states: [...FIRE_STATES], priority: 'critical', lifeSafety: true, message: `FIRE in ${where(def)}`, rationale: FIRE_RATIONALE },
        { kind: 'state', id: `${def.name}_fault`, point: def.name, states: [...FAULT_STATES], priority: 'medium', message: `Zone fault: ${where(def)}`, rationale: FAULT_RATIONALE },
        { kind: 'state', id: `${def.name}_disabled`, point: modePointName(def.name), states: [...DISABLED_MODES], priority: 'low', message: `Zone disabled (shielded): ${where(def)}`, rationale: DISABLED_RATIONALE },
      ];
    case 'supervisory':
      return [{ kind: 'state', id: def.name, point: def.name, states: [true], priority: 'high', message: `Supervisory: ${def.description}`, rationale: SUPERVISORY_RATIONALE }];
    case 'linkage-start': {
      const start = def.name;
      const feedback = `linkage_${def.linkage ?? ''}_feedback`;
      return [
        {
          kind: 'expression', id: `linkage_${def.linkage ?? ''}_no_feedback`, when: `${start} and not ${feedback}`, onDelayMs: LINKAGE_FEEDBACK_DELAY_MS, priority: 'high',
          message: `Linkage started without feedback for ${LINKAGE_FEEDBACK_DELAY_MS / SECOND_MS} s: ${def.equipment ?? def.description}`, rationale: LINKAGE_RATIONALE,
        },
      ];
    }
    case 'linkage-feedback':
      return [];
    case 'panel-fault':
      return [{ kind: 'state', id: def.name, point: def.name, states: [true], priority: 'medium', message: `Fire panel fault: ${def.description}`, rationale: PANEL_FAULT_RATIONALE }];
  }
}

export function buildFirePanelProfile(layout: FirePanelLayout = FIRE_PANEL_LAYOUT): BacnetProfile {
  const objects = firePanelObjects(layout);
  const detectors = objects.filter((o) => o.role === 'detector').length;
  return {
    id: 'fire-panel-bacnet-v1',
    protocol: 'bacnet',
    equipment: 'fire-panel',
    description:
      `Addressable fire-alarm panel on BACnet/IP, v1: ${layout.loops} loops, ${detectors} detectors and call points (life-safety-point), ` +
      `${layout.zones.length} zones (life-safety-zone), supervisory inputs, ${layout.linkages.length} linkages with feedback, panel power faults; read-only`,
    points: objects.flatMap(pointsOf),
    thresholds: [],
    alarms: objects.flatMap(alarmsOf),
  };
}

export const firePanelProfile: BacnetProfile = buildFirePanelProfile();
