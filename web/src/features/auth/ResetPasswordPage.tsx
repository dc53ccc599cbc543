// Set a new password from the emailed link (/reset-password?token=…). On success every other
// session is gone, and we send the person to log in with the new password.
import { type FormEvent, useRef } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { trpc } from '../../lib/trpc';
import { fieldValue, useFocusFirstInvalid, useFormErrors } from '../../lib/hooks';
import { AuthLayout } from '../../components/AuthLayout';
import { Banner, FormAlert } from '../../components/Banner';
import { Button, ButtonLink } from '../../components/Button';
import { TextField } from '../../components/TextField';

export function ResetPasswordPage() {
  const [params] = useSearchParams();
  const token = params.get('token') ?? '';
  const navigate = useNavigate();
  const formRef = useRef<HTMLFormElement>(null);
  const reset = trpc.auth.resetPassword.useMutation({
    onSuccess: () => navigate('/login?notice=password-reset', { replace: true }),
  });
  const errors = useFormErrors(reset, ['password']);
  useFocusFirstInvalid(formRef, reset.error);
  const tokenProblem = Boolean(reset.error?.data?.fieldErrors?.token) || reset.error?.data?.code === 'NOT_FOUND';

  if (!token) {
    return (
      <AuthLayout title="Reset link incomplete">
        <Banner tone="error">
          This reset link is missing its code. Open the link from the email again, or ask for a new one.
        </Banner>
        <ButtonLink to="/forgot-password" block>
          Request a new link
        </ButtonLink>
      </AuthLayout>
    );
  }

  function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const data = new FormData(e.currentTarget);
    reset.mutate({ token, password: fieldValue(data, 'password') });
  }

  return (
    <AuthLayout
      title="Set a new password"
      subtitle="Choose a new password for your DropIn account. You'll be logged out everywhere else."
      footer={
        <p>
          <Link to="/login">Back to log in</Link>
        </p>
      }
    >
      <form ref={formRef} className="form" onSubmit={onSubmit} noValidate>
        <FormAlert message={errors.message} />
        {tokenProblem && (
          <p className="form-help">
            <Link to="/forgot-password">Request a new reset link</Link>
          </p>
        )}
        <TextField
          label="New password"
          name="password"
          type="password"
          autoComplete="new-password"
          required
          autoFocus
          hint="At least 8 characters. Long passphrases are welcome."
          error={errors.fields.password}
        />
        <Button type="submit" block loading={reset.isPending}>
          Set new password
        </Button>
      </form>
    </AuthLayout>
  );
}
