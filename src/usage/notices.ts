// Emails at 80% and 100% of an included quota, once per user, metric and period: the outbox row's
// key is the threshold crossed, so concurrent calls, retries and other processes send it once.
import type { AppDeps } from '../deps';
import type { UsageMetric } from '../db/collections';
import { compose } from '../email/templates';
import { sendOnce } from '../email/outbox';
import { plans, type PlanId } from '../billing/plans';
import type { Period } from './plan-state';

const noticeKey = (t: 80 | 100, u: { userId: string; metric: UsageMetric; period: Period }) =>
  `quota-${t}:${u.userId}:${u.metric}:${u.period.start.toISOString()}`;

const words: Record<UsageMetric, string> = { download: 'downloads', api_call: 'API calls' };

export async function quotaNotices(
  deps: AppDeps,
  u: { userId: string; metric: UsageMetric; used: number; limit: number; period: Period; plan: PlanId },
): Promise<void> {
  if (u.limit <= 0 || u.used * 100 < u.limit * 80) return;
  // Keys this server already enqueued: past a threshold, every later call would otherwise try (and
  // fail) the same unique insert.
  const { enqueued, stored, passed } = deps.caches.quotaNotices;
  // Past both thresholds every later call lands here: one lookup, not two keys built and looked up.
  const done = `${u.userId}:${u.metric}:${u.period.start.getTime()}`;
  if (passed.has(done)) return;
  const thresholds = ([80, 100] as const).filter((t) => u.used * 100 >= u.limit * t);
  for (const t of thresholds) {
    const key = noticeKey(t, u);
    if (enqueued.has(key)) continue;
    enqueued.add(key);
    if (enqueued.size > 100_000) enqueued.clear();
    try {
      const user = await deps.db.c.users.findOne({ _id: u.userId }, { projection: { email: 1 } });
      if (!user) continue;
      await sendOnce(deps, key, { to: user.email, ...quotaMail(deps.env, { ...u, threshold: t }) });
      stored.add(key);
      if (stored.size > 100_000) stored.clear();
      // Both notices stored for this period: later calls stop at the first lookup.
      if (stored.has(noticeKey(80, u)) && stored.has(noticeKey(100, u))) {
        passed.add(done);
        if (passed.size > 100_000) passed.clear();
        stored.delete(noticeKey(80, u));
        stored.delete(noticeKey(100, u));
      }
    } catch (err) {
      enqueued.delete(key);
      deps.log.warn({ err, key }, 'quota notice failed');
    }
  }
}

export function quotaMail(
  env: { PUBLIC_URL: string },
  u: { metric: UsageMetric; limit: number; plan: PlanId; period: Period; threshold: 80 | 100 },
) {
  const plan = plans[u.plan];
  const what = words[u.metric];
  const renews = u.period.end.toISOString().slice(0, 10);
  const overage = u.metric === 'api_call' && plan.limits.apiOverage;
  const subject =
    u.threshold === 100 ? `You have used all your DropIn ${what} for this period` : `You have used 80% of your DropIn ${what}`;
  const next =
    u.threshold === 100
      ? overage
        ? `Further ${what} are billed as overage at $${((plan.overage?.unitAmount ?? 0) / 100).toFixed(2)} each until ${renews}.`
        : `Further ${what} are refused until ${renews}, unless you upgrade.`
      : `Your ${u.limit.toLocaleString('en-US')} ${what} renew on ${renews}.`;
  return compose(env, subject, {
    paragraphs: [
      `You have used ${u.threshold}% of the ${u.limit.toLocaleString('en-US')} ${what} included in your ${plan.name} plan.`,
      next,
    ],
    link: { href: `${env.PUBLIC_URL}/app/usage`, label: 'See your usage' },
  });
}
