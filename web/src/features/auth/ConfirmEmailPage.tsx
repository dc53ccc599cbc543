// The one-click link from the verification email (/confirm-email?token=…). Opening it only shows
// this page; the address is verified when the person presses the button (a POST), so mail scanners
// and link previews that fetch the link do not spend it. Works signed out: then it verifies and
// sends the person to log in; in the browser that signed up, straight to the app.
import { useState } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { webPages } from '../../../../src/lib/web-routes';
import { trpc } from '../../lib/trpc';
import { formErrors } from '../../lib/errors';
import { AuthLayout } from '../../components/AuthLayout';
import { Banner, FormAlert } from '../../components/Banner';
import { Button, ButtonLink } from '../../components/Button';
import { useRefreshMe } from './session';

export function ConfirmEmailPage() {
  const [params] = useSearchParams();
  const token = params.get('token') ?? '';
  const navigate = useNavigate();
  const refreshMe = useRefreshMe();
  const [leaving, setLeaving] = useState(false);
  const confirm = trpc.auth.verifyEmailLink.useMutation({
    onSuccess: async (res) => {
      setLeaving(true);
      if (!res.signedIn) {
        navigate(`${webPages.login}?notice=email-verified`, { replace: true });
        return;
      }
      await refreshMe().catch(() => undefined);
      navigate(webPages.dashboard, { replace: true, state: { notice: 'Your email is verified. Welcome to DropIn!' } });
    },
  });
  const message = formErrors(confirm.error).message;

  if (!token) {
    return (
      <AuthLayout title="Confirmation link incomplete">
        <Banner tone="error">
          This link is missing its code. Open the link from the email again, or enter the code instead.
        </Banner>
        <ButtonLink to={webPages.verifyEmail} block>
          Enter the code
        </ButtonLink>
      </AuthLayout>
    );
  }

  return (
    <AuthLayout
      title="Confirm your email"
      subtitle="Confirm that this email address is yours to finish setting up your DropIn account."
      footer={
        <p>
          <Link to={webPages.verifyEmail}>Enter the code instead</Link> · <Link to={webPages.login}>Log in</Link>
        </p>
      }
    >
      <FormAlert message={message} />
      <Button block loading={confirm.isPending || leaving} onClick={() => confirm.mutate({ token })}>
        Confirm my email
      </Button>
    </AuthLayout>
  );
}
