// Delete the account, behind a dialog that asks for DELETE typed out and the password.
import { type FormEvent, useRef, useState } from 'react';
import { trpc } from '../../lib/trpc';
import { fieldValue, useFocusFirstInvalid, useFormErrors } from '../../lib/hooks';
import { FormAlert } from '../../components/Banner';
import { Button } from '../../components/Button';
import { Card } from '../../components/Card';
import { Dialog } from '../../components/Dialog';
import { TextField } from '../../components/TextField';
import { leaveSignedOut, useCurrentUser } from '../auth/session';

export function DangerZoneSection() {
  const user = useCurrentUser();
  const [open, setOpen] = useState(false);
  const [typed, setTyped] = useState('');
  const formRef = useRef<HTMLFormElement>(null);
  const del = trpc.account.deleteAccount.useMutation({
    onSuccess: () => leaveSignedOut('/?notice=account-deleted'),
  });
  const errors = useFormErrors(del, ['password', 'confirm']);
  useFocusFirstInvalid(formRef, del.error);

  function close() {
    setOpen(false);
    setTyped('');
    del.reset();
  }

  function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    if (typed !== 'DELETE') return;
    const password = fieldValue(new FormData(e.currentTarget), 'password');
    del.mutate(user.hasPassword ? { confirm: 'DELETE', password } : { confirm: 'DELETE' });
  }

  return (
    <Card title="Danger zone" tone="danger">
      <div className="footer-split">
        <div>
          <p className="strong">Delete account</p>
          <p className="muted">Permanently removes your account, your sessions and your personal data.</p>
        </div>
        <Button variant="danger" onClick={() => setOpen(true)}>
          Delete account
        </Button>
      </div>
      <Dialog
        open={open}
        onClose={close}
        title="Delete your account?"
        description={
          <p>
            This permanently deletes <strong>{user.email}</strong>, logs you out everywhere and removes your personal data. It
            can't be undone.
          </p>
        }
      >
        <form ref={formRef} className="form" onSubmit={onSubmit} noValidate>
          <FormAlert message={errors.message} />
          <TextField
            label="Type DELETE to confirm"
            name="confirm"
            autoComplete="off"
            autoCapitalize="characters"
            spellCheck={false}
            value={typed}
            onChange={(e) => setTyped(e.target.value)}
            required
            autoFocus
            error={errors.fields.confirm}
          />
          {user.hasPassword && (
            <TextField
              label="Password"
              name="password"
              type="password"
              autoComplete="current-password"
              required
              error={errors.fields.password}
            />
          )}
          <div className="dialog-actions">
            <Button variant="secondary" onClick={close}>
              Cancel
            </Button>
            <Button type="submit" variant="danger" disabled={typed !== 'DELETE'} loading={del.isPending}>
              Delete account
            </Button>
          </div>
        </form>
      </Dialog>
    </Card>
  );
}
