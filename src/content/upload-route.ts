// /api/admin/content/:slug/file — admins upload an item's file (POST, the raw bytes as the body) and
// download it whatever the item's state (GET), outside tRPC, which does not carry files well.
// Guarded like every admin procedure (401 anonymous, 403 non-admin) and by the app's CSRF check
// (same-origin POSTs only). The body is read up to MAX_UPLOAD_BYTES and refused with 413 beyond.
import { Hono } from 'hono';
import { z } from 'zod';
import type { AppEnv } from '../http/app-env';
import type { ServerDeps } from '../deps';
import type { SessionUser } from '../auth/sessions';
import { invalidInput, jsonError } from '../http/errors';
import { actionId, itemSlug } from '../trpc/inputs';
import { attachFile } from '../admin/content';
import { sendFile } from './files';
import { MAX_UPLOAD_BYTES, checkFileName, openFile } from './storage';
import { adminTwoFactorGate, adminTwoFactorMessage } from '../auth/two-factor/second-factor';

const MAX_MB = MAX_UPLOAD_BYTES / (1024 * 1024);
const slug = itemSlug();

const query = z
  .object({
    name: z.string({ error: 'Name the file.' }),
    version: z.coerce.number({ error: 'must be the version you are editing' }).int().min(0).max(1_000_000_000),
    actionId,
  })
  .strict();

/** The body, or null when it grows past `max` bytes (the rest is not read). */
async function readLimited(body: ReadableStream<Uint8Array> | null, max: number): Promise<Uint8Array | null> {
  if (!body) return new Uint8Array();
  const reader = body.getReader();
  const parts: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > max) {
      await reader.cancel().catch(() => {});
      return null;
    }
    parts.push(value);
  }
  return Buffer.concat(parts);
}

export function contentUploadRoutes(deps: ServerDeps) {
  const app = new Hono<AppEnv>();

  const requireAdmin = async (
    cookie: string | undefined,
  ): Promise<{ error: string; status: 401 | 403 } | { user: SessionUser }> => {
    const auth = await deps.sessions.validate(deps.sessions.readCookie(cookie));
    if (!auth.user || !auth.session) return { error: 'Please log in.', status: 401 as const };
    if (auth.user.role !== 'admin') return { error: 'Admins only.', status: 403 as const };
    const gate = adminTwoFactorGate(deps.env, auth.user, auth.session);
    if (gate) return { error: adminTwoFactorMessage(gate), status: 403 as const };
    return { user: auth.user };
  };

  app.post('/:slug/file', async (c) => {
    c.header('Cache-Control', 'no-store');
    const who = await requireAdmin(c.req.header('cookie'));
    if ('error' in who) return jsonError(c, who.status, who.error);

    const item = slug.safeParse(c.req.param('slug'));
    if (!item.success) return jsonError(c, 404, 'No such library item.');
    const q = query.safeParse(c.req.query());
    if (!q.success) return invalidInput(c, q.error);
    const name = q.data.name.normalize('NFC').trim();
    const type = checkFileName(name);
    if (!type.ok) return jsonError(c, 400, type.error, 'file');
    // The type is decided by the extension; the request must not claim to be a form or JSON.
    const sent = (c.req.header('content-type') ?? '').split(';')[0]?.trim().toLowerCase();
    if (sent !== 'application/octet-stream' && sent !== type.contentType)
      return jsonError(c, 415, 'Send the file as the raw request body (Content-Type: application/octet-stream).');

    const tooLarge = () => jsonError(c, 413, `The file is larger than ${MAX_MB} MB, the most an upload may be.`, 'file');
    const declared = Number(c.req.header('content-length'));
    if (Number.isFinite(declared) && declared > MAX_UPLOAD_BYTES) return tooLarge();
    const bytes = await readLimited(c.req.raw.body, MAX_UPLOAD_BYTES);
    if (!bytes) return tooLarge();
    if (bytes.length === 0) return jsonError(c, 400, 'The file is empty.', 'file');

    const updated = await attachFile({
      deps,
      actor: { id: who.user.id, email: who.user.email },
      actionId: q.data.actionId,
      slug: item.data,
      version: q.data.version,
      name,
      contentType: type.contentType,
      bytes,
    });
    return c.json({ item: updated });
  });

  // Admins fetch the current file of any item, published or not, to check an upload.
  app.get('/:slug/file', async (c) => {
    c.header('Cache-Control', 'private, no-store');
    const who = await requireAdmin(c.req.header('cookie'));
    if ('error' in who) return jsonError(c, who.status, who.error);
    const item = slug.safeParse(c.req.param('slug'));
    const doc = item.success ? await deps.db.c.content.findOne({ _id: item.data }, { projection: { file: 1 } }) : null;
    if (!doc?.file) return jsonError(c, 404, 'This item has no file.');
    const file = await openFile(deps.db.c, doc.file.id);
    if (!file) return jsonError(c, 404, 'File not found.');
    return sendFile(c, { ...file, name: doc.file.name });
  });

  return app;
}
