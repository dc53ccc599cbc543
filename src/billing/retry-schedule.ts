// When Stripe will try a failing invoice again. Stripe's API gives only the next attempt; the rest
// follows the account's retry setting (Stripe dashboard → Billing → Revenue recovery), which
// STRIPE_RETRY_DAYS states here (parsed once at startup, src/env.ts): the days after each failed
// attempt until the next one. Pure, so the subscriber's billing page and the admin's failed-payments
// page read one rule.

export interface RetryStep {
  /** Which attempt (the first charge is attempt 1). */
  attempt: number;
  at: string;
  /** The next attempt, as Stripe scheduled it; the later ones follow the retry setting. */
  scheduled: boolean;
}

/** The attempts still to come for an invoice that failed `attempts` times, the next one at `next`. */
export function retrySchedule(opts: { attempts: number; next: Date | null; retryDays: number[] }): RetryStep[] {
  if (!opts.next || opts.attempts < 1) return [];
  const steps: RetryStep[] = [{ attempt: opts.attempts + 1, at: opts.next.toISOString(), scheduled: true }];
  let at = opts.next.getTime();
  for (let k = opts.attempts; k < opts.retryDays.length; k++) {
    at += (opts.retryDays[k] as number) * 86_400_000;
    steps.push({ attempt: k + 2, at: new Date(at).toISOString(), scheduled: false });
  }
  return steps;
}
