// Log in with email and password (or a configured OAuth provider), then go to ?next= when it is a
// path on this site, else the dashboard.
import { type FormEvent, useRef, useState } from 'react';
import { Link, Navigate, useNavigate, useSearchParams } from 'react-router';
import { trpc } from '../../lib/trpc';
import { fieldValue, useFocusFirstInvalid, useFormErrors } from '../../lib/hooks';
import { noticeFor, oauthErrorFor } from '../../lib/notices';
import { safeNext } from '../../lib/safe-next';
import { AuthLayout } from '../../components/AuthLayout';
import { Banner, FormAlert } from '../../components/Banner';
import { Button } from '../../components/Button';
import { TextField } from '../../components/TextField';
import { OAuthButtons } from './OAuthButtons';
import { useMe, useRefreshMe } from './session';
import { TwoFactorStep } from './TwoFactorStep';

/**
 * A pending login handed over by the OAuth callback in the fragment (#two-factor=…), which no server
 * sees; it is removed from the address bar once read.
 */
function takePendingTokenFromHash(): string | null {
  const token = new URLSearchParams(window.location.hash.slice(1)).get('two-factor');
  if (!token) return null;
  window.history.replaceState(window.history.state, '', window.location.pathname + window.location.search);
  return /^[A-Za-z0-9_-]{16,200}$/.test(token) ? token : null;
}

export function LoginPage() {
  const [params] = useSearchParams();
  const next = safeNext(params.get('next'));
  const notice = noticeFor(params.get('notice'));
  const oauthError = oauthErrorFor(params.get('error'));
  const me = useMe();
  const refreshMe = useRefreshMe();
  const navigate = useNavigate();
  const formRef = useRef<HTMLFormElement>(null);
  const [done, setDone] = useState(false);
  const [pendingToken, setPendingToken] = useState<string | null>(takePendingTokenFromHash);

  const signedIn = async () => {
    setDone(true);
    await refreshMe().catch(() => undefined);
    navigate(next, { replace: true });
  };
  const login = trpc.auth.login.useMutation({
    onSuccess: async (res) => {
      if (res.twoFactorRequired) setPendingToken(res.pendingToken);
      else await signedIn();
    },
  });
  const errors = useFormErrors(login, ['email', 'password']);
  useFocusFirstInvalid(formRef, login.error);

  if (me.data?.user && !done) return <Navigate to={next} replace />;

  if (pendingToken) {
    return (
      <AuthLayout title="Two-factor authentication" subtitle="One more step: confirm it's you.">
        <TwoFactorStep
          pendingToken={pendingToken}
          onSignedIn={signedIn}
          onRestart={() => {
            login.reset();
            setPendingToken(null);
          }}
        />
      </AuthLayout>
    );
  }

  function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const data = new FormData(e.currentTarget);
    login.mutate({ email: fieldValue(data, 'email').trim(), password: fieldValue(data, 'password') });
  }

  return (
    <AuthLayout
      title="Log in"
      subtitle="Welcome back to DropIn."
      footer={
        <p>
          New to DropIn? <Link to={params.get('next') ? `/signup?next=${encodeURIComponent(next)}` : '/signup'}>Sign up</Link>
        </p>
      }
    >
      {notice && <Banner tone="success">{notice}</Banner>}
      {!notice && !oauthError && params.get('next') && <Banner tone="info">Log in to continue.</Banner>}
      {oauthError && <Banner tone="error">{oauthError}</Banner>}
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
        <div className="field-with-link">
          <TextField
            label="Password"
            name="password"
            type="password"
            autoComplete="current-password"
            required
            error={errors.fields.password}
          />
          <Link className="field-link" to="/forgot-password">
            Forgot password?
          </Link>
        </div>
        <Button type="submit" block loading={login.isPending}>
          Log in
        </Button>
      </form>
      <OAuthButtons next={next} />
    </AuthLayout>
  );
}
