// One subscriber: account, subscriptions, invoices, usage, sessions, webhook events and the audit
// trail, with the admin actions (each confirmed in a dialog, each audited on the server).
import { useState } from 'react';
import { Link, useParams } from 'react-router';
import { trpc } from '../../lib/trpc';
import { describeDevice, formatDate, formatDateTime, plural, timeAgo } from '../../lib/format';
import { isOpen } from '../../../../src/billing/status';
import { PageHeader } from '../../components/AppShell';
import { Banner } from '../../components/Banner';
import { Card } from '../../components/Card';
import { QueryState } from '../../components/QueryState';
import { CreditNotes } from '../billing/CreditNotes';
import { AdminAction } from './AdminAction';
import { AuditLog } from './AuditLog';
import { formatMoney, invoiceStatus, live, planName, refundOf, statusOf, type SubscriberDetail } from './admin-lib';
import { RefundAction } from './RefundAction';

export function SubscriberPage() {
  const { userId = '' } = useParams();
  // Read again each time it opens, not polled: every read of a subscriber's page is audited.
  const detail = trpc.admin.subscriber.useQuery({ userId }, live());
  const [notice, setNotice] = useState<string | null>(null);
  const d = detail.data;

  return (
    <div className="page page-wide">
      <p>
        <Link to="/app/admin/subscribers" className="small-link">
          ← All subscribers
        </Link>
      </p>
      <PageHeader
        title={d ? d.account.email : 'Subscriber'}
        description={d ? `${d.account.name || 'No name'} · account since ${formatDate(d.account.createdAt)}` : undefined}
      />
      {notice && <Banner tone="success">{notice}</Banner>}
      <QueryState
        query={detail}
        loadingLabel="Loading subscriber…"
        skeletonLines={5}
        placeholder={(skeleton) => <Card>{skeleton}</Card>}
        errorTitle="We couldn't load this subscriber"
      >
        {(d) => (
          <>
            <AccountCard d={d} onDone={setNotice} />
            <SubscriptionsCard d={d} onDone={setNotice} />
            <InvoicesCard d={d} onDone={setNotice} />
            {d.usage && <UsageCard usage={d.usage} />}
            {d.meterErrors.length > 0 && <MeterErrorsCard d={d} />}
            <SessionsCard d={d} onDone={setNotice} />
            <EventsCard d={d} />
            <AuditCard d={d} />
          </>
        )}
      </QueryState>
    </div>
  );
}

function AccountCard({ d, onDone }: { d: SubscriberDetail; onDone: (m: string) => void }) {
  const utils = trpc.useUtils();
  const a = d.account;
  return (
    <Card
      title="Account"
      actions={
        <div className="admin-actions">
          {a.stripeCustomerId && (
            <AdminAction
              label="Resync from Stripe"
              title="Resync from Stripe?"
              description="Reads this customer's subscriptions from Stripe and updates our copy. Nothing changes in Stripe."
              confirmLabel="Resync"
              doneMessage="Resynced from Stripe."
              onDone={onDone}
              run={(_f, actionId) => utils.client.admin.resync.mutate({ userId: a.id, actionId })}
            />
          )}
          {a.disabled ? (
            <AdminAction
              label="Enable account"
              title="Enable this account?"
              description={`${a.email} will be able to log in again.`}
              confirmLabel="Enable account"
              doneMessage="Account enabled."
              onDone={onDone}
              run={(_f, actionId) => utils.client.admin.setDisabled.mutate({ userId: a.id, disabled: false, actionId })}
            />
          ) : (
            <AdminAction
              label="Disable account"
              title="Disable this account?"
              description={`${a.email} is logged out everywhere at once and cannot log in until enabled again. Their subscription is not touched.`}
              confirmLabel="Disable account"
              danger
              doneMessage="Account disabled and logged out everywhere."
              onDone={onDone}
              run={(_f, actionId) => utils.client.admin.setDisabled.mutate({ userId: a.id, disabled: true, actionId })}
            />
          )}
          {a.twoFactorEnabled && (
            <AdminAction
              label="Reset two-factor"
              title="Reset two-factor authentication?"
              description={`${a.email} can then sign in with their password alone, until they turn two-factor on again. Do this only once you are sure it is them (a lost phone and lost recovery codes). It is recorded in the audit log.`}
              confirmLabel="Reset two-factor"
              danger
              doneMessage="Two-factor authentication reset."
              onDone={onDone}
              run={(_f, actionId) => utils.client.admin.resetTwoFactor.mutate({ userId: a.id, actionId })}
            />
          )}
          {a.role === 'admin' ? (
            <AdminAction
              label="Remove admin role"
              title="Remove the admin role?"
              description={`${a.email} loses access to the admin area on their very next request.`}
              confirmLabel="Make a normal user"
              danger
              doneMessage="Admin role removed."
              onDone={onDone}
              run={(_f, actionId) => utils.client.admin.setRole.mutate({ userId: a.id, role: 'user', actionId })}
            />
          ) : (
            <AdminAction
              label="Make admin"
              title="Make this user an admin?"
              description={`${a.email} will see every subscriber and can act on them. Every action they take is audited.`}
              confirmLabel="Make admin"
              doneMessage="Now an admin."
              onDone={onDone}
              run={(_f, actionId) => utils.client.admin.setRole.mutate({ userId: a.id, role: 'admin', actionId })}
            />
          )}
        </div>
      }
    >
      <dl className="admin-facts">
        <Fact label="Email">
          {a.email}{' '}
          {a.emailVerified ? (
            <span className="badge badge-success">Verified</span>
          ) : (
            <span className="badge badge-warning">Unverified</span>
          )}
        </Fact>
        <Fact label="Role">{a.role === 'admin' ? 'Admin' : 'User'}</Fact>
        <Fact label="Two-factor">
          {a.twoFactorEnabled ? <span className="badge badge-success">On</span> : <span className="badge">Off</span>}
        </Fact>
        <Fact label="State">
          {a.disabled ? (
            <span className="badge badge-danger">Disabled</span>
          ) : (
            <span className="badge badge-success">Active</span>
          )}
        </Fact>
        <Fact label="Stripe customer">{a.stripeCustomerId ? <code>{a.stripeCustomerId}</code> : '—'}</Fact>
        <Fact label="User id">
          <code>{a.id}</code>
        </Fact>
      </dl>
    </Card>
  );
}

function Fact({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <div className="admin-fact">
      <dt>{label}</dt>
      <dd>{children}</dd>
    </div>
  );
}

function SubscriptionsCard({ d, onDone }: { d: SubscriberDetail; onDone: (m: string) => void }) {
  const utils = trpc.useUtils();
  const coupons = trpc.admin.coupons.useQuery(undefined, { staleTime: 60_000 });
  if (d.subscriptions.length === 0) {
    return (
      <Card title="Subscriptions">
        <p className="muted">No subscriptions: this account is on the Free plan.</p>
      </Card>
    );
  }
  return (
    <Card title="Subscriptions" description="Newest first, with the history of earlier ones.">
      <ul className="admin-subs">
        {d.subscriptions.map((s) => {
          const st = statusOf(s.status);
          const live = isOpen(s.status);
          const trialEnd = s.trialEnd ? new Date(s.trialEnd) : null;
          const suggested = new Date(Math.max(Date.now(), trialEnd?.getTime() ?? 0) + 7 * 86_400_000).toISOString().slice(0, 10);
          return (
            <li key={s.subscriptionId} className="admin-sub">
              <div className="admin-sub-head">
                <div>
                  <strong>
                    {planName(s.planId)} {s.interval ? `(${s.interval === 'month' ? 'monthly' : 'yearly'})` : ''}
                  </strong>{' '}
                  <span className={`badge badge-${st.tone}`}>{st.label}</span>
                  {s.cancelAtPeriodEnd && <span className="badge badge-warning admin-badge-gap">Cancels at period end</span>}
                  <div className="muted admin-small">
                    <code>{s.subscriptionId}</code> · {s.unitAmount === null ? '—' : formatMoney(s.unitAmount, s.currency)} ·
                    started {formatDate(s.created)}
                    {s.trialEnd && s.status === 'trialing' ? ` · trial ends ${formatDate(s.trialEnd)}` : ''}
                    {s.currentPeriodEnd && live ? ` · period ends ${formatDate(s.currentPeriodEnd)}` : ''}
                    {s.endedAt ? ` · ended ${formatDate(s.endedAt)}` : ''}
                  </div>
                  {s.latestInvoice && s.latestInvoice.status === 'open' && (
                    <div className="admin-small admin-danger-text">
                      Open invoice {formatMoney(s.latestInvoice.amountDue, s.latestInvoice.currency)},{' '}
                      {plural(s.latestInvoice.attemptCount, 'attempt')}
                      {s.latestInvoice.nextPaymentAttempt
                        ? `, next retry ${formatDateTime(s.latestInvoice.nextPaymentAttempt)}`
                        : ''}
                    </div>
                  )}
                </div>
                {live && (
                  <div className="admin-actions">
                    {s.status === 'trialing' && (
                      <AdminAction
                        label="Extend trial"
                        title="Extend the trial?"
                        description={`The trial currently ends ${trialEnd ? formatDate(trialEnd) : 'now'}. Nothing is charged until the new date.`}
                        confirmLabel="Extend trial"
                        doneMessage="Trial extended."
                        onDone={onDone}
                        fields={
                          <div className="field">
                            <label className="field-label" htmlFor={`trial-${s.subscriptionId}`}>
                              New trial end
                            </label>
                            <input
                              id={`trial-${s.subscriptionId}`}
                              name="trialEnd"
                              type="date"
                              className="input"
                              defaultValue={suggested}
                              required
                            />
                          </div>
                        }
                        run={(f, actionId) => {
                          const day = String(f.get('trialEnd') ?? '');
                          // Noon UTC on the chosen day: the same calendar day in every admin's time zone.
                          const when = new Date(`${day}T12:00:00Z`);
                          if (Number.isNaN(when.getTime())) throw new Error('Choose a date.');
                          return utils.client.admin.extendTrial.mutate({
                            subscriptionId: s.subscriptionId,
                            trialEnd: when.toISOString(),
                            actionId,
                          });
                        }}
                      />
                    )}
                    <AdminAction
                      label="Apply coupon"
                      title="Apply a coupon?"
                      description="The coupon replaces any discount on this subscription and applies from the next invoice."
                      confirmLabel="Apply coupon"
                      doneMessage="Coupon applied."
                      onDone={onDone}
                      fields={
                        <div className="field">
                          <label className="field-label" htmlFor={`coupon-${s.subscriptionId}`}>
                            Coupon
                          </label>
                          {coupons.data?.coupons.length ? (
                            <select id={`coupon-${s.subscriptionId}`} name="couponId" className="input select" required>
                              {coupons.data.coupons.map((c) => (
                                <option key={c.id} value={c.id}>
                                  {c.name} —{' '}
                                  {c.percentOff !== null
                                    ? `${c.percentOff}% off`
                                    : c.amountOff !== null
                                      ? `${formatMoney(c.amountOff, c.currency ?? 'usd')} off`
                                      : ''}{' '}
                                  ({c.duration})
                                </option>
                              ))}
                            </select>
                          ) : (
                            <input
                              id={`coupon-${s.subscriptionId}`}
                              name="couponId"
                              className="input"
                              placeholder="Coupon id"
                              required
                            />
                          )}
                        </div>
                      }
                      run={(f, actionId) =>
                        utils.client.admin.applyCoupon.mutate({
                          subscriptionId: s.subscriptionId,
                          couponId: String(f.get('couponId') ?? ''),
                          actionId,
                        })
                      }
                    />
                    <AdminAction
                      label="Cancel now"
                      title="Cancel this subscription immediately?"
                      description="It ends now and the plan's access goes with it. This cannot be undone."
                      confirmLabel="Cancel immediately"
                      danger
                      doneMessage="Subscription cancelled."
                      onDone={onDone}
                      fields={
                        <fieldset className="admin-radios">
                          <legend className="field-label">Unused time</legend>
                          <label>
                            <input type="radio" name="refund" value="yes" defaultChecked /> Credit the unused time (prorated,
                            invoiced now)
                          </label>
                          <label>
                            <input type="radio" name="refund" value="no" /> No refund
                          </label>
                        </fieldset>
                      }
                      run={(f, actionId) =>
                        utils.client.admin.cancelSubscription.mutate({
                          subscriptionId: s.subscriptionId,
                          refund: f.get('refund') === 'yes',
                          actionId,
                        })
                      }
                    />
                  </div>
                )}
              </div>
            </li>
          );
        })}
      </ul>
    </Card>
  );
}

function InvoicesCard({ d, onDone }: { d: SubscriberDetail; onDone: (m: string) => void }) {
  return (
    <Card
      title="Invoices"
      actions={!d.invoicesError && <RefundAction account={d.account} invoices={d.invoices} onDone={onDone} />}
    >
      {d.invoicesError ? (
        <Banner tone="warning">Invoices could not be read from Stripe: {d.invoicesError}</Banner>
      ) : d.invoices.length === 0 ? (
        <p className="muted">No invoices yet.</p>
      ) : (
        <div className="admin-table-wrap">
          <table className="admin-table">
            <caption className="visually-hidden">Invoices</caption>
            <thead>
              <tr>
                <th scope="col">Date</th>
                <th scope="col">Invoice</th>
                <th scope="col" className="num">
                  Total
                </th>
                <th scope="col">Status</th>
                <th scope="col">PDF</th>
              </tr>
            </thead>
            <tbody>
              {d.invoices.map((i) => (
                <tr key={i.id}>
                  <td data-label="Date">{formatDate(i.created)}</td>
                  <td data-label="Invoice">
                    <code>{i.number ?? i.id}</code>
                    <CreditNotes notes={i.creditNotes} audience="admin" className="credit-notes admin-small" />
                  </td>
                  <td data-label="Total" className="num">
                    {formatMoney(i.total, i.currency)}
                  </td>
                  <td data-label="Status">
                    {invoiceStatus(i.status)}
                    <RefundNote invoice={i} />
                  </td>
                  <td data-label="PDF">
                    {i.pdfUrl ? (
                      <a href={i.pdfUrl} target="_blank" rel="noreferrer">
                        PDF<span className="visually-hidden"> of invoice {i.number ?? i.id}</span>
                      </a>
                    ) : (
                      '—'
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Card>
  );
}

/** "Partially refunded: $6.00" under an invoice's status, when anything was refunded. */
function RefundNote({ invoice }: { invoice: SubscriberDetail['invoices'][number] }) {
  const refund = refundOf(invoice);
  return refund && <div className="admin-small">{`${refund.label}: ${refund.amount}`}</div>;
}

function UsageCard({ usage }: { usage: NonNullable<SubscriberDetail['usage']> }) {
  return (
    <Card
      title="Usage this period"
      description={`${formatDate(usage.period.start)} – ${formatDate(usage.period.end)} on ${usage.plan.name}`}
    >
      <dl className="admin-facts">
        {usage.metrics.map((m) => (
          <Fact key={m.metric} label={m.label}>
            {m.used.toLocaleString()} of {m.limit.toLocaleString()}
            {m.overage > 0 ? ` (+${m.overage.toLocaleString()} overage)` : ''}
          </Fact>
        ))}
      </dl>
    </Card>
  );
}

/** Overage reports Stripe accepted and then could not apply, and what became of the units. */
function MeterErrorsCard({ d }: { d: SubscriberDetail }) {
  return (
    <Card
      title="Meter errors"
      description="Overage Stripe reported it could not bill. Units for a customer this account no longer has are sent again to its current one."
    >
      <ul className="admin-log">
        {d.meterErrors.map((e) => (
          <li key={e.id}>
            <code>{e.code}</code>{' '}
            <span className={`badge badge-${e.rejectedUnits > e.requeuedUnits ? 'danger' : 'warning'}`}>
              {e.requeuedUnits > 0
                ? `${plural(e.requeuedUnits, 'unit')} sent again`
                : e.rejectedUnits > 0
                  ? `${plural(e.rejectedUnits, 'unit')} not billed`
                  : 'already handled'}
            </span>{' '}
            {e.parkedUnits > 0 && (
              <>
                <span className="badge badge-danger">{`${plural(e.parkedUnits, 'unit')} too old for Stripe; not billed`}</span>{' '}
              </>
            )}
            <span className="muted admin-small">
              {formatDateTime(e.receivedAt)} · {e.message}
            </span>
          </li>
        ))}
      </ul>
    </Card>
  );
}

function SessionsCard({ d, onDone }: { d: SubscriberDetail; onDone: (m: string) => void }) {
  const utils = trpc.useUtils();
  return (
    <Card
      title="Sessions"
      actions={
        d.sessions.length > 0 && (
          <AdminAction
            label="Revoke all sessions"
            title="Log this user out everywhere?"
            description={`${d.sessions.length === 1 ? 'Their only session ends' : `All ${plural(d.sessions.length, 'session')} end`} at once; the user can log in again.`}
            confirmLabel="Revoke sessions"
            danger
            doneMessage="All sessions revoked."
            onDone={onDone}
            run={(_f, actionId) => utils.client.admin.revokeSessions.mutate({ userId: d.account.id, actionId })}
          />
        )
      }
    >
      {d.sessions.length === 0 ? (
        <p className="muted">No active sessions.</p>
      ) : (
        <ul className="item-list">
          {d.sessions.map((s) => (
            <li key={s.id} className="item">
              <div className="item-main">
                <p className="item-title">{describeDevice(s.userAgent)}</p>
                <p className="item-meta">
                  {s.ip} · last seen {timeAgo(s.lastSeenAt)} · signed in {formatDateTime(s.createdAt)}
                </p>
              </div>
            </li>
          ))}
        </ul>
      )}
    </Card>
  );
}

function EventsCard({ d }: { d: SubscriberDetail }) {
  return (
    <Card title="Stripe events" description="The latest webhook events about this customer.">
      {d.events.length === 0 ? (
        <p className="muted">No events.</p>
      ) : (
        <ul className="admin-log">
          {d.events.slice(0, 10).map((e) => (
            <li key={e.id}>
              <Link to={`/app/admin/events?q=${encodeURIComponent(e.id)}`}>
                <code>{e.type}</code>
              </Link>{' '}
              <span
                className={`badge badge-${e.status === 'processed' ? 'success' : e.status === 'parked' ? 'danger' : 'warning'}`}
              >
                {e.status}
              </span>{' '}
              <span className="muted admin-small">
                {formatDateTime(e.receivedAt)} · {plural(e.attempts, 'attempt')}
                {e.lastError ? ` · ${e.lastError}` : ''}
              </span>
            </li>
          ))}
        </ul>
      )}
      {d.account.stripeCustomerId && d.events.length > 10 && (
        <p className="admin-more">
          <Link to={`/app/admin/events?q=${encodeURIComponent(d.account.stripeCustomerId)}`}>All events for this customer</Link>
        </p>
      )}
    </Card>
  );
}

function AuditCard({ d }: { d: SubscriberDetail }) {
  return (
    <Card title="Audit log" description="Every admin action on this subscriber.">
      <AuditLog
        entries={d.audit}
        empty="No admin actions yet."
        target={(a) => (
          <>
            {a.targetType} <code>{a.targetId}</code>
          </>
        )}
      />
    </Card>
  );
}
