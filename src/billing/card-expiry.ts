// Warns a subscriber whose card on file expires before their next charge: an email 30 days and 7
// days before that charge, each once per card and period (the outbox key names both), and the same
// warning in their billing summary for the dashboard's banner. A daily job, one process a day.
import type { AppDeps } from '../deps';
import type { PaymentMethodSummary, SubscriptionDoc } from '../db/collections';
import { claim } from '../db/claims';
import { findByIds } from '../db/reads';
import { sendOnce } from '../email/outbox';
import { compose } from '../email/templates';
import { BILLING_REASON, money, planName } from './notifications';

const DAY = 86_400_000;
const TIERS = [30, 7] as const;

export interface CardExpiryWarning {
  /** The warning due now: 30 or 7 days (or fewer) before the charge. */
  tier: (typeof TIERS)[number];
  chargeAt: Date;
  card: PaymentMethodSummary;
  /** The first moment the card no longer works: the start of the month after its expiry month. */
  expiresAt: Date;
}

/** The first moment a card no longer works (cards run to the end of their expiry month). */
export const cardExpiresAt = (card: Pick<PaymentMethodSummary, 'expMonth' | 'expYear'>): Date =>
  new Date(Date.UTC(card.expYear, card.expMonth, 1));

/**
 * The warning a subscription calls for now, if any: it renews (or its trial ends into a charge),
 * its card expires by then, and the charge is at most 30 days away.
 */
export function cardExpiryWarning(
  sub: Pick<SubscriptionDoc, 'status' | 'cancelAtPeriodEnd' | 'currentPeriodEnd' | 'trialEnd' | 'defaultPaymentMethod'>,
  now: Date,
): CardExpiryWarning | null {
  const card = sub.defaultPaymentMethod;
  if (!card || sub.cancelAtPeriodEnd || !['active', 'trialing', 'past_due'].includes(sub.status)) return null;
  const chargeAt = sub.status === 'trialing' ? (sub.trialEnd ?? sub.currentPeriodEnd) : sub.currentPeriodEnd;
  if (!chargeAt || chargeAt <= now) return null;
  const expiresAt = cardExpiresAt(card);
  if (expiresAt > chargeAt) return null;
  const daysLeft = (chargeAt.getTime() - now.getTime()) / DAY;
  const tier = daysLeft <= 7 ? 7 : daysLeft <= 30 ? 30 : null;
  return tier ? { tier, chargeAt, card, expiresAt } : null;
}

const day = (d: Date) => d.toLocaleDateString('en-US', { year: 'numeric', month: 'long', day: 'numeric', timeZone: 'UTC' });

/** Sends the warnings due now; each card and charge gets its 30-day and 7-day email once. */
export async function sendCardExpiryWarnings(deps: AppDeps, now = new Date()): Promise<{ checked: number; sent: number }> {
  const subs = await deps.db.c.subscriptions
    .find(
      { status: { $in: ['active', 'trialing', 'past_due'] }, cancelAtPeriodEnd: false },
      {
        projection: {
          userId: 1,
          status: 1,
          planId: 1,
          unitAmount: 1,
          currency: 1,
          cancelAtPeriodEnd: 1,
          currentPeriodEnd: 1,
          trialEnd: 1,
          defaultPaymentMethod: 1,
        },
      },
    )
    .toArray();
  const due = subs.flatMap((s) => {
    const w = cardExpiryWarning(s, now);
    return w && s.userId ? [{ sub: s, w }] : [];
  });
  const users = new Map(
    (await findByIds(deps.db.c.users, [...new Set(due.map((d) => d.sub.userId as string))], { projection: { email: 1 } })).map(
      (u) => [u._id, u.email],
    ),
  );
  let sent = 0;
  for (const { sub, w } of due) {
    const to = users.get(sub.userId as string);
    if (!to) continue;
    const amount = sub.unitAmount !== null ? ` of ${money(sub.unitAmount, sub.currency)}` : '';
    const mail = compose(deps.env, 'Your card on file is about to expire', {
      reason: BILLING_REASON,
      paragraphs: [
        `Your ${w.card.brand} card ending in ${w.card.last4} expires at the end of ${String(w.card.expMonth).padStart(2, '0')}/${w.card.expYear}, before your next DropIn ${planName(sub.planId)} charge${amount} on ${day(w.chargeAt)}.`,
        'Add a new card now so your subscription carries on without a hitch.',
      ],
      link: { href: `${deps.env.PUBLIC_URL}/app/billing`, label: 'Update your card' },
    });
    if (await sendOnce(deps, `card-expiring:${w.card.id}:${w.chargeAt.getTime()}:${w.tier}`, { to, ...mail })) sent += 1;
  }
  return { checked: subs.length, sent };
}

/** Once a day, in one process: the day's claim decides which (the check itself is safe to repeat). */
export function startCardExpiryJob(deps: AppDeps, everyMs = 3_600_000): { stop(): Promise<void> } {
  let running: Promise<void> | null = null;
  const run = () => {
    if (running) return;
    running = (async () => {
      const key = `card-expiry:${new Date().toISOString().slice(0, 10)}`;
      if (!(await claim(deps.db.c, key))) return;
      try {
        deps.log.info(await sendCardExpiryWarnings(deps), 'card expiry warnings checked');
      } catch (err) {
        // Given back, so the next hour tries again (emails already queued are not sent twice).
        await deps.db.c.claims.deleteOne({ _id: key });
        throw err;
      }
    })()
      .catch((err: unknown) => deps.log.warn({ err }, 'card expiry warnings failed; the next hour tries again'))
      .finally(() => {
        running = null;
      });
  };
  const first = setTimeout(run, 10_000);
  const timer = setInterval(run, everyMs);
  first.unref();
  timer.unref();
  return {
    async stop() {
      clearTimeout(first);
      clearInterval(timer);
      await running;
    },
  };
}
