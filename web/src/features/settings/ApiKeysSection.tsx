// Personal API keys for the developer API: create one with a name (shown once, with a copy button),
// list them, revoke any. The server keeps only a hash. At the plan's limit the form gives way to
// what the plan allows and the upgrade that allows more.
import { type FormEvent, useState } from 'react';
import { trpc } from '../../lib/trpc';
import { formErrors } from '../../lib/errors';
import { formatDateTime, timeAgo } from '../../lib/format';
import { Banner } from '../../components/Banner';
import { Button, ButtonLink } from '../../components/Button';
import { Card } from '../../components/Card';
import { QueryState } from '../../components/QueryState';
import { TextField } from '../../components/TextField';
import { CodeIcon } from '../../components/icons';
import '../library/library.css';

export function ApiKeysSection() {
  const utils = trpc.useUtils();
  const keys = trpc.apiKeys.list.useQuery();
  const [name, setName] = useState('');
  const [shown, setShown] = useState<{ key: string; name: string } | null>(null);
  const [copied, setCopied] = useState(false);
  const [status, setStatus] = useState<string | null>(null);
  const create = trpc.apiKeys.create.useMutation({
    onSuccess: async (res) => {
      setShown({ key: res.key, name: res.apiKey.name });
      setCopied(false);
      setName('');
      setStatus(null);
      await utils.apiKeys.list.invalidate();
    },
  });
  const revoke = trpc.apiKeys.revoke.useMutation({
    onSuccess: async () => {
      setStatus('API key revoked. Requests with it are now refused.');
      await utils.apiKeys.list.invalidate();
    },
  });
  const createErrors = formErrors(create.error, ['name']);
  const needsUpgrade = create.error?.data?.code === 'PAYMENT_REQUIRED';
  const atLimit = keys.data ? keys.data.keys.length >= keys.data.max : false;

  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate({ name });
  };
  const copy = async () => {
    if (!shown) return;
    await navigator.clipboard.writeText(shown.key).catch(() => {});
    setCopied(true);
  };

  return (
    <Card
      title="API keys"
      description={
        <>
          Use a key as <code>Authorization: Bearer &lt;key&gt;</code> on the DropIn API at <code>/api/v1</code>. Each answered
          call counts towards your plan's API calls; errors and refusals do not. The <a href="/api/docs">API reference</a> lists
          every call, and you can try them there with a key.
        </>
      }
    >
      {status && <Banner tone="success">{status}</Banner>}
      {revoke.error && <Banner tone="error">{formErrors(revoke.error).message}</Banner>}
      {shown && (
        <Banner tone="success" title={`Your new key “${shown.name}”`}>
          <p>Copy it now: it is shown only once.</p>
          <p className="api-key-once">
            <input
              className="input api-key-value"
              readOnly
              aria-label="New API key"
              value={shown.key}
              onFocus={(e) => e.currentTarget.select()}
            />
            <Button size="sm" variant="secondary" onClick={() => void copy()}>
              {copied ? 'Copied' : 'Copy'}
            </Button>
          </p>
        </Banner>
      )}
      {/* The form waits for the list: it is not offered only to be taken away at the limit. */}
      {keys.isPending ? null : atLimit && keys.data ? (
        // At the plan's limit a form would only be refused: say why, and how to get more.
        <Banner
          tone="info"
          title={`${keys.data.plan} allows ${keys.data.max} API key${keys.data.max === 1 ? '' : 's'}`}
          action={
            keys.data.upgrade ? (
              <ButtonLink to="/pricing" size="sm">
                Upgrade to {keys.data.upgrade.plan}
              </ButtonLink>
            ) : undefined
          }
        >
          {keys.data.upgrade
            ? `Revoke a key below to create another, or upgrade to ${keys.data.upgrade.plan} for ${keys.data.upgrade.max} keys.`
            : 'Revoke a key below to create another.'}
        </Banner>
      ) : (
        <form className="api-key-form" onSubmit={submit} noValidate>
          <TextField
            label="Key name"
            name="name"
            value={name}
            onChange={(e) => setName(e.target.value)}
            error={createErrors.fields.name}
            hint="Say where it is used, e.g. “Reporting script”."
            maxLength={60}
          />
          <div className="button-row">
            <Button type="submit" loading={create.isPending}>
              Create key
            </Button>
          </div>
        </form>
      )}
      {createErrors.message && (
        <Banner
          tone="error"
          action={
            needsUpgrade ? (
              <ButtonLink to="/pricing" size="sm">
                Upgrade
              </ButtonLink>
            ) : undefined
          }
        >
          {createErrors.message}
        </Banner>
      )}
      <QueryState
        query={keys}
        loadingLabel="Loading API keys…"
        skeletonLines={2}
        isEmpty={(data) => data.keys.length === 0}
        empty={(data) => ({ description: `No API keys yet. Your plan allows ${data.max}.` })}
      >
        {(data) => (
          <>
            <p className="muted">
              {data.keys.length} of {data.max} keys in use.
            </p>
            <ul className="item-list" aria-label="Your API keys">
              {data.keys.map((k) => {
                const labelId = `api-key-${k.id}`;
                return (
                  <li key={k.id} className="item" aria-labelledby={labelId}>
                    <span className="item-icon">
                      <CodeIcon />
                    </span>
                    <div className="item-main">
                      <p className="item-title">
                        <span id={labelId}>{k.name}</span>
                      </p>
                      <p className="item-meta">
                        <code>{k.prefix}…</code>
                        <span aria-hidden="true">·</span>
                        <span title={formatDateTime(k.createdAt)}>created {timeAgo(k.createdAt)}</span>
                        <span aria-hidden="true">·</span>
                        <span>{k.lastUsedAt ? `last used ${timeAgo(k.lastUsedAt)}` : 'never used'}</span>
                      </p>
                    </div>
                    <Button
                      variant="secondary"
                      size="sm"
                      onClick={() => revoke.mutate({ id: k.id })}
                      loading={revoke.isPending && revoke.variables?.id === k.id}
                      aria-label={`Revoke ${k.name}`}
                    >
                      Revoke
                    </Button>
                  </li>
                );
              })}
            </ul>
          </>
        )}
      </QueryState>
    </Card>
  );
}
