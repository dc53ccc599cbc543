// Library file bytes in MongoDB, so every server process (PM2 cluster, several machines) sees the
// same files with no shared disk. A file is split into 1 MB chunk rows keyed `<fileId>:<n>` (every
// read is an `_id` equality, the one lookup sure to use an index, src/db/reads.ts; GridFS reads by
// `{files_id, n}`, which may be a scan) and its metadata row is inserted last: a half-written
// upload is never served. Rows written before chunking hold the bytes inline (`data`) and are still
// read.
import { createHash, randomBytes } from 'node:crypto';
import { Binary } from 'mongodb';
import type { Collections, ContentFileDoc } from '../db/collections';
import { isDuplicateKey } from '../db/errors';

export const CHUNK_BYTES = 1024 * 1024;
/** The largest upload we accept. nginx's client_max_body_size for the upload route must be above it. */
export const MAX_UPLOAD_BYTES = 20 * 1024 * 1024;

/**
 * What may be uploaded, by file extension: the stored Content-Type comes from this list, never
 * from the browser. No HTML or SVG (they could run script if ever opened inline).
 */
export const FILE_TYPES: Record<string, string> = {
  pdf: 'application/pdf',
  csv: 'text/csv',
  txt: 'text/plain',
  md: 'text/markdown',
  json: 'application/json',
  zip: 'application/zip',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  epub: 'application/epub+zip',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  pptx: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
};

export const ALLOWED_EXTENSIONS = Object.keys(FILE_TYPES);

/** The file's type from its name, or an error message naming what is wrong with the name. */
export function checkFileName(name: string): { ok: true; contentType: string } | { ok: false; error: string } {
  if (name.length === 0) return { ok: false, error: 'The file needs a name.' };
  if (name.length > 200) return { ok: false, error: 'The file name must be at most 200 characters.' };
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  if (/[\u0000-\u001f\u007f/\\]/.test(name) || name.startsWith('.'))
    return { ok: false, error: 'The file name must not contain slashes or control characters, or start with a dot.' };
  const ext = name.includes('.') ? (name.split('.').pop() ?? '').toLowerCase() : '';
  const contentType = FILE_TYPES[ext];
  if (!contentType)
    return {
      ok: false,
      error: `Files of this type cannot be uploaded. Allowed: ${ALLOWED_EXTENSIONS.map((e) => `.${e}`).join(', ')}.`,
    };
  return { ok: true, contentType };
}

/**
 * Stores `bytes` under `id` (random when omitted). Idempotent for a given id and the same bytes
 * (the seed stores fixed ids from several processes at once).
 */
export async function storeFile(
  c: Pick<Collections, 'contentFiles' | 'contentFileChunks'>,
  opts: { bytes: Uint8Array; contentType: string; id?: string; slug?: string; name?: string },
): Promise<Pick<ContentFileDoc, '_id' | 'size' | 'sha256' | 'contentType'>> {
  const id = opts.id ?? `file_${randomBytes(12).toString('base64url')}`;
  const { bytes } = opts;
  const chunks = Math.ceil(bytes.length / CHUNK_BYTES);
  for (let n = 0; n < chunks; n++) {
    const part = bytes.subarray(n * CHUNK_BYTES, (n + 1) * CHUNK_BYTES);
    try {
      await c.contentFileChunks.insertOne({ _id: `${id}:${n}`, fileId: id, n, data: new Binary(part) });
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
    }
  }
  const row: ContentFileDoc = {
    _id: id,
    chunks,
    slug: opts.slug,
    name: opts.name,
    contentType: opts.contentType,
    size: bytes.length,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    createdAt: new Date(),
  };
  try {
    await c.contentFiles.insertOne(row);
  } catch (err) {
    if (!isDuplicateKey(err)) throw err;
  }
  return { _id: id, size: row.size, sha256: row.sha256, contentType: row.contentType };
}

/** A stored file's bytes as a stream read one chunk at a time (a 20 MB file never sits in memory). */
export async function openFile(
  c: Pick<Collections, 'contentFiles' | 'contentFileChunks'>,
  id: string,
): Promise<{ size: number; contentType: string; stream: ReadableStream<Uint8Array> } | null> {
  const meta = await c.contentFiles.findOne({ _id: id });
  if (!meta) return null;
  if (meta.data) {
    const bytes = new Uint8Array(meta.data.buffer);
    return { size: bytes.length, contentType: meta.contentType, stream: new Blob([bytes]).stream() };
  }
  const total = meta.chunks ?? 0;
  let n = 0;
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (n >= total) return controller.close();
      const chunk = await c.contentFileChunks.findOne({ _id: `${id}:${n}` });
      if (!chunk) return controller.error(new Error(`file ${id} is missing chunk ${n}`));
      n++;
      controller.enqueue(new Uint8Array(chunk.data.buffer));
    },
  });
  return { size: meta.size, contentType: meta.contentType, stream };
}

/** The whole file in memory (tests, small files). */
export async function readFileBytes(
  c: Pick<Collections, 'contentFiles' | 'contentFileChunks'>,
  id: string,
): Promise<Uint8Array | null> {
  const file = await openFile(c, id);
  if (!file) return null;
  return new Uint8Array(await new Response(file.stream).arrayBuffer());
}
