// Shared bits of the admin pages: types inferred from the admin router, money and percentages,
// and the action-id helper reused from billing (one id per confirmed action, so a double click or
// a retry after a lost answer acts once).
import type { inferRouterOutputs } from '@trpc/server';
import type { AppRouter } from '../../../../src/trpc/root';

export { formatMoney, statusOf, useActionIds, invoiceStatus, refundOf } from '../billing/billing-lib';

export type AdminOutputs = inferRouterOutputs<AppRouter>['admin'];
export type Overview = AdminOutputs['overview'];
export type SubscriberRow = AdminOutputs['subscribers']['rows'][number];
export type SubscriberDetail = AdminOutputs['subscriber'];
export type FailedPaymentRow = AdminOutputs['failedPayments']['rows'][number];
export type EventRow = AdminOutputs['events']['rows'][number];
export type RunView = AdminOutputs['reconcilerRun'];

/**
 * Query options of an admin view of live data: read again each time the view opens, however
 * recently it was read (what the admin left a minute ago may have moved since), and every `everyMs`
 * while it is open, when given.
 */
export function live(everyMs?: number): { refetchInterval: number | false; refetchOnMount: 'always' } {
  return { refetchInterval: everyMs ?? false, refetchOnMount: 'always' };
}

export function percent(value: number | null): string {
  if (value === null) return '—';
  return new Intl.NumberFormat(undefined, { style: 'percent', maximumFractionDigits: 1 }).format(value);
}

export const PLAN_NAMES: Record<string, string> = { pro: 'Pro', business: 'Business', free: 'Free', unknown: 'Unknown' };
export const planName = (id: string | null) => (id ? (PLAN_NAMES[id] ?? id) : '—');

export { type PaymentTroubleStatus, SUBSCRIPTION_STATUSES } from '../../../../src/billing/status';

/** Pages of a list: "1–25 of 312". */
export function rangeLabel(page: number, pageSize: number, total: number): string {
  if (total === 0) return 'No results';
  const from = (page - 1) * pageSize + 1;
  const to = Math.min(total, page * pageSize);
  return `${from.toLocaleString()}–${to.toLocaleString()} of ${total.toLocaleString()}`;
}

export interface Money {
  currency: string;
  amount: number;
}
