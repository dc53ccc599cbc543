// Failed payments: subscriptions in dunning, what they owe, why the charge failed, when Stripe
// retries, which dunning emails went out, and "Retry payment" (charges the open invoice now).
import { useState } from 'react';
import { Link } from 'react-router';
import { trpc } from '../../lib/trpc';
import { formatDateTime, plural } from '../../lib/format';
import { PageHeader } from '../../components/AppShell';
import { Banner } from '../../components/Banner';
import { Card } from '../../components/Card';
import { QueryState } from '../../components/QueryState';
import { AdminAction } from './AdminAction';
import { formatMoney, live, type PaymentTroubleStatus, planName, statusOf } from './admin-lib';
import { Pager } from './Pager';
import { RefreshButton } from './RefreshButton';
import { Select } from './SubscribersPage';
import { RecoveryFigures } from './RecoveryFigures';
import { RecoveriesCard } from './RecoveriesCard';

const PAGE_SIZE = 25;
const EMAIL_WORDS: Record<string, string> = { 'payment-failed': 'Payment failed', 'action-required': 'Action required' };

export function FailedPaymentsPage() {
  const [status, setStatus] = useState<'' | PaymentTroubleStatus>('');
  const [page, setPage] = useState(1);
  const [notice, setNotice] = useState<string | null>(null);
  const input = { status: status || undefined, page, pageSize: PAGE_SIZE };
  const list = trpc.admin.failedPayments.useQuery(input, { placeholderData: (p) => p, ...live() });
  const utils = trpc.useUtils();
  const asOf = list.data?.asOf;
  const overview = trpc.admin.overview.useQuery(undefined, live(5_000));

  return (
    <div className="page page-wide">
      <PageHeader
        title="Failed payments"
        description={`Subscriptions whose last payment failed, and what Stripe does next${asOf ? `, as of ${formatDateTime(asOf)}` : ''}.`}
        actions={
          <RefreshButton
            onRefresh={async () =>
              utils.admin.failedPayments.setData(input, await utils.client.admin.failedPayments.query({ ...input, fresh: true }))
            }
          />
        }
      />
      {notice && <Banner tone="success">{notice}</Banner>}
      {overview.data && <RecoveryFigures recovery={overview.data.recovery} />}
      <Card>
        <div className="admin-filters">
          <Select
            label="Status"
            value={status}
            onChange={(v) => {
              setStatus(v as typeof status);
              setPage(1);
            }}
            options={[
              ['', 'Past due, unpaid and incomplete'],
              ['past_due', 'Past due'],
              ['unpaid', 'Unpaid'],
              ['incomplete', 'Incomplete'],
            ]}
          />
        </div>
      </Card>
      <Card>
        <QueryState
          query={list}
          loadingLabel="Loading failed payments…"
          skeletonLines={4}
          isEmpty={(data) => data.rows.length === 0}
          empty={{ description: 'No failed payments. Everyone is paid up.' }}
        >
          {(data) => (
            <>
              <ul className="admin-subs">
                {data.rows.map((r) => {
                  const st = statusOf(r.status);
                  return (
                    <li key={r.subscriptionId} className="admin-sub" aria-label={`Failed payment of ${r.email ?? r.customerId}`}>
                      <div className="admin-sub-head">
                        <div>
                          {r.userId ? (
                            <Link className="admin-strong-link" to={`/app/admin/subscribers/${r.userId}`}>
                              {r.email ?? r.userId}
                            </Link>
                          ) : (
                            <code>{r.customerId}</code>
                          )}{' '}
                          <span className={`badge badge-${st.tone}`}>{st.label}</span>
                          <div className="admin-payment-amount">{formatMoney(r.amountDue, r.currency, { cents: true })} due</div>
                          <dl className="admin-facts admin-facts-compact">
                            <div className="admin-fact">
                              <dt>Plan</dt>
                              <dd>{planName(r.planId)}</dd>
                            </div>
                            <div className="admin-fact">
                              <dt>Reason</dt>
                              <dd>{r.failureReason ?? 'Unknown'}</dd>
                            </div>
                            <div className="admin-fact">
                              <dt>Attempts</dt>
                              <dd>{plural(r.attempts, 'attempt')}</dd>
                            </div>
                            <div className="admin-fact">
                              <dt>Retry schedule</dt>
                              <dd>
                                {r.retrySchedule.length === 0
                                  ? 'No more retries: Stripe has stopped trying'
                                  : r.retrySchedule
                                      .map(
                                        (s) => `attempt ${s.attempt} ${formatDateTime(s.at)}${s.scheduled ? ' (scheduled)' : ''}`,
                                      )
                                      .join(' · ')}
                              </dd>
                            </div>
                            <div className="admin-fact">
                              <dt>Dunning emails</dt>
                              <dd>
                                {r.dunningEmails.length === 0
                                  ? 'None yet'
                                  : r.dunningEmails
                                      .map(
                                        (m) =>
                                          `${EMAIL_WORDS[m.kind] ?? m.kind} (${m.status === 'sent' && m.sentAt ? `sent ${formatDateTime(m.sentAt)}` : m.status})`,
                                      )
                                      .join(', ')}
                              </dd>
                            </div>
                            <div className="admin-fact">
                              <dt>Invoice</dt>
                              <dd>
                                {r.hostedInvoiceUrl ? (
                                  <a href={r.hostedInvoiceUrl} target="_blank" rel="noreferrer">
                                    <code>{r.invoiceId}</code>
                                  </a>
                                ) : (
                                  <code>{r.invoiceId ?? '—'}</code>
                                )}
                              </dd>
                            </div>
                          </dl>
                        </div>
                        {r.invoiceId && r.invoiceStatus === 'open' && (
                          <div className="admin-actions">
                            <AdminAction
                              label="Retry payment"
                              variant="primary"
                              title="Retry this payment now?"
                              description={`Charges ${formatMoney(r.amountDue, r.currency, { cents: true })} to ${r.email ?? r.customerId}'s card on file now.`}
                              confirmLabel="Charge now"
                              doneMessage={(res) => {
                                const status = (res as { invoiceStatus: string | null }).invoiceStatus;
                                return status === 'paid' ? 'Payment succeeded.' : `The invoice is ${status ?? 'unchanged'}.`;
                              }}
                              onDone={(m) => {
                                setNotice(m);
                                void utils.admin.failedPayments.invalidate();
                              }}
                              run={(_f, actionId) =>
                                utils.client.admin.retryPayment.mutate({ invoiceId: r.invoiceId as string, actionId })
                              }
                            />
                          </div>
                        )}
                      </div>
                    </li>
                  );
                })}
              </ul>
              <Pager page={page} pageSize={PAGE_SIZE} total={data.total} label="Failed payments" onPage={setPage} />
            </>
          )}
        </QueryState>
      </Card>
      <RecoveriesCard />
    </div>
  );
}
