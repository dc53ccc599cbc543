// When Stripe will try a failing invoice again. Stripe's API gives only the next attempt; the rest
// follows the account's retry setting (Stripe dashboard → Billing → Revenue recovery), which
// STRIPE_RETRY_DAYS states here: the days after each failed attempt until the next one. Pure, so the
// subscriber's billing page and the admin's failed-payments page read one rule.

export interface RetryStep {
  /** Which attempt (the first charge is attempt 1). */
  attempt: number;
  at: string;
  /** The next attempt, as Stripe scheduled it; the later ones follow the retry setting. */
  scheduled: boolean;
}

/** Parses `3,5,7` (days after failed attempts 1, 2, 3); an empty or bad value names the variable. */
export function parseRetryDays(value: string): number[] {
  const days = value.split(',').map((d) => Number(d.trim()));
  if (!days.length || days.some((d) => !Number.isInteger(d) || d < 1 || d > 60))
    throw new Error('STRIPE_RETRY_DAYS must list whole days between 1 and 60, separated by commas (e.g. 3,5,7)');
  return days;
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
