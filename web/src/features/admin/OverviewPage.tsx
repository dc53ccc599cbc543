// Revenue and subscriber figures now and over time, MRR movements with the subscribers behind each
// number, and how failed payments are won back. The figures are kept up to date by the server as
// billing changes; this page reads them every few seconds.
import { useMemo } from 'react';
import { trpc } from '../../lib/trpc';
import { formatDateTime, plural } from '../../lib/format';
import { PageHeader } from '../../components/AppShell';
import { Button } from '../../components/Button';
import { Card } from '../../components/Card';
import { QueryState } from '../../components/QueryState';
import { LineChart, type Series } from './Chart';
import { formatMoney, live, percent, planName } from './admin-lib';
import { Kpi, moneyList } from './Figures';
import { MovementsCard } from './MovementsCard';
import { RecoveryFigures } from './RecoveryFigures';

export function OverviewPage() {
  // The server folds every billing change into the figures within about a second; a few seconds'
  // polling keeps the page within five of any change.
  const overview = trpc.admin.overview.useQuery(undefined, live(3_000));
  const historyQ = trpc.admin.history.useQuery({ days: 90 }, live(60_000));
  const o = overview.data;

  const charts = useMemo(() => {
    const points = historyQ.data?.points ?? [];
    const days = points.map((p) => p.day);
    // One MRR chart per currency: amounts in different currencies are never added or shared an axis.
    const currencies = [...new Set(points.flatMap((p) => p.mrr.map((m) => m.currency)))].sort();
    const mrr = (currencies.length ? currencies : ['usd']).map((currency) => ({
      currency,
      series: [
        {
          label: `MRR (${currency.toUpperCase()})`,
          color: '#4f46e5',
          values: points.map((p) => p.mrr.find((m) => m.currency === currency)?.amount ?? 0),
          format: (v: number) => formatMoney(Math.round(v), currency),
        },
      ] satisfies Series[],
    }));
    const subs: Series[] = [
      { label: 'Active', color: '#16a34a', values: points.map((p) => p.activeSubscribers) },
      { label: 'Trialing', color: '#4f46e5', values: points.map((p) => p.trialing) },
      { label: 'Past due', color: '#dc2626', values: points.map((p) => p.pastDue) },
    ];
    const churn: Series[] = [
      { label: 'Started', color: '#16a34a', values: points.map((p) => p.newSubscriptions) },
      { label: 'Ended', color: '#dc2626', values: points.map((p) => p.churned) },
    ];
    return { days, mrr, subs, churn };
  }, [historyQ.data]);

  return (
    <div className="page page-wide">
      <PageHeader
        title="Overview"
        description={o ? `Revenue and subscribers, updated ${formatDateTime(o.computedAt)}.` : 'Revenue and subscribers.'}
        actions={
          <Button size="sm" variant="secondary" onClick={() => void overview.refetch()} loading={overview.isFetching}>
            Refresh
          </Button>
        }
      />
      <QueryState
        query={overview}
        loadingLabel="Loading figures…"
        skeletonLines={4}
        placeholder={(skeleton) => <Card>{skeleton}</Card>}
        errorTitle="We couldn't load the figures"
      >
        {(o) => {
          const nrr = o.nrr30d.filter((x) => x.startMrr > 0);
          return (
            <dl className="admin-kpis" aria-label="Key figures">
              <Kpi
                label="MRR"
                value={moneyList(o.mrr)}
                definition="Monthly recurring revenue: the price × quantity of every active and past-due subscription, with yearly prices counted as 1/12 a month. Trials count once they are paid."
              />
              <Kpi label="ARR" value={moneyList(o.arr)} definition="Annual run rate: MRR × 12." />
              <Kpi
                label="Active subscribers"
                value={o.activeSubscribers.toLocaleString()}
                hint={o.byPlan.map((p) => `${planName(p.planId)} ${p.active.toLocaleString()}`).join(' · ') || undefined}
                definition="Subscriptions being billed at their plan's price: active and past-due."
              />
              <Kpi label="Trialing" value={o.trialing.toLocaleString()} />
              <Kpi label="Past due" value={o.pastDue.toLocaleString()} tone={o.pastDue ? 'danger' : undefined} />
              <Kpi
                label="New (30 days)"
                value={o.newSubscriptions30d.toLocaleString()}
                definition="Subscriptions created in the last 30 days, whatever their status now."
              />
              <Kpi
                label="Churn rate (30 days)"
                value={percent(o.churnRate30d)}
                hint={`${o.churned30d.toLocaleString()} of ${plural(o.churnBase30d, 'paying subscriber')} 30 days ago${o.churnBaseEstimated ? ' (estimated)' : ''}`}
                definition="Subscriptions that ended (canceled) in the last 30 days ÷ paying subscribers 30 days ago. That base is the day's closing figure, or, before there is one, paying now + ended − started in the 30 days."
              />
              <Kpi
                label="Trial conversion (30 days)"
                value={percent(o.trialConversionRate)}
                hint={`${o.trialsConverted30d.toLocaleString()} of ${plural(o.trialsEnded30d, 'trial')} that ended`}
                definition="Trials that ended in the last 30 days and became paid (active) subscriptions, ÷ all trials that ended in those days. A trial whose first charge failed and was paid later still counts as converted."
              />
              <Kpi
                label="Net revenue retention (30 days)"
                value={
                  nrr.length
                    ? nrr.map((x) => `${percent(x.rate)}${nrr.length > 1 ? ` ${x.currency.toUpperCase()}` : ''}`).join(' · ')
                    : '—'
                }
                hint={
                  nrr.length
                    ? nrr
                        .map(
                          (x) =>
                            `${formatMoney(x.startMrr, x.currency)} start, +${formatMoney(x.expansion, x.currency)} expansion, −${formatMoney(x.contraction + x.churn, x.currency)} contraction and churn`,
                        )
                        .join(' · ')
                    : 'No MRR 30 days ago'
                }
                definition="(MRR 30 days ago + expansion − contraction − churn) ÷ MRR 30 days ago. New and reactivated revenue is left out. MRR 30 days ago = MRR now − the net of the 30 days' movements."
              />
              <Kpi
                label="At risk (failed payments)"
                value={moneyList(o.atRisk)}
                hint={`${plural(o.atRiskSubscriptions, 'subscription')} · at-risk MRR ${moneyList(o.atRiskMrr)}`}
                tone={o.atRiskSubscriptions ? 'danger' : undefined}
                definition="What open invoices of past-due, unpaid and incomplete subscriptions still owe. At-risk MRR is the monthly revenue of past-due subscriptions, lost unless their payment is recovered."
              />
            </dl>
          );
        }}
      </QueryState>
      {o && <RecoveryFigures recovery={o.recovery} />}
      <MovementsCard />
      <Card title="Over time" description="Each day's closing figures (last 90 days); today's point is the live figure.">
        <QueryState query={historyQ} loadingLabel="Loading history…">
          {() => (
            <div className="admin-charts">
              {charts.mrr.map((m) => (
                <LineChart
                  key={m.currency}
                  title={
                    charts.mrr.length > 1
                      ? `Monthly recurring revenue (${m.currency.toUpperCase()})`
                      : 'Monthly recurring revenue'
                  }
                  days={charts.days}
                  series={m.series}
                />
              ))}
              <LineChart title="Subscribers" days={charts.days} series={charts.subs} />
              <LineChart title="Subscriptions started and ended each day" days={charts.days} series={charts.churn} />
            </div>
          )}
        </QueryState>
      </Card>
    </div>
  );
}
