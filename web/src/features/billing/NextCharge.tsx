// The next charge as Stripe will make it (billing.nextCharge: the upcoming invoice's preview), with
// where the figure comes from: the plan's price, minus discounts and the credit on the balance.
import { formatDate } from '../../lib/format';
import { trpc } from '../../lib/trpc';
import { Skeleton } from '../../components/Spinner';
import { type BillingSummary, formatMoney } from './billing-lib';

/** The preview follows the mirror: a plan change, a cancel or a payment reloads it (follow.ts). */
export function useNextCharge(summary: BillingSummary | undefined) {
  return trpc.billing.nextCharge.useQuery(undefined, { enabled: Boolean(summary?.subscription), staleTime: 30_000 });
}

/** "$12.00 on Jan 16, 2027" and, below it, how that figure is made. */
export function NextChargeFigure({ summary, label }: { summary: BillingSummary; label?: string }) {
  const next = useNextCharge(summary);
  const sub = summary.subscription;
  if (!sub) return null;
  const owed = sub.latestInvoice && sub.latestInvoice.status === 'open' ? sub.latestInvoice.amountDue : null;
  if (next.data?.none === 'payment_due' || (next.data === undefined && owed !== null && sub.status !== 'active')) {
    return (
      <div className="next-charge">
        <dt>Due now</dt>
        <dd>
          {owed !== null ? formatMoney(owed, sub.currency, { cents: true }) : 'An unpaid invoice'}
          <span className="next-charge-detail">The last payment failed: pay the open invoice.</span>
        </dd>
      </div>
    );
  }
  if (next.data?.none === 'ends' || next.data?.none === 'no_subscription') return null;
  const title = label ?? (sub.status === 'trialing' ? 'First payment' : 'Next charge');
  if (next.status === 'error') {
    return (
      <div className="next-charge">
        <dt>{title}</dt>
        <dd>
          {sub.currentPeriodEnd ? formatDate(sub.currentPeriodEnd) : '—'}
          <span className="next-charge-detail">We couldn't load the amount just now.</span>
        </dd>
      </div>
    );
  }
  const charge = next.data?.charge;
  if (!charge) {
    return (
      <div className="next-charge">
        <dt>{title}</dt>
        <dd>
          <Skeleton lines={1} label="Loading your next charge…" />
        </dd>
      </div>
    );
  }
  const money = (n: number) => formatMoney(n, charge.currency, { cents: true });
  const parts = [`${money(charge.subtotal)} ${charge.kind === 'scheduled_change' ? 'new plan' : 'plan'}`];
  if (charge.discount > 0) parts.push(`− ${money(charge.discount)} ${charge.discounts[0]?.name ?? 'discount'}`);
  if (charge.creditUsed > 0) parts.push(`− ${money(charge.creditUsed)} credit`);
  return (
    <>
      <div className="next-charge">
        <dt>{title}</dt>
        <dd>
          {money(charge.amountDue)} on {formatDate(charge.at)}
          {parts.length > 1 && <span className="next-charge-detail">{parts.join(' ')}</span>}
        </dd>
      </div>
      {charge.discounts.length > 0 && (
        <div>
          {/* Before a scheduled change these are the new plan's: a code may start only with it. */}
          <dt>{charge.kind === 'scheduled_change' ? 'Discount on the new plan' : 'Discount'}</dt>
          <dd>{charge.discounts.map((d) => (d.code ? `${d.code}: ${d.name}` : d.name)).join(', ')}</dd>
        </div>
      )}
    </>
  );
}
