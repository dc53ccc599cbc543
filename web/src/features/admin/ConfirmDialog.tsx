// Every admin action is confirmed here: what will happen, to whom, optional fields, one button.
import type { FormEvent, ReactNode } from 'react';
import { Dialog } from '../../components/Dialog';
import { Button } from '../../components/Button';
import { FormAlert } from '../../components/Banner';

export function ConfirmDialog({
  open,
  title,
  description,
  confirmLabel,
  danger,
  busy,
  error,
  onConfirm,
  onClose,
  children,
}: {
  open: boolean;
  title: string;
  description: ReactNode;
  confirmLabel: string;
  danger?: boolean;
  busy: boolean;
  error: string | null;
  onConfirm: (data: FormData) => void;
  onClose: () => void;
  children?: ReactNode;
}) {
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    onConfirm(new FormData(e.currentTarget));
  };
  return (
    <Dialog open={open} onClose={onClose} title={title} description={description}>
      <form className="form" onSubmit={submit} noValidate>
        <FormAlert message={error} />
        {children}
        <div className="dialog-actions">
          <Button variant="secondary" onClick={onClose} disabled={busy}>
            Keep as is
          </Button>
          <Button type="submit" variant={danger ? 'danger' : 'primary'} loading={busy}>
            {confirmLabel}
          </Button>
        </div>
      </form>
    </Dialog>
  );
}
