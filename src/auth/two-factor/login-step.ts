// The code step of a sign-in: a pending login (after the password or OAuth) becomes a session once
// a second factor is accepted, optionally remembering this browser for 30 days.
import type { ServerDeps } from '../../deps';
import { AppError } from '../../lib/errors';
import { loginUser, type SessionTarget } from '../login';
import {
  consumePendingLogin,
  pendingLoginUser,
  rememberDevice,
  type SecondFactorInput,
  verifySecondFactor,
} from './second-factor';

export async function completeTwoFactorLogin(opts: {
  deps: ServerDeps;
  req: SessionTarget;
  pendingToken: string;
  factor: SecondFactorInput;
  rememberDevice: boolean;
}): Promise<{ recoveryCodesLeft: number | null }> {
  const { deps, req } = opts;
  const userId = await pendingLoginUser(deps, opts.pendingToken);
  const used = await verifySecondFactor(deps, userId, opts.factor);
  if (!(await consumePendingLogin(deps, opts.pendingToken))) {
    throw new AppError('UNAUTHORIZED', 'This sign-in has expired. Please log in again.');
  }
  await loginUser({ deps, req }, userId, { secondFactor: true });
  if (opts.rememberDevice) await rememberDevice(deps, req, userId);
  // After a recovery code, say how many are left so the person can renew them in time.
  const recoveryCodesLeft = used === 'recovery' ? await deps.db.c.recoveryCodes.countDocuments({ userId }) : null;
  return { recoveryCodesLeft };
}
