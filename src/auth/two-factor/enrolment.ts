// Turning two-factor sign-in on and off: enrolment (secret + QR code, then a code from the app to
// confirm), recovery codes, and removal by the owner (password + code) or by an admin (audited in
// src/admin/actions.ts).
import type { AppDeps, ServerDeps } from '../../deps';
import { requireRecentAuth } from '../../account/reauth';
import { AppError } from '../../lib/errors';
import { newId } from '../../lib/ids';
import { hit, takeBack } from '../../lib/rate-limit';
import { limits } from '../limits';
import { forgetDevices, type SecondFactorInput, acceptTotp, verifySecondFactor } from './second-factor';
import { RECOVERY_CODE_COUNT, hashRecoveryCode, newRecoveryCode } from './recovery-codes';
import { newTotpSecret, qrSvg, totpKeyUri } from './totp';

const ISSUER = 'DropIn';

export interface TwoFactorStatus {
  enabled: boolean;
  enabledAt: string | null;
  recoveryCodesLeft: number;
  rememberedDevices: number;
}

export async function twoFactorStatus(deps: Pick<AppDeps, 'db'>, userId: string): Promise<TwoFactorStatus> {
  const { c } = deps.db;
  const now = new Date();
  const [user, recoveryCodesLeft, rememberedDevices] = await Promise.all([
    c.users.findOne({ _id: userId }, { projection: { twoFactorEnabledAt: 1 } }),
    c.recoveryCodes.countDocuments({ userId }),
    c.rememberedDevices.countDocuments({ userId, expiresAt: { $gt: now } }),
  ]);
  const enabledAt = user?.twoFactorEnabledAt ?? null;
  return { enabled: !!enabledAt, enabledAt: enabledAt?.toISOString() ?? null, recoveryCodesLeft, rememberedDevices };
}

/** Who asks to change two-factor sign-in, and how they showed it is them just now (src/account/reauth.ts). */
interface RecentAuth {
  deps: AppDeps;
  userId: string;
  sessionPublicId: string;
  /** The current password; only accounts without one (OAuth) go without, on a fresh session. */
  password: string | undefined;
}

/**
 * Starts (or restarts) enrolment: a new secret, shown once as a QR code and as text. It does nothing
 * until confirmed with a code; after that the secret is never sent again. Needs the current
 * password (or a fresh session), so a borrowed session cannot tie the account to someone's phone.
 */
export async function startEnrolment(opts: RecentAuth): Promise<{ secret: string; uri: string; qrSvg: string }> {
  const { c } = opts.deps.db;
  const user = await c.users.findOne({ _id: opts.userId }, { projection: { email: 1, twoFactorEnabledAt: 1 } });
  if (!user) throw new AppError('UNAUTHORIZED', 'Please log in.');
  if (user.twoFactorEnabledAt) throw new AppError('CONFLICT', 'Two-factor authentication is already on.');
  await requireRecentAuth({ ...opts, field: 'password' });
  const secret = newTotpSecret();
  await c.twoFactorSecrets.replaceOne(
    { _id: opts.userId },
    { secret, createdAt: new Date(), confirmedAt: null },
    { upsert: true },
  );
  const uri = totpKeyUri({ issuer: ISSUER, accountName: user.email, secret });
  return { secret, uri, qrSvg: qrSvg(uri) };
}

/**
 * Confirms enrolment with a code from the app (and, again, the current password); turns two-factor
 * on, ends every other session of the account and returns the recovery codes. This session goes
 * on, but it did not pass the second factor at sign-in: where ADMIN_REQUIRE_2FA applies, an admin
 * signs in again with the code.
 */
export async function confirmEnrolment(
  opts: RecentAuth & { deps: ServerDeps; code: string },
): Promise<{ recoveryCodes: string[] }> {
  const { deps, userId } = opts;
  const { c } = deps.db;
  const pending = await c.twoFactorSecrets.findOne({ _id: userId, confirmedAt: null });
  if (!pending) throw new AppError('BAD_REQUEST', 'Start again: turn on two-factor authentication to get a new QR code.');
  await requireRecentAuth({ deps, userId, sessionPublicId: opts.sessionPublicId, password: opts.password, field: 'password' });
  // Only wrong codes count against the limit (as at sign-in).
  const attempt = await hit(deps, limits.twoFactorUser, userId);
  await acceptTotp(deps, userId, pending.secret, opts.code);
  await takeBack(deps, attempt);
  const recoveryCodes = await replaceRecoveryCodes(deps, userId);
  const now = new Date();
  await c.twoFactorSecrets.updateOne({ _id: userId }, { $set: { confirmedAt: now } });
  await c.users.updateOne({ _id: userId }, { $set: { twoFactorEnabledAt: now, updatedAt: now } });
  // Sessions signed in with the password alone end; this one (which just showed password and code) stays.
  await deps.sessions.invalidateAll(userId, opts.sessionPublicId);
  await deps.sessions.userChanged(userId);
  return { recoveryCodes };
}

/** A new set of recovery codes (the old ones stop working); needs a current authenticator code. */
export async function regenerateRecoveryCodes(opts: {
  deps: AppDeps;
  userId: string;
  code: string;
}): Promise<{ recoveryCodes: string[] }> {
  await verifySecondFactor(opts.deps, opts.userId, { code: opts.code }, { allowRecoveryCode: false });
  return { recoveryCodes: await replaceRecoveryCodes(opts.deps, opts.userId) };
}

async function replaceRecoveryCodes(deps: Pick<AppDeps, 'db'>, userId: string): Promise<string[]> {
  const { c } = deps.db;
  const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode);
  const hashes = await Promise.all(codes.map(hashRecoveryCode));
  const now = new Date();
  await c.recoveryCodes.deleteMany({ userId });
  await c.recoveryCodes.insertMany(hashes.map((hash) => ({ _id: newId(), userId, hash, createdAt: now })));
  return codes;
}

/** The owner turns two-factor off: current password (or a fresh session) and a code. */
export async function disableTwoFactor(opts: {
  deps: ServerDeps;
  userId: string;
  sessionPublicId: string;
  password: string | undefined;
  factor: SecondFactorInput;
}): Promise<void> {
  const { deps, userId } = opts;
  await requireRecentAuth({ deps, userId, sessionPublicId: opts.sessionPublicId, password: opts.password, field: 'password' });
  await verifySecondFactor(deps, userId, opts.factor);
  await removeTwoFactor(deps, userId);
}

/** Turns two-factor off and removes everything that belonged to it (owner or admin reset). */
export async function removeTwoFactor(deps: Pick<ServerDeps, 'db' | 'sessions'>, userId: string): Promise<void> {
  const { c } = deps.db;
  // The flag goes first: from then on no login asks for (or accepts) the old factor.
  await c.users.updateOne({ _id: userId }, { $set: { twoFactorEnabledAt: null, updatedAt: new Date() } });
  await Promise.all([
    c.twoFactorSecrets.deleteOne({ _id: userId }),
    c.recoveryCodes.deleteMany({ userId }),
    forgetDevices(deps, userId),
  ]);
  await deps.sessions.userChanged(userId);
}
