// The second step of a login for an account with two-factor on: a code from the authenticator app
// (or a recovery code), and whether to remember this browser for 30 days. The pending-login token
// comes from the password step or, after OAuth, from the page's fragment.
import { type FormEvent, useRef, useState } from 'react';
import { trpc } from '../../lib/trpc';
import { fieldValue, useFocusFirstInvalid, useFormErrors } from '../../lib/hooks';
import { FormAlert } from '../../components/Banner';
import { Button } from '../../components/Button';
import { TextField } from '../../components/TextField';
import { codeFieldProps } from '../settings/TwoFactorSection';
import '../settings/two-factor.css';

export function TwoFactorStep({
  pendingToken,
  onSignedIn,
  onRestart,
}: {
  pendingToken: string;
  onSignedIn: () => Promise<void>;
  onRestart: () => void;
}) {
  const formRef = useRef<HTMLFormElement>(null);
  const [useRecovery, setUseRecovery] = useState(false);
  const verify = trpc.auth.verifyTwoFactor.useMutation({ onSuccess: () => onSignedIn() });
  const errors = useFormErrors(verify, ['code', 'recoveryCode']);
  useFocusFirstInvalid(formRef, verify.error);
  // The pending login expired or was used up: only a new password step helps.
  const expired = verify.error?.data?.code === 'UNAUTHORIZED';

  function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const data = new FormData(e.currentTarget);
    const rememberDevice = data.get('rememberDevice') === 'on';
    verify.mutate(
      useRecovery
        ? { pendingToken, recoveryCode: fieldValue(data, 'recoveryCode'), rememberDevice }
        : { pendingToken, code: fieldValue(data, 'code'), rememberDevice },
    );
  }

  return (
    <form ref={formRef} className="form" onSubmit={onSubmit} noValidate>
      <FormAlert message={errors.message} />
      {useRecovery ? (
        <TextField
          key="recovery"
          label="Recovery code"
          name="recoveryCode"
          autoComplete="off"
          autoCapitalize="none"
          spellCheck={false}
          required
          autoFocus
          hint="One of the codes you saved when you turned on two-factor authentication. Each works once."
          error={errors.fields.recoveryCode}
        />
      ) : (
        <TextField
          key="code"
          label="Authentication code"
          name="code"
          {...codeFieldProps}
          required
          autoFocus
          hint="The 6-digit code from your authenticator app."
          error={errors.fields.code}
        />
      )}
      <button
        type="button"
        className="link-button"
        onClick={() => {
          setUseRecovery(!useRecovery);
          verify.reset();
        }}
      >
        {useRecovery ? 'Use a code from your app' : 'Use a recovery code'}
      </button>
      <label className="two-factor-remember">
        <input type="checkbox" name="rememberDevice" />
        Remember this device for 30 days
      </label>
      {expired ? (
        <Button type="button" block onClick={onRestart}>
          Log in again
        </Button>
      ) : (
        <Button type="submit" block loading={verify.isPending}>
          Verify
        </Button>
      )}
      {!expired && (
        <button type="button" className="link-button" onClick={onRestart}>
          Back to log in
        </button>
      )}
    </form>
  );
}
