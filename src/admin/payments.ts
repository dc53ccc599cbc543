// Failed payments: subscriptions in dunning (past_due, unpaid, incomplete) with what is owed, why
// the last charge failed, Stripe's attempts and next retry, and which dunning emails went out.
// Failure reasons come from the payment_intent.payment_failed events already in our inbox, so the
// page makes no Stripe calls.
import type { AppDeps } from '../deps';
import { requireStripe, syncCustomer } from '../billing/sync';
import { withStripeErrors } from '../billing/errors';
import { AppError } from '../lib/errors';
import { audited, type Actor } from './audit';

export const FAILED_STATUSES = ['past_due', 'unpaid', 'incomplete'] as const;

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

export async function failedPayments(
  deps: AppDeps,
  opts: { status?: (typeof FAILED_STATUSES)[number]; page: number; pageSize: number },
): Promise<{ rows: FailedPaymentRow[]; total: number }> {
  const { c } = deps.db;
  // One equality read per status (indexed on FerretDB too), merged and ordered here: the set in
  // dunning is small next to the whole mirror.
  const statuses = opts.status ? [opts.status] : [...FAILED_STATUSES];
  const all = (
    await Promise.all(
      statuses.map((status) =>
        c.subscriptions
          .find(
            { status },
            { projection: { customerId: 1, userId: 1, planId: 1, status: 1, currency: 1, latestInvoice: 1, created: 1 } },
          )
          .toArray(),
      ),
    )
  )
    .flat()
    .sort((a, b) => b.created.getTime() - a.created.getTime() || (a._id < b._id ? 1 : -1));
  const total = all.length;
  const subs = all.slice((opts.page - 1) * opts.pageSize, opts.page * opts.pageSize);
  const userIds = [...new Set(subs.map((s) => s.userId).filter((id): id is string => id !== null))];
  const invoiceIds = subs.map((s) => s.latestInvoice?.id).filter((id): id is string => !!id);
  const emailKeys = invoiceIds.flatMap((id) => [`payment-failed:${id}`, `action-required:${id}`]);
  const customerIds = [...new Set(subs.map((s) => s.customerId))];
  // Equality reads by _id / customer, one each: $in would scan on FerretDB.
  const [users, emails, failures] = await Promise.all([
    Promise.all(userIds.map((id) => c.users.findOne({ _id: id }, { projection: { email: 1 } }))).then((l) =>
      l.filter((u) => u !== null),
    ),
    Promise.all(emailKeys.map((id) => c.emailOutbox.findOne({ _id: id }, { projection: { status: 1, sentAt: 1 } }))).then((l) =>
      l.filter((m) => m !== null),
    ),
    Promise.all(
      customerIds.map((customerId) =>
        c.webhookEvents
          .find({ customerId, type: 'payment_intent.payment_failed' }, { projection: { customerId: 1, payload: 1, created: 1 } })
          .sort({ created: -1 })
          .limit(1)
          .toArray(),
      ),
    ).then((l) => l.flat()),
  ]);
  const emailOf = new Map(users.map((u) => [u._id, u.email]));
  const reasonOf = new Map<string, string>();
  for (const e of failures) {
    if (!e.customerId || reasonOf.has(e.customerId)) continue;
    reasonOf.set(e.customerId, failureReason(e.payload));
  }
  const rows = subs.map((s): FailedPaymentRow => {
    const inv = s.latestInvoice;
    return {
      subscriptionId: s._id,
      customerId: s.customerId,
      userId: s.userId,
      email: s.userId ? (emailOf.get(s.userId) ?? null) : null,
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
  return { rows, total };
}

function failureReason(payload: string): string {
  try {
    const event = JSON.parse(payload) as {
      data?: { object?: { last_payment_error?: { message?: string; decline_code?: string; code?: string } } };
    };
    const err = event.data?.object?.last_payment_error;
    if (!err) return 'Unknown';
    return [err.message, err.decline_code ?? err.code].filter(Boolean).join(' — ');
  } catch {
    return 'Unknown';
  }
}

export async function retryPayment(opts: { deps: AppDeps; actor: Actor; actionId: string; invoiceId: string }) {
  const { deps } = opts;
  const stripe = requireStripe(deps);
  const sub = await deps.db.c.subscriptions.findOne({ 'latestInvoice.id': opts.invoiceId });
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
  }
}
