// Change the password (needs the current one). The server logs out every other session and revokes
// every API key.
import { type FormEvent, useRef, useState } from 'react';
import { trpc } from '../../lib/trpc';
import { plural } from '../../lib/format';
import { fieldValue, useFocusFirstInvalid, useFormErrors } from '../../lib/hooks';
import { Banner, FormAlert } from '../../components/Banner';
import { Button } from '../../components/Button';
import { Card } from '../../components/Card';
import { TextField } from '../../components/TextField';
import { useCurrentUser } from '../auth/session';

export function PasswordSection() {
  const user = useCurrentUser();
  const utils = trpc.useUtils();
  const formRef = useRef<HTMLFormElement>(null);
  const [result, setResult] = useState<string | null>(null);
  const change = trpc.account.changePassword.useMutation({
    onSuccess: (res) => {
      formRef.current?.reset();
      const n = res.revokedSessions;
      const keys = res.revokedKeys;
      const done = user.hasPassword ? 'Password changed.' : 'Password set.';
      const sessions = n > 0 ? ` We logged you out on ${plural(n, 'other session')}.` : '';
      const revoked =
        keys > 0
          ? ` ${keys === 1 ? 'Your API key was' : `Your ${keys} API keys were`} revoked; create a new one under API keys.`
          : '';
      setResult(`${done}${sessions}${revoked}`);
      void utils.account.sessions.invalidate();
      void utils.apiKeys.list.invalidate();
      void utils.auth.me.invalidate();
    },
  });
  const errors = useFormErrors(change, ['currentPassword', 'newPassword']);
  useFocusFirstInvalid(formRef, change.error);

  function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    setResult(null);
    const data = new FormData(e.currentTarget);
    const newPassword = fieldValue(data, 'newPassword');
    // An account without a password (OAuth only) may set one from a recent login.
    change.mutate(user.hasPassword ? { currentPassword: fieldValue(data, 'currentPassword'), newPassword } : { newPassword });
  }

  return (
    <Card
      title="Password"
      description={
        user.hasPassword
          ? 'Changing it logs you out everywhere except this device and revokes your API keys.'
          : 'You sign in with a connected account. Add a password to also sign in with your email.'
      }
    >
      {result && <Banner tone="success">{result}</Banner>}
      <form ref={formRef} className="form" onSubmit={onSubmit} noValidate>
        <FormAlert message={errors.message} />
        <div className="form-row">
          {user.hasPassword && (
            <TextField
              label="Current password"
              name="currentPassword"
              type="password"
              autoComplete="current-password"
              required
              error={errors.fields.currentPassword}
            />
          )}
          <TextField
            label="New password"
            name="newPassword"
            type="password"
            autoComplete="new-password"
            required
            hint="At least 8 characters."
            error={errors.fields.newPassword}
          />
        </div>
        <div className="form-actions">
          <Button type="submit" loading={change.isPending}>
            {user.hasPassword ? 'Change password' : 'Set password'}
          </Button>
        </div>
      </form>
    </Card>
  );
}
