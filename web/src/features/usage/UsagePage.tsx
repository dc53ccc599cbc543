// Usage this period: each metric against the plan's quota, overage so far and its price, and the
// totals of past periods.
import { trpc } from '../../lib/trpc';
import { formatDate } from '../../lib/format';
import { PageHeader } from '../../components/AppShell';
import { ButtonLink } from '../../components/Button';
import { Card } from '../../components/Card';
import { QueryState } from '../../components/QueryState';
import '../library/library.css';
import './usage.css';
import { formatAmount } from '../../../../src/lib/money';

const money = (amount: number, currency: string) => formatAmount(amount, currency, { locale: 'en-US' });
const num = (n: number) => n.toLocaleString('en-US');

export function UsagePage() {
  const summary = trpc.usage.summary.useQuery(undefined, { refetchInterval: 15_000 });

  const s = summary.data;
  return (
    <div className="page page-usage">
      <PageHeader
        title="Usage"
        description={
          s
            ? `${s.plan.name} plan · period ${formatDate(s.period.start)} – ${formatDate(s.period.end)}${s.plan.id === 'free' ? ' (calendar month)' : ''}`
            : "Your downloads and API calls against your plan's limits."
        }
        actions={
          s && s.plan.id !== 'business' ? (
            <ButtonLink to="/pricing" variant="secondary">
              Upgrade
            </ButtonLink>
          ) : undefined
        }
      />
      <QueryState query={summary} loadingLabel="Loading usage…" skeletonLines={6}>
        {(s) => (
          <>
            <div className="usage-metrics">
              {s.metrics.map((m) => {
                const pct = m.limit > 0 ? Math.min(100, Math.round((m.used / m.limit) * 100)) : 0;
                const tone = pct >= 100 ? 'full' : pct >= 80 ? 'high' : 'ok';
                const labelId = `usage-${m.metric}`;
                return (
                  <Card key={m.metric} title={<span id={labelId}>{m.label}</span>} headingLevel={2}>
                    <p className="usage-figure">
                      <strong>{num(m.used)}</strong> of {num(m.limit)} included
                    </p>
                    <div
                      className={`usage-bar usage-bar-${tone}`}
                      role="progressbar"
                      aria-labelledby={labelId}
                      aria-valuemin={0}
                      aria-valuemax={m.limit}
                      aria-valuenow={Math.min(m.used, m.limit)}
                      aria-valuetext={`${num(m.used)} of ${num(m.limit)} ${m.label.toLowerCase()} used`}
                    >
                      <span style={{ width: `${pct}%` }} />
                    </div>
                    <p className="muted usage-note">
                      {m.remaining > 0
                        ? `${num(m.remaining)} left until ${formatDate(s.period.end)}.`
                        : m.overageUnitAmount !== null
                          ? 'Included calls used: further calls are billed as overage.'
                          : `All used. More on ${formatDate(s.period.end)}, or upgrade now.`}
                    </p>
                    {m.overageUnitAmount !== null && (
                      <p className="usage-overage">
                        Overage so far: <strong>{num(m.overage)}</strong> × {money(m.overageUnitAmount, s.currency)} ={' '}
                        <strong>{money(m.overageAmount, s.currency)}</strong>, billed on your next invoice.
                      </p>
                    )}
                  </Card>
                );
              })}
            </div>
            <Card title="Past periods" description="Totals of earlier billing periods.">
              {s.history.length === 0 ? (
                <p className="muted">No earlier periods yet.</p>
              ) : (
                <table className="usage-table">
                  <thead>
                    <tr>
                      <th scope="col">Period</th>
                      <th scope="col">Downloads</th>
                      <th scope="col">API calls</th>
                    </tr>
                  </thead>
                  <tbody>
                    {s.history.map((h) => (
                      <tr key={h.periodStart}>
                        <td>
                          {formatDate(h.periodStart)} – {formatDate(h.periodEnd)}
                        </td>
                        <td>{num(h.downloads)}</td>
                        <td>{num(h.apiCalls)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
            </Card>
          </>
        )}
      </QueryState>
    </div>
  );
}
