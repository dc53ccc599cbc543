// Short-lived signed download URLs: /files/<fileId>?exp=<unix>&u=<userId>&sig=<HMAC>. The
// signature binds the file, the expiry and the user; the /files route also requires that user's
// session, so a copied URL stops working after expiry or in another user's browser, and with it
// the account's state (a disabled or deleted account has no session: src/auth/account-state.ts).
import { createHmac, randomBytes } from 'node:crypto';
import type { Env } from '../env';
import { safeEqual } from '../lib/ids';

export const DOWNLOAD_URL_TTL_SECONDS = 5 * 60;

// Outside production a random key per process: URLs live minutes, and a restart only expires them.
const processKey = randomBytes(32).toString('base64url');

function key(env: Pick<Env, 'NODE_ENV' | 'DOWNLOAD_SIGNING_SECRET'>): string {
  if (env.DOWNLOAD_SIGNING_SECRET) return env.DOWNLOAD_SIGNING_SECRET;
  if (env.NODE_ENV === 'production') throw new Error('DOWNLOAD_SIGNING_SECRET is required in production');
  return processKey;
}

function mac(env: Pick<Env, 'NODE_ENV' | 'DOWNLOAD_SIGNING_SECRET'>, fileId: string, exp: number, userId: string): string {
  return createHmac('sha256', key(env)).update(`download\n${fileId}\n${exp}\n${userId}`).digest('base64url');
}

export function signDownload(
  env: Pick<Env, 'NODE_ENV' | 'DOWNLOAD_SIGNING_SECRET'>,
  fileId: string,
  userId: string,
  now = Date.now(),
): { url: string; expiresAt: Date } {
  const exp = Math.floor(now / 1000) + DOWNLOAD_URL_TTL_SECONDS;
  const qs = new URLSearchParams({ exp: String(exp), u: userId, sig: mac(env, fileId, exp, userId) });
  return { url: `/files/${encodeURIComponent(fileId)}?${qs}`, expiresAt: new Date(exp * 1000) };
}

export type Verdict = { ok: true } | { ok: false; reason: string };

export function verifyDownload(
  env: Pick<Env, 'NODE_ENV' | 'DOWNLOAD_SIGNING_SECRET'>,
  q: { fileId: string; exp: string | undefined; u: string | undefined; sig: string | undefined },
  sessionUserId: string | null,
  now = Date.now(),
): Verdict {
  const exp = Number(q.exp);
  if (!q.sig || !q.u || !Number.isInteger(exp)) return { ok: false, reason: 'This download link is not valid.' };
  if (!safeEqual(mac(env, q.fileId, exp, q.u), q.sig)) return { ok: false, reason: 'This download link is not valid.' };
  if (exp * 1000 < now)
    return { ok: false, reason: 'This download link has expired. Start the download again from the library.' };
  if (sessionUserId !== q.u)
    return {
      ok: false,
      reason: 'This download link belongs to another account. Log in as its owner or start the download again.',
    };
  return { ok: true };
}
