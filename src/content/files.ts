// GET /files/:id — serves a library file to the user a signed URL was made for (see signing.ts).
// Forged, expired or someone else's links are 403 and count nothing (the download was counted
// when the URL was issued); files of unpublished items are 404 even on a valid link.
import { type Context, Hono } from 'hono';
import type { AppEnv } from '../http/app-env';
import type { ServerDeps } from '../deps';
import { jsonError } from '../http/errors';
import { verifyDownload } from './signing';
import { fileForDownload } from './library';

export function fileRoutes(deps: ServerDeps) {
  const app = new Hono<AppEnv>();
  app.get('/:id', async (c) => {
    const fileId = c.req.param('id');
    const auth = await deps.sessions.validate(deps.sessions.readCookie(c.req.header('cookie')));
    const verdict = verifyDownload(
      deps.env,
      { fileId, exp: c.req.query('exp'), u: c.req.query('u'), sig: c.req.query('sig') },
      auth.user?.id ?? null,
    );
    c.header('Cache-Control', 'private, no-store');
    if (!verdict.ok) return jsonError(c, 403, verdict.reason);
    const file = await fileForDownload(deps, fileId);
    if (!file) return jsonError(c, 404, 'File not found.');
    return sendFile(c, file);
  });
  return app;
}

/** Sends a stored file as an attachment (never rendered inline: nosniff is set app-wide). */
export function sendFile(
  c: Context,
  file: { stream: ReadableStream<Uint8Array>; size: number; name: string; contentType: string },
): Response {
  const asciiName = file.name.replace(/[^A-Za-z0-9._-]/g, '_');
  c.header('Content-Type', file.contentType);
  c.header('Content-Length', String(file.size));
  c.header('Content-Disposition', `attachment; filename="${asciiName}"; filename*=UTF-8''${encodeURIComponent(file.name)}`);
  return c.body(file.stream);
}
