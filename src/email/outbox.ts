// Exactly-once notices: an email keyed by the change it reports is stored before it is sent, so a
// duplicate webhook, a retry or a second process cannot send it twice (the unique _id refuses the
// second insert), and an SMTP failure does not lose it (startOutboxRetry retries pending rows).
import type { Collections, EmailOutboxDoc } from '../db/collections';
import type { Logger } from '../log';
import type { Mailer, Message } from './mailer';
import { claim } from '../db/claims';
import { isDuplicateKey } from '../db/errors';

interface Deps {
  db: { c: Collections };
  mailer: Mailer;
  log: Logger;
}

const MAX_ATTEMPTS = 10;
/** How long a sender holds a row it is sending; a row held longer is retried by the next pass. */
const LEASE_MS = 60_000;

/** Whether a notice with this key was enqueued (sent, or being sent): one `_id` read. */
export async function enqueued(deps: Pick<Deps, 'db'>, key: string): Promise<boolean> {
  return Boolean(await deps.db.c.emailOutbox.findOne({ _id: key }, { projection: { _id: 1 } }));
}

/** Returns false when a notice with this key was already enqueued. */
export async function sendOnce(deps: Deps, key: string, message: Message): Promise<boolean> {
  const now = new Date();
  // Stored as this process's first attempt, held for a lease: the unique _id lets one insert win,
  // so the inserter is the one sender of attempt 1 with no claim of its own. A process that stops
  // before sending leaves it held until the lease ends; then a retry pass claims attempt 2.
  const row: EmailOutboxDoc = {
    _id: key,
    to: message.to,
    subject: message.subject,
    text: message.text,
    html: message.html ?? null,
    status: 'pending',
    attempts: 1,
    lockedUntil: new Date(now.getTime() + LEASE_MS),
    lastError: null,
    createdAt: now,
    sentAt: null,
  };
  try {
    await deps.db.c.emailOutbox.insertOne(row);
  } catch (err) {
    if (isDuplicateKey(err)) return false;
    throw err;
  }
  await send(deps, row);
  return true;
}

/** Sends one stored row whose lease has ended (a retry): its next attempt is claimed first. */
async function deliver(deps: Deps, key: string): Promise<void> {
  const now = new Date();
  // By _id alone: the one filter FerretDB answers without reading the whole outbox.
  const current = await deps.db.c.emailOutbox.findOne({ _id: key });
  if (current?.status !== 'pending' || (current.lockedUntil && current.lockedUntil > now)) return;
  // One sender per attempt, even across processes (an insert is exact where updates are not).
  if (!(await claim(deps.db.c, `outbox:${key}#${current.attempts + 1}`))) return;
  const row = { ...current, attempts: current.attempts + 1 };
  await deps.db.c.emailOutbox.updateOne(
    { _id: key },
    { $set: { attempts: row.attempts, lockedUntil: new Date(now.getTime() + LEASE_MS) } },
  );
  await send(deps, row);
}

/** Sends a row this process holds the attempt of, and records how it went. */
async function send(deps: Deps, row: EmailOutboxDoc): Promise<void> {
  try {
    await deps.mailer.send({ to: row.to, subject: row.subject, text: row.text, ...(row.html ? { html: row.html } : {}) });
    await deps.db.c.emailOutbox.updateOne(
      { _id: row._id },
      { $set: { status: 'sent', sentAt: new Date(), lastError: null, lockedUntil: null } },
    );
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    await deps.db.c.emailOutbox.updateOne({ _id: row._id }, { $set: { lastError: message.slice(0, 500), lockedUntil: null } });
    deps.log.warn({ err, key: row._id, to: row.to }, 'notice email failed; will retry');
  }
}

/**
 * Retries unsent notices when the server starts (a process that stopped mid-send left them) and
 * every minute after; stop() waits for a pass in flight.
 */
export function startOutboxRetry(deps: Deps, everyMs = 60_000): { stop(): Promise<void> } {
  let running: Promise<void> | null = null;
  const pass = () => {
    if (running) return;
    running = flushOutbox(deps)
      .then(() => undefined)
      .catch((err: unknown) => deps.log.warn({ err }, 'retrying unsent emails failed'))
      .finally(() => {
        running = null;
      });
  };
  pass();
  const timer = setInterval(pass, everyMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}

/** Sends notices still pending after 30 s (younger ones may be in another process's hands). */
export async function flushOutbox(deps: Deps): Promise<number> {
  const pending = await deps.db.c.emailOutbox
    .find({ status: 'pending', attempts: { $lt: MAX_ATTEMPTS }, createdAt: { $lt: new Date(Date.now() - 30_000) } })
    .limit(100)
    .toArray();
  for (const row of pending) await deliver(deps, row._id);
  return pending.length;
}
