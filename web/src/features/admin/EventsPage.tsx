// The Stripe events log: every webhook event in our inbox, searchable, with the payload viewer and
// "Replay" for an event that was parked or failed.
import { type FormEvent, useState } from 'react';
import { useSearchParams } from 'react-router';
import { trpc } from '../../lib/trpc';
import { formatDateTime, plural } from '../../lib/format';
import { PageHeader } from '../../components/AppShell';
import { Banner } from '../../components/Banner';
import { Button } from '../../components/Button';
import { Card } from '../../components/Card';
import { Dialog } from '../../components/Dialog';
import { QueryState } from '../../components/QueryState';
import { AdminAction } from './AdminAction';
import { type EventRow, live } from './admin-lib';
import { Pager } from './Pager';
import { RefreshButton } from './RefreshButton';
import { Select } from './SubscribersPage';
import { SearchField } from './SearchField';

const PAGE_SIZE = 25;
type Status = '' | 'pending' | 'processing' | 'processed' | 'parked';

export function EventsPage() {
  const [params, setParams] = useSearchParams();
  const search = params.get('q') ?? '';
  const status = (params.get('status') ?? '') as Status;
  const page = Math.max(1, Number(params.get('page')) || 1);
  const [text, setText] = useState(search);
  const [viewing, setViewing] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const input = { search: search || undefined, status: status || undefined, page, pageSize: PAGE_SIZE };
  const list = trpc.admin.events.useQuery(input, { placeholderData: (p) => p, ...live(10_000) });
  const utils = trpc.useUtils();
  const asOf = list.data?.asOf;

  const set = (changes: Record<string, string>) => {
    const next = new URLSearchParams(params);
    for (const [k, v] of Object.entries(changes)) {
      if (v) next.set(k, v);
      else next.delete(k);
    }
    if (!('page' in changes)) next.delete('page');
    setParams(next);
  };
  const onSearch = (e: FormEvent) => {
    e.preventDefault();
    set({ q: text.trim() });
  };

  return (
    <div className="page page-wide">
      <PageHeader
        title="Stripe events"
        description={`Every webhook event Stripe sent us, and how its processing went${asOf ? `, as of ${formatDateTime(asOf)}` : ''}.`}
        actions={
          <RefreshButton
            onRefresh={async () =>
              utils.admin.events.setData(input, await utils.client.admin.events.query({ ...input, fresh: true }))
            }
          />
        }
      />
      {notice && <Banner tone="success">{notice}</Banner>}
      <Card>
        <search>
          <form className="admin-filters" onSubmit={onSearch}>
            <SearchField
              id="event-search"
              label="Search events"
              placeholder="evt_…, cus_…, sub_… or a type such as invoice."
              value={text}
              onChange={setText}
            />
            <Select
              label="Processing"
              value={status}
              onChange={(v) => set({ status: v })}
              options={[
                ['', 'Any'],
                ['parked', 'Parked (failed)'],
                ['pending', 'Pending'],
                ['processing', 'Processing'],
                ['processed', 'Processed'],
              ]}
            />
          </form>
        </search>
      </Card>
      <Card>
        <QueryState
          query={list}
          loadingLabel="Loading events…"
          skeletonLines={6}
          isEmpty={(data) => data.rows.length === 0}
          empty={{ description: 'No events match.' }}
        >
          {(data) => (
            <>
              <div className="admin-table-wrap">
                <table className="admin-table">
                  <caption className="visually-hidden">Stripe events</caption>
                  <thead>
                    <tr>
                      <th scope="col">Type</th>
                      <th scope="col">Customer</th>
                      <th scope="col">Received</th>
                      <th scope="col">Processing</th>
                      <th scope="col">
                        <span className="visually-hidden">Actions</span>
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {data.rows.map((e) => (
                      <EventTableRow
                        key={e.id}
                        e={e}
                        onView={() => setViewing(e.id)}
                        onReplayed={(m) => {
                          setNotice(m);
                          void utils.admin.events.invalidate();
                        }}
                      />
                    ))}
                  </tbody>
                </table>
              </div>
              <Pager
                page={page}
                pageSize={PAGE_SIZE}
                total={data.total}
                label="Events"
                onPage={(p) => set({ page: String(p) })}
              />
            </>
          )}
        </QueryState>
      </Card>
      {viewing && <PayloadDialog id={viewing} onClose={() => setViewing(null)} />}
    </div>
  );
}

function EventTableRow({ e, onView, onReplayed }: { e: EventRow; onView: () => void; onReplayed: (m: string) => void }) {
  const utils = trpc.useUtils();
  const tone = e.status === 'processed' ? 'success' : e.status === 'parked' ? 'danger' : 'warning';
  return (
    <tr>
      <td data-label="Type">
        <code>{e.type}</code>
        <div className="muted admin-small">
          <code>{e.id}</code>
        </div>
      </td>
      <td data-label="Customer">{e.customerId ? <code>{e.customerId}</code> : '—'}</td>
      <td data-label="Received">{formatDateTime(e.receivedAt)}</td>
      <td data-label="Processing">
        <span className={`badge badge-${tone}`}>{e.status}</span>
        <div className="muted admin-small">
          {plural(e.attempts, 'attempt')}
          {e.processedAt ? ` · done ${formatDateTime(e.processedAt)}` : ''}
          {e.duplicates ? ` · ${plural(e.duplicates, 'duplicate')}` : ''}
        </div>
        {e.lastError && <div className="admin-small admin-danger-text">{e.lastError}</div>}
      </td>
      <td data-label="Actions" className="admin-row-actions">
        <Button size="sm" variant="ghost" onClick={onView} aria-label={`View payload of ${e.id}`}>
          Payload
        </Button>
        {(e.status === 'parked' || e.lastError) && e.status !== 'processing' && (
          <AdminAction
            label="Replay"
            title="Replay this event?"
            description={`${e.type} (${e.id}) goes back to the queue; the worker re-syncs the customer from Stripe.`}
            confirmLabel="Replay event"
            doneMessage={`Event ${e.id} queued again.`}
            onDone={onReplayed}
            run={(_f, actionId) => utils.client.admin.replayEvent.mutate({ eventId: e.id, actionId })}
          />
        )}
      </td>
    </tr>
  );
}

function PayloadDialog({ id, onClose }: { id: string; onClose: () => void }) {
  const event = trpc.admin.event.useQuery({ id });
  return (
    <Dialog open wide onClose={onClose} title="Event payload" description={<code>{id}</code>}>
      <QueryState query={event} loadingLabel="Loading payload…" skeletonLines={6}>
        {(data) => (
          <section aria-label="Payload JSON">
            {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard to scroll it (WCAG 2.1.1) */}
            <pre className="admin-payload" tabIndex={0}>
              {data.payload}
            </pre>
          </section>
        )}
      </QueryState>
    </Dialog>
  );
}
