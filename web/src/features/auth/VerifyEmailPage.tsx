// Confirm the account's address with the emailed 6-digit code (the same email's link leads to
// ConfirmEmailPage instead). "Resend code" respects the server's cooldown and shows it counting down.
import { type FormEvent, useRef, useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { waitInWords, withoutRetry } from '../../../../src/lib/try-again';
import { trpc } from '../../lib/trpc';
import { formErrors } from '../../lib/errors';
import { fieldValue, useCountdown, useFocusFirstInvalid, useFormErrors } from '../../lib/hooks';
import { AuthLayout } from '../../components/AuthLayout';
import { Banner, FormAlert } from '../../components/Banner';
import { Button, ButtonLink } from '../../components/Button';
import { TextField } from '../../components/TextField';
import { useCurrentUser, useRefreshMe } from './session';

export function VerifyEmailPage() {
  const user = useCurrentUser();
  const navigate = useNavigate();
  const refreshMe = useRefreshMe();
  const formRef = useRef<HTMLFormElement>(null);
  const [cooldown, startCooldown] = useCountdown();
  const [resent, setResent] = useState(false);
  const [verifying, setVerifying] = useState(false);

  const verify = trpc.auth.verifyEmail.useMutation({
    onSuccess: async () => {
      setVerifying(true);
      await refreshMe().catch(() => undefined);
      navigate('/app', { replace: true, state: { notice: 'Your email is verified. Welcome to DropIn!' } });
    },
  });
  const resend = trpc.auth.resendVerification.useMutation({
    onSuccess: (res) => {
      setResent(true);
      startCooldown(res.cooldownSeconds);
    },
    onError: (err) => {
      setResent(false);
      if (err.data?.retryAfterSeconds) startCooldown(err.data.retryAfterSeconds);
    },
  });

  const errors = useFormErrors(verify, ['code']);
  useFocusFirstInvalid(formRef, verify.error);
  const resendError = resend.error && !resend.error.data?.retryAfterSeconds ? formErrors(resend.error).message : null;

  if (user.emailVerified && !verifying) {
    return (
      <AuthLayout title="Your email is verified">
        <Banner tone="success">
          <strong>{user.email}</strong> is confirmed. You're all set.
        </Banner>
        <ButtonLink to="/app" block>
          Go to dashboard
        </ButtonLink>
      </AuthLayout>
    );
  }

  function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const data = new FormData(e.currentTarget);
    verify.mutate({ code: fieldValue(data, 'code').replace(/\s+/g, '') });
  }

  return (
    <AuthLayout
      title="Verify your email"
      subtitle={
        <>
          We sent a link and a 6-digit code to <strong>{user.email}</strong>. Open the link, or enter the code below to confirm
          it's you.
        </>
      }
      footer={
        <p>
          Wrong address? <Link to="/app/settings">Change your email</Link> · <Link to="/app">Do this later</Link>
        </p>
      }
    >
      <form ref={formRef} className="form" onSubmit={onSubmit} noValidate>
        <FormAlert message={errors.message} />
        <TextField
          label="Verification code"
          name="code"
          className="field-code"
          inputMode="numeric"
          autoComplete="one-time-code"
          pattern="[0-9]*"
          maxLength={8}
          required
          autoFocus
          error={errors.fields.code}
        />
        <Button type="submit" block loading={verify.isPending || verifying}>
          Verify email
        </Button>
      </form>
      <div className="resend">
        <p className="muted">Didn't get it? Check spam, or ask for a new code.</p>
        <Button
          variant="ghost"
          size="sm"
          onClick={() => resend.mutate({})}
          loading={resend.isPending}
          disabled={cooldown > 0}
          aria-describedby="resend-status"
        >
          {cooldown > 0 ? `Resend code in ${waitInWords(cooldown)}` : 'Resend code'}
        </Button>
        <p id="resend-status" className="resend-status" aria-live="polite">
          {resent && !resend.isPending ? 'We sent a new code. Codes expire after 15 minutes.' : ''}
          {/* Why the button waits; the button itself counts down. */}
          {cooldown > 0 && resend.error?.data?.retryAfterSeconds ? withoutRetry(resend.error.message) : ''}
          {resendError}
        </p>
      </div>
    </AuthLayout>
  );
}
