// What the billing dashboard shows: read from the mirror (fast, no Stripe call) plus, for the
// invoice list and the portal, live calls to Stripe.
import { type RetryStep, retrySchedule } from './retry-schedule';
import type Stripe from 'stripe';
import type { AppDeps } from '../deps';
import type { SubscriptionDoc } from '../db/collections';
import { AppError } from '../lib/errors';
import { findByIds } from '../db/reads';
import { customerIdOf } from './customers';
import { withStripeErrors } from './errors';
import { plans, type PlanId } from './plans';
import { paymentIntentOf, refundableOf } from './refunds';
import { catalogPrices } from './prices';
import { describeCreditNote, describeInvoice, type CreditNoteWords, type InvoiceWords } from './invoice-words';
import { accountAlerts, type AccountAlert } from './alerts';
import { effectivePlan, hasPaymentTrouble, isEnded } from './status';
import { formatAmount } from '../lib/money';
import { portalConfigurationId } from './portal';
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
      /** The promotion code that starts with the new plan; null without one. */
      promotionCode: string | null;
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
   * The customer's Stripe balance: negative is credit that the next invoices use up before the card
   * is charged, positive is owed and added to the next invoice.
   */
  balance: { amount: number; currency: string };
  /** What needs the subscriber's attention (src/billing/alerts.ts). */
  alerts: AccountAlert[];
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export async function billingSummary(deps: AppDeps, userId: string): Promise<BillingSummary> {
  const sub = await currentSubscription(deps, userId);
  const planId = effectivePlan(sub);
  const customer = await deps.db.c.billingCustomers.findOne(sub ? { _id: sub.customerId } : { userId }, {
    projection: { defaultPaymentMethod: 1, balance: 1, currency: 1 },
  });
  const pm = sub ? sub.defaultPaymentMethod : (customer?.defaultPaymentMethod ?? null);
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
            promotionCode: sub.scheduledChange.promotionCode ?? null,
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
                retryDays: deps.env.STRIPE_RETRY_DAYS,
              })
            : [],
      },
      syncedAt: sub.syncedAt.toISOString(),
    },
    paymentMethod: pm && { brand: pm.brand, last4: pm.last4, expMonth: pm.expMonth, expYear: pm.expYear },
    balance: { amount: customer?.balance ?? 0, currency: customer?.currency ?? sub?.currency ?? 'usd' },
    alerts: accountAlerts({ subscription: sub }),
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
  /** What it is for, its lines and periods, the balance it used or added (src/billing/invoice-words.ts). */
  words: InvoiceWords;
  /** Credit notes issued against it, oldest first, voided ones included (marked). */
  creditNotes: CreditNoteWords[];
}

/** When each of the customer's mirrored subscriptions ended its trial (unix seconds). */
async function trialEndsOf(deps: AppDeps, customerId: string): Promise<Set<number>> {
  const { c } = deps.db;
  const row = await c.billingCustomers.findOne({ _id: customerId }, { projection: { subscriptionIds: 1 } });
  const subs = row?.subscriptionIds ? await findByIds(c.subscriptions, row.subscriptionIds) : [];
  return new Set(subs.flatMap((s) => (s.trialEnd ? [Math.floor(s.trialEnd.getTime() / 1000)] : [])));
}

export async function listInvoices(deps: AppDeps, userId: string): Promise<InvoiceRow[]> {
  const customer = await customerIdOf(deps, userId);
  if (!customer) return [];
  const stripe = requireStripe(deps);
  // Refunds live on the charge that paid an invoice: the invoices' payments name its PaymentIntent.
  // Credit notes (issued in Stripe's Dashboard) are read beside them and shown under their invoice.
  const [list, charges, notes] = await withStripeErrors(() =>
    Promise.all([
      stripe.invoices.list({ customer, limit: 24, expand: ['data.payments'] }),
      stripe.charges.list({ customer, limit: 100 }),
      stripe.creditNotes.list({ customer, limit: 100 }),
    ]),
  );
  const notesOf = new Map<string, Stripe.CreditNote[]>();
  for (const cn of [...notes.data].reverse()) {
    const invoiceId = typeof cn.invoice === 'string' ? cn.invoice : cn.invoice.id;
    notesOf.set(invoiceId, [...(notesOf.get(invoiceId) ?? []), cn]);
  }
  const trialEnds = await trialEndsOf(deps, customer);
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
      const creditNotes = notesOf.get(inv.id as string) ?? [];
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
        refundable: refundableOf({ invoice: inv, charge, creditNotes }),
        words: describeInvoice(inv, { trialEnds }),
        creditNotes: creditNotes.map(describeCreditNote),
      };
    });
}

export interface NextCharge {
  /** When Stripe will charge it: the renewal, the trial's end, or a scheduled change's start. */
  at: string;
  kind: 'renewal' | 'trial_end' | 'scheduled_change';
  /** What the card will be charged: after discounts and the customer balance. */
  amountDue: number;
  /** The plan's price and anything else billed, before discounts. */
  subtotal: number;
  discount: number;
  /** Customer balance credit the invoice will use up. */
  creditUsed: number;
  currency: string;
  /** The discounts in force, named as the coupon is ("20% off", "SPRING"). */
  discounts: { name: string; code: string | null }[];
  lines: InvoiceWords['lines'];
}

/** Why there is no next charge to show. */
export type NoNextCharge = 'no_subscription' | 'ends' | 'payment_due';

/**
 * The next charge as Stripe will make it: Stripe's preview of the subscription's upcoming invoice
 * (discounts, scheduled plan change and customer balance applied), dated from the mirror. None while
 * the subscription is set to end, and none while a payment is owed (the open invoice is the charge).
 */
export async function nextCharge(
  deps: AppDeps,
  userId: string,
): Promise<{ charge: NextCharge; none: null } | { charge: null; none: NoNextCharge }> {
  const sub = await currentSubscription(deps, userId);
  if (!sub || isEnded(sub.status)) return { charge: null, none: 'no_subscription' };
  if (sub.cancelAtPeriodEnd || sub.cancelAt) return { charge: null, none: 'ends' };
  if (hasPaymentTrouble(sub.status)) return { charge: null, none: 'payment_due' };
  const inv = await upcomingInvoice(deps, sub);
  const words = describeInvoice(inv);
  const discount = inv.total_discount_amounts?.reduce((n, d) => n + d.amount, 0) ?? 0;
  const at = sub.scheduledChange?.at ?? (sub.status === 'trialing' ? sub.trialEnd : null) ?? sub.currentPeriodEnd;
  return {
    none: null,
    charge: {
      at: (at ?? new Date(inv.period_end * 1000)).toISOString(),
      kind: sub.scheduledChange ? 'scheduled_change' : sub.status === 'trialing' ? 'trial_end' : 'renewal',
      amountDue: inv.amount_due,
      subtotal: inv.subtotal,
      discount,
      creditUsed: words.creditUsed,
      currency: inv.currency,
      discounts: (inv.discounts ?? []).flatMap((d) => (typeof d === 'string' || d.deleted ? [] : [discountName(d)])),
      lines: words.lines,
    },
  };
}

/** How many subscriptions' previews one instance keeps; the oldest read goes first. */
const NEXT_CHARGE_CACHED = 2_000;
/**
 * How long a preview stands while the mirror does not change: metered overage reported since (which
 * changes no subscription) shows within this.
 */
const NEXT_CHARGE_TTL_MS = 10 * 60_000;

/**
 * Stripe's preview of the subscription's upcoming invoice, read again only when the mirror row has
 * changed since (every sync, so every billing change, rewrites it) or the preview has aged out: a
 * dashboard reload costs no Stripe call. Concurrent loads share one read; a failed read is not kept.
 */
async function upcomingInvoice(deps: AppDeps, sub: SubscriptionDoc): Promise<Stripe.Invoice> {
  const cache = deps.caches.nextCharge;
  const version = `${sub.fetchedAt.getTime()}:${sub.syncedAt.getTime()}`;
  const held = cache.get(sub._id);
  if (held && held.version === version && Date.now() - held.at < NEXT_CHARGE_TTL_MS) return held.invoice;
  const stripe = requireStripe(deps);
  const invoice = withStripeErrors(() =>
    stripe.invoices.createPreview({
      customer: sub.customerId,
      subscription: sub._id,
      expand: ['discounts.source.coupon', 'discounts.promotion_code'],
    }),
  );
  cache.delete(sub._id);
  cache.set(sub._id, { version, at: Date.now(), invoice });
  while (cache.size > NEXT_CHARGE_CACHED) {
    const oldest = cache.keys().next().value;
    if (oldest === undefined) break;
    cache.delete(oldest);
  }
  invoice.catch(() => {
    if (cache.get(sub._id)?.invoice === invoice) cache.delete(sub._id);
  });
  return invoice;
}

function discountName(d: Stripe.Discount): { name: string; code: string | null } {
  const coupon = typeof d.source.coupon === 'object' ? d.source.coupon : null;
  const code = typeof d.promotion_code === 'object' && d.promotion_code ? d.promotion_code.code : null;
  const off = coupon?.percent_off
    ? `${coupon.percent_off}% off`
    : coupon?.amount_off
      ? `${formatAmount(coupon.amount_off, coupon.currency ?? 'usd', { trim: true })} off`
      : 'Discount';
  return { name: coupon?.name ? `${coupon.name} (${off})` : off, code };
}

export async function portalUrl(deps: AppDeps, userId: string): Promise<string> {
  const customer = await customerIdOf(deps, userId);
  if (!customer) throw new AppError('NOT_FOUND', 'You have no billing account yet. Choose a plan first.');
  const stripe = requireStripe(deps);
  // DropIn's configuration (plans to switch to, cancel at period end); the account's default if the
  // catalog push has not made one.
  const configuration = await withStripeErrors(() => portalConfigurationId(stripe));
  const session = await withStripeErrors(() =>
    stripe.billingPortal.sessions.create({
      customer,
      return_url: `${deps.env.PUBLIC_URL}/app/billing`,
      ...(configuration ? { configuration } : {}),
    }),
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
