// What the billing dashboard shows: read from the mirror (fast, no Stripe call) plus, for the
// invoice list and the portal, live calls to Stripe.
import { parseRetryDays, type RetryStep, retrySchedule } from './retry-schedule';
import { cardExpiryWarning } from './card-expiry';
import type Stripe from 'stripe';
import type { AppDeps } from '../deps';
import { AppError } from '../lib/errors';
import { customerIdOf } from './customers';
import { withStripeErrors } from './errors';
import { plans, type PlanId } from './plans';
import { paymentIntentOf } from './refunds';
import { catalogPrices } from './prices';
import { effectivePlan, hasPaymentTrouble, type PaymentTroubleStatus } from './status';
import { currentSubscription } from './subscription';
import { requireStripe } from './sync';

export interface BillingSummary {
  plan: { id: PlanId; name: string };
  subscription: {
    id: string;
    status: string;
    planId: string | null;
    interval: 'month' | 'year' | null;
    unitAmount: number | null;
    currency: string;
    currentPeriodEnd: string | null;
    trialEnd: string | null;
    trialDaysLeft: number | null;
    cancelAtPeriodEnd: boolean;
    cancelAt: string | null;
    /** A plan change scheduled for the end of the period (a downgrade or interval switch). */
    scheduledChange: {
      planId: string | null;
      planName: string | null;
      interval: 'month' | 'year' | null;
      unitAmount: number | null;
      at: string;
    } | null;
    latestInvoice: {
      id: string;
      status: string | null;
      amountDue: number;
      hostedInvoiceUrl: string | null;
      nextPaymentAttempt: string | null;
      /** While a payment fails: the attempts still to come (billing/retry-schedule.ts). */
      retrySchedule: RetryStep[];
    } | null;
    syncedAt: string;
  } | null;
  paymentMethod: { brand: string; last4: string; expMonth: number; expYear: number } | null;
  /**
   * The card on file expires before the next charge, which is at most 30 days away: the dashboard
   * warns (the same rule sends the 30- and 7-day emails: billing/card-expiry.ts).
   */
  cardExpiring: { brand: string; last4: string; expiresAt: string; chargeAt: string } | null;
  /** The banner the dashboard should show, if any. */
  alert: PaymentTroubleStatus | 'cancel_scheduled' | null;
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export async function billingSummary(deps: AppDeps, userId: string): Promise<BillingSummary> {
  const sub = await currentSubscription(deps, userId);
  const planId = effectivePlan(sub);
  const customerDefault = sub
    ? null
    : ((await deps.db.c.billingCustomers.findOne({ userId }, { projection: { defaultPaymentMethod: 1 } }))
        ?.defaultPaymentMethod ?? null);
  const pm = sub?.defaultPaymentMethod ?? customerDefault;
  const expiring = sub ? cardExpiryWarning({ ...sub, defaultPaymentMethod: pm }, new Date()) : null;
  const alert: BillingSummary['alert'] = !sub
    ? null
    : hasPaymentTrouble(sub.status)
      ? sub.status
      : sub.cancelAtPeriodEnd
        ? 'cancel_scheduled'
        : null;
  return {
    plan: { id: planId, name: plans[planId].name },
    subscription: sub && {
      id: sub._id,
      status: sub.status,
      planId: sub.planId,
      interval: sub.interval,
      unitAmount: sub.unitAmount,
      currency: sub.currency,
      currentPeriodEnd: iso(sub.currentPeriodEnd),
      trialEnd: iso(sub.trialEnd),
      trialDaysLeft:
        sub.status === 'trialing' && sub.trialEnd
          ? Math.max(0, Math.ceil((sub.trialEnd.getTime() - Date.now()) / 86_400_000))
          : null,
      cancelAtPeriodEnd: sub.cancelAtPeriodEnd,
      cancelAt: iso(sub.cancelAt),
      scheduledChange: sub.scheduledChange
        ? {
            planId: sub.scheduledChange.planId,
            planName:
              sub.scheduledChange.planId && sub.scheduledChange.planId in plans
                ? plans[sub.scheduledChange.planId as PlanId].name
                : null,
            interval: sub.scheduledChange.interval,
            unitAmount: sub.scheduledChange.unitAmount,
            at: sub.scheduledChange.at.toISOString(),
          }
        : null,
      latestInvoice: sub.latestInvoice && {
        id: sub.latestInvoice.id,
        status: sub.latestInvoice.status,
        amountDue: sub.latestInvoice.amountDue,
        hostedInvoiceUrl: sub.latestInvoice.hostedInvoiceUrl,
        nextPaymentAttempt: iso(sub.latestInvoice.nextPaymentAttempt),
        retrySchedule:
          sub.latestInvoice.status === 'open'
            ? retrySchedule({
                attempts: sub.latestInvoice.attemptCount,
                next: sub.latestInvoice.nextPaymentAttempt,
                retryDays: parseRetryDays(deps.env.STRIPE_RETRY_DAYS),
              })
            : [],
      },
      syncedAt: sub.syncedAt.toISOString(),
    },
    paymentMethod: pm && { brand: pm.brand, last4: pm.last4, expMonth: pm.expMonth, expYear: pm.expYear },
    cardExpiring: expiring && {
      brand: expiring.card.brand,
      last4: expiring.card.last4,
      expiresAt: expiring.expiresAt.toISOString(),
      chargeAt: expiring.chargeAt.toISOString(),
    },
    alert,
  };
}

export interface InvoiceRow {
  id: string;
  number: string | null;
  created: string;
  total: number;
  amountPaid: number;
  amountDue: number;
  currency: string;
  status: string | null;
  pdfUrl: string | null;
  hostedUrl: string | null;
  /** Refunded so far of the card payment that paid it. */
  amountRefunded: number;
  /** What can still be refunded (0 unless it was paid by card). */
  refundable: number;
}

export async function listInvoices(deps: AppDeps, userId: string): Promise<InvoiceRow[]> {
  const customer = await customerIdOf(deps, userId);
  if (!customer) return [];
  const stripe = requireStripe(deps);
  // Refunds live on the charge that paid an invoice: the invoices' payments name its PaymentIntent.
  const [list, charges] = await withStripeErrors(() =>
    Promise.all([
      stripe.invoices.list({ customer, limit: 24, expand: ['data.payments'] }),
      stripe.charges.list({ customer, limit: 100 }),
    ]),
  );
  // A PaymentIntent retried after a decline keeps its failed charges: the one that paid is the
  // succeeded one.
  const chargeOf = new Map<string | undefined, Stripe.Charge>();
  for (const ch of charges.data) {
    const pi = typeof ch.payment_intent === 'string' ? ch.payment_intent : ch.payment_intent?.id;
    if (ch.status === 'succeeded' && !chargeOf.has(pi)) chargeOf.set(pi, ch);
  }
  return list.data
    .filter((inv: Stripe.Invoice) => inv.status !== 'draft')
    .map((inv: Stripe.Invoice) => {
      const pi = paymentIntentOf(inv);
      const charge = pi ? chargeOf.get(pi) : undefined;
      return {
        id: inv.id as string,
        number: inv.number ?? null,
        created: new Date(inv.created * 1000).toISOString(),
        total: inv.total,
        amountPaid: inv.amount_paid,
        amountDue: inv.amount_due,
        currency: inv.currency,
        status: inv.status,
        pdfUrl: inv.invoice_pdf ?? null,
        hostedUrl: inv.hosted_invoice_url ?? null,
        amountRefunded: charge?.amount_refunded ?? 0,
        refundable: inv.status === 'paid' && charge ? Math.max(0, charge.amount - charge.amount_refunded) : 0,
      };
    });
}

export async function portalUrl(deps: AppDeps, userId: string): Promise<string> {
  const customer = await customerIdOf(deps, userId);
  if (!customer) throw new AppError('NOT_FOUND', 'You have no billing account yet. Choose a plan first.');
  const stripe = requireStripe(deps);
  const session = await withStripeErrors(() =>
    stripe.billingPortal.sessions.create({ customer, return_url: `${deps.env.PUBLIC_URL}/app/billing` }),
  );
  return session.url;
}

export interface PublicPlan {
  id: PlanId;
  name: string;
  tagline: string;
  trialDays: number;
  features: string[];
  prices: { month: { amount: number; currency: string } | null; year: { amount: number; currency: string } | null };
}

/** The pricing page: the catalog with amounts as Stripe has them (falls back to the catalog's own). */
export async function publicPlans(deps: AppDeps): Promise<PublicPlan[]> {
  let live: Map<string, Stripe.Price> | null = null;
  try {
    live = deps.stripe ? await catalogPrices(deps.stripe) : null;
  } catch (err) {
    deps.log.warn({ err }, 'could not read prices from Stripe; showing catalog amounts');
  }
  return Object.values(plans)
    .sort((a, b) => a.rank - b.rank)
    .map((p) => {
      const price = (interval: 'month' | 'year') => {
        if (!p.prices) return null;
        const spec = p.prices[interval];
        const stripePrice = live?.get(spec.lookupKey);
        return { amount: stripePrice?.unit_amount ?? spec.unitAmount, currency: stripePrice?.currency ?? 'usd' };
      };
      return {
        id: p.id,
        name: p.name,
        tagline: p.tagline,
        trialDays: p.trialDays,
        features: p.features,
        prices: { month: price('month'), year: price('year') },
      };
    });
}
