// Every invoice Stripe has for the customer: date, what it is for (trial start, renewal, plan
// change… and the period), its lines, the credit it used or added, the credit notes issued against
// it, amount, status (and what was refunded of it), the PDF and the hosted page.
import { trpc } from '../../lib/trpc';
import { formatDate } from '../../lib/format';
import { Card } from '../../components/Card';
import { QueryState } from '../../components/QueryState';
import { CardIcon } from '../../components/icons';
import { cx } from '../../components/cx';
import { formatMoney, refundOf } from './billing-lib';
import { CreditNotes } from './CreditNotes';

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
                const w = inv.words;
                const money = (n: number) => formatMoney(n, inv.currency, { cents: true });
                const notes = [
                  w.zeroLabel !== w.title ? w.zeroLabel : null,
                  w.creditUsed > 0 ? `${money(w.creditUsed)} credit applied` : null,
                  w.creditAdded > 0 ? `${money(w.creditAdded)} added to your credit balance` : null,
                  w.debtAdded > 0 ? `includes ${money(w.debtAdded)} owed from before` : null,
                ].filter(Boolean);
                return (
                  <tr key={inv.id}>
                    <td data-label="Date">{formatDate(inv.created)}</td>
                    <td data-label="Invoice" className="invoice-what">
                      <span className="invoice-title">{w.title}</span>
                      {w.period && (
                        <span className="invoice-period">
                          {formatDate(w.period.start)} – {formatDate(w.period.end)}
                        </span>
                      )}
                      {inv.number && <span className="invoice-number">{inv.number}</span>}
                      {notes.length > 0 && <span className="invoice-note">{notes.join(' · ')}</span>}
                      <CreditNotes notes={inv.creditNotes} audience="subscriber" />
                      {w.lines.length > 0 && (
                        <details className="invoice-lines">
                          <summary>
                            {w.lines.length === 1 ? '1 line' : `${w.lines.length} lines`}
                            <span className="visually-hidden"> of invoice {label}</span>
                          </summary>
                          <ul>
                            {w.lines.map((line, i) => (
                              // Lines have no id of their own in this list; their order is Stripe's.
                              // biome-ignore lint/suspicious/noArrayIndexKey: stable order within one invoice
                              <li key={i}>
                                <span>
                                  {line.description}
                                  {line.period && (
                                    <span className="invoice-period">
                                      {formatDate(line.period.start)} – {formatDate(line.period.end)}
                                    </span>
                                  )}
                                </span>
                                <span className="num">{money(line.amount)}</span>
                              </li>
                            ))}
                          </ul>
                        </details>
                      )}
                    </td>
                    <td data-label="Amount" className="num">
                      {money(inv.total)}
                    </td>
                    <td data-label="Status">
                      <span
                        className={cx(
                          'badge',
                          inv.status === 'paid' && inv.total > 0 && !refund && 'badge-success',
                          (inv.status === 'open' || inv.status === 'uncollectible') && 'badge-warning',
                        )}
                      >
                        {refund ? refund.label : w.statusLabel}
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
