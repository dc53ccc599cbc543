// GitHub / Google accounts linked for signing in. Linking goes through the server's OAuth route
// and comes back here; unlinking is refused while it would leave no way to sign in. Hidden on a
// server with no provider configured, unless an account linked earlier is still there to unlink.
import { trpc } from '../../lib/trpc';
import { formErrors } from '../../lib/errors';
import { formatDate } from '../../lib/format';
import { Banner } from '../../components/Banner';
import { Button, buttonClass } from '../../components/Button';
import { Card } from '../../components/Card';
import { QueryState } from '../../components/QueryState';
import { GitHubIcon, GoogleIcon } from '../../components/icons';

type Provider = 'github' | 'google';
export const providerLabel: Record<Provider, string> = { github: 'GitHub', google: 'Google' };
const providerIcon: Record<Provider, () => React.JSX.Element> = {
  github: () => <GitHubIcon size={20} />,
  google: () => <GoogleIcon size={20} />,
};

export function ConnectedAccountsSection() {
  const utils = trpc.useUtils();
  const accounts = trpc.account.connectedAccounts.useQuery();
  const providers = trpc.auth.providers.useQuery(undefined, { staleTime: 5 * 60_000 });
  const unlink = trpc.account.unlinkProvider.useMutation({
    onSuccess: () => utils.account.connectedAccounts.invalidate(),
  });
  const unlinkError = formErrors(unlink.error).message;
  // The list needs both answers; a failed providers query counts as no providers set up.
  const bothLoaded = providers.isPending ? { ...accounts, status: 'pending' as const, data: undefined } : accounts;

  const shown = (['github', 'google'] as const).filter(
    (p) => providers.data?.[p] || accounts.data?.accounts.some((a) => a.provider === p),
  );
  // No provider set up on this server (the same answer that hides the login page's buttons) and
  // nothing linked from before: there is nothing to show or do here.
  const noProviders = (providers.isSuccess || providers.isError) && !providers.data?.github && !providers.data?.google;
  if (noProviders && !accounts.data?.accounts.length) return null;

  return (
    <Card title="Connected accounts" description="Sign in to DropIn with GitHub or Google.">
      {unlinkError && <Banner tone="error">{unlinkError}</Banner>}
      <QueryState query={bothLoaded} loadingLabel="Loading connected accounts…" skeletonLines={2}>
        {(data) => (
          <ul className="item-list">
            {shown.map((p) => {
              const linked = data.accounts.find((a) => a.provider === p);
              const Icon = providerIcon[p];
              const label = providerLabel[p];
              const hintId = `unlink-hint-${p}`;
              return (
                <li key={p} className="item">
                  <span className="item-icon">
                    <Icon />
                  </span>
                  <div className="item-main">
                    <p className="item-title">
                      {label}
                      {linked && <span className="badge badge-success">Connected</span>}
                    </p>
                    <p className="item-meta">
                      {linked ? (
                        <>
                          <span>{linked.username || linked.email || 'Connected account'}</span>
                          <span aria-hidden="true">·</span>
                          <span>since {formatDate(linked.createdAt)}</span>
                        </>
                      ) : (
                        <span>Not connected</span>
                      )}
                    </p>
                    {linked && !data.canUnlink && (
                      <p id={hintId} className="item-meta">
                        Set a password first: this is your only way to sign in.
                      </p>
                    )}
                  </div>
                  {linked ? (
                    <Button
                      variant="secondary"
                      size="sm"
                      disabled={!data.canUnlink}
                      aria-describedby={!data.canUnlink ? hintId : undefined}
                      loading={unlink.isPending && unlink.variables?.provider === p}
                      onClick={() => unlink.mutate({ provider: p })}
                    >
                      Unlink {label}
                    </Button>
                  ) : providers.data?.[p] ? (
                    <a className={buttonClass('secondary', 'sm')} href={`/auth/oauth/${p}?link=1&next=/app/settings`}>
                      Connect {label}
                    </a>
                  ) : null}
                </li>
              );
            })}
          </ul>
        )}
      </QueryState>
    </Card>
  );
}
