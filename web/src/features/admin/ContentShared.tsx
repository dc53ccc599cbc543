// Shared bits of the content admin pages: types from the router, labels, the upload call (a plain
// POST of the file's bytes: tRPC does not carry files) and the limits the server enforces.
import type { AdminOutputs } from './admin-lib';

export type ContentRow = AdminOutputs['content']['list']['rows'][number];
export type ContentItem = AdminOutputs['content']['get']['item'];
export type ContentAudit = AdminOutputs['content']['get']['audit'][number];
export type ContentKind = ContentItem['kind'];
export type ContentPlan = ContentItem['minPlan'];

export const KIND_LABELS: Record<ContentKind, string> = { article: 'Article', file: 'File', tool: 'Tool' };
export const PLAN_LABELS: Record<ContentPlan, string> = { free: 'Free', pro: 'Pro', business: 'Business' };

/** Mirrors src/content/storage.ts: the server checks again and has the last word. */
export const MAX_UPLOAD_BYTES = 20 * 1024 * 1024;
export const UPLOAD_EXTENSIONS = [
  'pdf',
  'csv',
  'txt',
  'md',
  'json',
  'zip',
  'png',
  'jpg',
  'jpeg',
  'gif',
  'webp',
  'epub',
  'docx',
  'xlsx',
  'pptx',
];

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(n < 10 * 1024 ? 1 : 0)} KB`;
  return `${(n / (1024 * 1024)).toFixed(1)} MB`;
}

/** What is wrong with a chosen file before it is sent, or null. */
export function fileProblem(file: File): string | null {
  const ext = file.name.includes('.') ? (file.name.split('.').pop() ?? '').toLowerCase() : '';
  if (!UPLOAD_EXTENSIONS.includes(ext))
    return `Files of this type cannot be uploaded. Allowed: ${UPLOAD_EXTENSIONS.map((e) => `.${e}`).join(', ')}.`;
  if (file.size === 0) return 'The file is empty.';
  if (file.size > MAX_UPLOAD_BYTES) return `The file is ${formatBytes(file.size)}; uploads may be at most 20 MB.`;
  return null;
}

export class UploadError extends Error {
  constructor(
    message: string,
    readonly status: number | undefined,
  ) {
    super(message);
  }
}

/** Sends the file as the item's download; answers with the item as it now is. */
export async function uploadFile(opts: { slug: string; file: File; version: number; actionId: string }): Promise<ContentItem> {
  const qs = new URLSearchParams({ name: opts.file.name, version: String(opts.version), actionId: opts.actionId });
  let res: Response;
  try {
    res = await fetch(`/api/admin/content/${encodeURIComponent(opts.slug)}/file?${qs}`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: opts.file,
      credentials: 'same-origin',
    });
  } catch {
    throw new UploadError("We couldn't reach DropIn. Check your connection and try again.", undefined);
  }
  const body = (await res.json().catch(() => null)) as { item?: ContentItem; error?: string } | null;
  if (!res.ok || !body?.item) throw new UploadError(body?.error ?? `The upload failed (${res.status}).`, res.status);
  return body.item;
}
