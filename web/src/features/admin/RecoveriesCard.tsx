// Payments won back lately: who, how much, how long it took and which step recovered each.
import { useState } from 'react';
import { Link } from 'react-router';
import { trpc } from '../../lib/trpc';
import { formatDateTime } from '../../lib/format';
import { Button } from '../../components/Button';
import { Card } from '../../components/Card';
import { QueryState } from '../../components/QueryState';
import { formatMoney, live } from './admin-lib';

const STEP_NAMES: Record<string, string> = { retry: 'Stripe retry', card_update: 'Card updated', manual: 'Admin retry' };

export function RecoveriesCard() {
  const [days, setDays] = useState<30 | 90>(30);
  const q = trpc.admin.recoveries.useQuery({ days }, live(10_000));
  return (
    <Card
      title="Recovered payments"
      description="Invoices paid after their payment failed, newest first (up to 100)."
      actions={
        <fieldset className="admin-segmented">
          <legend className="visually-hidden">Window</legend>
          {([30, 90] as const).map((d) => (
            <Button
              key={d}
              size="sm"
              variant={days === d ? 'primary' : 'secondary'}
              aria-pressed={days === d}
              onClick={() => setDays(d)}
            >
              {d} days
            </Button>
          ))}
        </fieldset>
      }
    >
      <QueryState
        query={q}
        loadingLabel="Loading recovered payments…"
        isEmpty={(data) => data.rows.length === 0}
        empty={{ description: `No payment was recovered in the last ${days} days.` }}
      >
        {(data) => (
          <div className="admin-table-wrap">
            <table className="admin-table">
              <thead>
                <tr>
                  <th scope="col">Subscriber</th>
                  <th scope="col" className="num">
                    Amount
                  </th>
                  <th scope="col">Recovered</th>
                  <th scope="col" className="num">
                    Days
                  </th>
                  <th scope="col">Step</th>
                </tr>
              </thead>
              <tbody>
                {data.rows.map((r) => (
                  <tr key={r.id}>
                    <td>
                      {r.userId ? (
                        <Link className="admin-strong-link" to={`/app/admin/subscribers/${r.userId}`}>
                          {r.email ?? r.userId}
                        </Link>
                      ) : (
                        <code>{r.subscriptionId}</code>
                      )}
                    </td>
                    <td className="num" data-label="Amount">
                      {formatMoney(r.amount, r.currency, { cents: true })}
                    </td>
                    <td data-label="Recovered">{formatDateTime(r.recoveredAt)}</td>
                    <td className="num" data-label="Days">
                      {r.days.toFixed(1)}
                    </td>
                    <td data-label="Step">{STEP_NAMES[r.step] ?? r.step}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </QueryState>
    </Card>
  );
}
