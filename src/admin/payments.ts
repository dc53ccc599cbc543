// Failed payments: subscriptions in dunning (past_due, unpaid, incomplete) with what is owed, why
// the last charge failed, Stripe's attempts and next retry, and which dunning emails went out.
// Read from the small collections in failing.ts (kept by syncCustomer and the webhook worker), not
// from the whole mirror and inbox; the page makes no Stripe calls.
import type { AppDeps } from '../deps';
import { requireStripe, syncCustomer } from '../billing/sync';
import { withStripeErrors } from '../billing/errors';
import { AppError } from '../lib/errors';
import { audited, type Actor } from './audit';
import { cacheFor, invalidateAdminCaches } from './cache';
import { FAILED_STATUSES, type FailingSubscriptionDoc, failingSubscriptions, paymentFailures } from './failing';

export { FAILED_STATUSES };

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

/**
 * Every failing row, newest subscription first. Read on each request while the set is small (a
 * build under 250 ms); a large set is served from memory and rebuilt behind (cache.ts).
 */
const failing = (deps: AppDeps, fresh = false) =>
  cacheFor(
    deps,
    'failing-subscriptions',
    async () =>
      (await failingSubscriptions(deps).find({}).toArray()).sort(
        (a, b) => b.created.getTime() - a.created.getTime() || (a._id < b._id ? 1 : -1),
      ),
    0,
    250,
  ).get({ fresh });

export async function failedPayments(
  deps: AppDeps,
  opts: { status?: (typeof FAILED_STATUSES)[number]; page: number; pageSize: number; fresh?: boolean },
): Promise<{ rows: FailedPaymentRow[]; total: number; asOf: string }> {
  const { c } = deps.db;
  const snapshot = await failing(deps, opts.fresh);
  const all = opts.status ? snapshot.value.filter((s) => s.status === opts.status) : snapshot.value;
  const subs = all.slice((opts.page - 1) * opts.pageSize, opts.page * opts.pageSize);
  const invoiceIds = subs.map((s) => s.latestInvoice?.id).filter((id): id is string => !!id);
  const emailKeys = invoiceIds.flatMap((id) => [`payment-failed:${id}`, `action-required:${id}`]);
  const customerIds = [...new Set(subs.map((s) => s.customerId))];
  // Equality reads by _id, one each: an $in would scan on FerretDB. The reasons are a small
  // collection; the outbox is keyed by the email's purpose, so these are exact reads on MongoDB.
  const [emails, failures] = await Promise.all([
    Promise.all(emailKeys.map((id) => c.emailOutbox.findOne({ _id: id }, { projection: { status: 1, sentAt: 1 } }))).then((l) =>
      l.filter((m) => m !== null),
    ),
    Promise.all(customerIds.map((id) => paymentFailures(deps).findOne({ _id: id }))).then((l) => l.filter((f) => f !== null)),
  ]);
  const reasonOf = new Map(failures.map((f) => [f._id, f.reason]));
  const rows = subs.map((s: FailingSubscriptionDoc): FailedPaymentRow => {
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
      failureReason: reasonOf.get(s.customerId) ?? null,
      hostedInvoiceUrl: inv?.hostedInvoiceUrl ?? null,
      dunningEmails: inv
        ? emails
            .filter((m) => m._id.endsWith(`:${inv.id}`))
            .map((m) => ({ kind: m._id.split(':')[0] as string, status: m.status, sentAt: m.sentAt?.toISOString() ?? null }))
        : [],
    };
  });
  return { rows, total: all.length, asOf: new Date(snapshot.at).toISOString() };
}

export async function retryPayment(opts: { deps: AppDeps; actor: Actor; actionId: string; invoiceId: string }) {
  const { deps } = opts;
  const stripe = requireStripe(deps);
  // The failing rows first (a small collection); the whole mirror only for an invoice not there.
  const sub =
    (await failingSubscriptions(deps).findOne({ 'latestInvoice.id': opts.invoiceId })) ??
    (await deps.db.c.subscriptions.findOne({ 'latestInvoice.id': opts.invoiceId }));
  if (!sub) throw new AppError('NOT_FOUND', 'No subscription has this invoice as its latest.');
  const state = async () => {
    const s = await deps.db.c.subscriptions.findOne({ _id: sub._id });
    return (
      s && { status: s.status, invoiceStatus: s.latestInvoice?.status ?? null, attempts: s.latestInvoice?.attemptCount ?? 0 }
    );
  };
  try {
    return await audited(
      deps,
      opts.actor,
      { action: 'retry_payment', targetType: 'invoice', targetId: opts.invoiceId, userId: sub.userId, actionId: opts.actionId },
      state,
      async () => {
        const inv = await withStripeErrors(() =>
          stripe.invoices.pay(opts.invoiceId, {}, { idempotencyKey: `admin:retry:${opts.actionId}` }),
        );
        return { invoiceStatus: inv.status };
      },
    );
  } finally {
    // Paid or declined, the attempt changed the invoice: show it now.
    await syncCustomer(deps, sub.customerId).catch((err: unknown) =>
      deps.log.warn({ err }, 'resync after a payment retry failed'),
    );
    invalidateAdminCaches(deps);
  }
}
