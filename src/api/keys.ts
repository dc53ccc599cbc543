// Personal API keys for the developer API. A key is shown once at creation; only its SHA-256 is
// stored, so a leaked api_keys collection opens nothing. Each plan allows a number of live keys;
// each live key holds one numbered slot (src/db/claims.ts claimSlot) that names the key, so racing
// creations cannot pass the limit and a slot whose key never came to be (or is gone) is swept. A
// key answers only while its account allows credentials (auth/account-state.ts).
import type { AppDeps } from '../deps';
import type { ApiKeyDoc, ClaimDoc } from '../db/collections';
import { AppError } from '../lib/errors';
import { newId, randomToken, sha256 } from '../lib/ids';
import { plans, type PlanId } from '../billing/plans';
import { planState } from '../usage/entitlements';
import { claimSlot, releaseSlot } from '../db/claims';
import { accountAllowsCredentials } from '../auth/account-state';

/** The slots key prefix of a user's key slots. */
export const keySlotPrefix = (userId: string) => `api-key-slot:${userId}`;

/**
 * How long a slot may exist before its key: the insert follows the slot within milliseconds, so a
 * slot older than this without a live key was left by a crash (or a revocation cut short).
 */
export const KEY_SLOT_GRACE_MS = 60_000;

export interface ApiKeyView {
  id: string;
  name: string;
  prefix: string;
  createdAt: string;
  lastUsedAt: string | null;
}

const view = (k: ApiKeyDoc): ApiKeyView => ({
  id: k._id,
  name: k.name,
  prefix: k.prefix,
  createdAt: k.createdAt.toISOString(),
  lastUsedAt: k.lastUsedAt?.toISOString() ?? null,
});

export interface ApiKeyList {
  keys: ApiKeyView[];
  /** Live keys the user's plan allows. */
  max: number;
  /** The user's plan, and the first plan up that allows more keys (null on the top plan). */
  plan: string;
  upgrade: { plan: string; max: number } | null;
}

/** How many keys a plan allows, and the next plan that allows more. */
function keyAllowance(planId: PlanId): Omit<ApiKeyList, 'keys'> {
  const plan = plans[planId];
  const max = plan.limits.apiKeys;
  const better = Object.values(plans).find((p) => p.rank > plan.rank && p.limits.apiKeys > max);
  return { max, plan: plan.name, upgrade: better ? { plan: better.name, max: better.limits.apiKeys } : null };
}

export async function listApiKeys(deps: AppDeps, userId: string): Promise<ApiKeyList> {
  const [keys, state] = await Promise.all([
    deps.db.c.apiKeys.find({ userId, revokedAt: null }).sort({ createdAt: -1 }).toArray(),
    planState(deps, userId, new Date(), { fresh: true }),
  ]);
  return { keys: keys.map(view), ...keyAllowance(state.plan) };
}

export async function createApiKey(
  deps: AppDeps,
  opts: { userId: string; name: string },
): Promise<{ key: string; apiKey: ApiKeyView }> {
  const { plan } = await planState(deps, opts.userId, new Date(), { fresh: true });
  const allowance = keyAllowance(plan);
  const { max, upgrade } = allowance;
  const refuse = () =>
    new AppError(
      'PAYMENT_REQUIRED',
      `${allowance.plan} allows ${max} API key${max === 1 ? '' : 's'}. Revoke one${upgrade ? `, or upgrade to ${upgrade.plan} for ${upgrade.max}` : ''}.`,
    );
  // The count refuses at once when the limit is plainly reached (and counts keys that hold no
  // slot); the slot is what holds under races.
  const live = await deps.db.c.apiKeys.countDocuments({ userId: opts.userId, revokedAt: null });
  if (live >= max) throw refuse();
  const _id = newId();
  const prefix = keySlotPrefix(opts.userId);
  let slot = await claimSlot(deps.db.c, prefix, max, _id);
  // All taken while fewer keys are live: a slot may name a revoked key (a password change revokes
  // keys without their slots) or be left by a crash. Free those, then try once more.
  if (slot === null) {
    const freed = (await freeRevokedKeySlots(deps, opts.userId)) + (await sweepKeySlots(deps, { userId: opts.userId }));
    if (freed > 0) slot = await claimSlot(deps.db.c, prefix, max, _id);
  }
  if (slot === null) throw refuse();
  const mode = deps.env.NODE_ENV === 'production' && deps.env.STRIPE_SECRET_KEY?.includes('_live_') ? 'live' : 'test';
  const key = `dropin_${mode}_${randomToken(24)}`;
  const doc: ApiKeyDoc = {
    _id,
    userId: opts.userId,
    name: opts.name,
    hash: sha256(key),
    prefix: key.slice(0, 16),
    createdAt: new Date(),
    lastUsedAt: null,
    revokedAt: null,
    slot,
  };
  try {
    await deps.db.c.apiKeys.insertOne(doc);
  } catch (err) {
    await releaseSlot(deps.db.c, `${prefix}:${slot}`, _id);
    throw err;
  }
  return { key, apiKey: view(doc) };
}

export async function revokeApiKey(deps: AppDeps, opts: { userId: string; id: string }): Promise<void> {
  const doc = await deps.db.c.apiKeys.findOne({ _id: opts.id, userId: opts.userId, revokedAt: null });
  // Someone else's key id is "not found": it reveals nothing.
  if (!doc) throw new AppError('NOT_FOUND', 'No such API key.');
  await deps.db.c.apiKeys.updateOne({ _id: doc._id }, { $set: { revokedAt: new Date() } });
  forgetKey(deps, doc.hash);
  if (doc.slot !== undefined) await releaseSlot(deps.db.c, `${keySlotPrefix(opts.userId)}:${doc.slot}`, doc._id);
}

/**
 * Frees key slots (of one user, or everyone's) held by no live key, once older than
 * KEY_SLOT_GRACE_MS. A slot is held while a live key of its user has its number: the key it names,
 * or a key from before slots named their keys. Returns how many were freed.
 */
export async function sweepKeySlots(deps: Pick<AppDeps, 'db'>, opts: { userId?: string } = {}): Promise<number> {
  const { c } = deps.db;
  const prefix = opts.userId ? `${keySlotPrefix(opts.userId)}:` : 'api-key-slot:';
  const cursor = c.slots.find({
    _id: { $regex: `^${escapeRegex(prefix)}` },
    at: { $lte: new Date(Date.now() - KEY_SLOT_GRACE_MS) },
  });
  let freed = 0;
  let batch: ClaimDoc[] = [];
  const sweepBatch = async () => {
    // Most slots name a live key: one query per batch finds those.
    const live = await c.apiKeys
      .find({ _id: { $in: batch.map((r) => r.owner) }, revokedAt: null }, { projection: { _id: 1 } })
      .toArray();
    const held = new Set(live.map((k) => k._id));
    for (const row of batch) {
      if (held.has(row.owner)) continue;
      const parsed = /^api-key-slot:(.+):(\d+)$/.exec(row._id);
      if (!parsed) continue;
      const holder = await c.apiKeys.findOne(
        { userId: parsed[1] as string, slot: Number(parsed[2]), revokedAt: null },
        { projection: { _id: 1 } },
      );
      if (holder) continue;
      // Conditional on the owner: a slot freed and taken again meanwhile belongs to its new key.
      const { deletedCount } = await c.slots.deleteOne({ _id: row._id, owner: row.owner });
      freed += deletedCount;
    }
    batch = [];
  };
  for await (const row of cursor) {
    batch.push(row);
    if (batch.length >= 500) await sweepBatch();
  }
  if (batch.length > 0) await sweepBatch();
  return freed;
}

/** Frees a user's slots whose key is revoked; such a slot is done with at once, whatever its age. */
async function freeRevokedKeySlots(deps: Pick<AppDeps, 'db'>, userId: string): Promise<number> {
  const { c } = deps.db;
  const slots = await c.slots.find({ _id: { $regex: `^${escapeRegex(keySlotPrefix(userId))}:` } }).toArray();
  const revoked = await c.apiKeys
    .find({ _id: { $in: slots.map((r) => r.owner) }, revokedAt: { $ne: null } }, { projection: { _id: 1 } })
    .toArray();
  const revokedIds = new Set(revoked.map((k) => k._id));
  let freed = 0;
  for (const row of slots) {
    if (!revokedIds.has(row.owner)) continue;
    freed += (await c.slots.deleteOne({ _id: row._id, owner: row.owner })).deletedCount;
  }
  return freed;
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

// The REST API looks a key up on every call; a validated key is reused from memory for at most
// SESSION_CACHE_MS (capped at 5 s), like sessions. The cache is keyed by the key as presented, so a
// hit costs no hash; revocation in this server evicts at once.
export async function authenticateApiKey(deps: AppDeps, presented: string): Promise<{ id: string; userId: string } | null> {
  const ttl = Math.min(deps.env.SESSION_CACHE_MS, 5_000);
  const { validated: keyCache, touched } = deps.caches.apiKeys;
  const hit = keyCache.get(presented);
  if (ttl > 0 && hit && Date.now() - hit.at < ttl) return hit.key;
  if (!/^dropin_(live|test)_[A-Za-z0-9_-]{20,64}$/.test(presented)) return null;
  const hash = sha256(presented);
  const doc = await deps.db.c.apiKeys.findOne({ hash, revokedAt: null }, { projection: { userId: 1 } });
  const key = doc && (await accountAllowsCredentials(deps, doc.userId)) ? { id: doc._id, userId: doc.userId } : null;
  if (ttl > 0) {
    keyCache.set(presented, { at: Date.now(), hash, key });
    if (keyCache.size > 100_000) keyCache.clear();
  }
  if (key && Date.now() - (touched.get(key.id) ?? 0) > 60_000) {
    touched.set(key.id, Date.now());
    deps.db.c.apiKeys.updateOne({ _id: key.id }, { $set: { lastUsedAt: new Date() } }).catch(() => {});
  }
  return key;
}

function forgetKey(deps: AppDeps, hash: string): void {
  const keyCache = deps.caches.apiKeys.validated;
  for (const [presented, entry] of keyCache) if (entry.hash === hash) keyCache.delete(presented);
}
