// The state of subscription schedules as the billing engine changes it: which schedule manages a
// subscription, releasing one, and ending one with its subscription. The phase switch at a renewal
// is billing's (engine/billing.ts, switchPhaseAtRenewal).
import type Stripe from 'stripe';
import { previousAttributes, snapshot, type Emulator } from '../emulator.js';
import { idOf } from '../resources/common.js';

/** The schedule managing `sub`, while it is `active` (released, completed and canceled ones manage nothing). */
export function activeSchedule(emu: Emulator, sub: Stripe.Subscription): Stripe.SubscriptionSchedule | null {
  const id = idOf(sub.schedule as string | null);
  const sched = id ? emu.state.subscriptionSchedules.get(id) : undefined;
  return sched && (sched.status === 'active' || sched.status === 'not_started') ? sched : null;
}

/** Marks a schedule released from its subscription (the caller clears the subscription's `schedule`). */
export function release(sched: Stripe.SubscriptionSchedule, now: number, subId: string | null): void {
  sched.status = 'released';
  sched.released_at = now;
  sched.released_subscription = subId;
  sched.subscription = null;
  sched.current_phase = null;
}

/**
 * The subscription ended while its schedule managed it: the schedule is `completed` when this was
 * the end its last phase asked for (end_behavior `cancel`), else `canceled`.
 */
export function endScheduleWith(emu: Emulator, sub: Stripe.Subscription, now: number): void {
  const sched = activeSchedule(emu, sub);
  if (!sched) return;
  const before = snapshot(sched);
  const last = sched.phases[sched.phases.length - 1];
  const completed = sched.end_behavior === 'cancel' && last !== undefined && now >= last.end_date;
  sched.current_phase = null;
  if (completed) {
    sched.status = 'completed';
    sched.completed_at = now;
  } else {
    sched.status = 'canceled';
    sched.canceled_at = now;
  }
  emu.emit(completed ? 'subscription_schedule.completed' : 'subscription_schedule.canceled', sched, {
    customer: idOf(sched.customer as string),
    previous: previousAttributes(before, sched),
  });
}
