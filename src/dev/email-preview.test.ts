import { describe, expect, it } from 'vitest';
import { previewEmails } from './email-preview';

const env = { PUBLIC_URL: 'https://dropin.example' };
const emails = previewEmails(env);
const byKind = new Map(emails.map((e) => [e.kind, e.mail]));

/** The primary button's target: the anchor with the button's padding. */
function buttonHref(html: string): string | null {
  return (
    html.match(/<a href="([^"]+)" target="_blank" style="display:inline-block;padding/)?.[1]?.replaceAll('&#38;', '&') ?? null
  );
}

describe('email preview', () => {
  it('renders every kind of email the app sends', () => {
    expect([...byKind.keys()]).toEqual(
      expect.arrayContaining([
        'verification',
        'password-reset',
        'email-change-code',
        'email-changed',
        'welcome',
        'trial-ending',
        'plan-changed',
        'change-scheduled',
        'cancel-scheduled',
        'ended',
        'receipt',
        'payment-failed',
        'action-required',
        'quota-100',
      ]),
    );
    expect(byKind.size, 'kinds are unique').toBe(emails.length);
  });

  it.each(emails)('$kind: an HTML part that fetches nothing, and a text part', ({ mail }) => {
    const html = mail.html ?? '';
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).not.toMatch(/<img|<link|<script|@import|url\(|src=/i);
    expect(html).toContain('DropIn');
    expect(mail.text).toMatch(/You got this email because .+\./);
    // One primary button at most, and its target is spelled out in the text part too.
    expect((html.match(/display:inline-block;padding/g) ?? []).length).toBeLessThanOrEqual(1);
    const href = buttonHref(html);
    if (href) expect(mail.text).toContain(href);
  });

  it('links each billing email to the right page', () => {
    const billing = `${env.PUBLIC_URL}/app/billing`;
    for (const kind of [
      'welcome',
      'welcome-trial',
      'trial-ending',
      'plan-changed',
      'change-scheduled',
      'cancel-scheduled',
      'refund',
      'credit-note',
      'credit-note-voided',
    ])
      expect(buttonHref(byKind.get(kind)?.html ?? ''), kind).toBe(billing);
    expect(buttonHref(byKind.get('ended')?.html ?? '')).toBe(`${env.PUBLIC_URL}/pricing`);
    for (const kind of ['receipt', 'payment-failed', 'action-required'])
      expect(buttonHref(byKind.get(kind)?.html ?? ''), kind).toBe('https://invoice.stripe.com/i/sample');
  });

  it('puts the verification code before the link, and the link on the confirm page', () => {
    const mail = byKind.get('verification');
    expect(mail?.text.match(/\b\d{6,8}\b/)?.[0]).toBe('428913');
    expect(buttonHref(mail?.html ?? '')).toBe(`${env.PUBLIC_URL}/confirm-email?token=sample-token`);
  });
});
