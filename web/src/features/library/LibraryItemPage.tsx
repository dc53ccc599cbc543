// One library item: its body, a Download button for files, the runner for tools. A locked item says
// which plan unlocks it; a used-up download quota says how to get more.
import { useState } from 'react';
import { Link, useParams } from 'react-router';
import { trpc } from '../../lib/trpc';
import { formErrors } from '../../lib/errors';
import { Banner } from '../../components/Banner';
import { Button, ButtonLink } from '../../components/Button';
import { Card } from '../../components/Card';
import { EmptyState } from '../../components/EmptyState';
import { QueryState } from '../../components/QueryState';
import { BookIcon } from '../../components/icons';
import { Markdown } from './Markdown';
import { PlanBadge, kindLabel } from './PlanBadge';
import { ToolRunner } from './ToolRunner';
import './library.css';

function formatBytes(n: number): string {
  return n < 1024 ? `${n} B` : n < 1024 * 1024 ? `${(n / 1024).toFixed(1)} KB` : `${(n / 1024 / 1024).toFixed(1)} MB`;
}

export function LibraryItemPage() {
  const { slug = '' } = useParams();
  const utils = trpc.useUtils();
  const item = trpc.content.get.useQuery({ slug }, { retry: false });
  const [status, setStatus] = useState<string | null>(null);
  const download = trpc.content.download.useMutation({
    onSuccess: async (res) => {
      setStatus(
        res.remaining === null
          ? 'Your download has started.'
          : `Your download has started. ${res.remaining} download${res.remaining === 1 ? '' : 's'} left this period.`,
      );
      await utils.usage.invalidate();
      window.location.assign(res.url);
    },
  });
  const downloadError = download.error ? formErrors(download.error).message : null;
  const quotaUsed = download.error?.data?.code === 'PAYMENT_REQUIRED';

  const back = (
    <p className="library-back">
      <Link to="/app/library">← Back to the library</Link>
    </p>
  );

  // No access and no such item are answers, not failures: each says what it means and what to do.
  const refusal = item.error?.data?.code;
  if (refusal === 'FORBIDDEN' || refusal === 'NOT_FOUND') {
    return (
      <div className="page">
        {back}
        {refusal === 'FORBIDDEN' ? (
          <EmptyState
            headingLevel={1}
            icon={<BookIcon size={28} />}
            title={item.error?.message.replace(/^This item unlocks/, 'Unlocks').replace(/\.$/, '')}
            action={<ButtonLink to="/pricing">Upgrade</ButtonLink>}
          >
            This item is part of a higher plan. Upgrade to open it; you can change or cancel any time.
          </EmptyState>
        ) : (
          <EmptyState headingLevel={1} icon={<BookIcon size={28} />} title="Item not found">
            It may have been removed from the library.
          </EmptyState>
        )}
      </div>
    );
  }
  const it = item.data;
  if (!it) {
    return (
      <div className="page">
        {back}
        <QueryState query={item} loadingLabel="Loading…" skeletonLines={8}>
          {() => null}
        </QueryState>
      </div>
    );
  }

  return (
    <div className="page page-library-item">
      {back}
      <header className="page-header">
        <div>
          <p className="library-card-top">
            <span className="badge">{kindLabel[it.kind]}</span>
            <PlanBadge plan={it.minPlan} name={it.requiredPlanName} />
          </p>
          <h1 className="page-title">{it.title}</h1>
          <p className="page-description">{it.summary}</p>
        </div>
      </header>
      {it.file && (
        <Card title="Download" description={`${it.file.name} · ${formatBytes(it.file.size)}`}>
          {status && <Banner tone="success">{status}</Banner>}
          {downloadError && (
            <Banner
              tone="error"
              action={
                quotaUsed ? (
                  <ButtonLink to="/pricing" size="sm">
                    Upgrade
                  </ButtonLink>
                ) : undefined
              }
            >
              {downloadError}
            </Banner>
          )}
          <p className="muted">
            Each download counts towards your plan's downloads for this period. The link works for 5 minutes.
          </p>
          <div className="button-row">
            <Button
              onClick={() => download.mutate({ slug: it.slug, actionId: crypto.randomUUID().replaceAll('-', '') })}
              loading={download.isPending}
            >
              Download
            </Button>
          </div>
        </Card>
      )}
      {it.tool && (
        <Card
          title="Run the tool"
          footer={
            <p className="muted tool-api-note">
              Runs on this page count nothing. Through the API, <code>POST /api/v1/tools/{it.slug}/run</code> with the same input
              as JSON counts as one API call per run.
            </p>
          }
        >
          <ToolRunner key={it.slug} slug={it.slug} tool={it.tool} />
        </Card>
      )}
      {it.body && (
        <Card>
          <Markdown source={it.body} />
        </Card>
      )}
    </div>
  );
}
