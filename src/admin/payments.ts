// Failed payments: subscriptions in dunning (past_due, unpaid, incomplete) with what is owed, why
// the last charge failed, Stripe's attempts and next retry, and which dunning emails went out.
// Read from the small collections in billing/payment-failures.ts (kept by syncCustomer and the
// billing effects), not from the whole mirror and inbox; the page makes no Stripe calls.
import type { AppDeps } from '../deps';
import { requireStripe, syncCustomer } from '../billing/sync';
import { withStripeErrors } from '../billing/errors';
import { AppError } from '../lib/errors';
import { audited, type Actor } from './audit';
import { invalidateAdminCaches } from './cache';
import { findByIds } from '../db/reads';
import type { PaymentTroubleStatus } from '../billing/status';
import { type RetryStep, retrySchedule } from '../billing/retry-schedule';
import { type FailingSubscriptionDoc, failingSubscriptions, failingVersion, paymentFailures } from '../billing/payment-failures';
import { DUNNING_KEY } from '../billing/notifications';

export interface FailedPaymentRow {
  subscriptionId: string;
  customerId: string;
  userId: string | null;
  email: string | null;
  planId: string | null;
  status: string;
  invoiceId: string | null;
  invoiceStatus: string | null;
  amountDue: number;
  currency: string;
  attempts: number;
  nextRetry: string | null;
  /** The attempts still to come: Stripe's next one, then the retry setting's. */
  retrySchedule: RetryStep[];
  failureReason: string | null;
  hostedInvoiceUrl: string | null;
  dunningEmails: { kind: string; status: string; sentAt: string | null }[];
}

type DunningEmail = FailedPaymentRow['dunningEmails'][number];

interface FailingView {
  /** Newest subscription first. */
  rows: FailingSubscriptionDoc[];
  reasons: Map<string, string>;
  /** By invoice id, with each outbox row's id. */
  emails: Map<string, (DunningEmail & { id: string })[]>;
}

const byCreated = (a: FailingSubscriptionDoc, b: FailingSubscriptionDoc) =>
  b.created.getTime() - a.created.getTime() || (a._id < b._id ? 1 : -1);

/**
 * Everything the page shows, in three reads: the failing rows and the failure reasons (small
 * collections) and the dunning emails (the outbox rows whose _id starts with the email's purpose: an
 * _id prefix, a range that may be a scan of the outbox (src/db/reads.ts), which is why this is
 * one read per build rather than two _id reads per row on every page).
 */
async function loadFailing(deps: AppDeps): Promise<FailingView> {
  const [rows, failures, outbox] = await Promise.all([
    failingSubscriptions(deps).find({}).toArray(),
    paymentFailures(deps)
      .find({}, { projection: { reason: 1 } })
      .toArray(),
    deps.db.c.emailOutbox.find({ _id: { $regex: DUNNING_KEY } }, { projection: { status: 1, sentAt: 1 } }).toArray(),
  ]);
  const emails: FailingView['emails'] = new Map();
  for (const m of outbox) {
    const [kind, invoiceId] = m._id.split(':') as [string, string];
    const list = emails.get(invoiceId) ?? [];
    list.push({ id: m._id, kind, status: m.status, sentAt: m.sentAt?.toISOString() ?? null });
    emails.set(invoiceId, list);
  }
  return { rows: rows.sort(byCreated), reasons: new Map(failures.map((f) => [f._id, f.reason])), emails };
}

/**
 * The view per process, with the stamp it was read under (billing/payment-failures.ts): served
 * while the stamp holds and read again as soon as it changes, so the page is always current and a
 * request on a quiet account costs one `_id` read. Readers of one stamp share one read.
 */
const views = new WeakMap<object, { version: string; at: number; value: Promise<FailingView> }>();

async function failingView(deps: AppDeps, fresh: boolean | undefined): Promise<{ value: FailingView; at: number }> {
  const version = await failingVersion(deps);
  const hit = views.get(deps.db);
  if (!fresh && hit && hit.version === version) return { value: await hit.value, at: hit.at };
  const entry = { version, at: Date.now(), value: loadFailing(deps) };
  views.set(deps.db, entry);
  entry.value.catch(() => {
    if (views.get(deps.db) === entry) views.delete(deps.db);
  });
  return { value: await entry.value, at: entry.at };
}

/** The page's emails, those still being sent read again by `_id` (sending changes no stamp). */
async function currentEmails(deps: AppDeps, listed: (DunningEmail & { id: string })[]): Promise<Map<string, DunningEmail>> {
  const pending = listed.filter((e) => e.status === 'pending').map((e) => e.id);
  const now = new Map(
    (await findByIds(deps.db.c.emailOutbox, pending, { projection: { status: 1, sentAt: 1 } })).map((m) => [
      m._id,
      { status: m.status, sentAt: m.sentAt?.toISOString() ?? null },
    ]),
  );
  return new Map(listed.map(({ id, ...e }) => [id, { ...e, ...now.get(id) }]));
}

export async function failedPayments(
  deps: AppDeps,
  opts: { status?: PaymentTroubleStatus; page: number; pageSize: number; fresh?: boolean },
): Promise<{ rows: FailedPaymentRow[]; total: number; asOf: string }> {
  const { value: view, at } = await failingView(deps, opts.fresh);
  const all = opts.status ? view.rows.filter((s) => s.status === opts.status) : view.rows;
  const subs = all.slice((opts.page - 1) * opts.pageSize, opts.page * opts.pageSize);
  const listed = subs.flatMap((s) => (s.latestInvoice ? (view.emails.get(s.latestInvoice.id) ?? []) : []));
  const emails = await currentEmails(deps, listed);
  const rows = subs.map((s): FailedPaymentRow => {
    const inv = s.latestInvoice;
    return {
      subscriptionId: s._id,
      customerId: s.customerId,
      userId: s.userId,
      email: s.email,
      planId: s.planId,
      status: s.status,
      invoiceId: inv?.id ?? null,
      invoiceStatus: inv?.status ?? null,
      amountDue: inv ? Math.max(0, inv.amountDue - inv.amountPaid) : 0,
      currency: inv?.currency ?? s.currency,
      attempts: inv?.attemptCount ?? 0,
      nextRetry: inv?.nextPaymentAttempt?.toISOString() ?? null,
      retrySchedule: inv
        ? retrySchedule({
            attempts: inv.attemptCount,
            next: inv.nextPaymentAttempt,
            retryDays: deps.env.STRIPE_RETRY_DAYS,
          })
        : [],
      failureReason: view.reasons.get(s.customerId) ?? null,
      hostedInvoiceUrl: inv?.hostedInvoiceUrl ?? null,
      dunningEmails: inv ? (view.emails.get(inv.id) ?? []).map((e) => emails.get(e.id) as DunningEmail) : [],
    };
  });
  return { rows, total: all.length, asOf: new Date(at).toISOString() };
}

export async function retryPayment(opts: { deps: AppDeps; actor: Actor; actionId: string; invoiceId: string }) {
  const { deps } = opts;
  const stripe = requireStripe(deps);
  return audited({
    deps,
    actor: opts.actor,
    write: { action: 'retry_payment', targetType: 'invoice', targetId: opts.invoiceId, actionId: opts.actionId },
    prepare: async () => {
      // The failing rows first (a small collection); the whole mirror only for an invoice not there.
      const sub =
        (await failingSubscriptions(deps).findOne({ 'latestInvoice.id': opts.invoiceId })) ??
        (await deps.db.c.subscriptions.findOne({ 'latestInvoice.id': opts.invoiceId }));
      if (!sub) throw new AppError('NOT_FOUND', 'No subscription has this invoice as its latest.');
      return { userId: sub.userId, subscriptionId: sub._id, customerId: sub.customerId };
    },
    snapshot: async ({ subscriptionId }) => {
      const s = await deps.db.c.subscriptions.findOne({ _id: subscriptionId });
      return (
        s && { status: s.status, invoiceStatus: s.latestInvoice?.status ?? null, attempts: s.latestInvoice?.attemptCount ?? 0 }
      );
    },
    run: async ({ customerId }) => {
      try {
        const inv = await withStripeErrors(() =>
          stripe.invoices.pay(opts.invoiceId, {}, { idempotencyKey: `admin:retry:${opts.actionId}` }),
        );
        return { invoiceStatus: inv.status };
      } finally {
        // Paid or declined, the attempt changed the invoice: show it now.
        await syncCustomer(deps, customerId, { source: 'payment.retry', key: opts.actionId, invoiceId: opts.invoiceId }).catch(
          (err: unknown) => deps.log.warn({ err }, 'resync after a payment retry failed'),
        );
        // The resync stamped the failed-payments view (billing/payment-failures.ts); other admin views:
        invalidateAdminCaches(deps);
      }
    },
  });
}
