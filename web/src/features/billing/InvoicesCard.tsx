// Every invoice Stripe has for the customer: date, amount, status (and what was refunded of it), the
// PDF and the hosted page.
import { trpc } from '../../lib/trpc';
import { formatDate } from '../../lib/format';
import { Card } from '../../components/Card';
import { QueryState } from '../../components/QueryState';
import { CardIcon } from '../../components/icons';
import { cx } from '../../components/cx';
import { formatMoney, invoiceStatus, refundOf } from './billing-lib';

export function InvoicesCard({ poll }: { poll: boolean }) {
  const invoices = trpc.billing.invoices.useQuery(undefined, { refetchInterval: poll ? 5_000 : false });
  return (
    <Card title="Invoices" description="Receipts for every payment, as PDF or on Stripe's invoice page.">
      <QueryState
        query={invoices}
        loadingLabel="Loading invoices…"
        skeletonLines={4}
        errorTitle="We couldn't load your invoices"
        isEmpty={(data) => data.invoices.length === 0}
        empty={{
          icon: <CardIcon size={28} />,
          title: 'No invoices yet',
          headingLevel: 3,
          description: 'Your invoices will be listed here after your first payment (trials start with a $0 invoice).',
        }}
      >
        {(data) => (
          <table className="invoice-table">
            <thead>
              <tr>
                <th scope="col">Date</th>
                <th scope="col">Invoice</th>
                <th scope="col" className="num">
                  Amount
                </th>
                <th scope="col">Status</th>
                <th scope="col">
                  <span className="visually-hidden">Links</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {data.invoices.map((inv) => {
                const label = inv.number ?? formatDate(inv.created);
                const refund = refundOf(inv);
                return (
                  <tr key={inv.id}>
                    <td data-label="Date">{formatDate(inv.created)}</td>
                    <td data-label="Invoice" className="invoice-number">
                      {inv.number ?? '—'}
                    </td>
                    <td data-label="Amount" className="num">
                      {formatMoney(inv.total, inv.currency, { cents: true })}
                    </td>
                    <td data-label="Status">
                      <span
                        className={cx(
                          'badge',
                          inv.status === 'paid' && !refund && 'badge-success',
                          (inv.status === 'open' || inv.status === 'uncollectible') && 'badge-warning',
                        )}
                      >
                        {refund ? refund.label : invoiceStatus(inv.status)}
                      </span>
                      {refund && <span className="invoice-refund">Refunded {refund.amount}</span>}
                    </td>
                    <td className="invoice-links">
                      {inv.pdfUrl && (
                        <a href={inv.pdfUrl} target="_blank" rel="noreferrer">
                          Download PDF<span className="visually-hidden"> of invoice {label} (opens in a new tab)</span>
                        </a>
                      )}
                      {inv.hostedUrl && (
                        <a href={inv.hostedUrl} target="_blank" rel="noreferrer">
                          View invoice
                          <span className="visually-hidden"> {label} (opens in a new tab)</span>
                        </a>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
      </QueryState>
    </Card>
  );
}
