// Notices are stored before they are sent, so a server that stopped mid-send loses none: the next
// server to start sends what was left pending, without waiting for a later sweep.
import { afterEach, describe, expect, it } from 'vitest';
import { createServerDeps } from '../../src/server';
import { startTestServer, testEnv } from '../setup/harness';
import { waitForEmail } from '../setup/mailpit';
import { newId } from '../../src/lib/ids';

let server: Awaited<ReturnType<typeof startTestServer>> | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

describe('the email outbox', () => {
  it('a server sends, as it starts, a notice an earlier process stored but never sent', async () => {
    const env = testEnv();
    const to = `outbox-${newId()
      .toLowerCase()
      .replace(/[^a-z0-9]/g, '')}@example.test`;
    // What a process that stopped between storing and sending leaves behind.
    const earlier = await createServerDeps(env);
    await earlier.db.c.emailOutbox.insertOne({
      _id: `receipt:in_${newId()}`,
      to,
      subject: 'Receipt for $12.00',
      text: 'We received your payment.',
      html: null,
      status: 'pending',
      attempts: 0,
      lockedUntil: null,
      lastError: null,
      createdAt: new Date(Date.now() - 5 * 60_000),
      sentAt: null,
    });
    earlier.mailer.close();
    await earlier.db.close();

    server = await startTestServer({ MONGODB_DB: env.MONGODB_DB });
    const mail = await waitForEmail(to, /Receipt for \$12\.00/);
    expect(mail.text).toContain('We received your payment.');
    await expect
      .poll(async () => (await server?.deps.db.c.emailOutbox.findOne({ to }))?.status, { timeout: 30_000 })
      .toBe('sent');
  });
});
