// Every rate limit of the account flows, in one place so they can be read and tuned together.
// Login throttling is keyed on account + IP (with an escalating second tier as backoff) so an
// attacker elsewhere cannot lock the owner out; the per-account limit across all IPs is loose and
// counts failures only, and a password reset clears it.
import type { Limit } from '../lib/rate-limit';

const LOGIN = 'Too many login attempts. Please wait before trying again, or reset your password.';

export const limits = {
  /** Every login attempt from one IP, whatever the account. */
  loginIp: { name: 'login:ip', max: 30, windowSeconds: 15 * 60, message: LOGIN },
  /** Attempts on one account from one IP: a short window, then a longer one (backoff). */
  loginAccountIp: { name: 'login:acct-ip', max: 5, windowSeconds: 5 * 60, message: LOGIN },
  loginAccountIpLong: { name: 'login:acct-ip-long', max: 15, windowSeconds: 60 * 60, message: LOGIN },
  /** Failed logins on one account from anywhere: loose, a distributed-guessing backstop. */
  loginAccountFailures: { name: 'login:acct-fail', max: 100, windowSeconds: 60 * 60, message: LOGIN },

  signupIp: {
    name: 'signup:ip',
    max: 10,
    windowSeconds: 60 * 60,
    message: 'Too many sign-ups from your network. Please try again later.',
  },

  resetIp: { name: 'reset:ip', max: 10, windowSeconds: 60 * 60, message: 'Too many reset requests. Please try again later.' },
  resetEmail: {
    name: 'reset:email',
    max: 3,
    windowSeconds: 60 * 60,
    message: 'Too many reset requests for this address. Please try again later.',
  },

  /** Code submissions per user, on top of the 5 attempts each code allows. */
  codeUser: {
    name: 'code:user',
    max: 10,
    windowSeconds: 15 * 60,
    message: 'Too many code attempts. Please wait before trying again.',
  },
  /** One code email a minute, at most five an hour. */
  sendCodeCooldown: {
    name: 'code-send:cooldown',
    max: 1,
    windowSeconds: 60,
    message: 'Please wait before asking for another code.',
  },
  sendCodeUser: {
    name: 'code-send:user',
    max: 5,
    windowSeconds: 60 * 60,
    message: 'Too many codes sent. Please try again later.',
  },

  /** Current-password checks of a logged-in user (change email/password, delete). */
  reauthUser: {
    name: 'reauth:user',
    max: 10,
    windowSeconds: 15 * 60,
    message: 'Too many password attempts. Please wait before trying again.',
  },
} satisfies Record<string, Limit>;

export const RESEND_COOLDOWN_SECONDS = limits.sendCodeCooldown.windowSeconds;
