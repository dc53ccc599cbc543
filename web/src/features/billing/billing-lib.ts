// What the billing pages share: the procedures' output types, money and plan wording, and the
// client-made action ids that make a double click (or a retry) one change in Stripe.
import { useRef } from 'react';
import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';
import type { AppRouter } from '../../../../src/trpc/root';
import type { ApiError } from '../../lib/errors';
import { formatAmount } from '../../../../src/lib/money';
import { formatDate } from '../../lib/format';

type Outputs = inferRouterOutputs<AppRouter>['billing'];
export type BillingSummary = Outputs['summary'];
export type Subscription = NonNullable<BillingSummary['subscription']>;
export type PublicPlan = Outputs['plans']['plans'][number];
export type Invoice = Outputs['invoices']['invoices'][number];
export type ChangePreview = Outputs['previewChange'];
export type BillingDetailsData = Outputs['details'];
export type BillingDetailsInput = inferRouterInputs<AppRouter>['billing']['updateDetails'];
export type Interval = 'month' | 'year';
export type PaidPlanId = 'pro' | 'business';

export const intervalLabel: Record<Interval, string> = { month: 'Monthly', year: 'Yearly' };

/** "$12", "$12.50", "−$3.20": whole amounts without cents, credits with a minus sign. */
export function formatMoney(amount: number, currency = 'usd', opts: { cents?: boolean } = {}): string {
  return formatAmount(amount, currency, { trim: !opts.cents });
}

export function perInterval(amount: number, currency: string, interval: Interval): string {
  return `${formatMoney(amount, currency)} / ${interval}`;
}

const statusWords: Record<string, { label: string; tone: 'brand' | 'success' | 'warning' | 'danger' | 'neutral' }> = {
  trialing: { label: 'Trial', tone: 'brand' },
  active: { label: 'Active', tone: 'success' },
  past_due: { label: 'Past due', tone: 'danger' },
  unpaid: { label: 'Unpaid', tone: 'danger' },
  incomplete: { label: 'Payment needed', tone: 'warning' },
  incomplete_expired: { label: 'Expired', tone: 'neutral' },
  paused: { label: 'Paused', tone: 'warning' },
  canceled: { label: 'Canceled', tone: 'neutral' },
};

/** The plan a summary shows ("Business"), named from the subscription's own plan when it has one. */
export function planLabel(summary: BillingSummary): string {
  const id = summary.subscription?.planId;
  return id ? id.charAt(0).toUpperCase() + id.slice(1) : summary.plan.name;
}

/**
 * "Changes to Pro on Jan 2, 2027", or "… to Business (yearly) …" when the billing interval changes
 * too, and "… with code SPRING20" when a promotion code starts with the new plan.
 */
export function scheduledChangeLabel(summary: BillingSummary, change: NonNullable<Subscription['scheduledChange']>): string {
  const sub = summary.subscription;
  const name = change.planName ?? 'another plan';
  const interval =
    change.interval && change.interval !== sub?.interval ? ` (${change.interval === 'month' ? 'monthly' : 'yearly'})` : '';
  const code = change.promotionCode ? ` with code ${change.promotionCode}` : '';
  return `Changes to ${name}${interval} on ${formatDate(change.at)}${code}`;
}

export function statusOf(status: string) {
  return statusWords[status] ?? { label: status.replace(/_/g, ' '), tone: 'neutral' as const };
}

const invoiceWords: Record<string, string> = {
  paid: 'Paid',
  open: 'Open',
  void: 'Void',
  uncollectible: 'Uncollectible',
  draft: 'Draft',
};

export function invoiceStatus(status: string | null): string {
  return status ? (invoiceWords[status] ?? status) : '—';
}

/** What was refunded of an invoice: "Refunded" or "Partially refunded", with the amount; null when nothing. */
export function refundOf(inv: {
  amountRefunded: number;
  amountPaid: number;
  currency: string;
}): { label: 'Refunded' | 'Partially refunded'; amount: string } | null {
  if (inv.amountRefunded <= 0) return null;
  // Compared with what was paid, not with what is left to refund: credit notes can leave nothing
  // refundable on an invoice only partly refunded to the card.
  return {
    label: inv.amountRefunded < inv.amountPaid ? 'Partially refunded' : 'Refunded',
    amount: formatMoney(inv.amountRefunded, inv.currency, { cents: true }),
  };
}

export function newActionId(): string {
  return crypto.randomUUID().replaceAll('-', '');
}

/**
 * One id per intended action (keyed by what is being done), kept while the action is pending, so
 * a double click or a retry after a lost answer reuses it and Stripe makes one change. The id is
 * dropped once the server gave a definite answer (success, or a 4xx), so trying again after
 * fixing the problem is a new action.
 */
export function useActionIds() {
  const ids = useRef(new Map<string, string>());
  return {
    idFor(key: string): string {
      let id = ids.current.get(key);
      if (!id) {
        id = newActionId();
        ids.current.set(key, id);
      }
      return id;
    },
    settle(key: string, error?: ApiError | null) {
      const status = error?.data?.httpStatus;
      // No answer or a 5xx: we don't know whether Stripe acted, so a retry must reuse the id.
      if (error && (status === undefined || status >= 500)) return;
      ids.current.delete(key);
    },
  };
}
