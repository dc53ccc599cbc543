// The plan in force for an account, from its current subscription: the plan whose entitlements it
// has (effectivePlan: past_due keeps access while Stripe retries; unpaid and ended subscriptions
// fall back to Free), the period its quotas count in, and whether overage is billed now. Pure: the
// cached read is planState in entitlements.ts.
import type { SubscriptionDoc } from '../db/collections';
import { plans, type PlanId } from '../billing/plans';
import { effectivePlan } from '../billing/status';

export interface Period {
  start: Date;
  end: Date;
}

/** What entitlements need from billing: the plan in force and its period. */
export interface PlanState {
  plan: PlanId;
  status: string | null;
  customerId: string | null;
  period: Period;
  /** Billed overage is off during trials: Stripe bills no usage on the invoice that ends a trial. */
  overageBillable: boolean;
}

/** The UTC calendar month containing `now` (Free plans count per month). */
export function calendarMonth(now: Date): Period {
  const start = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  const end = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
  return { start, end };
}

/** The plan in force at `now`, given the account's current subscription (or null). */
export function planStateOf(sub: SubscriptionDoc | null, now: Date): PlanState {
  const plan = effectivePlan(sub);
  const subPeriod =
    plan !== 'free' && sub?.currentPeriodStart && sub.currentPeriodEnd
      ? { start: sub.currentPeriodStart, end: sub.currentPeriodEnd }
      : null;
  return {
    plan,
    status: sub?.status ?? null,
    customerId: sub?.customerId ?? null,
    period: subPeriod ?? calendarMonth(now),
    overageBillable: plan !== 'free' && sub?.status !== 'trialing' && Boolean(plans[plan].limits.apiOverage),
  };
}
