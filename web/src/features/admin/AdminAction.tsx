// One confirmed, audited admin action: a button that opens a dialog saying what will happen; the
// confirm button runs it with a stable action id (a double click or a retry after a lost answer
// acts once), then refreshes the admin data and reports the outcome.
import { type ReactNode, useState } from 'react';
import { TRPCClientError } from '@trpc/client';
import { Button, type ButtonVariant } from '../../components/Button';
import { trpc } from '../../lib/trpc';
import type { ApiError } from '../../lib/errors';
import { ConfirmDialog } from './ConfirmDialog';
import { useActionIds } from './admin-lib';

export interface AdminActionProps {
  /** The button's text; also names the action in messages. */
  label: string;
  title: string;
  description: ReactNode;
  confirmLabel: string;
  danger?: boolean;
  variant?: ButtonVariant;
  fields?: ReactNode;
  run: (form: FormData, actionId: string) => Promise<unknown>;
  onDone: (message: string) => void;
  /** What to tell the admin afterwards; a function reads the server's answer. */
  doneMessage: string | ((result: unknown) => string);
}

export function AdminAction({
  label,
  title,
  description,
  confirmLabel,
  danger,
  variant = 'secondary',
  fields,
  run,
  onDone,
  doneMessage,
}: AdminActionProps) {
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const ids = useActionIds();
  const utils = trpc.useUtils();

  const confirm = async (form: FormData) => {
    setBusy(true);
    setError(null);
    try {
      const result = await run(form, ids.idFor(label));
      ids.settle(label, null);
      setOpen(false);
      onDone(typeof doneMessage === 'function' ? doneMessage(result) : doneMessage);
      await utils.admin.invalidate();
    } catch (err) {
      const apiError = err instanceof TRPCClientError ? (err as unknown as ApiError) : null;
      ids.settle(label, apiError ?? ({ data: undefined } as unknown as ApiError));
      setError(err instanceof Error ? err.message : 'Something went wrong. Please try again.');
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <Button
        size="sm"
        variant={variant}
        onClick={() => {
          setError(null);
          setOpen(true);
        }}
      >
        {label}
      </Button>
      <ConfirmDialog
        open={open}
        title={title}
        description={description}
        confirmLabel={confirmLabel}
        danger={danger}
        busy={busy}
        error={error}
        onConfirm={(fd) => void confirm(fd)}
        onClose={() => setOpen(false)}
      >
        {fields}
      </ConfirmDialog>
    </>
  );
}
