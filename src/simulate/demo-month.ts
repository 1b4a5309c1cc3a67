import { at, fault, visit, type ScriptStep } from './script.js';

/**
 * The demo building's scripted month, meant to start on a Sunday the 1st whose day 1 is a due day of the lifts'
 * 15-day cycle (November 2026: the cycle is anchored on 2026-01-05 09:00, 300 days = 20 cycles before). The
 * test (test/integration/simulate-month.test.ts) asserts the figures this script must produce; the comments
 * say which step gives which figure.
 *
 * Faults (corrective orders):
 * - elevator-2 traps a passenger twice (days 3 and 17): the second is a repeat fault on a new order, since the
 *   first was completed. The lift contractor is on site in 22 min the first time, 45 min the second time: the
 *   only response breach (target 30 min). The trapped passenger also presses the car's alarm button; that
 *   alarm opens no order of its own (the demo's templates leave it to the entrapment order).
 * - booster-1 overheats twice on day 8 (14:00 and 16:00) while its order is still open (on hold for a
 *   fan): one order, two occurrences. Repaired within its 8 h.
 * - elevator-3 stops outside the door zone on day 22; the contractor needs a part and completes after 30 h:
 *   the resolution breach (target 24 h).
 *
 * Planned work:
 * - the lifts' 15-day maintenance falls due on days 1 and 16 for four lifts: 8 preventive orders. All are done
 *   on the due day except elevator-3's of day 16, held for a brake lining and completed on day 18 at 11:30,
 *   after due + 10 % of 15 days (day 17 21:00): late, and a resolution breach of its due time. PM compliance:
 *   7 on time of 8.
 * - the fire pump's monthly manual start (first Wednesday, day 4): done that morning.
 * - the fire pump's weekly automatic test (Mondays: days 2, 9, 16, 23, 30; order at 08:00, test run at
 *   09:00): the plant technician witnesses it; the run is attached to each order as evidence. The run also
 *   raises the demo's `fire_pump_running` alarm (high), which opens no repair order: it is not a fault.
 */

const LIFT = 'lift contractor';
const PLANT = 'plant-room technician';

const trapped = { asset: 'elevator-2', fault: 'passenger_trapped' } as const;
const booster1Overheat = { asset: 'booster-1', fault: 'motor_temperature_high' } as const;
const elevator3Leveling = { asset: 'elevator-3', fault: 'leveling_error' } as const;

const LIFTS = ['elevator-1', 'elevator-2', 'elevator-3', 'elevator-4'] as const;
/** The contractor does the four lifts one after the other on the due day. */
const LIFT_SLOTS = [
  ['09:30', '11:00'],
  ['11:15', '12:45'],
  ['13:30', '15:00'],
  ['15:15', '16:45'],
] as const;

function liftMaintenance(day: number, late?: { lift: string; hold: string; resumeDay: number; complete: string }): ScriptStep[] {
  return LIFTS.flatMap((lift, i) => {
    const [from, to] = LIFT_SLOTS[i] ?? ['09:00', '10:00'];
    const order = { asset: lift, schedule: 'elevator-15-day' };
    if (late?.lift === lift) {
      return visit(order, {
        by: LIFT, assign: at(day, '09:05'), arrive: at(day, from), hold: { at: at(day, late.hold), reason: 'Brake lining worn below the limit: part on order', resume: at(late.resumeDay, '10:00') },
        complete: at(late.resumeDay, late.complete), resolution: '15-day items done; brake lining replaced, brake gap set', close: at(late.resumeDay, '17:00'),
      });
    }
    return visit(order, { by: LIFT, assign: at(day, '09:05'), arrive: at(day, from), complete: at(day, to), resolution: '15-day items done, nothing found', close: at(day + 1, '10:00') });
  });
}

function weeklyFirePumpTest(day: number): ScriptStep[] {
  return [
    ...visit(
    { asset: 'fire-pump-1', schedule: 'fire-pump-weekly-test' },
    { by: PLANT, assign: at(day, '08:05'), arrive: at(day, '08:45'), complete: at(day, '09:30'), resolution: 'Automatic test witnessed: started and stopped by itself, pressure normal', close: at(day, '17:00') },
    ),
  ];
}

export function demoMonthScript(): ScriptStep[] {
  return [
    // --- planned work ---
    ...liftMaintenance(1),
    ...liftMaintenance(16, { lift: 'elevator-3', hold: '14:00', resumeDay: 18, complete: '11:30' }),
    ...[2, 9, 16, 23, 30].flatMap(weeklyFirePumpTest),

    // --- first entrapment: contractor on site in 22 minutes ---
    ...fault('trapped-passenger', 'elevator-2', at(3, '08:40'), at(3, '09:10')),
    ...visit(trapped, {
      by: LIFT, arrive: at(3, '09:02'), start: at(3, '09:05'), complete: at(3, '10:30'),
      resolution: 'Passenger released 09:10. Door operator belt slipping: replaced, 20 test runs OK', close: at(4, '09:00'),
    }),

    // --- booster-1 overheats (left running in hand, cooling fan seized); switched back to auto before it trips.
    // It is put in hand again while the order waits for the fan: the same order takes the second occurrence.
    ...fault('pump-overheat', 'booster-1', at(8, '14:00'), at(8, '14:07')),
    ...fault('pump-overheat', 'booster-1', at(8, '16:00'), at(8, '16:07')),
    ...visit(booster1Overheat, {
      by: PLANT, arrive: at(8, '14:30'), hold: { at: at(8, '15:00'), reason: 'Cooling fan seized: new fan from stores', resume: at(8, '18:00') },
      complete: at(8, '19:00'), resolution: 'Cooling fan replaced; hand mode locked out; motor temperature normal under load', close: at(9, '09:00'),
    }),

    // --- the fire pump's monthly manual start (first Wednesday, day 4) ---
    ...visit({ asset: 'fire-pump-1', schedule: 'fire-pump-monthly-start' }, {
      by: PLANT, assign: at(4, '09:05'), arrive: at(4, '10:00'), complete: at(4, '10:40'),
      resolution: 'Started by hand from the panel, pressure and flow as designed, returned to AUTO', close: at(4, '17:00'),
    }),

    // --- second entrapment on the same car: a repeat fault; the contractor arrives 45 minutes after the fault ---
    ...fault('trapped-passenger', 'elevator-2', at(17, '18:10'), at(17, '19:00')),
    ...visit(trapped, {
      by: LIFT, arrive: at(17, '18:55'), start: at(17, '18:58'), complete: at(17, '21:00'),
      resolution: 'Passenger released 19:00. Door lock contact dirty: cleaned and adjusted', close: at(18, '09:00'),
    }),

    // --- elevator-3 leveling error; the part takes 30 hours ---
    ...fault('leveling-fault', 'elevator-3', at(22, '07:30'), at(22, '08:40')),
    ...visit(elevator3Leveling, {
      by: LIFT, arrive: at(22, '08:30'), hold: { at: at(22, '09:30'), reason: 'Leveling sensor faulty: replacement ordered', resume: at(23, '13:00') },
      complete: at(23, '13:30'), resolution: 'Door-zone sensor replaced; leveling within 5 mm at every floor', close: at(24, '09:00'),
    }),
  ];
}
