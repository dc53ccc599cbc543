// MRR movements per day or per month. Each number opens the subscribers behind it, with a CSV export.
import { useState } from 'react';
import { Link } from 'react-router';
import { trpc } from '../../lib/trpc';
import { formatDateTime, plural } from '../../lib/format';
import { Button } from '../../components/Button';
import { Card } from '../../components/Card';
import { Dialog } from '../../components/Dialog';
import { Banner } from '../../components/Banner';
import { QueryState } from '../../components/QueryState';
import { formatMoney, live, type Money, planName } from './admin-lib';
import { Pager } from './Pager';
import { Definition } from './Figures';

const KINDS = ['new', 'expansion', 'contraction', 'churn', 'reactivation'] as const;
type Kind = (typeof KINDS)[number];
const KIND_NAMES: Record<Kind, string> = {
  new: 'New',
  expansion: 'Expansion',
  contraction: 'Contraction',
  churn: 'Churn',
  reactivation: 'Reactivation',
};
const KIND_HELP: Record<Kind, string> = {
  new: 'a first paid subscription of a customer',
  expansion: 'a higher price or quantity',
  contraction: 'a lower price or quantity',
  churn: 'revenue that stopped: canceled, unpaid or paused',
  reactivation: 'a customer who had paid before pays again',
};

const money = (list: Money[]) => (list.length ? list.map((m) => formatMoney(m.amount, m.currency)).join(' + ') : '—');

export function MovementsCard() {
  const [by, setBy] = useState<'day' | 'month'>('day');
  const [open, setOpen] = useState<{ kind: Kind; period: string } | null>(null);
  const q = trpc.admin.movements.useQuery({ by, count: by === 'day' ? 14 : 12 }, live(10_000));
  return (
    <Card
      title="MRR movements"
      description="What moved monthly recurring revenue. Select a number to see the subscribers behind it."
      actions={
        <fieldset className="admin-segmented">
          <legend className="visually-hidden">Movements per</legend>
          {(['day', 'month'] as const).map((b) => (
            <Button
              key={b}
              size="sm"
              variant={by === b ? 'primary' : 'secondary'}
              aria-pressed={by === b}
              onClick={() => setBy(b)}
            >
              {b === 'day' ? 'Daily' : 'Monthly'}
            </Button>
          ))}
        </fieldset>
      }
    >
      <QueryState
        query={q}
        loadingLabel="Loading movements…"
        isEmpty={(d) => d.periods.every((p) => p.kinds.every((k) => !k.count))}
        empty={{ description: `No MRR moved in the last ${by === 'day' ? '14 days' : '12 months'}.` }}
      >
        {(data) => (
          <div className="admin-table-wrap">
            <table className="admin-table admin-movements">
              <caption className="visually-hidden">MRR movements per {by}</caption>
              <thead>
                <tr>
                  <th scope="col">{by === 'day' ? 'Day' : 'Month'}</th>
                  {KINDS.map((k) => (
                    <th key={k} scope="col" className="num">
                      {KIND_NAMES[k]}
                      <Definition label={KIND_NAMES[k].toLowerCase()}>{`MRR from ${KIND_HELP[k]}.`}</Definition>
                    </th>
                  ))}
                  <th scope="col" className="num">
                    Net
                  </th>
                </tr>
              </thead>
              <tbody>
                {data.periods.map((p) => (
                  <tr key={p.period} className={p.kinds.some((k) => k.count) ? undefined : 'admin-empty-period'}>
                    <th scope="row">{p.period}</th>
                    {p.kinds.map((k) => (
                      <td key={k.kind} className="num" data-label={KIND_NAMES[k.kind]}>
                        {k.count ? (
                          <button
                            type="button"
                            className="admin-link-button"
                            onClick={() => setOpen({ kind: k.kind, period: p.period })}
                            aria-label={`${KIND_NAMES[k.kind]} on ${p.period}: ${plural(k.count, 'subscriber')}, ${money(k.mrr)}. Show who.`}
                          >
                            {money(k.mrr)} <span className="muted">({k.count})</span>
                          </button>
                        ) : (
                          <span className="muted">—</span>
                        )}
                      </td>
                    ))}
                    <td className="num" data-label="Net">
                      {money(p.net)}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </QueryState>
      {open && <MovementDialog kind={open.kind} period={open.period} onClose={() => setOpen(null)} />}
    </Card>
  );
}

const PAGE_SIZE = 25;

function MovementDialog({ kind, period, onClose }: { kind: Kind; period: string; onClose: () => void }) {
  const [page, setPage] = useState(1);
  const list = trpc.admin.movementList.useQuery({ kind, period, page, pageSize: PAGE_SIZE }, live());
  const utils = trpc.useUtils();
  const [exporting, setExporting] = useState(false);
  const [exportError, setExportError] = useState<string | null>(null);
  const exportCsv = async () => {
    setExporting(true);
    setExportError(null);
    try {
      const { csv } = await utils.admin.movementsCsv.fetch({ kind, period });
      const url = URL.createObjectURL(new Blob([csv], { type: 'text/csv;charset=utf-8' }));
      const a = document.createElement('a');
      a.href = url;
      a.download = `mrr-${kind}-${period}.csv`;
      a.click();
      URL.revokeObjectURL(url);
    } catch (err) {
      setExportError(err instanceof Error ? err.message : 'The export failed.');
    } finally {
      setExporting(false);
    }
  };
  return (
    <Dialog
      open
      onClose={onClose}
      wide
      title={`${KIND_NAMES[kind]} MRR, ${period}`}
      description={`Subscribers behind the number: ${KIND_HELP[kind]}.`}
    >
      {exportError && <Banner tone="warning">{exportError}</Banner>}
      <QueryState query={list} loadingLabel="Loading subscribers…">
        {(data) => (
          <>
            <div className="admin-table-wrap">
              <table className="admin-table">
                <thead>
                  <tr>
                    <th scope="col">Subscriber</th>
                    <th scope="col">When</th>
                    <th scope="col">Plan</th>
                    <th scope="col" className="num">
                      MRR change
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {data.rows.map((r) => (
                    <tr key={r.id}>
                      <td>
                        {r.userId ? (
                          <Link to={`/app/admin/subscribers/${r.userId}`} className="admin-strong-link">
                            {r.email ?? r.userId}
                          </Link>
                        ) : (
                          <span>{r.customerId}</span>
                        )}
                        {r.name && <div className="muted">{r.name}</div>}
                      </td>
                      <td>{formatDateTime(r.at)}</td>
                      <td>{r.fromPlan === r.toPlan ? planName(r.toPlan) : `${planName(r.fromPlan)} → ${planName(r.toPlan)}`}</td>
                      <td className="num" data-label="MRR">
                        {formatMoney(r.fromMrr, r.currency)} → {formatMoney(r.toMrr, r.currency)}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <Pager page={page} pageSize={PAGE_SIZE} total={data.total} onPage={setPage} label="Subscribers" />
          </>
        )}
      </QueryState>
      <div className="admin-dialog-actions">
        <Button variant="secondary" size="sm" onClick={() => void exportCsv()} loading={exporting}>
          Export CSV
        </Button>
        <Button size="sm" onClick={onClose}>
          Close
        </Button>
      </div>
    </Dialog>
  );
}
