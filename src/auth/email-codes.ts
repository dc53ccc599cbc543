// One-time email codes: 6 digits from the CSPRNG, stored only as a salted SHA-256,
// valid 15 minutes, 5 attempts, single use, and bound to the address they were sent to. Used to
// verify a new account's email and to confirm an email change. A verification email also carries a
// link: its token is the row's id plus 256 random bits (only their hash is stored), so the link and
// the code are one credential: same lifetime, and using either consumes both.
// Attempts are counted with the rate limiter's insert-then-count log, and a code is spent by
// `consume`: both stay exact under concurrency, where `$inc` and findOneAndUpdate are not relied on
// (src/db/writes.ts). The row's `attempts` field is not used.
import type { AppDeps } from '../deps';
import type { EmailCodeDoc, EmailCodePurpose } from '../db/collections';
import { consume } from '../db/writes';
import { AppError } from '../lib/errors';
import { newId, numericCode, randomToken, safeEqual, sha256 } from '../lib/ids';
import { CODE_MINUTES } from '../email/templates';
import { hit } from '../lib/rate-limit';

export const CODE_DIGITS = 6;
export const CODE_MAX_ATTEMPTS = 5;
const LIFETIME_MS = CODE_MINUTES * 60_000;

// The salt (the row's random id) stops precomputed tables; a 6-digit space is small, which is
// why codes also expire fast and allow few attempts.
function hashCode(id: string, code: string): string {
  return sha256(`${id}:${code}`);
}

/** Issues a new code for (user, purpose), replacing any older one, and returns it for the email. */
export async function issueCode(opts: {
  deps: Pick<AppDeps, 'db'>;
  userId: string;
  purpose: EmailCodePurpose;
  email: string;
}): Promise<string> {
  return (await issue(opts, false)).code;
}

/** Like issueCode, with a single-use link token that stands for the same code (see consumeLink). */
export async function issueCodeWithLink(opts: {
  deps: Pick<AppDeps, 'db'>;
  userId: string;
  purpose: EmailCodePurpose;
  email: string;
}): Promise<{ code: string; token: string }> {
  const { code, token } = await issue(opts, true);
  return { code, token: token as string };
}

async function issue(
  opts: { deps: Pick<AppDeps, 'db'>; userId: string; purpose: EmailCodePurpose; email: string },
  withLink: boolean,
): Promise<{ code: string; token: string | null }> {
  const { deps, userId, purpose, email } = opts;
  const code = numericCode(CODE_DIGITS);
  const secret = withLink ? randomToken(32) : null;
  const now = new Date();
  const doc: EmailCodeDoc = {
    _id: newId(),
    userId,
    purpose,
    email,
    codeHash: '',
    linkHash: secret ? sha256(secret) : null,
    expiresAt: new Date(now.getTime() + LIFETIME_MS),
    attempts: 0,
    createdAt: now,
  };
  doc.codeHash = hashCode(doc._id, code);
  await deps.db.c.emailCodes.insertOne(doc);
  // Insert first, then drop the others: at any moment at most one code per purpose stays valid,
  // and a racing second issue can only leave the newest.
  await deps.db.c.emailCodes.deleteMany({ userId, purpose, _id: { $ne: doc._id } });
  // Ids are fixed-length (newId), so the token splits back into id and secret without a separator.
  return { code, token: secret ? `${doc._id}${secret}` : null };
}

const WRONG = 'That code is not right. Check the latest email and try again.';
const GONE = 'This code has expired or was tried too many times. Please ask for a new one.';

/** Attempts per code, counted by the rate limiter (exact under concurrency). */
const attemptsLimit = { name: 'code:attempts', max: CODE_MAX_ATTEMPTS, windowSeconds: CODE_MINUTES * 60 };

/**
 * Checks a submitted code. On success the code is consumed (deleted; of two concurrent uses only
 * one deletes the row) and the address it was sent to is returned. Throws BAD_REQUEST on `code`.
 */
export async function consumeCode(opts: {
  deps: Pick<AppDeps, 'db' | 'env'>;
  userId: string;
  purpose: EmailCodePurpose;
  code: string;
}): Promise<{ email: string }> {
  const { deps, userId, purpose, code } = opts;
  const doc = await deps.db.c.emailCodes.findOne(
    { userId, purpose, expiresAt: { $gt: new Date() } },
    { sort: { createdAt: -1 } },
  );
  if (!doc) throw new AppError('BAD_REQUEST', GONE, { field: 'code' });
  try {
    // Keyed on this code, so a new code starts with fresh attempts. Always on, even when rate
    // limiting is disabled for benchmarks: this is part of what makes a 6-digit code safe.
    await hit({ ...deps, env: { ...deps.env, RATE_LIMIT_DISABLED: false } }, attemptsLimit, doc._id);
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    await deps.db.c.emailCodes.deleteOne({ _id: doc._id });
    throw new AppError('BAD_REQUEST', GONE, { field: 'code' });
  }
  if (!safeEqual(doc.codeHash, hashCode(doc._id, code))) throw new AppError('BAD_REQUEST', WRONG, { field: 'code' });
  if (!(await consume(deps.db.c.emailCodes, { _id: doc._id }))) throw new AppError('BAD_REQUEST', GONE, { field: 'code' });
  return { email: doc.email };
}

export const LINK_INVALID =
  'This link is invalid, has expired or was already used. Ask for a new code from the verification page.';
const ID_LENGTH = newId().length;

/**
 * Consumes the code a link token stands for and returns who it was for and the address it was sent
 * to. A wrong, tampered, expired or used token gets one BAD_REQUEST on `token` that tells nothing
 * more. The 256-bit secret makes guessing hopeless, so no attempts are counted here.
 */
export async function consumeLink(opts: {
  deps: Pick<AppDeps, 'db'>;
  purpose: EmailCodePurpose;
  token: string;
}): Promise<{ userId: string; email: string }> {
  const { deps, purpose, token } = opts;
  const invalid = new AppError('BAD_REQUEST', LINK_INVALID, { field: 'token' });
  const _id = token.slice(0, ID_LENGTH);
  const secret = token.slice(ID_LENGTH);
  if (!secret) throw invalid;
  const doc = await deps.db.c.emailCodes.findOne({ _id, purpose, expiresAt: { $gt: new Date() } });
  if (!doc?.linkHash || !safeEqual(doc.linkHash, sha256(secret))) throw invalid;
  // Of two concurrent uses only one spends the row.
  if (!(await consume(deps.db.c.emailCodes, { _id: doc._id }))) throw invalid;
  return { userId: doc.userId, email: doc.email };
}
