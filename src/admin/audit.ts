// The admin audit log: every admin write is recorded before it runs (outcome "started") and
// completed after it (ok or failed, with its answer), so even an action that crashed half-way leaves
// a trace. A write that cannot be recorded does not run. The entry's id is the client's action id,
// and the entry binds it to its actor, action, target and a hash of its parameters: the same
// confirmed action sent again (double click, retry) answers what it answered the first time, before
// its preconditions are looked at again, while the id sent by another admin, with another action or
// target or other parameters is refused, so nothing runs unrecorded. Reads of personal data (a
// subscriber's page, the CSV export) are recorded too, by `auditedRead`.
import { createHash } from 'node:crypto';
import type { AppDeps } from '../deps';
import type { AdminAuditDoc } from '../db/collections';
import { isDuplicateKey } from '../db/errors';
import { AppError } from '../lib/errors';
import { newId } from '../lib/ids';
import { invalidateAdminCaches } from './cache';

export interface Actor {
  id: string;
  email: string;
}

export interface AuditTarget {
  action: string;
  targetType: AdminAuditDoc['targetType'];
  targetId: string;
  userId: string | null;
}

/** One confirmed admin write as the client sent it. */
export interface AdminWrite {
  action: string;
  targetType: AdminAuditDoc['targetType'];
  targetId: string;
  /** The client's id for this confirmed action: a repeated click is recorded (and done) once. */
  actionId: string;
  /** Whatever else decides what the write does (amounts, dates, notes); bound to the id by a hash. */
  params?: Record<string, unknown>;
}

export interface AuditView {
  id: string;
  actorEmail: string;
  action: string;
  targetType: string;
  targetId: string;
  userId: string | null;
  at: string;
  outcome: AdminAuditDoc['outcome'];
  error: string | null;
  before: string | null;
  after: string | null;
}

const json = (value: unknown): string | null => (value === undefined ? null : JSON.stringify(value ?? null));

/** A hash of `params` that does not depend on the order of their keys. */
export function paramsHash(params: Record<string, unknown> = {}): string {
  const canonical = (v: unknown): unknown =>
    v && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date)
      ? Object.fromEntries(
          Object.keys(v)
            .sort()
            .map((k) => [k, canonical((v as Record<string, unknown>)[k])]),
        )
      : Array.isArray(v)
        ? v.map(canonical)
        : v;
  return createHash('sha256')
    .update(JSON.stringify(canonical(params)) ?? '')
    .digest('hex');
}

/** Refuses an entry that records another write under the same action id; says what differs. */
function requireSameWrite(entry: AdminAuditDoc, actor: Actor, write: AdminWrite, hash: string): void {
  const refuse = (what: string) =>
    new AppError('CONFLICT', `This action id was already used ${what}. Reload the page and confirm again.`);
  if (entry.actorId !== actor.id) throw refuse('by another admin');
  if (entry.action !== write.action || entry.targetType !== write.targetType || entry.targetId !== write.targetId)
    throw refuse(`for another action (${entry.action} on ${entry.targetType} ${entry.targetId})`);
  // Entries from before parameters were recorded carry no hash; action and target still bind them.
  if (entry.paramsHash !== undefined && entry.paramsHash !== hash) throw refuse(`for ${entry.action} with other details`);
}

/** The first answer of a write already done, or undefined when it has none to give. */
function recordedAnswer<T>(entry: AdminAuditDoc): { value: T } | undefined {
  // Entries from before answers were kept have none: their write runs again (it is idempotent).
  if (entry.outcome !== 'ok' || typeof entry.result !== 'string') return undefined;
  return { value: (JSON.parse(entry.result) as { answer: T }).answer };
}

/**
 * What an action id already answered, when `write` was done under it before; throws CONFLICT when
 * the id records another write. For a caller with work to do before `audited` (an upload stores its
 * bytes first) that must not be repeated for a retry.
 */
export async function priorAnswer<T>(opts: {
  deps: AppDeps;
  actor: Actor;
  write: AdminWrite;
}): Promise<{ value: T } | undefined> {
  const seen = await opts.deps.db.c.adminAudit.findOne({ _id: `action:${opts.write.actionId}` });
  if (!seen) return undefined;
  requireSameWrite(seen, opts.actor, opts.write, paramsHash(opts.write.params));
  return recordedAnswer<T>(seen);
}

/**
 * Runs an audited admin write. For an action id seen before (same actor, action, target and
 * parameters) a completed write answers its recorded answer at once; any other use of the id is a
 * CONFLICT. Otherwise `prepare` checks the preconditions (and may refuse: nothing is recorded), then
 * the entry is written with `snapshot`'s state before, `run` does the work (its answer must be plain
 * JSON: it is stored), and the entry is completed with the state after.
 */
export async function audited<P extends { userId: string | null }, T>(opts: {
  deps: AppDeps;
  actor: Actor;
  write: AdminWrite;
  prepare: () => Promise<P>;
  snapshot: (prepared: P) => Promise<unknown>;
  run: (prepared: P) => Promise<T>;
}): Promise<T> {
  const { deps, actor, write } = opts;
  const { c } = deps.db;
  const _id = `action:${write.actionId}`;
  const hash = paramsHash(write.params);

  const seen = await c.adminAudit.findOne({ _id });
  if (seen) {
    requireSameWrite(seen, actor, write, hash);
    const answer = recordedAnswer<T>(seen);
    if (answer) return answer.value;
  }

  const prepared = await opts.prepare();
  const before = json(await opts.snapshot(prepared));
  if (!seen) {
    try {
      await c.adminAudit.insertOne({
        _id,
        actorId: actor.id,
        actorEmail: actor.email,
        action: write.action,
        targetType: write.targetType,
        targetId: write.targetId,
        userId: prepared.userId,
        paramsHash: hash,
        at: new Date(),
        outcome: 'started',
        error: null,
        before,
        after: null,
        result: null,
      });
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      // The same id sent twice at once: the other request recorded it first.
      const entry = await c.adminAudit.findOne({ _id });
      if (!entry) throw err;
      requireSameWrite(entry, actor, write, hash);
      const answer = recordedAnswer<T>(entry);
      if (answer) return answer.value;
    }
  }
  // From here the write is recorded; a retry of one that started or failed runs again under its
  // entry (the work is idempotent: Stripe writes carry the action id as their idempotency key).
  try {
    const result = await opts.run(prepared).finally(() => invalidateAdminCaches(deps));
    const after = json(await opts.snapshot(prepared).catch(() => null));
    const answer = JSON.stringify({ answer: result ?? null });
    await c.adminAudit.updateOne({ _id }, { $set: { outcome: 'ok', after, error: null, result: answer } });
    return result;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    await c.adminAudit
      .updateOne({ _id }, { $set: { outcome: 'failed', error: message.slice(0, 1_000) } })
      .catch((e: unknown) => deps.log.warn({ err: e }, 'could not complete an audit entry'));
    throw err;
  }
}

/** Records that `actor` read personal data (who looked at whose data); the read runs only once recorded. */
export async function auditedRead<T>(deps: AppDeps, actor: Actor, target: AuditTarget, fn: () => Promise<T>): Promise<T> {
  await deps.db.c.adminAudit.insertOne({
    _id: `read:${newId()}`,
    actorId: actor.id,
    actorEmail: actor.email,
    action: target.action,
    targetType: target.targetType,
    targetId: target.targetId,
    userId: target.userId,
    at: new Date(),
    outcome: 'ok',
    error: null,
    before: null,
    after: null,
  });
  return fn();
}

export function toAuditView(d: AdminAuditDoc): AuditView {
  return {
    id: d._id,
    actorEmail: d.actorEmail,
    action: d.action,
    targetType: d.targetType,
    targetId: d.targetId,
    userId: d.userId,
    at: d.at.toISOString(),
    outcome: d.outcome,
    error: d.error,
    before: d.before,
    after: d.after,
  };
}

export async function auditEntries(deps: AppDeps, opts: { userId?: string; limit?: number }): Promise<AuditView[]> {
  const filter = opts.userId ? { userId: opts.userId } : {};
  const docs = await deps.db.c.adminAudit
    .find(filter)
    .sort({ at: -1 })
    .limit(opts.limit ?? 100)
    .toArray();
  return docs.map(toAuditView);
}
