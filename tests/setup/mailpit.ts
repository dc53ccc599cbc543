// Reads mail from Mailpit's HTTP API, the way a person would read their inbox.
import { inject } from 'vitest';
import type { Mailer } from '../../src/email/mailer';

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
  // Generous: on a busy machine an email can take seconds to be composed and sent.
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const matching = (await inbox(to, opts.mailpitUrl)).filter((m) => subject.test(m.subject));
    if (matching.length > (opts.skip ?? 0)) return matching[0] as Email;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`No email to ${to} matching ${subject} within ${timeoutMs} ms`);
}

const sendsInFlight = new WeakMap<Mailer, Set<Promise<void>>>();

/**
 * Keeps count of the sends `mailer` starts from now on (the real ones, passed through unchanged),
 * for `sendsSettled`. The app sends account email in the background, after its answer.
 */
export function watchSends(mailer: Mailer): void {
  if (sendsInFlight.has(mailer)) return;
  const inFlight = new Set<Promise<void>>();
  sendsInFlight.set(mailer, inFlight);
  const send = mailer.send.bind(mailer);
  mailer.send = (message) => {
    const sending = send(message);
    inFlight.add(sending);
    sending.then(
      () => inFlight.delete(sending),
      () => inFlight.delete(sending),
    );
    return sending;
  };
}

/**
 * Resolves once every send the watched mailer started has reached Mailpit (or failed): after it,
 * an email that is not in Mailpit was never sent, however slow the machine.
 */
export async function sendsSettled(mailer: Mailer): Promise<void> {
  const inFlight = sendsInFlight.get(mailer);
  if (!inFlight) throw new Error('sendsSettled: call watchSends(mailer) before the sends start');
  while (inFlight.size) await Promise.allSettled([...inFlight]);
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
