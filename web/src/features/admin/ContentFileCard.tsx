// An item's file (what subscribers download) with the confirmed upload that replaces it, and the
// item's audit trail with each change's state before and after.
import { useId, useRef, useState } from 'react';
import { trpc } from '../../lib/trpc';
import { Button } from '../../components/Button';
import { Card } from '../../components/Card';
import { AlertIcon } from '../../components/icons';
import { AuditLog } from './AuditLog';
import { ConfirmDialog } from './ConfirmDialog';
import { useActionIds } from './admin-lib';
import {
  type ContentAudit,
  type ContentItem,
  MAX_UPLOAD_BYTES,
  UPLOAD_EXTENSIONS,
  UploadError,
  fileProblem,
  formatBytes,
  uploadFile,
} from './ContentShared';

export function ContentFileCard({
  item,
  disabled,
  onDone,
  onConflict,
}: {
  item: ContentItem;
  disabled: boolean;
  onDone: (message: string) => void;
  onConflict: () => void;
}) {
  const id = useId();
  const inputRef = useRef<HTMLInputElement>(null);
  const [file, setFile] = useState<File | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [dialogError, setDialogError] = useState<string | null>(null);
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const ids = useActionIds();
  const utils = trpc.useUtils();

  const choose = () => {
    const picked = inputRef.current?.files?.[0] ?? null;
    setFile(picked);
    setError(picked ? fileProblem(picked) : null);
  };

  const start = () => {
    if (!file) return setError('Choose a file first.');
    const problem = fileProblem(file);
    if (problem) return setError(problem);
    setDialogError(null);
    setConfirming(true);
  };

  const upload = async () => {
    if (!file) return;
    const key = `upload:${item.version}:${file.name}:${file.size}:${file.lastModified}`;
    setBusy(true);
    setDialogError(null);
    try {
      const updated = await uploadFile({ slug: item.slug, file, version: item.version, actionId: ids.idFor(key) });
      ids.settle(key, null);
      setConfirming(false);
      setFile(null);
      if (inputRef.current) inputRef.current.value = '';
      onDone(`Uploaded ${updated.file?.name ?? file.name}.`);
      await utils.admin.content.invalidate();
    } catch (err) {
      const status = err instanceof UploadError ? err.status : undefined;
      // No answer or a 5xx: we don't know whether it was stored, so a retry reuses the id.
      if (status !== undefined && status < 500) ids.settle(key, null);
      if (status === 409) {
        setConfirming(false);
        onConflict();
      } else if (status !== undefined && status < 500) {
        setConfirming(false);
        setError(err instanceof Error ? err.message : 'The upload failed.');
      } else {
        setDialogError(err instanceof Error ? err.message : 'The upload failed.');
      }
    } finally {
      setBusy(false);
    }
  };

  return (
    <Card title="File" description="What subscribers download. Uploading replaces the current file at once.">
      {item.file ? (
        <p>
          <strong>{item.file.name}</strong> <span className="muted">· {formatBytes(item.file.size)}</span>{' '}
          <a href={`/api/admin/content/${encodeURIComponent(item.slug)}/file`} className="small-link" download>
            Download to check
          </a>
        </p>
      ) : (
        <p className="muted">No file yet.{item.kind === 'file' ? ' A file item needs one before it can be published.' : ''}</p>
      )}
      <fieldset className="admin-content-upload" disabled={disabled || busy}>
        <legend className="visually-hidden">Upload a file</legend>
        <div className={`field${error ? ' field-invalid' : ''}`}>
          <label className="field-label" htmlFor={id}>
            {item.file ? 'Replace with' : 'File to upload'}
          </label>
          <input
            ref={inputRef}
            id={id}
            name="file"
            type="file"
            className="input"
            accept={UPLOAD_EXTENSIONS.map((e) => `.${e}`).join(',')}
            aria-invalid={error ? true : undefined}
            aria-describedby={`${id}-hint${error ? ` ${id}-error` : ''}`}
            onChange={choose}
          />
          {error && (
            <p id={`${id}-error`} className="field-error">
              <AlertIcon />
              <span>{error}</span>
            </p>
          )}
          <p id={`${id}-hint`} className="field-hint">
            Up to {MAX_UPLOAD_BYTES / (1024 * 1024)} MB: PDF, CSV, text, Markdown, JSON, ZIP, images, EPUB and Office documents.
          </p>
        </div>
        <div className="form-actions">
          <Button variant="secondary" onClick={start} disabled={!file}>
            Upload…
          </Button>
        </div>
      </fieldset>
      <ConfirmDialog
        open={confirming}
        title={item.file ? 'Replace the file?' : 'Upload this file?'}
        description={
          file
            ? `${file.name} (${formatBytes(file.size)}) becomes the download of “${item.title}”${
                item.file ? `, replacing ${item.file.name}` : ''
              }.${item.published ? ' Subscribers get the new file at once.' : ''}`
            : ''
        }
        confirmLabel={item.file ? 'Replace file' : 'Upload file'}
        busy={busy}
        error={dialogError}
        onConfirm={() => void upload()}
        onClose={() => setConfirming(false)}
      />
    </Card>
  );
}

export function ContentAuditCard({ entries }: { entries: ContentAudit[] }) {
  return (
    <Card title="Audit log" description="Every admin change to this item, newest first.">
      <AuditLog
        entries={entries}
        empty="No admin changes recorded yet (seeded items start without any)."
        name={(a) => a.action.replace(/^content_/, '').replace(/_/g, ' ')}
      />
    </Card>
  );
}
