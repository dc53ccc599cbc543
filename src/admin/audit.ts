// The admin audit log: every admin write is recorded before it runs (outcome "started") and
// completed after it (ok or failed), so even an action that crashed half-way leaves a trace. A write
// that cannot be recorded does not run. The entry's id is the client's action id, and the entry
// binds it to its action and target: the same confirmed action sent again (double click, retry) runs
// again under its entry (the work is idempotent), while the id sent with another action or target is
// refused, so nothing runs unrecorded. Reads of personal data (a subscriber's page, the CSV export)
// are recorded too, by `auditedRead`.
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
  /** The client's id for this confirmed action: a repeated click is recorded once. */
  actionId: string;
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

/**
 * Runs `fn` as an audited admin action. `snapshot` reads the target's state (before and after);
 * `fn` does the work and may return extra detail that is stored with the "after" state.
 */
export async function audited<T>(
  deps: AppDeps,
  actor: Actor,
  target: AuditTarget,
  snapshot: () => Promise<unknown>,
  fn: () => Promise<T>,
): Promise<T> {
  const { c } = deps.db;
  const _id = `action:${target.actionId}`;
  const before = json(await snapshot());
  try {
    await c.adminAudit.insertOne({
      _id,
      actorId: actor.id,
      actorEmail: actor.email,
      action: target.action,
      targetType: target.targetType,
      targetId: target.targetId,
      userId: target.userId,
      at: new Date(),
      outcome: 'started',
      error: null,
      before,
      after: null,
    });
  } catch (err) {
    if (!isDuplicateKey(err)) throw err;
    const entry = await c.adminAudit.findOne({ _id });
    if (!entry) throw err;
    if (entry.action !== target.action || entry.targetType !== target.targetType || entry.targetId !== target.targetId)
      throw new AppError(
        'CONFLICT',
        `This action id was already used for another action (${entry.action} on ${entry.targetType} ${entry.targetId}). Reload the page and confirm again.`,
      );
  }
  try {
    const result = await fn().finally(() => invalidateAdminCaches(deps));
    const after = json(await snapshot().catch(() => null));
    await c.adminAudit.updateOne({ _id }, { $set: { outcome: 'ok', after, error: null } });
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
export async function auditedRead<T>(
  deps: AppDeps,
  actor: Actor,
  target: Omit<AuditTarget, 'actionId'>,
  fn: () => Promise<T>,
): Promise<T> {
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
