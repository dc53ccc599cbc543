// In-memory state that belongs to one app instance (one createDeps): caches and work in flight.
// Each instance has its own, so two in one process (tests run several) stay apart as two server
// processes would. Copies of deps (a request's, with its own logger) share their instance's.
import type Stripe from 'stripe';
import type { PlanState } from './usage/plan-state';

export interface Caches {
  /** The plan in force per user, for a few seconds (usage/entitlements.ts). */
  plans: Map<string, { at: number; state: Promise<PlanState> }>;
  /** Usage figures per user, metric and period, refreshed behind callers (usage/counter.ts). */
  usage: Map<string, UsageTracker>;
  /** Quota notices already handed to the outbox, so later calls skip the insert (usage/notices.ts). */
  quotaNotices: {
    enqueued: Set<string>;
    /** Notices stored, until both of a period are; then the period joins `passed`. */
    stored: Set<string>;
    /** Periods of users past both thresholds whose two notices are stored. */
    passed: Set<string>;
  };
  /** Periods with overage units not yet filled into the outbox, and the sender's wake-up (usage/meter.ts). */
  meter: { dirty: Map<string, { userId: string; periodStart: Date }>; kick: (() => void) | null };
  /** Validated API keys by the key as presented, and when each key's lastUsedAt was last written (api/keys.ts). */
  apiKeys: {
    validated: Map<string, { at: number; hash: string; key: { id: string; userId: string } | null }>;
    touched: Map<string, number>;
  };
  /** Users with a heavy tool run in progress: one at a time each (content/library.ts). */
  heavyRuns: Set<string>;
  /** Wakes this instance's admin figures job when a change was recorded here (billing/figures/job.ts). */
  figures: { kick: (() => void) | null };
  /**
   * Stripe's preview of each subscription's upcoming invoice, for the next charge, with the mirror
   * version it was read at (billing/dashboard.ts).
   */
  nextCharge: Map<string, { version: string; at: number; invoice: Promise<Stripe.Invoice> }>;
  /** The reconciler run an admin started here, while it runs (admin/reconcile.ts). */
  reconcile: { running: Promise<unknown> | null };
}

/** usage/counter.ts's figure for one user, metric and period. */
export interface UsageTracker {
  at: number;
  /** Units stored when the figure was counted: a promise only until the first count is in. */
  count: number | Promise<number>;
  /** Units this process reserved since then. */
  local: number;
  /** Units reserved since the refresh in flight started, or null when none is. */
  sinceRefresh: number | null;
}

export function createCaches(): Caches {
  return {
    plans: new Map(),
    usage: new Map(),
    quotaNotices: { enqueued: new Set(), stored: new Set(), passed: new Set() },
    meter: { dirty: new Map(), kick: null },
    apiKeys: { validated: new Map(), touched: new Map() },
    heavyRuns: new Set(),
    figures: { kick: null },
    nextCharge: new Map(),
    reconcile: { running: null },
  };
}
