// Failed payments: subscriptions in dunning (past_due, unpaid, incomplete) with what is owed, why
// the last charge failed, Stripe's attempts and next retry, and which dunning emails went out.
// Read from the small collections in billing/payment-failures.ts (kept by syncCustomer and the
// billing effects), not from the whole mirror and inbox; the page makes no Stripe calls.
import type { AppDeps } from '../deps';
import { requireStripe, syncCustomer } from '../billing/sync';
import { withStripeErrors } from '../billing/errors';
import { AppError } from '../lib/errors';
import { audited, type Actor } from './audit';
import { cacheFor, invalidateAdminCaches } from './cache';
import type { PaymentTroubleStatus } from '../billing/status';
import { type FailingSubscriptionDoc, failingSubscriptions, paymentFailures } from '../billing/payment-failures';

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
  failureReason: string | null;
  hostedInvoiceUrl: string | null;
  dunningEmails: { kind: string; status: string; sentAt: string | null }[];
}

type DunningEmail = FailedPaymentRow['dunningEmails'][number];

interface FailingView {
  /** Newest subscription first. */
  rows: FailingSubscriptionDoc[];
  reasons: Map<string, string>;
  /** By invoice id. */
  emails: Map<string, DunningEmail[]>;
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
    deps.db.c.emailOutbox
      .find({ _id: { $regex: /^(payment-failed|action-required):/ } }, { projection: { status: 1, sentAt: 1 } })
      .toArray(),
  ]);
  const emails = new Map<string, DunningEmail[]>();
  for (const m of outbox) {
    const [kind, invoiceId] = m._id.split(':') as [string, string];
    const list = emails.get(invoiceId) ?? [];
    list.push({ kind, status: m.status, sentAt: m.sentAt?.toISOString() ?? null });
    emails.set(invoiceId, list);
  }
  return { rows: rows.sort(byCreated), reasons: new Map(failures.map((f) => [f._id, f.reason])), emails };
}

/**
 * Read on each request while it is quick (under 250 ms: a small account); a large one is served
 * from memory and rebuilt behind (cache.ts), with the admin's own retries applied at once.
 */
const failingCache = (deps: AppDeps) => cacheFor(deps, 'failing-subscriptions', () => loadFailing(deps), 0, 250);

export async function failedPayments(
  deps: AppDeps,
  opts: { status?: PaymentTroubleStatus; page: number; pageSize: number; fresh?: boolean },
): Promise<{ rows: FailedPaymentRow[]; total: number; asOf: string }> {
  const { value: view, at } = await failingCache(deps).get({ fresh: opts.fresh });
  const all = opts.status ? view.rows.filter((s) => s.status === opts.status) : view.rows;
  const subs = all.slice((opts.page - 1) * opts.pageSize, opts.page * opts.pageSize);
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
      failureReason: view.reasons.get(s.customerId) ?? null,
      hostedInvoiceUrl: inv?.hostedInvoiceUrl ?? null,
      dunningEmails: inv ? (view.emails.get(inv.id) ?? []) : [],
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
    run: async ({ subscriptionId, customerId }) => {
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
        // The retried subscription's row as the resync left it, shown at once even from a snapshot.
        const row = await failingSubscriptions(deps)
          .findOne({ _id: subscriptionId })
          .catch(() => undefined);
        if (row !== undefined)
          failingCache(deps).update((v) => ({
            ...v,
            rows: (row
              ? [...v.rows.filter((r) => r._id !== subscriptionId), row]
              : v.rows.filter((r) => r._id !== subscriptionId)
            ).sort(byCreated),
          }));
        invalidateAdminCaches(deps);
      }
    },
  });
}
