// The reconciler's reports for admins, and starting a run from the panel. A real run takes the
// reconciler's lease (so it never runs beside the cron one) and is started in the background; a
// dry run stores nothing, so it is awaited and its report returned.
import type { AppDeps } from '../deps';
import type { ReconcileRunDoc } from '../db/collections';
import { latestRuns, runReconcile } from '../billing/reconcile/run';
import { AppError } from '../lib/errors';
import { audited, type Actor } from './audit';

export interface RunView {
  id: string;
  startedAt: string;
  endedAt: string | null;
  status: string;
  dryRun: boolean;
  scope: string;
  counts: ReconcileRunDoc['counts'];
  eventsReplayed: number;
  parkedRetried: number;
  errors: string[];
  durationMs: number | null;
  driftsOmitted: number;
  drifts: {
    subscriptionId: string;
    customerId: string | null;
    userId: string | null;
    kind: string;
    repaired: boolean;
    /** The mirror already equalled Stripe when the run came to repair it. */
    alreadyFixed: boolean;
    error: string | null;
    fields: { field: string; mirror: string; stripe: string }[];
  }[];
}

const show = (v: unknown) => (v === undefined ? '' : JSON.stringify(v));

export function toRunView(r: ReconcileRunDoc, opts: { drifts: boolean }): RunView {
  return {
    id: r._id,
    startedAt: r.startedAt.toISOString(),
    endedAt: r.endedAt?.toISOString() ?? null,
    status: r.status,
    dryRun: r.dryRun,
    scope: r.scope,
    counts: r.counts,
    eventsReplayed: r.eventsReplayed,
    parkedRetried: r.parkedRetried,
    errors: r.errors.slice(0, 20),
    durationMs: r.durationMs,
    driftsOmitted: r.driftsOmitted,
    drifts: opts.drifts
      ? r.drifts.slice(0, 500).map((d) => ({
          subscriptionId: d.subscriptionId,
          customerId: d.customerId,
          userId: d.userId,
          kind: d.kind,
          repaired: d.repaired,
          alreadyFixed: d.alreadyFixed ?? false,
          error: d.error,
          fields: d.fields.map((f) => ({ field: f.field, mirror: show(f.mirror), stripe: show(f.stripe) })),
        }))
      : [],
  };
}

export async function reconcilerRuns(deps: AppDeps): Promise<RunView[]> {
  return (await latestRuns(deps, { limit: 30 })).map((r) => toRunView(r, { drifts: false }));
}

export async function reconcilerRun(deps: AppDeps, id: string): Promise<RunView> {
  const r = await deps.db.c.reconcileRuns.findOne({ _id: id });
  if (!r) throw new AppError('NOT_FOUND', 'No such run.');
  return toRunView(r, { drifts: true });
}

export async function startReconcile(opts: {
  deps: AppDeps;
  actor: Actor;
  actionId: string;
  dryRun: boolean;
}): Promise<{ started: boolean; report: RunView | null }> {
  const { deps } = opts;
  return audited({
    deps,
    actor: opts.actor,
    write: {
      action: opts.dryRun ? 'reconcile_dry_run' : 'reconcile',
      targetType: 'reconciler',
      targetId: opts.dryRun ? 'dry-run' : 'run',
      actionId: opts.actionId,
    },
    prepare: async () => ({ userId: null }),
    snapshot: async () => null,
    run: async () => {
      if (opts.dryRun) {
        const report = await runReconcile(deps, { dryRun: true });
        return { started: true, report: toRunView(report, { drifts: true }) };
      }
      // One background run per server at a time; the lease keeps it to one across processes.
      const local = deps.caches.reconcile;
      if (local.running) throw new AppError('CONFLICT', 'A run started from this server is still going.');
      local.running = runReconcile(deps, {})
        .catch((err: unknown) => deps.log.error({ err }, 'admin-started reconcile run failed'))
        .finally(() => {
          local.running = null;
        });
      return { started: true, report: null };
    },
  });
}
