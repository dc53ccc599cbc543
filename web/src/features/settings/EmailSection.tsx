// Change the account's email: ask with the current password, then confirm the code sent to the new
// address. The old address is told by email.
import { type FormEvent, useRef, useState } from 'react';
import { Link } from 'react-router';
import { trpc } from '../../lib/trpc';
import { fieldValue, useFocusFirstInvalid, useFormErrors } from '../../lib/hooks';
import { Banner, FormAlert } from '../../components/Banner';
import { Button } from '../../components/Button';
import { Card } from '../../components/Card';
import { TextField } from '../../components/TextField';
import { useCurrentUser } from '../auth/session';

export function EmailSection() {
  const user = useCurrentUser();
  const utils = trpc.useUtils();
  const requestRef = useRef<HTMLFormElement>(null);
  const confirmRef = useRef<HTMLFormElement>(null);
  const [pendingEmail, setPendingEmail] = useState<string | null>(null);
  const [changedTo, setChangedTo] = useState<string | null>(null);

  const request = trpc.account.requestEmailChange.useMutation({
    onSuccess: (_res, input) => {
      setPendingEmail(input.newEmail);
      setChangedTo(null);
    },
  });
  const confirm = trpc.account.confirmEmailChange.useMutation({
    onSuccess: async () => {
      setChangedTo(pendingEmail);
      setPendingEmail(null);
      request.reset();
      await utils.auth.me.invalidate();
    },
  });
  const requestErrors = useFormErrors(request, ['newEmail', 'currentPassword']);
  const confirmErrors = useFormErrors(confirm, ['code']);
  useFocusFirstInvalid(requestRef, request.error);
  useFocusFirstInvalid(confirmRef, confirm.error);

  function onRequest(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const data = new FormData(e.currentTarget);
    const newEmail = fieldValue(data, 'newEmail').trim();
    // Accounts without a password (OAuth only) prove themselves with a recent login instead.
    request.mutate(user.hasPassword ? { newEmail, currentPassword: fieldValue(data, 'currentPassword') } : { newEmail });
  }

  function onConfirm(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    confirm.mutate({ code: fieldValue(new FormData(e.currentTarget), 'code').replace(/\s+/g, '') });
  }

  return (
    <Card title="Email" description="Where we send codes, receipts and security notices.">
      <div className="current-value">
        <span className="current-label">Current email</span>
        <span className="current-email">{user.email}</span>
        {user.emailVerified ? (
          <span className="badge badge-success">Verified</span>
        ) : (
          <>
            <span className="badge badge-warning">Not verified</span>
            <Link to="/verify-email" className="small-link">
              Verify now
            </Link>
          </>
        )}
      </div>
      {changedTo && (
        <Banner tone="success">
          Your email is now <strong>{changedTo}</strong>.
        </Banner>
      )}
      {pendingEmail ? (
        <form ref={confirmRef} className="form" onSubmit={onConfirm} noValidate>
          <Banner tone="info">
            We sent a code to <strong>{pendingEmail}</strong>. Enter it to finish the change.
          </Banner>
          <FormAlert message={confirmErrors.message} />
          <TextField
            label="Confirmation code"
            name="code"
            className="field-code"
            inputMode="numeric"
            autoComplete="one-time-code"
            maxLength={8}
            required
            autoFocus
            error={confirmErrors.fields.code}
          />
          <div className="form-actions">
            <Button type="submit" loading={confirm.isPending}>
              Confirm new email
            </Button>
            <Button
              variant="ghost"
              onClick={() => {
                setPendingEmail(null);
                confirm.reset();
              }}
            >
              Cancel
            </Button>
          </div>
        </form>
      ) : (
        <form ref={requestRef} className="form" onSubmit={onRequest} noValidate>
          <FormAlert message={requestErrors.message} />
          <div className="form-row">
            <TextField
              label="New email"
              name="newEmail"
              type="email"
              autoComplete="email"
              inputMode="email"
              required
              error={requestErrors.fields.newEmail}
            />
            {user.hasPassword && (
              <TextField
                label="Current password"
                name="currentPassword"
                type="password"
                autoComplete="current-password"
                required
                error={requestErrors.fields.currentPassword}
              />
            )}
          </div>
          <div className="form-actions">
            <Button type="submit" loading={request.isPending}>
              Change email
            </Button>
          </div>
        </form>
      )}
    </Card>
  );
}
