// Revenue and subscriber figures now (from the mirror) and over time (daily snapshots).
import { useMemo, useState } from 'react';
import { trpc } from '../../lib/trpc';
import { formatDateTime, plural } from '../../lib/format';
import { PageHeader } from '../../components/AppShell';
import { Button } from '../../components/Button';
import { Card } from '../../components/Card';
import { QueryState } from '../../components/QueryState';
import { LineChart, type Series } from './Chart';
import { formatMoney, type Money, percent, planName } from './admin-lib';

function moneyList(list: Money[]): string {
  return list.length === 0 ? formatMoney(0, 'usd') : list.map((m) => formatMoney(Math.round(m.amount), m.currency)).join(' + ');
}

function Kpi({ label, value, hint, tone }: { label: string; value: string; hint?: string; tone?: 'danger' }) {
  return (
    <div className={`admin-kpi${tone ? ` admin-kpi-${tone}` : ''}`}>
      <dt className="admin-kpi-label">{label}</dt>
      <dd className="admin-kpi-value">{value}</dd>
      {hint && <dd className="admin-kpi-hint">{hint}</dd>}
    </div>
  );
}

export function OverviewPage() {
  const overview = trpc.admin.overview.useQuery(undefined, { refetchInterval: 60_000 });
  const utils = trpc.useUtils();
  const [refreshing, setRefreshing] = useState(false);
  // The server keeps the figures for up to a minute; Refresh asks it to recompute them now.
  const refresh = async () => {
    setRefreshing(true);
    try {
      utils.admin.overview.setData(undefined, await utils.client.admin.overview.query({ fresh: true }));
    } finally {
      setRefreshing(false);
    }
  };
  const historyQ = trpc.admin.history.useQuery({ days: 90 });
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
      { label: 'New (30 days)', color: '#16a34a', values: points.map((p) => p.newSubscriptions30d) },
      { label: 'Churned (30 days)', color: '#dc2626', values: points.map((p) => p.churned30d) },
    ];
    return { days, mrr, subs, churn };
  }, [historyQ.data]);

  return (
    <div className="page page-wide">
      <PageHeader
        title="Overview"
        description={o ? `Revenue and subscribers, as of ${formatDateTime(o.computedAt)}.` : 'Revenue and subscribers.'}
        actions={
          <Button size="sm" variant="secondary" onClick={() => void refresh()} loading={refreshing}>
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
        {(o) => (
          <dl className="admin-kpis" aria-label="Key figures">
            <Kpi label="MRR" value={moneyList(o.mrr)} hint="Active and past-due; yearly prices ÷ 12" />
            <Kpi label="ARR" value={moneyList(o.arr)} />
            <Kpi
              label="Active subscribers"
              value={o.activeSubscribers.toLocaleString()}
              hint={o.byPlan.map((p) => `${planName(p.planId)} ${p.active.toLocaleString()}`).join(' · ') || undefined}
            />
            <Kpi label="Trialing" value={o.trialing.toLocaleString()} />
            <Kpi label="Past due" value={o.pastDue.toLocaleString()} tone={o.pastDue ? 'danger' : undefined} />
            <Kpi label="New (30 days)" value={o.newSubscriptions30d.toLocaleString()} />
            <Kpi label="Churned (30 days)" value={o.churned30d.toLocaleString()} hint={`Churn rate ${percent(o.churnRate30d)}`} />
            <Kpi
              label="Trial conversion"
              value={percent(o.trialConversionRate)}
              hint={`${o.trialsConverted30d.toLocaleString()} of ${plural(o.trialsEnded30d, 'trial')} ended in 30 days`}
            />
            <Kpi
              label="At risk (failed payments)"
              value={moneyList(o.atRisk)}
              hint={plural(o.atRiskSubscriptions, 'subscription')}
              tone={o.atRiskSubscriptions ? 'danger' : undefined}
            />
          </dl>
        )}
      </QueryState>
      <Card title="Over time" description="Daily snapshots of the figures above (last 90 days).">
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
              <LineChart title="New and churned (rolling 30 days)" days={charts.days} series={charts.churn} />
            </div>
          )}
        </QueryState>
      </Card>
    </div>
  );
}
