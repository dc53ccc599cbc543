// Library content: every item, drafts included, searchable and filtered by state (both kept in the
// URL); each row opens the item's editor, and "New item" starts a draft.
import { type FormEvent, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { trpc } from '../../lib/trpc';
import { formatDate } from '../../lib/format';
import { PageHeader } from '../../components/AppShell';
import { ButtonLink } from '../../components/Button';
import { Card } from '../../components/Card';
import { QueryState } from '../../components/QueryState';
import { BookIcon } from '../../components/icons';
import { PlanBadge } from '../library/PlanBadge';
import { Pager } from './Pager';
import { SearchField } from './SearchField';
import { Select } from './SubscribersPage';
import { KIND_LABELS, type ContentRow, formatBytes } from './ContentShared';
import { live } from './admin-lib';

const PAGE_SIZE = 25;

export function ContentPage() {
  const [params, setParams] = useSearchParams();
  const search = params.get('q') ?? '';
  const statusParam = params.get('status');
  const status = statusParam === 'published' || statusParam === 'draft' ? statusParam : undefined;
  const page = Math.max(1, Number(params.get('page')) || 1);
  const [searchText, setSearchText] = useState(search);
  const list = trpc.admin.content.list.useQuery(
    { search: search || undefined, status, page, pageSize: PAGE_SIZE },
    { placeholderData: (prev) => prev, ...live() },
  );

  const update = (changes: Record<string, string | null>) => {
    const next = new URLSearchParams(params);
    for (const [k, v] of Object.entries(changes)) {
      if (!v) next.delete(k);
      else next.set(k, v);
    }
    if (!('page' in changes)) next.delete('page');
    setParams(next);
  };
  const onSearch = (e: FormEvent) => {
    e.preventDefault();
    update({ q: searchText.trim() });
  };
  const filtered = Boolean(search || status);

  return (
    <div className="page page-wide">
      <PageHeader
        title="Library content"
        description="Every library item, drafts included. Subscribers only see published items their plan unlocks."
        actions={
          <ButtonLink to="/app/admin/content/new" size="sm">
            New item
          </ButtonLink>
        }
      />
      <Card>
        <search>
          <form className="admin-filters" onSubmit={onSearch}>
            <SearchField
              id="content-search"
              label="Search content"
              placeholder="Title, slug or tag"
              value={searchText}
              onChange={setSearchText}
            />
            <Select
              label="State"
              value={status ?? ''}
              onChange={(v) => update({ status: v })}
              options={[
                ['', 'All items'],
                ['published', 'Published'],
                ['draft', 'Drafts'],
              ]}
            />
          </form>
        </search>
      </Card>
      <Card>
        <QueryState
          query={list}
          loadingLabel="Loading library content…"
          skeletonLines={6}
          isEmpty={(data) => data.rows.length === 0}
          empty={
            filtered
              ? { description: 'No items match. Try another search, or show all items.' }
              : {
                  icon: <BookIcon size={28} />,
                  title: 'The library is empty',
                  action: <ButtonLink to="/app/admin/content/new">Create the first item</ButtonLink>,
                  description: <p>Items you create start as drafts; publish them when they are ready.</p>,
                }
          }
        >
          {(data) => (
            <>
              <div className="admin-table-wrap">
                <table className="admin-table" aria-busy={list.isFetching || undefined}>
                  <caption className="visually-hidden">Library items</caption>
                  <thead>
                    <tr>
                      <th scope="col">Item</th>
                      <th scope="col">Kind</th>
                      <th scope="col">Unlocks with</th>
                      <th scope="col">State</th>
                      <th scope="col">File</th>
                      <th scope="col">Updated</th>
                    </tr>
                  </thead>
                  <tbody>
                    {data.rows.map((r) => (
                      <Row key={r.slug} r={r} />
                    ))}
                  </tbody>
                </table>
              </div>
              <Pager
                page={page}
                pageSize={PAGE_SIZE}
                total={data.total}
                label="Library items"
                onPage={(p) => update({ page: String(p) })}
              />
            </>
          )}
        </QueryState>
      </Card>
    </div>
  );
}

function Row({ r }: { r: ContentRow }) {
  return (
    <tr>
      <td data-label="Item">
        <Link to={`/app/admin/content/${r.slug}`} className="admin-strong-link">
          {r.title}
        </Link>
        <div className="muted admin-small">
          <code>{r.slug}</code>
        </div>
      </td>
      <td data-label="Kind">{KIND_LABELS[r.kind]}</td>
      <td data-label="Unlocks with">
        <PlanBadge plan={r.minPlan} name={r.requiredPlanName} />
      </td>
      <td data-label="State">
        {r.published ? (
          <span className="badge badge-success">Published</span>
        ) : (
          <span className="badge badge-warning">Draft</span>
        )}
      </td>
      <td data-label="File">{r.file ? `${r.file.name} (${formatBytes(r.file.size)})` : <span className="muted">—</span>}</td>
      <td data-label="Updated">{formatDate(r.updatedAt)}</td>
    </tr>
  );
}
