// Account emails: plain text plus simple HTML. Every link is built from PUBLIC_URL (never from a
// request's Host header, which an attacker controls). Templates are pure: (data) → message.
import type { Message } from './mailer';

export interface TemplateEnv {
  PUBLIC_URL: string;
}

export type Mail = Omit<Message, 'to'>;

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/** Builds text and HTML from paragraphs; `link` renders as a button-like anchor in HTML. */
export function compose(
  env: TemplateEnv,
  subject: string,
  parts: { paragraphs: string[]; code?: string; link?: { href: string; label: string } },
): Mail {
  const footer = `DropIn — ${env.PUBLIC_URL}`;
  const text = [
    ...parts.paragraphs,
    ...(parts.code ? [parts.code] : []),
    ...(parts.link ? [`${parts.link.label}: ${parts.link.href}`] : []),
    '',
    footer,
  ].join('\n\n');
  const html = [
    '<!doctype html><html><body style="font-family:system-ui,sans-serif;line-height:1.5;color:#1f2330;max-width:560px;margin:auto;padding:24px">',
    ...parts.paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`),
    parts.code
      ? `<p style="font-size:28px;font-weight:700;letter-spacing:6px;font-family:ui-monospace,monospace">${escapeHtml(parts.code)}</p>`
      : '',
    parts.link
      ? `<p><a href="${escapeHtml(parts.link.href)}" style="display:inline-block;background:#4338ca;color:#fff;padding:10px 18px;border-radius:6px;text-decoration:none">${escapeHtml(parts.link.label)}</a></p><p style="font-size:13px;color:#555">Or paste this address into your browser: ${escapeHtml(parts.link.href)}</p>`
      : '',
    `<hr style="border:none;border-top:1px solid #ddd"><p style="font-size:13px;color:#555">${escapeHtml(footer)}</p>`,
    '</body></html>',
  ].join('\n');
  return { subject, text, html };
}

/** Must match the lifetime in src/auth/email-codes.ts. */
export const CODE_MINUTES = 15;

export const templates = {
  verificationCode(env: TemplateEnv, d: { code: string }): Mail {
    // No code in the subject: subjects end up in logs and lock-screen previews.
    return compose(env, 'Your DropIn verification code', {
      paragraphs: [`Welcome to DropIn! Enter this code to confirm your email address. It expires in ${CODE_MINUTES} minutes.`],
      code: d.code,
      link: { href: `${env.PUBLIC_URL}/verify-email`, label: 'Open DropIn' },
    });
  },

  newAddressCode(env: TemplateEnv, d: { code: string }): Mail {
    return compose(env, 'Confirm your new DropIn email address', {
      paragraphs: [
        `Someone (hopefully you) asked to use this address for a DropIn account. Enter this code in your account settings to confirm it. It expires in ${CODE_MINUTES} minutes.`,
      ],
      code: d.code,
    });
  },

  passwordResetLink(env: TemplateEnv, d: { token: string }): Mail {
    return compose(env, 'Reset your DropIn password', {
      paragraphs: [
        'Someone asked to reset the password of the DropIn account for this address. If it was you, use the link below within 1 hour; it works once.',
        'If it was not you, ignore this email: your password stays as it is.',
      ],
      link: { href: `${env.PUBLIC_URL}/reset-password?token=${encodeURIComponent(d.token)}`, label: 'Choose a new password' },
    });
  },

  passwordChanged(env: TemplateEnv): Mail {
    return compose(env, 'Your DropIn password was changed', {
      paragraphs: [
        'The password of your DropIn account was just changed, and your other devices were logged out.',
        'If this was not you, reset your password now and review your sessions in account settings.',
      ],
      link: { href: `${env.PUBLIC_URL}/forgot-password`, label: 'Reset password' },
    });
  },

  emailChanged(env: TemplateEnv, d: { newEmail: string }): Mail {
    return compose(env, 'Your DropIn email address was changed', {
      paragraphs: [
        `The email address of your DropIn account was changed to ${d.newEmail}. Emails about your account now go there.`,
        'If this was not you, contact us by replying to this email.',
      ],
    });
  },

  signupAttempt(env: TemplateEnv): Mail {
    return compose(env, 'Someone tried to sign up to DropIn with your address', {
      paragraphs: [
        'Someone tried to create a DropIn account with this email address, but you already have one. No new account was created.',
        'If it was you, log in instead; if you forgot your password, you can reset it.',
      ],
      link: { href: `${env.PUBLIC_URL}/login`, label: 'Log in' },
    });
  },

  addressInUse(env: TemplateEnv): Mail {
    return compose(env, 'Someone tried to move a DropIn account to your address', {
      paragraphs: [
        'Someone tried to change the email of another DropIn account to this address. It already belongs to your account, so nothing changed.',
      ],
    });
  },

  accountDeleted(env: TemplateEnv): Mail {
    return compose(env, 'Your DropIn account was deleted', {
      paragraphs: [
        'Your DropIn account and its personal data were deleted. We are sorry to see you go.',
        `You can create a new account at any time at ${env.PUBLIC_URL}.`,
      ],
    });
  },
};
