// Account emails: a plain-text part and a branded HTML part built from the same pieces. Every link
// is built from PUBLIC_URL (never from a request's Host header, which an attacker controls).
// Templates are pure: (data) → message.
//
// The HTML follows what mail clients render alike: nested tables for layout, inline styles, system
// fonts, no images, web fonts or remote CSS (nothing is fetched when the email is opened). Colours
// are light by default; clients that honour `prefers-color-scheme` get the dark palette from the
// small <style> block, and clients that invert colours on their own still get readable contrast.
import type { Message } from './mailer';

export interface TemplateEnv {
  PUBLIC_URL: string;
}

export type Mail = Omit<Message, 'to'>;

export interface MailParts {
  paragraphs: string[];
  /** A one-time code, shown large (and on its own line in the text part). */
  code?: string;
  /** The one primary action, rendered as a button. */
  link?: { href: string; label: string };
  /** Ends "You got this email because …"; says why this address received it. */
  reason?: string;
  /** Whether the footer links to account settings (not for an account that no longer exists). */
  settingsLink?: boolean;
}

const DEFAULT_REASON = 'you have a DropIn account';

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

const font = "-apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,Helvetica,Arial,sans-serif";
const mono = "ui-monospace,SFMono-Regular,Menlo,Consolas,'Liberation Mono',monospace";

// Dark palette for clients that support it; the inline styles carry the light one.
const darkStyle = `<style>
:root{color-scheme:light dark;supported-color-schemes:light dark}
@media (prefers-color-scheme: dark){
.bg{background-color:#111318 !important}
.card{background-color:#1b1e26 !important;border-color:#2c313c !important}
.text{color:#e6e8ee !important}
.muted{color:#a2a8b6 !important}
.brand{color:#a5b4fc !important}
.codebox{background-color:#242833 !important;color:#f2f3f7 !important;border-color:#3a4050 !important}
.link{color:#a5b4fc !important}
}
</style>`;

function button(link: { href: string; label: string }): string {
  const href = escapeHtml(link.href);
  // A table cell with a background colour: the one button shape Outlook draws as well.
  return `<table role="presentation" cellpadding="0" cellspacing="0" border="0" style="margin:8px 0 20px"><tr>
<td align="center" bgcolor="#4338ca" style="border-radius:6px;background-color:#4338ca">
<a href="${href}" target="_blank" style="display:inline-block;padding:12px 22px;font-family:${font};font-size:16px;font-weight:600;line-height:20px;color:#ffffff;text-decoration:none;border-radius:6px">${escapeHtml(link.label)}</a>
</td></tr></table>
<p class="muted" style="margin:0 0 16px;font-size:13px;line-height:20px;color:#5b6170">Button not working? Paste this address into your browser:<br><a class="link" href="${href}" style="color:#4338ca;word-break:break-all">${href}</a></p>`;
}

/**
 * Builds the text and HTML parts from paragraphs, an optional code and an optional primary link,
 * with DropIn's header and a footer that says why the email came and links to account settings.
 */
export function compose(env: TemplateEnv, subject: string, parts: MailParts): Mail {
  const reason = `You got this email because ${parts.reason ?? DEFAULT_REASON}.`;
  const settings = parts.settingsLink === false ? null : `${env.PUBLIC_URL}/app/settings`;

  const text = [
    ...parts.paragraphs,
    ...(parts.code ? [parts.code] : []),
    ...(parts.link ? [`${parts.link.label}: ${parts.link.href}`] : []),
    ['-- ', reason, ...(settings ? [`Account settings: ${settings}`] : []), `DropIn — ${env.PUBLIC_URL}`].join('\n'),
  ].join('\n\n');

  const body = [
    ...parts.paragraphs.map(
      (p) => `<p class="text" style="margin:0 0 16px;font-size:16px;line-height:24px;color:#1f2330">${escapeHtml(p)}</p>`,
    ),
    parts.code
      ? `<p class="codebox" style="margin:0 0 20px;padding:14px 18px;display:inline-block;font-family:${mono};font-size:28px;font-weight:700;letter-spacing:6px;line-height:34px;color:#1f2330;background-color:#f1f2f6;border:1px solid #dfe2ea;border-radius:6px">${escapeHtml(parts.code)}</p>`
      : '',
    parts.link ? button(parts.link) : '',
  ].join('\n');

  const footer = [
    escapeHtml(reason),
    settings ? `<a class="link" href="${escapeHtml(settings)}" style="color:#4338ca">Account settings</a>` : '',
    `<a class="link" href="${escapeHtml(env.PUBLIC_URL)}" style="color:#4338ca">DropIn</a>`,
  ]
    .filter(Boolean)
    .join(' · ');

  // The first paragraph doubles as the inbox preview line; hidden in the body itself.
  const preheader = parts.paragraphs[0] ?? '';
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="color-scheme" content="light dark"><meta name="supported-color-schemes" content="light dark">
<title>${escapeHtml(subject)}</title>
${darkStyle}
</head>
<body class="bg" style="margin:0;padding:0;background-color:#f4f5f8">
<div style="display:none;max-height:0;overflow:hidden;opacity:0">${escapeHtml(preheader)}</div>
<table role="presentation" class="bg" width="100%" cellpadding="0" cellspacing="0" border="0" style="background-color:#f4f5f8"><tr><td align="center" style="padding:24px 12px">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="max-width:560px">
<tr><td style="padding:0 8px 16px;font-family:${font}"><a class="brand" href="${escapeHtml(env.PUBLIC_URL)}" style="font-size:22px;font-weight:800;letter-spacing:-0.5px;color:#4338ca;text-decoration:none">DropIn</a></td></tr>
<tr><td class="card" style="padding:28px 28px 12px;background-color:#ffffff;border:1px solid #e3e6ee;border-radius:8px;font-family:${font}">
<h1 class="text" style="margin:0 0 16px;font-size:20px;line-height:28px;font-weight:700;color:#1f2330">${escapeHtml(subject)}</h1>
${body}
</td></tr>
<tr><td class="muted" style="padding:16px 8px;font-family:${font};font-size:13px;line-height:20px;color:#5b6170">${footer}</td></tr>
</table>
</td></tr></table>
</body></html>`;
  return { subject, text, html };
}

/** Must match the lifetime in src/auth/email-codes.ts. */
export const CODE_MINUTES = 15;

export const templates = {
  verificationCode(env: TemplateEnv, d: { code: string; token: string }): Mail {
    // No code in the subject: subjects end up in logs and lock-screen previews. The code comes
    // before the link in the text part, so a reader (or a test) that takes the first number gets it.
    return compose(env, 'Your DropIn verification code', {
      paragraphs: [
        `Welcome to DropIn! Confirm your email address with the button below, or enter this code on the verification page. Both expire in ${CODE_MINUTES} minutes and work once.`,
      ],
      code: d.code,
      link: { href: `${env.PUBLIC_URL}/confirm-email?token=${encodeURIComponent(d.token)}`, label: 'Confirm my email' },
      reason: 'this address was used to sign up to DropIn',
    });
  },

  newAddressCode(env: TemplateEnv, d: { code: string }): Mail {
    return compose(env, 'Confirm your new DropIn email address', {
      paragraphs: [
        `Someone (hopefully you) asked to use this address for a DropIn account. Enter this code in your account settings to confirm it. It expires in ${CODE_MINUTES} minutes.`,
      ],
      code: d.code,
      reason: 'this address was entered as the new email of a DropIn account',
    });
  },

  passwordResetLink(env: TemplateEnv, d: { token: string }): Mail {
    return compose(env, 'Reset your DropIn password', {
      paragraphs: [
        'Someone asked to reset the password of the DropIn account for this address. If it was you, use the link below within 1 hour; it works once.',
        'If it was not you, ignore this email: your password stays as it is.',
      ],
      link: { href: `${env.PUBLIC_URL}/reset-password?token=${encodeURIComponent(d.token)}`, label: 'Choose a new password' },
      reason: 'someone asked to reset the password of the DropIn account for this address',
    });
  },

  passwordChanged(env: TemplateEnv, d: { revokedKeys: number }): Mail {
    return compose(env, 'Your DropIn password was changed', {
      paragraphs: [
        'The password of your DropIn account was just changed, and your other devices were logged out.',
        ...(d.revokedKeys > 0
          ? [
              `${d.revokedKeys === 1 ? 'Your API key was' : `Your ${d.revokedKeys} API keys were`} revoked with it; create new ones in account settings.`,
            ]
          : []),
        'If this was not you, reset your password now and review your sessions in account settings.',
      ],
      link: { href: `${env.PUBLIC_URL}/forgot-password`, label: 'Reset password' },
      reason: 'we tell you of every change to how you sign in to DropIn',
    });
  },

  emailChanged(env: TemplateEnv, d: { newEmail: string }): Mail {
    return compose(env, 'Your DropIn email address was changed', {
      paragraphs: [
        `The email address of your DropIn account was changed to ${d.newEmail}. Emails about your account now go there.`,
        'If this was not you, contact us by replying to this email.',
      ],
      reason: 'this was the address of your DropIn account until now',
    });
  },

  signupAttempt(env: TemplateEnv): Mail {
    return compose(env, 'Someone tried to sign up to DropIn with your address', {
      paragraphs: [
        'Someone tried to create a DropIn account with this email address, but you already have one. No new account was created.',
        'If it was you, log in instead; if you forgot your password, you can reset it.',
      ],
      link: { href: `${env.PUBLIC_URL}/login`, label: 'Log in' },
      reason: 'this address was entered on the DropIn sign-up form',
    });
  },

  addressInUse(env: TemplateEnv): Mail {
    return compose(env, 'Someone tried to move a DropIn account to your address', {
      paragraphs: [
        'Someone tried to change the email of another DropIn account to this address. It already belongs to your account, so nothing changed.',
      ],
      reason: 'this address belongs to your DropIn account',
    });
  },

  accountDeleted(env: TemplateEnv): Mail {
    return compose(env, 'Your DropIn account was deleted', {
      paragraphs: [
        'Your DropIn account and its personal data were deleted. We are sorry to see you go.',
        `You can create a new account at any time at ${env.PUBLIC_URL}.`,
      ],
      reason: 'this was the address of the deleted account',
      settingsLink: false,
    });
  },
};
