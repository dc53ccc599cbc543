// "Continue with GitHub / Google": plain links to the server's OAuth routes, shown only for the
// providers the server has configured.
import { trpc } from '../../lib/trpc';
import { buttonClass } from '../../components/Button';
import { GitHubIcon, GoogleIcon } from '../../components/icons';

export function OAuthButtons({ next }: { next: string }) {
  const providers = trpc.auth.providers.useQuery(undefined, { staleTime: 5 * 60_000 });
  if (!providers.data || (!providers.data.github && !providers.data.google)) return null;
  const q = `next=${encodeURIComponent(next)}`;
  return (
    <div className="oauth">
      <div className="divider">
        <span>or</span>
      </div>
      <div className="oauth-buttons">
        {providers.data.github && (
          <a className={buttonClass('secondary', 'md', true)} href={`/auth/oauth/github?${q}`}>
            <GitHubIcon />
            Continue with GitHub
          </a>
        )}
        {providers.data.google && (
          <a className={buttonClass('secondary', 'md', true)} href={`/auth/oauth/google?${q}`}>
            <GoogleIcon />
            Continue with Google
          </a>
        )}
      </div>
    </div>
  );
}
