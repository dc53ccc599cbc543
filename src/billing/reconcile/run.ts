// One reconciler run: stream every Stripe subscription page by page, compare each with the mirror
// and repair drifted customers through syncCustomer; then replay events our endpoint missed and
// retry parked inbox rows. Comparing comes first so that every drift is seen: replayed events
// handed to the live webhook worker earlier would fix the mirror before the compare, hiding the
// drift they fixed. Every run (except dry runs) leaves a report in `reconcile_runs`.
import type Stripe from 'stripe';
import type { AppDeps } from '../../deps';
import type { ReconcileRunDoc, SubscriptionDoc, WebhookEventDoc } from '../../db/collections';
import { refusedRows } from '../../db/errors';
import { SCHEDULE_CODE_EXPAND, SCHEDULE_EXPAND } from '../mirror';
import { syncCustomer, type SubscriptionChange } from '../sync';
import { enqueue, inboxRow } from '../../webhooks/inbox';
import { isHandledEventType } from '../../webhooks/event-types';
import { requeueEvent } from '../../webhooks/worker';
import { AppError } from '../../lib/errors';
import { newId } from '../../lib/ids';
import { checkFigures } from '../figures/rebuild';
import { acquireLease, type Lease } from '../../db/lease';
import { createBudgetedStripe } from './stripe';
import { MirrorStream } from './mirror-stream';
import { compareRow, expectedRow, plain, COMPARED_FIELDS, type DriftKind, type FieldDiff } from './compare';

export type ReconcileReport = ReconcileRunDoc;
type Drift = ReconcileRunDoc['drifts'][number];

export interface ReconcileProgress {
  phase: 'subscriptions' | 'orphans' | 'events' | 'parked' | 'done';
  checked: number;
  /** The mirror's row count: Stripe lists have no total, so this is the bar's best guess. */
  estimatedTotal: number;
  drifted: number;
  repaired: number;
}

export interface ReconcileOptions {
  /** Report only: no lease, no repairs, no inbox writes, no stored report. */
  dryRun?: boolean;
  /** Reconcile one customer (no event replay, no lease: syncCustomer is safe beside a full run). */
  customerId?: string;
  /** Stripe requests per second (default env RECONCILE_RPS). */
  rps?: number;
  leaseMs?: number;
  /** Attempts per Stripe page or repair on 429/5xx, on top of the SDK's own retries. */
  maxAttempts?: number;
  backoffBaseMs?: number;
  /** How far back the very first run looks for missed events. */
  firstRunLookbackMs?: number;
  /** Drifts kept in the stored report (the counts always cover all of them). */
  maxStoredDrifts?: number;
  onProgress?: (p: ReconcileProgress) => void;
  /** Stops the run between pages and repairs (shutdown); it ends failed with its report stored. */
  signal?: AbortSignal;
}

const PAGE = 100;
/** syncCustomer calls in flight at once: they wait mostly on the database, not on Stripe. */
const REPAIR_CONCURRENCY = 4;
const SUB_EXPAND = [
  'data.customer.invoice_settings.default_payment_method',
  'data.default_payment_method',
  `data.${SCHEDULE_EXPAND}`,
  `data.${SCHEDULE_CODE_EXPAND}`,
];

class FatalRunError extends Error {}

export async function runReconcile(deps: AppDeps, opts: ReconcileOptions = {}): Promise<ReconcileReport> {
  const dryRun = opts.dryRun ?? false;
  const scope = opts.customerId ? 'customer' : 'all';
  const maxAttempts = opts.maxAttempts ?? 8;
  const backoffBaseMs = opts.backoffBaseMs ?? 500;
  const maxStoredDrifts = opts.maxStoredDrifts ?? 5_000;
  const { c } = deps.db;
  const log = deps.log.child({ job: 'reconciler' });
  if (!deps.env.STRIPE_SECRET_KEY) throw new Error('STRIPE_SECRET_KEY is not set: there is no Stripe account to reconcile with.');
  const budgeted = createBudgetedStripe(deps.env, opts.rps ?? deps.env.RECONCILE_RPS);
  const stripe = budgeted.stripe;
  const repairDeps: AppDeps = { ...deps, stripe };

  const report: ReconcileReport = {
    _id: newId(),
    startedAt: new Date(),
    endedAt: null,
    status: 'running',
    dryRun,
    scope,
    customerId: opts.customerId ?? null,
    owner: '',
    eventsSince: null,
    eventsComplete: false,
    counts: { checked: 0, inSync: 0, drifted: 0, repaired: 0, alreadyFixed: 0, failed: 0, byKind: {} },
    drifts: [],
    driftsOmitted: 0,
    errors: [],
    eventsReplayed: 0,
    parkedRetried: 0,
    stripeCalls: 0,
    durationMs: null,
  };

  let lease: Lease | null = null;
  if (!dryRun && scope === 'all') {
    lease = await acquireLease(c, { leaseMs: opts.leaseMs });
    if (!lease) {
      report.status = 'skipped';
      report.endedAt = new Date();
      report.durationMs = 0;
      report.errors.push('another reconciler run holds the lease');
      await c.reconcileRuns.insertOne(report);
      log.info('reconcile skipped: another run holds the lease');
      return report;
    }
    report.owner = lease.owner;
    // We hold the lease, so a run still marked running died without finishing.
    await c.reconcileRuns.updateMany(
      { status: 'running', scope: 'all' },
      { $set: { status: 'failed', endedAt: new Date() }, $push: { errors: 'abandoned: its runner stopped before finishing' } },
    );
  }
  if (!dryRun) await c.reconcileRuns.insertOne({ ...report });

  const estimatedTotal = opts.customerId
    ? await c.subscriptions.countDocuments({ customerId: opts.customerId })
    : await c.subscriptions.estimatedDocumentCount();
  const progress = (phase: ReconcileProgress['phase']) =>
    opts.onProgress?.({
      phase,
      checked: report.counts.checked,
      estimatedTotal: Math.max(estimatedTotal, report.counts.checked),
      drifted: report.counts.drifted,
      repaired: report.counts.repaired,
    });

  const checkLease = () => {
    if (opts.signal?.aborted) throw new FatalRunError('stopped: the process is shutting down');
    if (lease?.lost) throw new FatalRunError('lost the lease (another runner took over); stopping without further writes');
  };

  /** Stripe calls with bounded backoff on 429 and 5xx; anything else is not retried. */
  const withBackoff = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    for (let attempt = 1; ; attempt++) {
      checkLease();
      try {
        return await fn();
      } catch (err) {
        if (!retryable(err)) throw err;
        if (attempt >= maxAttempts)
          throw new FatalRunError(`Stripe unavailable: ${what} failed ${attempt} times (${describe(err)})`);
        const delay = Math.min(backoffBaseMs * 2 ** (attempt - 1), 30_000);
        log.warn({ what, attempt, delay, err: describe(err) }, 'Stripe busy or failing; backing off');
        await sleep(delay * (0.75 + Math.random() * 0.5));
      }
    }
  };

  const recordDrift = (d: Drift) => {
    report.counts.drifted++;
    report.counts.byKind[d.kind] ??= { found: 0, repaired: 0, alreadyFixed: 0, failed: 0 };
    report.counts.byKind[d.kind]!.found++;
    if (report.drifts.length < maxStoredDrifts) report.drifts.push(d);
    else report.driftsOmitted++;
  };

  /**
   * Repairs one drifted customer, then records for each drift the row as the repair left it and who
   * fixed it: the run's sync (it changed a row that still differed), or someone before it (the live
   * worker processing a webhook, a user action) between the compare and the repair.
   */
  const repairOne = async (customerId: string, drifts: { drift: Drift; diffs: FieldDiff[] }[]) => {
    let error: string | null = null;
    const changes = new Map<string, SubscriptionChange>();
    try {
      // Orphans are named: the customer's row may not list them (a row mirrored from a write's answer).
      const mirrored = drifts.filter(({ drift }) => drift.kind === 'unknown_to_stripe').map(({ drift }) => drift.subscriptionId);
      // A customer Stripe has no record of takes its orphans with it, once this run has met
      // subscriptions of the mirror in Stripe: with another account's key every row would seem gone.
      const purge = matched > 0;
      const result = await withBackoff(`repair of ${customerId}`, () =>
        syncCustomer(repairDeps, customerId, { source: 'reconciler' }, { mirrored, purge }),
      );
      if (result.customerGone && !purge)
        throw new Error(
          `Stripe has no customer ${customerId}. Its rows are removed by a run that finds other subscriptions of the mirror in Stripe (a run for one customer does not); if none is found, check that STRIPE_SECRET_KEY is this account's.`,
        );
      for (const ch of result.changes) changes.set(ch.subscriptionId, ch);
    } catch (err) {
      if (err instanceof FatalRunError) throw err;
      error = describe(err);
    }
    for (const { drift } of drifts) {
      const change = changes.get(drift.subscriptionId);
      // The row as syncCustomer left it: from its result, else read back by _id (a read every
      // database answers from an index: src/db/reads.ts).
      const row = change ? change.after : await c.subscriptions.findOne({ _id: drift.subscriptionId });
      for (const f of drift.fields) f.after = row ? plain(row[f.field as keyof SubscriptionDoc]) : null;
      const converged =
        drift.kind === 'unknown_to_stripe' ? row === null : drift.fields.every((f) => sameJson(f.after, f.stripe));
      // Our sync fixed it when it changed the row and the row it replaced still differed from Stripe.
      const before = change?.before;
      const fixedMeanwhile =
        !change ||
        (drift.kind !== 'unknown_to_stripe' &&
          before != null &&
          drift.fields.every((f) => sameJson(plain(before[f.field as keyof SubscriptionDoc]), f.stripe)));
      drift.repaired = !error && converged && !fixedMeanwhile;
      drift.alreadyFixed = !error && converged && fixedMeanwhile;
      drift.error = error ?? (converged ? null : 'the mirror still differs after syncCustomer (Stripe changed meanwhile?)');
      const k = report.counts.byKind[drift.kind]!;
      if (drift.repaired) {
        report.counts.repaired++;
        k.repaired++;
      } else if (drift.alreadyFixed) {
        report.counts.alreadyFixed = (report.counts.alreadyFixed ?? 0) + 1;
        k.alreadyFixed = (k.alreadyFixed ?? 0) + 1;
      } else {
        report.counts.failed++;
        k.failed++;
      }
    }
    progress('subscriptions');
  };

  /** Repairs each drifted customer once (a few at a time), recording before/after per field. */
  const repair = async (pending: Map<string, { drift: Drift; diffs: FieldDiff[] }[]>) => {
    if (dryRun || !pending.size) return;
    const queue = [...pending];
    const results = await Promise.allSettled(
      Array.from({ length: Math.min(REPAIR_CONCURRENCY, queue.length) }, async () => {
        for (let next = queue.shift(); next; next = queue.shift()) {
          if (opts.signal?.aborted || lease?.lost) return;
          await repairOne(next[0], next[1]);
        }
      }),
    );
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
    checkLease();
  };

  /** Event ids this run's replay has looked up already (the failed-delivery listing overlaps the first). */
  const eventsLookedUp = new Set<string>();

  /** Compares one page of Stripe subscriptions with their mirror rows, then repairs. */
  const seen = new Set<string>();
  /**
   * Subscriptions Stripe listed that the mirror held for a user before this run began: proof the
   * key is the mirror's account (a row this run, or a run with another account's key, wrote from
   * that account's listing has no user, or is new).
   */
  let matched = 0;
  let pagesSinceSave = 0;
  const checkPage = async (subs: Stripe.Subscription[], fromStream?: Map<string, SubscriptionDoc>) => {
    const byId = new Map(fromStream);
    // Rows the stream did not have (missing, or written after the cursor passed): one $in read.
    const unmatched = subs.filter((s) => !byId.has(s.id)).map((s) => s.id);
    if (unmatched.length)
      for (const row of await c.subscriptions.find({ _id: { $in: unmatched } }).toArray()) byId.set(row._id, row);
    const pending = new Map<string, { drift: Drift; diffs: FieldDiff[] }[]>();
    for (const sub of subs) {
      if (seen.has(sub.id)) continue; // a subscription moved between pages while we listed
      seen.add(sub.id);
      report.counts.checked++;
      const held = byId.get(sub.id);
      if (held?.userId && held.fetchedAt < report.startedAt) matched++;
      const { expected, userId } = expectedRow(sub);
      const diff = compareRow(expected, byId.get(sub.id) ?? null);
      if (!diff) {
        report.counts.inSync++;
        continue;
      }
      const drift: Drift = {
        subscriptionId: sub.id,
        customerId: expected.customerId,
        userId: byId.get(sub.id)?.userId ?? userId,
        kind: diff.kind,
        fields: diff.fields.map((f) => ({ ...f, after: null })),
        repaired: false,
        alreadyFixed: false,
        error: null,
      };
      recordDrift(drift);
      const list = pending.get(expected.customerId) ?? [];
      list.push({ drift, diffs: diff.fields });
      pending.set(expected.customerId, list);
    }
    await repair(pending);
    progress('subscriptions');
    // Every few pages the stored report catches up, so a runner that dies keeps what it learned.
    if (!dryRun && ++pagesSinceSave >= 10) {
      pagesSinceSave = 0;
      const { _id, ...rest } = report;
      await c.reconcileRuns.updateOne({ _id, status: 'running' }, { $set: { ...rest, stripeCalls: budgeted.calls() } });
    }
  };

  const listSubscriptions = async (filter: { customer?: string; test_clock?: string }, mirror?: MirrorStream) => {
    let startingAfter: string | undefined;
    for (;;) {
      const page = await withBackoff('subscriptions.list', () =>
        stripe.subscriptions.list({ ...filter, status: 'all', limit: PAGE, expand: SUB_EXPAND, starting_after: startingAfter }),
      );
      if (page.data.length) await checkPage(page.data, await mirror?.rowsFor(page.data));
      if (!page.has_more || !page.data.length) return;
      startingAfter = page.data.at(-1)!.id;
    }
  };

  try {
    progress('subscriptions');
    const mirror = new MirrorStream(c.subscriptions, opts.customerId ? { customerId: opts.customerId } : {});
    if (opts.customerId) {
      await listSubscriptions({ customer: opts.customerId }, mirror);
    } else {
      await listSubscriptions({}, mirror);
      // Test mode: subscriptions on test clocks are listed only with their clock.
      if (/^(sk|rk)_test_/.test(deps.env.STRIPE_SECRET_KEY)) {
        for (const clockId of await listTestClocks()) await listSubscriptions({ test_clock: clockId });
      }
    }

    progress('orphans');
    await checkOrphans(await mirror.rest());

    // Only now do missed events reach the worker: had it processed them before the compare, the
    // drift they fix would have gone unseen.
    if (scope === 'all') {
      progress('events');
      await replayEvents();
      report.eventsComplete = true;
    }
    progress('parked');
    await retryParked();
    // The admin's figures against the mirror this run just made true: a drift asks for a rebuild.
    if (scope === 'all' && !dryRun) {
      report.figures = await checkFigures(deps);
      if (report.figures.result === 'drift') log.warn({ fields: report.figures.fields }, 'admin figures drifted; rebuilding');
    }
    report.status = 'succeeded';
  } catch (err) {
    report.status = 'failed';
    report.errors.push(describe(err));
    log.error({ err }, 'reconcile run failed');
  } finally {
    report.endedAt = new Date();
    report.durationMs = report.endedAt.getTime() - report.startedAt.getTime();
    report.stripeCalls = budgeted.calls();
    if (!dryRun) {
      const { _id, ...rest } = report;
      await c.reconcileRuns
        .updateOne({ _id }, { $set: rest })
        .catch((err: unknown) => log.error({ err }, 'could not store the reconcile report'));
    }
    await lease?.release().catch(() => {});
    progress('done');
  }
  log.info({ status: report.status, counts: report.counts, stripeCalls: report.stripeCalls }, 'reconcile run finished');
  return report;

  /** Events since the last complete run (all of them, and those whose delivery failed) reach the inbox. */
  async function replayEvents() {
    const last = await c.reconcileRuns
      .find({ scope: 'all', dryRun: false, eventsComplete: true, _id: { $ne: report._id } })
      .sort({ startedAt: -1 })
      .limit(1)
      .next();
    const lookback = opts.firstRunLookbackMs ?? 3 * 86_400_000;
    // A minute of overlap covers events created while the last run was starting.
    const since = last ? new Date(last.startedAt.getTime() - 60_000) : new Date(report.startedAt.getTime() - lookback);
    report.eventsSince = since;
    const created = { gte: Math.floor(since.getTime() / 1000) };
    await eachEventPage({ created }, insertMissing);
    // Failed deliveries over the longer window: an event older than the last run whose retries
    // ran out since then.
    const failedSince = Math.floor((report.startedAt.getTime() - lookback) / 1000);
    await eachEventPage({ created: { gte: failedSince }, delivery_success: false }, insertMissing);
  }

  async function eachEventPage(params: Stripe.EventListParams, fn: (events: Stripe.Event[]) => Promise<void>) {
    let startingAfter: string | undefined;
    for (;;) {
      const page = await withBackoff('events.list', () =>
        stripe.events.list({ ...params, limit: PAGE, starting_after: startingAfter }),
      );
      if (page.data.length) await fn(page.data);
      if (!page.has_more || !page.data.length) return;
      startingAfter = page.data.at(-1)!.id;
    }
  }

  /** One inbox lookup per page of events; events an earlier page of this run held are skipped. */
  async function insertMissing(page: Stripe.Event[]) {
    // Only what the endpoint subscribes to: the others were never meant to reach the inbox.
    const events = page.filter((e) => !eventsLookedUp.has(e.id) && isHandledEventType(e.type));
    for (const e of events) eventsLookedUp.add(e.id);
    if (!events.length) return;
    const known = await c.webhookEvents.find({ _id: { $in: events.map((e) => e.id) } }, { projection: { _id: 1 } }).toArray();
    const have = new Set(known.map((k) => k._id));
    const now = new Date();
    const rows: WebhookEventDoc[] = events
      .filter((e) => !have.has(e.id))
      // The shape recordEvent writes, so the worker cannot tell a replay from a delivery.
      .map((event) => inboxRow(event, JSON.stringify(event), now));
    if (!rows.length) return;
    if (dryRun) {
      report.eventsReplayed += rows.length;
      return;
    }
    // Unordered: a delivery that lands meanwhile wins the unique _id and ours is simply skipped.
    // Any other refusal fails the run (the next run finds the event missing again), before a row
    // that was not stored is queued.
    let refused: { index: number; duplicate: boolean }[] = [];
    try {
      await c.webhookEvents.insertMany(rows, { ordered: false });
    } catch (err) {
      const named = refusedRows(err);
      if (!named) throw err;
      refused = named;
    }
    report.eventsReplayed += rows.length - refused.length;
    // The rows in the inbox now are queued (those a delivery stored meanwhile are queued already,
    // and queueing them again is refused). A row refused for any other reason fails the run; the
    // next run finds its event missing again.
    const stored = rows.filter((_, i) => !refused.some((r) => r.index === i && !r.duplicate));
    await enqueue(deps, stored);
    const failed = refused.find((r) => !r.duplicate);
    if (failed) throw new Error(`the inbox refused event ${rows[failed.index]!._id}`);
  }

  async function retryParked() {
    const filter = { status: 'parked' as const, ...(opts.customerId ? { customerId: opts.customerId } : {}) };
    const cursor = c.webhookEvents.find(filter, { projection: { _id: 1 } }).batchSize(PAGE);
    for await (const row of cursor) {
      if (dryRun) report.parkedRetried++;
      else if (await requeueEvent(deps, row._id)) report.parkedRetried++;
    }
  }

  async function listTestClocks(): Promise<string[]> {
    const ids: string[] = [];
    let startingAfter: string | undefined;
    for (;;) {
      const page = await withBackoff('test_clocks.list', () =>
        stripe.testHelpers.testClocks.list({ limit: PAGE, starting_after: startingAfter }),
      );
      ids.push(...page.data.map((t) => t.id));
      if (!page.has_more || !page.data.length) return ids;
      startingAfter = page.data.at(-1)!.id;
    }
  }

  /** Mirror rows no listing returned: gone from Stripe, or created while we listed. */
  async function checkOrphans(candidates: string[]) {
    let batch: string[] = [];
    const flush = async () => {
      if (!batch.length) return;
      const ids = batch;
      batch = [];
      const rows = await c.subscriptions.find({ _id: { $in: ids } }).toArray();
      const found: Stripe.Subscription[] = [];
      const pending = new Map<string, { drift: Drift; diffs: FieldDiff[] }[]>();
      for (const row of rows) {
        const sub = await withBackoff('subscriptions.retrieve', () =>
          stripe.subscriptions
            .retrieve(row._id, { expand: SUB_EXPAND.map((e) => e.slice('data.'.length)) })
            .catch((err: unknown) => {
              if ((err as { statusCode?: number }).statusCode === 404) return null;
              throw err;
            }),
        );
        if (sub) {
          found.push(sub);
          continue;
        }
        report.counts.checked++;
        const drift: Drift = {
          subscriptionId: row._id,
          customerId: row.customerId,
          userId: row.userId,
          kind: 'unknown_to_stripe' satisfies DriftKind,
          fields: COMPARED_FIELDS.map((f) => ({ field: f, mirror: plain(row[f]), stripe: null, after: null })),
          repaired: false,
          alreadyFixed: false,
          error: null,
        };
        recordDrift(drift);
        const list = pending.get(row.customerId) ?? [];
        list.push({ drift, diffs: [] });
        pending.set(row.customerId, list);
      }
      await repair(pending);
      if (found.length) await checkPage(found);
    };
    for (const id of candidates) {
      if (seen.has(id)) continue;
      batch.push(id);
      if (batch.length >= PAGE) await flush();
    }
    await flush();
  }
}

/** The latest reports, newest first, for the admin panel. */
export async function latestRuns(deps: AppDeps, opts: { limit?: number } = {}): Promise<ReconcileReport[]> {
  return deps.db.c.reconcileRuns
    .find({})
    .sort({ startedAt: -1 })
    .limit(opts.limit ?? 20)
    .toArray();
}

function retryable(err: unknown): boolean {
  if (err instanceof AppError) return err.code === 'TOO_MANY_REQUESTS' || err.code === 'UNAVAILABLE';
  const e = err as { statusCode?: number; type?: string };
  if (e.type === 'StripeConnectionError') return true;
  return e.statusCode === 429 || (e.statusCode !== undefined && e.statusCode >= 500);
}

const sameJson = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
