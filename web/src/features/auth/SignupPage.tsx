// Create an account. A new address is logged in at once and asked for its emailed code; for an
// address that already has an account the server answers the same way without logging in (so the
// page cannot reveal who is registered) and we ask the person to check their email.
import { type FormEvent, useRef, useState } from 'react';
import { Link, Navigate, useNavigate, useSearchParams } from 'react-router';
import { trpc } from '../../lib/trpc';
import { fieldValue, useFocusFirstInvalid, useFormErrors } from '../../lib/hooks';
import { safeNext } from '../../lib/safe-next';
import { AuthLayout } from '../../components/AuthLayout';
import { FormAlert } from '../../components/Banner';
import { Button, ButtonLink } from '../../components/Button';
import { TextField } from '../../components/TextField';
import { MailIcon } from '../../components/icons';
import { OAuthButtons } from './OAuthButtons';
import { useMe, useRefreshMe } from './session';

export function SignupPage() {
  const [params] = useSearchParams();
  const next = safeNext(params.get('next'));
  const me = useMe();
  const refreshMe = useRefreshMe();
  const navigate = useNavigate();
  const formRef = useRef<HTMLFormElement>(null);
  const [done, setDone] = useState(false);
  const [checkEmail, setCheckEmail] = useState<string | null>(null);

  const signup = trpc.auth.signup.useMutation({
    onSuccess: async (_res, input) => {
      setDone(true);
      const fresh = await refreshMe().catch(() => null);
      if (fresh?.user) navigate('/verify-email', { replace: true });
      else setCheckEmail(input.email);
    },
  });
  const errors = useFormErrors(signup, ['name', 'email', 'password']);
  useFocusFirstInvalid(formRef, signup.error);

  if (me.data?.user && !done) return <Navigate to={next} replace />;

  if (checkEmail) {
    return (
      <AuthLayout title="Check your email">
        <div className="notice-panel" role="status">
          <span className="notice-icon">
            <MailIcon size={28} />
          </span>
          <p>
            We sent a message to <strong>{checkEmail}</strong> with what to do next. It can take a minute to arrive; check your
            spam folder too.
          </p>
        </div>
        <ButtonLink to="/login" variant="secondary" block>
          Back to log in
        </ButtonLink>
      </AuthLayout>
    );
  }

  function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const data = new FormData(e.currentTarget);
    const name = fieldValue(data, 'name').trim();
    signup.mutate({
      email: fieldValue(data, 'email').trim(),
      password: fieldValue(data, 'password'),
      ...(name ? { name } : {}),
    });
  }

  return (
    <AuthLayout
      title="Create your account"
      subtitle="Start on the Free plan. Upgrade whenever you need more."
      footer={
        <p>
          Already have an account?{' '}
          <Link to={params.get('next') ? `/login?next=${encodeURIComponent(next)}` : '/login'}>Log in</Link>
        </p>
      }
    >
      <form ref={formRef} className="form" onSubmit={onSubmit} noValidate>
        <FormAlert message={errors.message} />
        <TextField label="Name" name="name" autoComplete="name" optional error={errors.fields.name} />
        <TextField
          label="Email"
          name="email"
          type="email"
          autoComplete="email"
          inputMode="email"
          required
          error={errors.fields.email}
        />
        <TextField
          label="Password"
          name="password"
          type="password"
          autoComplete="new-password"
          required
          hint="At least 8 characters. Long passphrases are welcome."
          error={errors.fields.password}
        />
        <Button type="submit" block loading={signup.isPending}>
          Create account
        </Button>
      </form>
      <OAuthButtons next={next} />
      <p className="fine-print">We'll email you a 6-digit code to confirm your address.</p>
    </AuthLayout>
  );
}
