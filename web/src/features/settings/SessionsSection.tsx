// Where the account is logged in: device, IP, last activity; revoke any other session, or log out
// everywhere at once.
import { useState } from 'react';
import { trpc } from '../../lib/trpc';
import { formErrors } from '../../lib/errors';
import { describeDevice, formatDateTime, isMobileDevice, timeAgo } from '../../lib/format';
import { Banner } from '../../components/Banner';
import { Button } from '../../components/Button';
import { Card } from '../../components/Card';
import { QueryState } from '../../components/QueryState';
import { DeviceIcon, PhoneIcon } from '../../components/icons';
import { leaveSignedOut } from '../auth/session';

export function SessionsSection() {
  const utils = trpc.useUtils();
  const sessions = trpc.account.sessions.useQuery();
  const [status, setStatus] = useState<string | null>(null);
  const revoke = trpc.account.revokeSession.useMutation({
    onSuccess: async () => {
      setStatus('Session revoked.');
      await utils.account.sessions.invalidate();
    },
  });
  const everywhere = trpc.auth.logoutEverywhere.useMutation({
    onSuccess: async (res) => {
      // If this session went too, we are logged out: start over at the login page.
      const me = await utils.client.auth.me.query().catch(() => null);
      if (!me?.user) {
        leaveSignedOut('/login?notice=logged-out-everywhere');
        return;
      }
      setStatus(`Logged out ${res.revoked} other ${res.revoked === 1 ? 'session' : 'sessions'}.`);
      await utils.account.sessions.invalidate();
    },
  });
  const actionError = formErrors(revoke.error ?? everywhere.error).message;

  const list = [...(sessions.data?.sessions ?? [])].sort(
    (a, b) => Number(b.current) - Number(a.current) || new Date(b.lastSeenAt).getTime() - new Date(a.lastSeenAt).getTime(),
  );

  return (
    <Card
      title="Sessions"
      description="Devices where you're logged in. Revoke any you don't recognise."
      footer={
        <div className="footer-split">
          <p className="muted">Logs out every device, including this one.</p>
          <Button variant="secondary" onClick={() => everywhere.mutate({})} loading={everywhere.isPending}>
            Log out everywhere
          </Button>
        </div>
      }
    >
      {actionError && <Banner tone="error">{actionError}</Banner>}
      {status && <Banner tone="success">{status}</Banner>}
      <QueryState
        query={sessions}
        loadingLabel="Loading sessions…"
        isEmpty={(data) => data.sessions.length === 0}
        empty={{ description: 'No active sessions.' }}
      >
        {() => (
          <ul className="item-list">
            {list.map((s) => {
              const device = describeDevice(s.userAgent);
              const labelId = `session-${s.id}`;
              return (
                <li key={s.id} className="item" aria-labelledby={labelId}>
                  <span className="item-icon">{isMobileDevice(s.userAgent) ? <PhoneIcon /> : <DeviceIcon />}</span>
                  <div className="item-main">
                    <p className="item-title">
                      <span id={labelId}>{device}</span>
                      {s.current && <span className="badge badge-brand">This device</span>}
                    </p>
                    <p className="item-meta">
                      <span>{s.ip || 'Unknown IP'}</span>
                      <span aria-hidden="true">·</span>
                      <span>
                        Last seen{' '}
                        <time dateTime={new Date(s.lastSeenAt).toISOString()} title={formatDateTime(s.lastSeenAt)}>
                          {timeAgo(s.lastSeenAt)}
                        </time>
                      </span>
                      <span aria-hidden="true">·</span>
                      <span>Signed in {formatDateTime(s.createdAt)}</span>
                    </p>
                  </div>
                  {!s.current && (
                    <Button
                      variant="secondary"
                      size="sm"
                      aria-describedby={labelId}
                      loading={revoke.isPending && revoke.variables?.id === s.id}
                      onClick={() => {
                        setStatus(null);
                        revoke.mutate({ id: s.id });
                      }}
                    >
                      Revoke
                    </Button>
                  )}
                </li>
              );
            })}
          </ul>
        )}
      </QueryState>
    </Card>
  );
}
