// Content administration: create, edit, publish, unpublish, set the unlocking plan and attach a
// file to library items. Every change is audited (before/after) and names the item version it
// started from: a stale change is refused with a conflict, never applied over someone else's.
//
// Why a claim and not a conditional update: concurrent conditional updates of one document are not
// relied on to pick one winner (src/db/writes.ts). So a change to version N first inserts the claim
// `content:<slug>@<N+1>` (a unique insert lets exactly one through); only its winner writes the
// item, with the filter {_id, version: N}. The claim's owner is the client's action id, so a
// retried click is recognised as already done rather than as a conflict.
import { createHash } from 'node:crypto';
import type { AppDeps } from '../deps';
import type { ContentDoc, PlanTier } from '../db/collections';
import { isDuplicateKey } from '../db/errors';
import { AppError } from '../lib/errors';
import { plans } from '../billing/plans';
import { invalidateCatalog } from '../content/library';
import { CHUNK_BYTES, storeFile } from '../content/storage';
import { audited, priorAnswer, toAuditView, type Actor, type AuditView } from './audit';

/** What an admin edits: the stored item's own fields (src/db/collections.ts). */
export type ContentFields = Pick<ContentDoc, 'kind' | 'title' | 'summary' | 'tags' | 'body' | 'bodyFormat' | 'minPlan'>;

export interface AdminContentItem extends ContentFields {
  slug: string;
  published: boolean;
  version: number;
  file: { id: string; name: string; contentType: string; size: number } | null;
  createdAt: string;
  updatedAt: string;
}

export type AdminContentRow = Omit<AdminContentItem, 'body' | 'bodyFormat' | 'summary'> & { requiredPlanName: string };

interface ChangeBase {
  deps: AppDeps;
  actor: Actor;
  actionId: string;
  slug: string;
}

/** A claim older than this whose item never moved on was left by a crashed process. */
const ABANDONED_CLAIM_MS = 30_000;

const versionOf = (doc: Pick<ContentDoc, 'version'>) => doc.version ?? 0;

function toAdminItem(doc: ContentDoc): AdminContentItem {
  return {
    slug: doc._id,
    kind: doc.kind,
    title: doc.title,
    summary: doc.summary,
    tags: doc.tags,
    body: doc.body,
    bodyFormat: doc.bodyFormat,
    minPlan: doc.minPlan,
    published: doc.published,
    version: versionOf(doc),
    file: doc.file,
    createdAt: doc.createdAt.toISOString(),
    updatedAt: doc.updatedAt.toISOString(),
  };
}

/** What the audit log keeps of an item, before and after a change. */
async function itemState(deps: AppDeps, slug: string) {
  const doc = await deps.db.c.content.findOne({ _id: slug });
  if (!doc) return null;
  const { createdAt: _c, updatedAt: _u, ...state } = toAdminItem(doc);
  return state;
}

const conflict = () =>
  new AppError(
    'CONFLICT',
    'Someone else changed this item after you opened it. Reload it to see their changes, then make yours again.',
  );

async function requireItem(deps: AppDeps, slug: string): Promise<ContentDoc> {
  const doc = await deps.db.c.content.findOne({ _id: slug });
  if (!doc) throw new AppError('NOT_FOUND', 'No such library item.');
  return doc;
}

/**
 * Takes the right to write version `next` of an item. 'mine' means this action id already holds
 * it (a retry of a change that went through).
 */
async function claimVersion(deps: AppDeps, slug: string, next: number, actionId: string): Promise<'won' | 'mine'> {
  const { c } = deps.db;
  const _id = `content:${slug}@${next}`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await c.claims.insertOne({ _id, owner: actionId, at: new Date() });
      return 'won';
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
    }
    const held = await c.claims.findOne({ _id });
    if (!held) continue;
    if (held.owner === actionId) return 'mine';
    const doc = await c.content.findOne({ _id: slug }, { projection: { version: 1 } });
    const abandoned = Date.now() - held.at.getTime() > ABANDONED_CLAIM_MS && (doc ? versionOf(doc) : 0) < next;
    if (!abandoned) throw conflict();
    // Of two processes clearing it, the insert above still lets only one of them take the version.
    await c.claims.deleteOne({ _id, owner: held.owner });
  }
  throw conflict();
}

/** True when this action id already wrote version `version + 1` (the client is retrying). */
async function alreadyApplied(deps: AppDeps, slug: string, version: number, actionId: string): Promise<boolean> {
  const held = await deps.db.c.claims.findOne({ _id: `content:${slug}@${version + 1}` });
  return held?.owner === actionId;
}

/**
 * Applies `changes` to the item, provided it is still at `version`; audited as `action` with
 * `params` (what the change sets). `changes` sees the current item and may refuse the change (an
 * AppError naming the field).
 */
async function changeItem(
  opts: ChangeBase & { version: number },
  action: string,
  params: Record<string, unknown>,
  changes: (doc: ContentDoc) => Partial<ContentDoc>,
): Promise<AdminContentItem> {
  const { deps, slug } = opts;
  return audited({
    deps,
    actor: opts.actor,
    write: {
      action,
      targetType: 'content',
      targetId: slug,
      actionId: opts.actionId,
      params: { version: opts.version, ...params },
    },
    prepare: async () => {
      const doc = await requireItem(deps, slug);
      const current = versionOf(doc);
      if (current !== opts.version) {
        // This action id already wrote the next version (a retry whose first answer was lost).
        if (await alreadyApplied(deps, slug, opts.version, opts.actionId))
          return { userId: null, current, set: null, done: toAdminItem(doc) };
        throw conflict();
      }
      // Validate before anything is recorded: bad input changes nothing.
      return { userId: null, current, set: changes(doc), done: null };
    },
    snapshot: () => itemState(deps, slug),
    run: async ({ current, set, done }) => {
      if (done || !set) return done ?? toAdminItem(await requireItem(deps, slug));
      if ((await claimVersion(deps, slug, current + 1, opts.actionId)) === 'mine')
        return toAdminItem(await requireItem(deps, slug));
      const filter = current === 0 ? { _id: slug, version: { $exists: false } } : { _id: slug, version: current };
      const res = await deps.db.c.content.updateOne(filter, { $set: { ...set, version: current + 1, updatedAt: new Date() } });
      if (res.matchedCount === 0) throw conflict();
      invalidateCatalog(deps);
      return toAdminItem(await requireItem(deps, slug));
    },
  });
}

/** A published item must have what its kind promises: a file for file items, a body otherwise. */
function publishable(doc: Pick<ContentDoc, 'kind' | 'body' | 'file'>): void {
  if (doc.kind === 'file' && !doc.file)
    throw new AppError('BAD_REQUEST', 'Upload a file before publishing a file item.', { field: 'published' });
  if (doc.kind !== 'file' && doc.body.trim() === '')
    throw new AppError('BAD_REQUEST', 'Write the body before publishing this item.', { field: 'published' });
}

export async function createContent(
  opts: Omit<ChangeBase, 'slug'> & { slug: string; fields: ContentFields; published: boolean },
): Promise<AdminContentItem> {
  const { deps, slug } = opts;
  const now = new Date();
  const doc: ContentDoc = {
    _id: slug,
    ...opts.fields,
    file: null,
    published: opts.published,
    createdAt: now,
    updatedAt: now,
    version: 1,
  };
  if (opts.published) publishable(doc);
  return audited({
    deps,
    actor: opts.actor,
    write: {
      action: 'content_create',
      targetType: 'content',
      targetId: slug,
      actionId: opts.actionId,
      params: { fields: opts.fields, published: opts.published },
    },
    prepare: async () => {
      const existing = await deps.db.c.content.findOne({ _id: slug });
      if (existing) {
        if (await alreadyApplied(deps, slug, 0, opts.actionId)) return { userId: null, done: toAdminItem(existing) };
        throw new AppError('CONFLICT', 'An item with this slug already exists. Choose another slug.', { field: 'slug' });
      }
      return { userId: null, done: null };
    },
    snapshot: () => itemState(deps, slug),
    run: async ({ done }) => {
      if (done) return done;
      try {
        if ((await claimVersion(deps, slug, 1, opts.actionId)) === 'mine') return toAdminItem(await requireItem(deps, slug));
        await deps.db.c.content.insertOne(doc);
      } catch (err) {
        if (isDuplicateKey(err) || (err instanceof AppError && err.code === 'CONFLICT'))
          throw new AppError('CONFLICT', 'An item with this slug already exists. Choose another slug.', { field: 'slug' });
        throw err;
      }
      invalidateCatalog(deps);
      return toAdminItem(doc);
    },
  });
}

export function updateContent(opts: ChangeBase & { version: number; fields: ContentFields }): Promise<AdminContentItem> {
  return changeItem(opts, 'content_edit', { fields: opts.fields }, (doc) => {
    if (doc.published) publishable({ ...opts.fields, file: doc.file });
    return { ...opts.fields };
  });
}

export function setPublished(opts: ChangeBase & { version: number; published: boolean }): Promise<AdminContentItem> {
  return changeItem(opts, opts.published ? 'content_publish' : 'content_unpublish', {}, (doc) => {
    if (opts.published) publishable(doc);
    return { published: opts.published };
  });
}

export function setMinPlan(opts: ChangeBase & { version: number; minPlan: PlanTier }): Promise<AdminContentItem> {
  return changeItem(opts, 'content_set_plan', { minPlan: opts.minPlan }, () => ({ minPlan: opts.minPlan }));
}

/**
 * Stores an uploaded file and makes it the item's download. The bytes are written first (under a
 * new id, so a failed or stale attempt never touches the current file) and removed again when the
 * item could not take them. Replaced files stay stored: the audit log names them.
 */
export async function attachFile(
  opts: ChangeBase & { version: number; name: string; contentType: string; bytes: Uint8Array },
): Promise<AdminContentItem> {
  const { deps, slug } = opts;
  const params = {
    name: opts.name,
    contentType: opts.contentType,
    size: opts.bytes.byteLength,
    sha256: createHash('sha256').update(opts.bytes).digest('hex'),
  };
  // A retry of an upload that went through answers before its bytes are stored again.
  const prior = await priorAnswer<AdminContentItem>({
    deps,
    actor: opts.actor,
    write: {
      action: 'content_upload_file',
      targetType: 'content',
      targetId: slug,
      actionId: opts.actionId,
      params: { version: opts.version, ...params },
    },
  });
  if (prior) return prior.value;
  const doc = await requireItem(deps, slug);
  if (versionOf(doc) !== opts.version) {
    if (await alreadyApplied(deps, slug, opts.version, opts.actionId)) return toAdminItem(doc);
    throw conflict();
  }
  const stored = await storeFile(deps.db.c, { bytes: opts.bytes, contentType: opts.contentType, slug, name: opts.name });
  const file = { id: stored._id, name: opts.name, contentType: stored.contentType, size: stored.size };
  const removeUnused = async () => {
    const current = await deps.db.c.content.findOne({ _id: slug }, { projection: { file: 1 } });
    if (current?.file?.id === stored._id) return;
    const chunkIds = Array.from({ length: Math.ceil(stored.size / CHUNK_BYTES) }, (_, n) => `${stored._id}:${n}`);
    await Promise.all([
      deps.db.c.contentFiles.deleteOne({ _id: stored._id }),
      deps.db.c.contentFileChunks.deleteMany({ _id: { $in: chunkIds } }),
    ]).catch((e: unknown) => deps.log.warn({ err: e, fileId: stored._id }, 'could not remove an unused upload'));
  };
  try {
    const item = await changeItem(opts, 'content_upload_file', params, () => ({ file }));
    // Answered by the same upload sent at once from elsewhere: these bytes are not the item's.
    if (item.file?.id !== stored._id) await removeUnused();
    return item;
  } catch (err) {
    await removeUnused();
    throw err;
  }
}

export async function listContent(
  deps: AppDeps,
  opts: { search?: string; status?: 'published' | 'draft'; page: number; pageSize: number },
): Promise<{ rows: AdminContentRow[]; total: number }> {
  // The catalog is small: one read without bodies, filtered and sorted here.
  const docs = await deps.db.c.content
    .find(
      {},
      {
        projection: {
          kind: 1,
          title: 1,
          tags: 1,
          minPlan: 1,
          published: 1,
          version: 1,
          file: 1,
          createdAt: 1,
          updatedAt: 1,
        },
      },
    )
    .toArray();
  const words = (opts.search ?? '').toLowerCase().split(/\s+/).filter(Boolean);
  const rows = docs
    .filter((d) => {
      if (opts.status === 'published' && !d.published) return false;
      if (opts.status === 'draft' && d.published) return false;
      const hay = `${d._id} ${d.title} ${d.tags.join(' ')}`.toLowerCase();
      return words.every((w) => hay.includes(w));
    })
    .sort((a, b) => b.updatedAt.getTime() - a.updatedAt.getTime() || a._id.localeCompare(b._id));
  const page = rows.slice((opts.page - 1) * opts.pageSize, opts.page * opts.pageSize).map((d) => ({
    slug: d._id,
    kind: d.kind,
    title: d.title,
    tags: d.tags,
    minPlan: d.minPlan,
    requiredPlanName: plans[d.minPlan].name,
    published: d.published,
    version: versionOf(d),
    file: d.file,
    createdAt: d.createdAt.toISOString(),
    updatedAt: d.updatedAt.toISOString(),
  }));
  return { rows: page, total: rows.length };
}

export async function getContent(deps: AppDeps, slug: string): Promise<{ item: AdminContentItem; audit: AuditView[] }> {
  const doc = await requireItem(deps, slug);
  const audit = await deps.db.c.adminAudit.find({ targetType: 'content', targetId: slug }).sort({ at: -1 }).limit(50).toArray();
  return { item: toAdminItem(doc), audit: audit.map(toAuditView) };
}
