// One-line notices that a page shows when another page sends people to it (?notice=…, ?error=…).
// Only known keys map to text, so a crafted link cannot put words on our pages.
export const notices: Record<string, string> = {
  'logged-out': 'You have been logged out.',
  'logged-out-everywhere': 'You have been logged out on every device.',
  'password-reset': 'Your password has been reset. Log in with your new password.',
  'account-deleted': 'Your account and personal data have been deleted. Sorry to see you go.',
  'session-expired': 'Your session has ended. Please log in again.',
  'email-verified': 'Your email is verified. Log in to continue.',
  'admin-two-factor': 'Turn on two-factor authentication below to use the admin area.',
};

export const oauthErrors: Record<string, string> = {
  oauth_failed: "We couldn't sign you in with that provider. Please try again or use your email and password.",
  oauth_email_unverified:
    "That provider hasn't verified your email address, so we can't use it to sign you in. Verify it with the provider, or log in with your email and password.",
  oauth_no_email: "That provider didn't share an email address with us, so we can't sign you in with it.",
  oauth_cancelled: 'Signing in with that provider was cancelled.',
  account_disabled: 'This account has been disabled.',
  oauth_linked_elsewhere: 'That account is already connected to a different DropIn account.',
  oauth_provider_already_linked: 'You already have an account from that provider connected. Unlink it first to connect another.',
};

export function noticeFor(key: string | null): string | null {
  // Own keys only: `constructor` or `__proto__` are on every object and are not notices.
  return key && Object.hasOwn(notices, key) ? (notices[key] as string) : null;
}

export function oauthErrorFor(key: string | null): string | null {
  if (!key) return null;
  const known = Object.hasOwn(oauthErrors, key) ? oauthErrors[key] : undefined;
  return known ?? "Signing in with that provider didn't work. Please try again.";
}
