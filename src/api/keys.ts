// Personal API keys for the developer API. A key is shown once at creation; only its SHA-256 is
// stored, so a leaked api_keys collection opens nothing. Each plan allows a number of live keys;
// each live key holds one numbered slot (src/db/claims.ts claimSlot), so racing creations cannot
// pass the limit. A key answers only while its account allows credentials (auth/account-state.ts).
import type { AppDeps } from '../deps';
import type { ApiKeyDoc } from '../db/collections';
import { AppError } from '../lib/errors';
import { newId, randomToken, sha256 } from '../lib/ids';
import { plans, type PlanId } from '../billing/plans';
import { planState } from '../usage/entitlements';
import { claimSlot, releaseSlot } from '../db/claims';
import { accountAllowsCredentials } from '../auth/account-state';

/** The claims key prefix of a user's key slots. */
export const keySlotPrefix = (userId: string) => `api-key-slot:${userId}`;

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
  const slot = await claimSlot(deps.db.c, keySlotPrefix(opts.userId), max);
  if (slot === null) throw refuse();
  const mode = deps.env.NODE_ENV === 'production' && deps.env.STRIPE_SECRET_KEY?.includes('_live_') ? 'live' : 'test';
  const key = `dropin_${mode}_${randomToken(24)}`;
  const doc: ApiKeyDoc = {
    _id: newId(),
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
    await releaseSlot(deps.db.c, `${keySlotPrefix(opts.userId)}:${slot}`);
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
  if (doc.slot !== undefined) await releaseSlot(deps.db.c, `${keySlotPrefix(opts.userId)}:${doc.slot}`);
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
