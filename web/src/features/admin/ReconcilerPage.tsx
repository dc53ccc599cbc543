// The reconciler's runs: counts, each drift with its field differences, and starting a run or a
// dry run (which reports without changing anything and is not stored).
import { useState } from 'react';
import { trpc } from '../../lib/trpc';
import { formatDateTime, plural } from '../../lib/format';
import { PageHeader } from '../../components/AppShell';
import { Banner } from '../../components/Banner';
import { Card } from '../../components/Card';
import { QueryState } from '../../components/QueryState';
import { AdminAction } from './AdminAction';
import { live, type RunView } from './admin-lib';

export function ReconcilerPage() {
  // Poll quickly while a run is going, and for a minute after starting one: the run's row may not
  // exist yet when the first refresh after "Start run" comes back.
  const [watchUntil, setWatchUntil] = useState(0);
  const runs = trpc.admin.reconcilerRuns.useQuery(undefined, {
    ...live(),
    refetchInterval: (q) => (q.state.data?.runs.some((r) => r.status === 'running') || Date.now() < watchUntil ? 2_000 : 30_000),
  });
  const [open, setOpen] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [dry, setDry] = useState<RunView | null>(null);
  const utils = trpc.useUtils();

  return (
    <div className="page page-wide">
      <PageHeader
        title="Reconciler"
        description="Compares every subscription with Stripe and repairs drift. It also runs on a schedule."
        actions={
          <div className="admin-actions">
            <AdminAction
              label="Dry run"
              title="Start a dry run?"
              description="Compares everything with Stripe and reports drift without repairing anything or storing the report. It can take a while on a large account."
              confirmLabel="Start dry run"
              doneMessage="Dry run finished."
              onDone={setNotice}
              run={async (_f, actionId) => {
                const res = await utils.client.admin.startReconcile.mutate({ dryRun: true, actionId });
                setDry(res.report);
                return res;
              }}
            />
            <AdminAction
              label="Run now"
              variant="primary"
              title="Run the reconciler now?"
              description="Repairs any drift it finds through a resync from Stripe, replays missed events and retries parked ones. Only one run happens at a time."
              confirmLabel="Start run"
              doneMessage="Run started; it appears below."
              onDone={setNotice}
              run={(_f, actionId) => {
                setWatchUntil(Date.now() + 60_000);
                return utils.client.admin.startReconcile.mutate({ dryRun: false, actionId });
              }}
            />
          </div>
        }
      />
      {notice && <Banner tone="success">{notice}</Banner>}
      {dry && (
        <Card title="Dry run result" description={`${formatDateTime(dry.startedAt)} · not stored`}>
          <RunDetail run={dry} />
        </Card>
      )}
      <Card title="Runs">
        <QueryState
          query={runs}
          loadingLabel="Loading runs…"
          skeletonLines={4}
          isEmpty={(data) => data.runs.length === 0}
          empty={{ description: 'No runs yet.' }}
        >
          {(data) => (
            <ul className="admin-subs">
              {data.runs.map((r) => (
                <li key={r.id} className="admin-sub">
                  <div className="admin-sub-head">
                    <div>
                      <strong>{formatDateTime(r.startedAt)}</strong>{' '}
                      <span
                        className={`badge badge-${r.status === 'succeeded' ? 'success' : r.status === 'failed' ? 'danger' : 'warning'}`}
                      >
                        {r.status}
                      </span>
                      {r.dryRun && <span className="badge badge-neutral admin-badge-gap">dry run</span>}
                      <div className="muted admin-small">
                        {r.counts.checked.toLocaleString()} checked · {r.counts.inSync.toLocaleString()} in sync ·{' '}
                        {r.counts.drifted} drifted · {r.counts.repaired} repaired ·{' '}
                        {r.counts.alreadyFixed ? `${r.counts.alreadyFixed} already fixed · ` : ''}
                        {r.counts.failed} failed · {plural(r.eventsReplayed, 'event')} replayed
                        {r.durationMs !== null ? ` · ${(r.durationMs / 1000).toFixed(1)} s` : ''}
                      </div>
                    </div>
                    {r.counts.drifted > 0 && (
                      <button
                        type="button"
                        className="btn btn-secondary btn-sm"
                        aria-expanded={open === r.id}
                        onClick={() => setOpen(open === r.id ? null : r.id)}
                      >
                        {open === r.id ? 'Hide drift' : 'Show drift'}
                      </button>
                    )}
                  </div>
                  {open === r.id && <RunDrifts id={r.id} />}
                </li>
              ))}
            </ul>
          )}
        </QueryState>
      </Card>
    </div>
  );
}

function RunDrifts({ id }: { id: string }) {
  const run = trpc.admin.reconcilerRun.useQuery({ id }, live());
  return (
    <QueryState query={run} loadingLabel="Loading drift…">
      {(data) => <RunDetail run={data} />}
    </QueryState>
  );
}

function RunDetail({ run }: { run: RunView }) {
  if (run.drifts.length === 0)
    return (
      <p className="muted">
        No drift: {plural(run.counts.checked, 'subscription')} {run.counts.checked === 1 ? 'matches' : 'match'} Stripe.
      </p>
    );
  return (
    <div className="admin-table-wrap">
      <table className="admin-table">
        <caption className="visually-hidden">Drift found</caption>
        <thead>
          <tr>
            <th scope="col">Subscription</th>
            <th scope="col">Kind</th>
            <th scope="col">Field: ours → Stripe</th>
            <th scope="col">Repaired</th>
          </tr>
        </thead>
        <tbody>
          {run.drifts.map((d) => (
            <tr key={`${d.subscriptionId}-${d.kind}`}>
              <td data-label="Subscription">
                <code>{d.subscriptionId}</code>
              </td>
              <td data-label="Kind">{d.kind.replace(/_/g, ' ')}</td>
              <td data-label="Fields">
                <ul className="admin-drift-fields">
                  {d.fields.map((f) => (
                    <li key={f.field}>
                      <code>{f.field}</code>: <span className="admin-danger-text">{f.mirror || '—'}</span> →{' '}
                      <span className="admin-success-text">{f.stripe || '—'}</span>
                    </li>
                  ))}
                </ul>
              </td>
              <td data-label="Repaired">
                {d.repaired ? 'Yes' : d.alreadyFixed ? 'Already fixed' : d.error ? `No: ${d.error}` : 'No'}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {run.driftsOmitted > 0 && <p className="muted">{run.driftsOmitted} more not shown.</p>}
    </div>
  );
}
