// Every rate limit of the account flows, in one place so they can be read and tuned together.
// Login throttling is keyed on account + IP (with an escalating second tier as backoff) so an
// attacker elsewhere cannot lock the owner out; the per-account limit across all IPs counts failures
// only, and once reached it refuses the addresses that have been failing on the account, never the
// owner's (src/auth/login.ts); a password reset clears it.
//
// `developmentMax` loosens a limit under `npm start` (NODE_ENV=development), where one person, or a
// team sharing one address, signs up and resets test accounts: only the limits such a person would
// hit. Login, code and password guessing keep their limits in every mode; production and tests use
// `max`. Each message says what happened; the 429 adds when to try again.
import type { Limit } from '../lib/rate-limit';

const LOGIN = 'Too many login attempts.';

export const limits = {
  /** Every login attempt from one IP, whatever the account. */
  loginIp: { name: 'login:ip', max: 30, windowSeconds: 15 * 60, message: LOGIN },
  /** Attempts on one account from one IP: a short window, then a longer one (backoff). */
  loginAccountIp: { name: 'login:acct-ip', max: 5, windowSeconds: 5 * 60, message: LOGIN },
  loginAccountIpLong: { name: 'login:acct-ip-long', max: 15, windowSeconds: 60 * 60, message: LOGIN },
  /** Failed logins on one account from anywhere: loose, a distributed-guessing backstop. */
  loginAccountFailures: { name: 'login:acct-fail', max: 100, windowSeconds: 60 * 60, message: LOGIN },
  /**
   * Failed logins on one account from one IP. Once the account-wide limit is reached, only an
   * address with fewer than this many failures (the owner's, a typo allowed) has its password checked.
   */
  loginAccountIpFailures: { name: 'login:acct-ip-fail', max: 2, windowSeconds: 60 * 60, message: LOGIN },

  signupIp: {
    name: 'signup:ip',
    max: 10,
    developmentMax: 100,
    windowSeconds: 60 * 60,
    message: 'Too many sign-ups from this network.',
  },

  resetIp: {
    name: 'reset:ip',
    max: 10,
    developmentMax: 100,
    windowSeconds: 60 * 60,
    message: 'Too many password reset requests from this network.',
  },
  resetEmail: {
    name: 'reset:email',
    max: 3,
    developmentMax: 10,
    windowSeconds: 60 * 60,
    message: 'Too many password reset requests for this address.',
  },

  /** Code submissions per user, on top of the 5 attempts each code allows. */
  codeUser: {
    name: 'code:user',
    max: 10,
    windowSeconds: 15 * 60,
    message: 'Too many code attempts.',
  },
  /** Opened verification links per IP: the tokens cannot be guessed; this only bounds the work. */
  verifyLinkIp: {
    name: 'verify-link:ip',
    max: 30,
    windowSeconds: 15 * 60,
    message: 'Too many verification attempts from this network.',
  },
  /** Second-factor codes (authenticator or recovery) per user, counted before they are checked. */
  twoFactorUser: {
    name: '2fa:user',
    max: 10,
    windowSeconds: 15 * 60,
    message: 'Too many code attempts.',
  },
  /** Codes tried on one pending login: after five, the password has to be entered again. */
  twoFactorPending: {
    name: '2fa:pending',
    max: 5,
    windowSeconds: 10 * 60,
    message: 'Too many code attempts. Log in again.',
  },

  /** One code email a minute, at most five an hour (twenty under `npm start`). */
  sendCodeCooldown: {
    name: 'code-send:cooldown',
    max: 1,
    windowSeconds: 60,
    message: 'We sent a code a moment ago.',
  },
  sendCodeUser: {
    name: 'code-send:user',
    max: 5,
    developmentMax: 20,
    windowSeconds: 60 * 60,
    message: 'Too many codes requested.',
  },

  /** Current-password checks of a logged-in user (change email/password, delete). */
  reauthUser: {
    name: 'reauth:user',
    max: 10,
    windowSeconds: 15 * 60,
    message: 'Too many password attempts.',
  },
} satisfies Record<string, Limit>;

export const RESEND_COOLDOWN_SECONDS = limits.sendCodeCooldown.windowSeconds;
