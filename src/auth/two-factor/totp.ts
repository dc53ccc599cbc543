// TOTP (RFC 6238: SHA-1, 6 digits, 30-second steps, what every authenticator app speaks) through
// @oslojs/otp. Verification returns the step that matched, so a caller can make each (user, step)
// usable once.
import { decodeBase32IgnorePadding, encodeBase32UpperCaseNoPadding } from '@oslojs/encoding';
import { createTOTPKeyURI, generateHOTP } from '@oslojs/otp';
import { randomBytes } from 'node:crypto';
import { renderSVG } from 'uqr';
import { safeEqual } from '../../lib/ids';

export const TOTP_PERIOD_SECONDS = 30;
export const TOTP_DIGITS = 6;
/** Steps accepted either side of now: one, for clocks a little off and codes typed as they roll. */
export const TOTP_WINDOW = 1;

/** A new 160-bit secret (RFC 4226's recommended size), base32 as authenticator apps take it. */
export function newTotpSecret(): string {
  return encodeBase32UpperCaseNoPadding(randomBytes(20));
}

export function totpStep(now = Date.now()): number {
  return Math.floor(now / 1000 / TOTP_PERIOD_SECONDS);
}

/** The code for `step` (tests and the e2e run compute codes with this). */
export function totpCode(secret: string, step = totpStep()): string {
  return generateHOTP(decodeBase32IgnorePadding(secret), BigInt(step), TOTP_DIGITS);
}

/** The step within ±TOTP_WINDOW of `now` whose code is `code`, or null. */
export function matchTotp(secret: string, code: string, now = Date.now()): number | null {
  if (!/^\d{6}$/.test(code)) return null;
  const key = decodeBase32IgnorePadding(secret);
  const current = totpStep(now);
  let matched: number | null = null;
  // Every step is computed and compared in constant time, so timing does not tell which one matched.
  for (let step = current - TOTP_WINDOW; step <= current + TOTP_WINDOW; step++) {
    if (safeEqual(generateHOTP(key, BigInt(step), TOTP_DIGITS), code) && matched === null) matched = step;
  }
  return matched;
}

/** The otpauth:// URI authenticator apps read from the QR code. */
export function totpKeyUri(opts: { issuer: string; accountName: string; secret: string }): string {
  return createTOTPKeyURI(
    opts.issuer,
    opts.accountName,
    decodeBase32IgnorePadding(opts.secret),
    TOTP_PERIOD_SECONDS,
    TOTP_DIGITS,
  );
}

/** The URI as an SVG QR code, rendered here so nothing is fetched from elsewhere. */
export function qrSvg(uri: string): string {
  return renderSVG(uri, { ecc: 'M', border: 2, pixelSize: 6 });
}
