// The content library: browsing (everyone), reading and downloading (checked against the caller's
// entitlements). The catalog is small and listed without bodies, so search filters in memory.
import { randomUUID } from 'node:crypto';
import type { AppDeps } from '../deps';
import type { ContentDoc, ContentKind } from '../db/collections';
import { AppError } from '../lib/errors';
import { plans, type PlanId } from '../billing/plans';
import { entitlement, entitlementOf, planState, rank } from '../usage/entitlements';
import type { PlanState } from '../usage/plan-state';
import { consume } from '../usage/counter';
import { DOWNLOAD_URL_TTL_SECONDS, signDownload } from './signing';
import { firstClaimedAt } from '../db/claims';
import { openFile } from './storage';
import { isToolId, runTool, type ToolId, tools } from './tools';

export interface LibraryItem {
  id: string;
  slug: string;
  kind: ContentKind;
  title: string;
  summary: string;
  tags: string[];
  minPlan: PlanId;
  requiredPlanName: string;
  locked: boolean;
  file: { name: string; size: number; contentType: string } | null;
  /** The engine a tool item runs (src/content/tools.ts); null for articles, files and description-only tools. */
  tool: ToolId | null;
}

export interface LibraryItemFull extends LibraryItem {
  body: string;
  bodyFormat: 'markdown' | 'plain';
}

// The published catalog is small and read on every library page and API call: each process keeps
// it for a moment (edits show within CATALOG_TTL_MS).
const CATALOG_TTL_MS = 2_000;
const catalogs = new WeakMap<object, { at: number; docs: Promise<ContentDoc[]> }>();

/** Drops this process's cached catalog: an admin's change shows at once here, within 2 s elsewhere. */
export function invalidateCatalog(deps: Pick<AppDeps, 'db'>): void {
  catalogs.delete(deps.db.c.content);
}

function publishedCatalog(deps: AppDeps): Promise<ContentDoc[]> {
  const coll = deps.db.c.content;
  const hit = catalogs.get(coll);
  if (hit && Date.now() - hit.at < CATALOG_TTL_MS) return hit.docs;
  const docs = coll.find({ published: true }).toArray();
  catalogs.set(coll, { at: Date.now(), docs });
  docs.catch(() => catalogs.delete(coll));
  return docs;
}

function toItem(doc: ContentDoc, plan: PlanId): LibraryItem {
  return {
    id: doc._id,
    slug: doc._id,
    kind: doc.kind,
    title: doc.title,
    summary: doc.summary,
    tags: doc.tags,
    minPlan: doc.minPlan,
    requiredPlanName: plans[doc.minPlan].name,
    locked: rank(plan) < rank(doc.minPlan),
    file: doc.file && { name: doc.file.name, size: doc.file.size, contentType: doc.file.contentType },
    tool: doc.kind === 'tool' && isToolId(doc._id) ? doc._id : null,
  };
}

export async function searchLibrary(
  deps: AppDeps,
  opts: {
    userId: string | null;
    q?: string;
    tag?: string;
    kind?: ContentKind;
    fresh?: boolean;
    /** `plan` (default): what the plan unlocks first, then by title; `newest`: latest added first. */
    sort?: 'plan' | 'newest';
    limit?: number;
  },
): Promise<{ plan: PlanId; items: LibraryItem[]; tags: string[] }> {
  const plan = opts.userId ? (await planState(deps, opts.userId, new Date(), { fresh: opts.fresh })).plan : 'free';
  const docs = await publishedCatalog(deps);
  const words = (opts.q ?? '').toLowerCase().split(/\s+/).filter(Boolean);
  const tag = opts.tag?.toLowerCase();
  const matches = docs.filter((d) => {
    if (opts.kind && d.kind !== opts.kind) return false;
    if (tag && !d.tags.some((t) => t.toLowerCase() === tag)) return false;
    const hay = `${d.title} ${d.summary} ${d.tags.join(' ')} ${d._id}`.toLowerCase();
    return words.every((w) => hay.includes(w));
  });
  if (opts.sort === 'newest')
    matches.sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || a.title.localeCompare(b.title));
  else matches.sort((a, b) => rank(a.minPlan) - rank(b.minPlan) || a.title.localeCompare(b.title));
  const tags = [...new Set(docs.flatMap((d) => d.tags))].sort();
  const shown = opts.limit === undefined ? matches : matches.slice(0, opts.limit);
  return { plan, items: shown.map((d) => toItem(d, plan)), tags };
}

async function publishedItem(deps: AppDeps, slug: string): Promise<ContentDoc> {
  const doc = (await publishedCatalog(deps)).find((d) => d._id === slug);
  if (!doc) throw new AppError('NOT_FOUND', 'No such item in the library.');
  return doc;
}

/** The whole item for a user entitled to it; FORBIDDEN naming the plan that unlocks it otherwise. */
export async function readItem(
  deps: AppDeps,
  opts: { userId: string; slug: string; fresh?: boolean; state?: PlanState },
): Promise<Readonly<LibraryItemFull>> {
  const doc = await publishedItem(deps, opts.slug);
  const state = opts.state ?? (await planState(deps, opts.userId, new Date(), { fresh: opts.fresh }));
  const ent = entitlementOf(state, { feature: 'content', minPlan: doc.minPlan });
  if (!ent.allowed) throw new AppError('FORBIDDEN', ent.reason ?? 'This item is not included in your plan.');
  return fullItem(doc, ent.plan);
}

/**
 * The runner of the tool behind a library item, for a user entitled to the item (NOT_FOUND,
 * FORBIDDEN otherwise): access is settled before the caller reads the input.
 */
export async function itemTool(
  deps: AppDeps,
  opts: { userId: string; slug: string; fresh?: boolean; state?: PlanState },
): Promise<(input: unknown) => ReturnType<typeof runTool>> {
  const item = await readItem(deps, opts);
  const tool = item.tool;
  if (!tool) throw new AppError('NOT_FOUND', 'This item is not a tool you can run.');
  if (!tools[tool].heavy) return (input) => runTool(tool, input);
  // A heavy run takes a share of the server's CPU: a user waits for their last one to finish
  // rather than starting many at once (the rate limit counts calls, not their cost).
  const { heavyRuns } = deps.caches;
  return async (input) => {
    if (heavyRuns.has(opts.userId))
      throw new AppError('TOO_MANY_REQUESTS', `${item.title} is already running for you: try again when it has finished.`, {
        retryAfterSeconds: 1,
      });
    heavyRuns.add(opts.userId);
    try {
      return await runTool(tool, input);
    } finally {
      heavyRuns.delete(opts.userId);
    }
  };
}

// What a reader gets depends only on the catalog document and their plan, and the REST API serves
// it on every call: each is built once per catalog read (a new read brings new documents, so an
// edit is never served stale) and shared, frozen, by every caller.
const fullItems = new WeakMap<ContentDoc, Map<PlanId, Readonly<LibraryItemFull>>>();

function fullItem(doc: ContentDoc, plan: PlanId): Readonly<LibraryItemFull> {
  let byPlan = fullItems.get(doc);
  if (!byPlan) {
    byPlan = new Map();
    fullItems.set(doc, byPlan);
  }
  let item = byPlan.get(plan);
  if (!item) {
    item = Object.freeze({ ...toItem(doc, plan), body: doc.body, bodyFormat: doc.bodyFormat });
    byPlan.set(plan, item);
  }
  return item;
}

/**
 * Counts one download against the user's quota and returns a short-lived signed URL for the file.
 * `actionId` (the client's id for the click) makes a retried request count once.
 */
export async function startDownload(
  deps: AppDeps,
  opts: { userId: string; slug: string; actionId?: string },
): Promise<{ url: string; expiresAt: string; used: number; limit: number | null; remaining: number | null }> {
  const doc = await publishedItem(deps, opts.slug);
  if (!doc.file) throw new AppError('BAD_REQUEST', 'This item has nothing to download.');
  const access = await entitlement(deps, { userId: opts.userId, feature: 'content', minPlan: doc.minPlan, fresh: true });
  if (!access.allowed) throw new AppError('FORBIDDEN', access.reason ?? 'This item is not included in your plan.');
  // One download is one user, file and action id: the same click sent again counts once and gets
  // the same signed URL (signed at the first call's time), and an id reused for another file
  // counts that file too. A link repeated after it expired is not renewed.
  const unitId = `download:${opts.userId}:${doc.file.id}:${opts.actionId ?? randomUUID()}`;
  const ent = await consume(deps, { userId: opts.userId, metric: 'download', unitId, ref: doc._id, fresh: true });
  const issuedAt = await firstClaimedAt(deps.db.c, `${unitId}:url`);
  if (issuedAt.getTime() + DOWNLOAD_URL_TTL_SECONDS * 1000 <= Date.now())
    throw new AppError('CONFLICT', 'This download link has expired. Start the download again from the library.');
  const signed = signDownload(deps.env, doc.file.id, opts.userId, issuedAt.getTime());
  return {
    url: signed.url,
    expiresAt: signed.expiresAt.toISOString(),
    used: ent.used,
    limit: ent.limit,
    remaining: ent.remaining,
  };
}

/**
 * The file of a published item, for a signed download. A file that is no longer any published
 * item's (the item was unpublished or its file replaced) is not served, even on a valid link.
 */
export async function fileForDownload(
  deps: AppDeps,
  fileId: string,
): Promise<{ stream: ReadableStream<Uint8Array>; size: number; name: string; contentType: string } | null> {
  const item = (await publishedCatalog(deps)).find((d) => d.file?.id === fileId);
  if (!item?.file) return null;
  const file = await openFile(deps.db.c, fileId);
  if (!file) return null;
  return { stream: file.stream, size: file.size, name: item.file.name, contentType: file.contentType };
}
