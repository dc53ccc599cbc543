// Reads mail from Mailpit's HTTP API, the way a person would read their inbox.
import { inject } from 'vitest';

export interface Email {
  id: string;
  subject: string;
  to: string[];
  text: string;
  html: string;
}

interface Summary {
  ID: string;
  Subject: string;
  To: { Address: string }[];
  Created: string;
}

function base(): string {
  return inject('mailpitUrl');
}

/** Every message sent to `to`, newest first (in the run's Mailpit unless `mailpitUrl` names another). */
export async function inbox(to: string, mailpitUrl = base()): Promise<Email[]> {
  const res = await fetch(`${mailpitUrl}/api/v1/search?query=${encodeURIComponent(`to:"${to}"`)}&limit=100`);
  if (!res.ok) throw new Error(`Mailpit search failed: ${res.status}`);
  const body = (await res.json()) as { messages: Summary[] };
  return Promise.all(body.messages.map((m) => message(m.ID, mailpitUrl)));
}

export async function message(id: string, mailpitUrl = base()): Promise<Email> {
  const res = await fetch(`${mailpitUrl}/api/v1/message/${id}`);
  if (!res.ok) throw new Error(`Mailpit message ${id}: ${res.status}`);
  const m = (await res.json()) as { ID: string; Subject: string; To: { Address: string }[]; Text: string; HTML: string };
  return { id: m.ID, subject: m.Subject, to: m.To.map((t) => t.Address), text: m.Text, html: m.HTML };
}

/** Waits for a message to `to` whose subject matches, newer than `after` messages already seen. */
export async function waitForEmail(
  to: string,
  subject: RegExp,
  opts: { timeoutMs?: number; skip?: number; mailpitUrl?: string } = {},
): Promise<Email> {
  const deadline = Date.now() + (opts.timeoutMs ?? 10_000);
  while (Date.now() < deadline) {
    const matching = (await inbox(to, opts.mailpitUrl)).filter((m) => subject.test(m.subject));
    if (matching.length > (opts.skip ?? 0)) return matching[0] as Email;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`No email to ${to} matching ${subject} within ${opts.timeoutMs ?? 10_000} ms`);
}

/** First 6–8 digit code in an email's text. */
export function codeFrom(email: Email): string {
  const m = email.text.match(/\b(\d{6,8})\b/);
  if (!m) throw new Error(`No code in email "${email.subject}"`);
  return m[1] as string;
}

/** First link in an email's text that starts with `prefix`. */
export function linkFrom(email: Email, prefix: string): string {
  const m = email.text.match(new RegExp(`${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}[^\\s>"]*`));
  if (!m) throw new Error(`No link starting with ${prefix} in email "${email.subject}"`);
  return m[0];
}
