// Test clocks: frozen time for a group of customers. Advancing runs the billing engine through every
// renewal, retry and trial end on the way, like Stripe's asynchronous advance (status `advancing`
// in the response, `ready` and the `test_helpers.test_clock.ready` event when done).
import type Stripe from 'stripe';
import { clockOf, snapshot, type Emulator } from '../emulator.js';
import { invalidRequest } from '../errors.js';
import { newId } from '../ids.js';
import { paginate } from '../list.js';
import { listFields, p, parse, required } from '../params.js';
import type { Router } from '../router.js';
import { cancelSubscriptionNow, runUntil } from '../engine/billing.js';
import { addUnits } from '../engine/time.js';
import { idOf, mustGet } from './common.js';

function customersOn(emu: Emulator, clockId: string): Set<string> {
  const out = new Set<string>();
  for (const c of emu.state.customers.values()) if (clockOf(c) === clockId) out.add(c.id);
  return out;
}

/** Stripe refuses to jump more than two billing intervals of the shortest subscription at once. */
function maxAdvance(emu: Emulator, clock: Stripe.TestHelpers.TestClock, customers: Set<string>): number | null {
  let limit: number | null = null;
  for (const sub of emu.state.subscriptions.values()) {
    if (!customers.has(idOf(sub.customer as string) ?? '')) continue;
    if (sub.status === 'canceled' || sub.status === 'incomplete_expired') continue;
    const price = sub.items.data[0]?.price;
    if (!price?.recurring) continue;
    const t = addUnits(clock.frozen_time, price.recurring.interval, price.recurring.interval_count * 2);
    limit = limit === null ? t : Math.min(limit, t);
  }
  return limit;
}

export function advanceClockNow(emu: Emulator, clock: Stripe.TestHelpers.TestClock, target: number): void {
  const customers = customersOn(emu, clock.id);
  runUntil(emu, customers, target, (t) => (clock.frozen_time = t));
  clock.frozen_time = target;
  clock.status = 'ready';
  clock.status_details = {};
  emu.emit('test_helpers.test_clock.ready', clock);
  emu.onChange();
}

export function registerTestClocks(router: Router): void {
  router.post('/v1/test_helpers/test_clocks', ({ emu, raw }) => {
    const body = parse<{ frozen_time?: number; name?: string }>({ frozen_time: p.int, name: p.str, customer: p.str }, raw);
    const frozen = required<number>(body, 'frozen_time');
    const now = Math.floor(Date.now() / 1000);
    const clock = {
      id: newId('clock'),
      object: 'test_helpers.test_clock',
      created: now,
      deletes_after: now + 30 * 86_400,
      frozen_time: frozen,
      livemode: false,
      name: body.name ?? null,
      status: 'ready',
      status_details: {},
    } satisfies Stripe.TestHelpers.TestClock;
    emu.state.testClocks.set(clock);
    emu.emit('test_helpers.test_clock.created', clock);
    return clock;
  });

  router.get('/v1/test_helpers/test_clocks/:id', ({ emu, params, raw }) => {
    parse({}, raw);
    return mustGet(emu.state.testClocks, params.id, 'test_clock');
  });

  router.get('/v1/test_helpers/test_clocks', ({ emu, raw, path }) => {
    const q = parse<{ limit?: number; starting_after?: string; ending_before?: string }>(listFields, raw);
    return paginate(emu.state.testClocks.newestFirst(), q, path);
  });

  router.post('/v1/test_helpers/test_clocks/:id/advance', ({ emu, params, raw }) => {
    const body = parse<{ frozen_time?: number }>({ frozen_time: p.int }, raw);
    const clock = mustGet(emu.state.testClocks, params.id, 'test_clock');
    const target = required<number>(body, 'frozen_time');
    if (clock.status === 'advancing')
      throw invalidRequest('The test clock is already advancing. Wait until it is ready.', { param: 'frozen_time' });
    if (target <= clock.frozen_time)
      throw invalidRequest('The frozen time must be after the current frozen time of the test clock.', { param: 'frozen_time' });
    const limit = maxAdvance(emu, clock, customersOn(emu, clock.id));
    if (limit !== null && target > limit) {
      throw invalidRequest(
        'Cannot advance the test clock more than two intervals of the shortest subscription billing interval in a single advancement.',
        { param: 'frozen_time' },
      );
    }
    clock.status = 'advancing';
    clock.status_details = { advancing: { target_frozen_time: target } };
    emu.emit('test_helpers.test_clock.advancing', clock);
    const response = snapshot(clock);
    // Run after the response is sent, as Stripe advances asynchronously; poll until `ready`.
    setImmediate(() => {
      try {
        advanceClockNow(emu, clock, target);
      } catch (err) {
        console.error('[stripe-emulator] test clock advance failed', err);
        clock.status = 'internal_failure';
        emu.emit('test_helpers.test_clock.internal_failure', clock);
      }
    });
    return response;
  });

  router.delete('/v1/test_helpers/test_clocks/:id', ({ emu, params, raw }) => {
    parse({}, raw);
    const clock = mustGet(emu.state.testClocks, params.id, 'test_clock');
    for (const customerId of customersOn(emu, clock.id)) {
      for (const sub of emu.state.subscriptions.values()) {
        if (idOf(sub.customer as string) === customerId && sub.status !== 'canceled' && sub.status !== 'incomplete_expired')
          cancelSubscriptionNow(emu, sub);
      }
      emu.state.customers.delete(customerId);
      emu.state.deleted[customerId] = 'customer';
    }
    emu.state.testClocks.delete(clock.id);
    emu.emit('test_helpers.test_clock.deleted', clock);
    return { id: clock.id, object: 'test_helpers.test_clock', deleted: true } satisfies Stripe.TestHelpers.DeletedTestClock;
  });
}
