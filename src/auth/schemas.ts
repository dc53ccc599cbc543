// Input pieces shared by the auth and account routers. Every procedure input is a strict object
// built from these, so unknown fields (role, emailVerified, _id...) and operator objects such as
// {"$ne": null} are rejected with a 400 before any domain code runs.
import { z } from 'zod';

/** Trimmed and lower-cased, so one address is one account. */
export const emailInput = z
  .string()
  .trim()
  .toLowerCase()
  .max(254, 'Email addresses are at most 254 characters.')
  .pipe(z.email('Enter a valid email address.'));

/**
 * The policy itself (8–1024 characters after NFKC, not common) is applied by validateNewPassword,
 * which counts code points; this cap only keeps absurd bodies out (4 UTF-16 units per character).
 */
export const newPasswordInput = z.string().max(4096, 'Use at most 1024 characters.');

/** A password being checked, never validated against the policy (old accounts keep working). */
export const passwordInput = z.string().min(1, 'Enter your password.').max(4096, 'Use at most 1024 characters.');

export const nameInput = z.string().trim().max(100, 'Names are at most 100 characters.');

export const codeInput = z
  .string()
  .trim()
  .regex(/^\d{6,8}$/, 'Enter the 6-digit code from the email.');

/** Opaque tokens from emailed links (base64url). */
export const tokenInput = z
  .string()
  .trim()
  .min(16, 'This link is not valid.')
  .max(200, 'This link is not valid.')
  .regex(/^[A-Za-z0-9_-]+$/, 'This link is not valid.');

export const providerInput = z.enum(['github', 'google']);

/** A 6-digit code from an authenticator app (spaces allowed, as some apps show "123 456"). */
export const totpCodeInput = z
  .string()
  .transform((v) => v.replace(/\s/g, ''))
  .pipe(z.string().regex(/^\d{6}$/, 'Enter the 6-digit code from your authenticator app.'));

/** A recovery code as printed (`xxxxx-xxxxx`); case, spaces and dashes do not matter. */
export const recoveryCodeInput = z
  .string()
  .trim()
  .max(40, 'Enter one of your recovery codes.')
  .regex(/^[A-Za-z2-7\s-]{10,40}$/, 'Enter one of your recovery codes.');
