// Ask for a password-reset link. The answer is the same whether or not the account exists.
import { type FormEvent, useRef, useState } from 'react';
import { Link } from 'react-router';
import { trpc } from '../../lib/trpc';
import { fieldValue, useFocusFirstInvalid, useFormErrors } from '../../lib/hooks';
import { AuthLayout } from '../../components/AuthLayout';
import { FormAlert } from '../../components/Banner';
import { Button, ButtonLink } from '../../components/Button';
import { TextField } from '../../components/TextField';
import { MailIcon } from '../../components/icons';

export function ForgotPasswordPage() {
  const formRef = useRef<HTMLFormElement>(null);
  const [sentTo, setSentTo] = useState<string | null>(null);
  const request = trpc.auth.requestPasswordReset.useMutation({
    onSuccess: (_res, input) => setSentTo(input.email),
  });
  const errors = useFormErrors(request, ['email']);
  useFocusFirstInvalid(formRef, request.error);

  function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const data = new FormData(e.currentTarget);
    request.mutate({ email: fieldValue(data, 'email').trim() });
  }

  if (sentTo) {
    return (
      <AuthLayout title="Check your email">
        <div className="notice-panel" role="status">
          <span className="notice-icon">
            <MailIcon size={28} />
          </span>
          <p>
            If an account exists for <strong>{sentTo}</strong>, we sent a link to reset your password. The link works for one
            hour.
          </p>
        </div>
        <ButtonLink to="/login" variant="secondary" block>
          Back to log in
        </ButtonLink>
      </AuthLayout>
    );
  }

  return (
    <AuthLayout
      title="Reset your password"
      subtitle="Enter the email you signed up with and we'll send you a link to set a new password."
      footer={
        <p>
          Remembered it? <Link to="/login">Log in</Link>
        </p>
      }
    >
      <form ref={formRef} className="form" onSubmit={onSubmit} noValidate>
        <FormAlert message={errors.message} />
        <TextField
          label="Email"
          name="email"
          type="email"
          autoComplete="email"
          inputMode="email"
          required
          autoFocus
          error={errors.fields.email}
        />
        <Button type="submit" block loading={request.isPending}>
          Send reset link
        </Button>
      </form>
    </AuthLayout>
  );
}
