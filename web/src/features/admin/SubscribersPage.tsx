// Subscribers: server-side search, filters, sort and paging (all kept in the URL, so the back
// button and shared links land on the same list), and the filtered list as CSV.
import { type FormEvent, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { trpc } from '../../lib/trpc';
import { formatDate } from '../../lib/format';
import { PageHeader } from '../../components/AppShell';
import { Banner } from '../../components/Banner';
import { Button } from '../../components/Button';
import { Card } from '../../components/Card';
import { QueryState } from '../../components/QueryState';
import { SUBSCRIPTION_STATUSES, formatMoney, live, planName, statusOf, type SubscriberRow } from './admin-lib';
import { Pager } from './Pager';
import { RefreshButton } from './RefreshButton';
import { SearchField } from './SearchField';

type Sort = 'created' | 'status' | 'plan' | 'amount' | 'periodEnd';
const PAGE_SIZE = 25;

function useFilters() {
  const [params, setParams] = useSearchParams();
  const bool = (k: string) => (params.get(k) === 'yes' ? true : params.get(k) === 'no' ? false : undefined);
  const status = params.get('status') ?? '';
  const filters = {
    search: params.get('q') ?? '',
    planId: params.get('plan') ?? '',
    status: (SUBSCRIPTION_STATUSES as readonly string[]).includes(status)
      ? (status as (typeof SUBSCRIPTION_STATUSES)[number])
      : undefined,
    trialing: bool('trialing'),
    cancelling: bool('cancelling'),
    sort: (params.get('sort') as Sort | null) ?? 'created',
    dir: params.get('dir') === 'asc' ? ('asc' as const) : ('desc' as const),
    page: Math.max(1, Number(params.get('page')) || 1),
  };
  const update = (changes: Record<string, string | null>) => {
    const next = new URLSearchParams(params);
    for (const [k, v] of Object.entries(changes)) {
      if (v === null || v === '') next.delete(k);
      else next.set(k, v);
    }
    if (!('page' in changes)) next.delete('page');
    setParams(next);
  };
  return { filters, update };
}

export function SubscribersPage() {
  const { filters, update } = useFilters();
  const query = {
    search: filters.search || undefined,
    planId: filters.planId || undefined,
    status: filters.status,
    trialing: filters.trialing,
    cancelling: filters.cancelling,
    sort: filters.sort,
    dir: filters.dir,
  };
  const list = trpc.admin.subscribers.useQuery(
    { ...query, page: filters.page, pageSize: PAGE_SIZE },
    // A change to any subscription shows within seconds without Refresh (an unchanged list is
    // answered from the server's cache).
    { placeholderData: (prev) => prev, ...live(5_000) },
  );
  const utils = trpc.useUtils();
  const [exporting, setExporting] = useState(false);
  const [exportError, setExportError] = useState<string | null>(null);
  const [searchText, setSearchText] = useState(filters.search);

  const onSearch = (e: FormEvent) => {
    e.preventDefault();
    update({ q: searchText.trim() });
  };

  const exportCsv = async () => {
    setExporting(true);
    setExportError(null);
    try {
      const { csv, truncated } = await utils.admin.subscribersCsv.fetch(query);
      const url = URL.createObjectURL(new Blob([csv], { type: 'text/csv;charset=utf-8' }));
      const a = document.createElement('a');
      a.href = url;
      a.download = `subscribers-${new Date().toISOString().slice(0, 10)}.csv`;
      a.click();
      URL.revokeObjectURL(url);
      if (truncated) setExportError('The export stops at 50,000 rows; narrow the filters for the rest.');
    } catch (err) {
      setExportError(err instanceof Error ? err.message : 'The export failed.');
    } finally {
      setExporting(false);
    }
  };

  const sortBy = (s: Sort) => update({ sort: s, dir: filters.sort === s && filters.dir === 'desc' ? 'asc' : 'desc' });

  return (
    <div className="page page-wide">
      <PageHeader
        title="Subscribers"
        description="Everyone with a subscription, newest first."
        actions={
          <>
            <RefreshButton
              onRefresh={async () => {
                const input = { ...query, page: filters.page, pageSize: PAGE_SIZE };
                utils.admin.subscribers.setData(input, await utils.client.admin.subscribers.query({ ...input, fresh: true }));
              }}
            />
            <Button variant="secondary" size="sm" onClick={() => void exportCsv()} loading={exporting}>
              Export CSV
            </Button>
          </>
        }
      />
      {exportError && <Banner tone="warning">{exportError}</Banner>}
      <Card>
        <search>
          <form className="admin-filters" onSubmit={onSearch}>
            <SearchField
              id="subscriber-search"
              label="Search subscribers"
              placeholder="Email, name, cus_… or sub_…"
              value={searchText}
              onChange={setSearchText}
            />
            <Select
              label="Plan"
              value={filters.planId}
              onChange={(v) => update({ plan: v })}
              options={[
                ['', 'Any plan'],
                ['pro', 'Pro'],
                ['business', 'Business'],
              ]}
            />
            <Select
              label="Status"
              value={filters.status ?? ''}
              onChange={(v) => update({ status: v })}
              options={[['', 'Any status'], ...SUBSCRIPTION_STATUSES.map((s) => [s, statusOf(s).label] as [string, string])]}
            />
            <Select
              label="Trial"
              value={filters.trialing === undefined ? '' : filters.trialing ? 'yes' : 'no'}
              onChange={(v) => update({ trialing: v })}
              options={[
                ['', 'Any'],
                ['yes', 'In trial'],
                ['no', 'Not in trial'],
              ]}
            />
            <Select
              label="Cancelling"
              value={filters.cancelling === undefined ? '' : filters.cancelling ? 'yes' : 'no'}
              onChange={(v) => update({ cancelling: v })}
              options={[
                ['', 'Any'],
                ['yes', 'Cancels at period end'],
                ['no', 'Renews'],
              ]}
            />
          </form>
        </search>
      </Card>
      <Card>
        <QueryState
          query={list}
          loadingLabel="Loading subscribers…"
          skeletonLines={6}
          isEmpty={(data) => data.rows.length === 0}
          empty={{ description: 'No subscribers match. Try another search or clear the filters.' }}
        >
          {(data) => (
            <>
              <div className="admin-table-wrap">
                <table className="admin-table" aria-busy={list.isFetching || undefined}>
                  <caption className="visually-hidden">Subscribers</caption>
                  <thead>
                    <tr>
                      <th scope="col">Subscriber</th>
                      <SortHeader label="Plan" sort="plan" current={filters} onSort={sortBy} />
                      <SortHeader label="Status" sort="status" current={filters} onSort={sortBy} />
                      <SortHeader label="Amount" sort="amount" current={filters} onSort={sortBy} num />
                      <SortHeader label="Renews / ends" sort="periodEnd" current={filters} onSort={sortBy} />
                      <SortHeader label="Started" sort="created" current={filters} onSort={sortBy} />
                    </tr>
                  </thead>
                  <tbody>
                    {data.rows.map((r) => (
                      <Row key={r.subscriptionId} r={r} />
                    ))}
                  </tbody>
                </table>
              </div>
              <Pager
                page={filters.page}
                pageSize={PAGE_SIZE}
                total={data.total}
                label="Subscribers"
                onPage={(p) => update({ page: String(p) })}
              />
            </>
          )}
        </QueryState>
      </Card>
    </div>
  );
}

function Row({ r }: { r: SubscriberRow }) {
  const st = statusOf(r.status);
  return (
    <tr>
      <td data-label="Subscriber">
        {r.userId ? (
          <Link to={`/app/admin/subscribers/${r.userId}`} className="admin-strong-link">
            {r.email ?? r.userId}
          </Link>
        ) : (
          <span className="muted">No account ({r.customerId})</span>
        )}
        {r.name && <div className="muted admin-small">{r.name}</div>}
      </td>
      <td data-label="Plan">
        {planName(r.planId)}
        {r.interval && <span className="muted"> · {r.interval === 'month' ? 'monthly' : 'yearly'}</span>}
      </td>
      <td data-label="Status">
        <span className={`badge badge-${st.tone}`}>{st.label}</span>
        {r.cancelAtPeriodEnd && <span className="badge badge-warning admin-badge-gap">Cancelling</span>}
      </td>
      <td data-label="Amount" className="num">
        {r.unitAmount === null ? '—' : formatMoney(r.unitAmount, r.currency)}
      </td>
      <td data-label="Renews / ends">{r.currentPeriodEnd ? formatDate(r.currentPeriodEnd) : '—'}</td>
      <td data-label="Started">{formatDate(r.created)}</td>
    </tr>
  );
}

function SortHeader({
  label,
  sort,
  current,
  onSort,
  num,
}: {
  label: string;
  sort: Sort;
  current: { sort: Sort; dir: 'asc' | 'desc' };
  onSort: (s: Sort) => void;
  num?: boolean;
}) {
  const active = current.sort === sort;
  return (
    <th
      scope="col"
      className={num ? 'num' : undefined}
      aria-sort={active ? (current.dir === 'asc' ? 'ascending' : 'descending') : 'none'}
    >
      <button type="button" className="admin-sort" onClick={() => onSort(sort)}>
        {label}
        <span aria-hidden="true" className="admin-sort-arrow">
          {active ? (current.dir === 'asc' ? '▲' : '▼') : '↕'}
        </span>
      </button>
    </th>
  );
}

export function Select({
  label,
  value,
  onChange,
  options,
}: {
  label: string;
  value: string;
  onChange: (v: string) => void;
  options: [string, string][];
}) {
  const id = `filter-${label.toLowerCase().replace(/\W+/g, '-')}`;
  return (
    <div className="field">
      <label className="field-label" htmlFor={id}>
        {label}
      </label>
      <select id={id} className="input select" value={value} onChange={(e) => onChange(e.target.value)}>
        {options.map(([v, l]) => (
          <option key={v} value={v}>
            {l}
          </option>
        ))}
      </select>
    </div>
  );
}
