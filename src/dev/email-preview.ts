// Every email DropIn sends, rendered with sample data, for looking at them before they go out
// (`npm run email:preview`) and for the checks in email-preview.test.ts. Billing and quota notices
// come from the same functions the app sends them with, fed sample subscriptions and invoices.
import type { InvoiceSummary, SubscriptionDoc } from '../db/collections';
import { invoiceNotices, noticesFor } from '../billing/notifications';
import { refundNotice } from '../billing/refunds';
import { creditNoteNotice, creditNoteVoidedNotice } from '../billing/credit-notes';
import type Stripe from 'stripe';
import { type Mail, type TemplateEnv, templates } from '../email/templates';
import { quotaMail } from '../usage/notices';

export interface PreviewEmail {
  /** File-name friendly id. */
  kind: string;
  title: string;
  mail: Mail;
}

const day = (iso: string) => new Date(`${iso}T12:00:00Z`);

function subscription(over: Partial<SubscriptionDoc> = {}): SubscriptionDoc {
  return {
    _id: 'sub_sample',
    userId: 'user_sample',
    customerId: 'cus_sample',
    status: 'active',
    planId: 'pro',
    priceId: 'price_pro_monthly',
    lookupKey: 'dropin_pro_monthly',
    interval: 'month',
    unitAmount: 1900,
    currency: 'usd',
    quantity: 1,
    itemId: 'si_sample',
    currentPeriodStart: day('2026-06-01'),
    currentPeriodEnd: day('2026-07-01'),
    trialStart: null,
    trialEnd: null,
    cancelAtPeriodEnd: false,
    cancelAt: null,
    canceledAt: null,
    endedAt: null,
    cancellationFeedback: null,
    defaultPaymentMethod: null,
    latestInvoice: null,
    created: day('2026-06-01'),
    fetchedAt: day('2026-06-01'),
    syncedAt: day('2026-06-01'),
    ...over,
  };
}

function invoice(over: Partial<InvoiceSummary> = {}): InvoiceSummary {
  return {
    id: 'in_sample',
    status: 'paid',
    amountDue: 1900,
    amountPaid: 1900,
    currency: 'usd',
    hostedInvoiceUrl: 'https://invoice.stripe.com/i/sample',
    attemptCount: 1,
    nextPaymentAttempt: null,
    ...over,
  };
}

/** The one notice of `kind` (its once-only key's prefix) that a sample change calls for. */
function notice(notices: { key: string; mail: Mail }[], kind: string): Mail {
  const found = notices.find((n) => n.key.startsWith(`${kind}:`));
  if (!found) throw new Error(`sample data produced no ${kind} notice`);
  return found.mail;
}

export function previewEmails(env: TemplateEnv): PreviewEmail[] {
  const active = subscription();
  const trialing = subscription({ status: 'trialing', trialStart: day('2026-06-01'), trialEnd: day('2026-06-15') });
  const open = invoice({ status: 'open', amountPaid: 0, attemptCount: 1, nextPaymentAttempt: day('2026-06-04') });
  const period = { start: day('2026-06-01'), end: day('2026-07-01') };
  return [
    {
      kind: 'verification',
      title: 'Verification (link and code)',
      mail: templates.verificationCode(env, { code: '428913', token: 'sample-token' }),
    },
    { kind: 'password-reset', title: 'Password reset link', mail: templates.passwordResetLink(env, { token: 'sample-token' }) },
    { kind: 'password-changed', title: 'Password changed', mail: templates.passwordChanged(env, { revokedKeys: 1 }) },
    {
      kind: 'email-change-code',
      title: 'Email change: code to the new address',
      mail: templates.newAddressCode(env, { code: '705162' }),
    },
    {
      kind: 'email-changed',
      title: 'Email change: notice to the old address',
      mail: templates.emailChanged(env, { newEmail: 'ada@new.example' }),
    },
    { kind: 'address-in-use', title: 'Email change: address already has an account', mail: templates.addressInUse(env) },
    { kind: 'signup-attempt', title: 'Sign-up with an address that has an account', mail: templates.signupAttempt(env) },
    { kind: 'account-deleted', title: 'Account deleted', mail: templates.accountDeleted(env) },
    {
      kind: 'welcome-trial',
      title: 'Welcome (trial started)',
      mail: notice(noticesFor({ subscriptionId: trialing._id, userId: 'u', before: null, after: trialing }, env), 'welcome'),
    },
    {
      kind: 'welcome',
      title: 'Welcome (subscription active)',
      mail: notice(noticesFor({ subscriptionId: active._id, userId: 'u', before: null, after: active }, env), 'welcome'),
    },
    {
      kind: 'trial-ending',
      title: 'Trial ending',
      mail: notice(
        noticesFor(
          { subscriptionId: trialing._id, userId: 'u', before: trialing, after: trialing },
          env,
          new Set(['customer.subscription.trial_will_end']),
        ),
        'trial-ending',
      ),
    },
    {
      kind: 'plan-changed',
      title: 'Plan changed',
      mail: notice(
        noticesFor(
          {
            subscriptionId: active._id,
            userId: 'u',
            before: active,
            after: subscription({ planId: 'business', priceId: 'price_business_yearly', interval: 'year', unitAmount: 49000 }),
          },
          env,
        ),
        'plan-changed',
      ),
    },
    {
      kind: 'change-scheduled',
      title: 'Plan change scheduled',
      mail: notice(
        noticesFor(
          {
            subscriptionId: active._id,
            userId: 'u',
            before: active,
            after: {
              ...active,
              scheduledChange: {
                planId: 'pro',
                priceId: 'price_pro_yearly',
                interval: 'year',
                unitAmount: 12000,
                at: active.currentPeriodEnd ?? new Date(),
              },
            },
          },
          env,
        ),
        'change-scheduled',
      ),
    },
    {
      kind: 'cancel-scheduled',
      title: 'Cancellation scheduled',
      mail: notice(
        noticesFor(
          { subscriptionId: active._id, userId: 'u', before: active, after: subscription({ cancelAtPeriodEnd: true }) },
          env,
        ),
        'cancel-scheduled',
      ),
    },
    {
      kind: 'ended',
      title: 'Subscription ended',
      mail: notice(
        noticesFor(
          {
            subscriptionId: active._id,
            userId: 'u',
            before: active,
            after: subscription({ status: 'canceled', endedAt: day('2026-07-01') }),
          },
          env,
        ),
        'ended',
      ),
    },
    { kind: 'receipt', title: 'Receipt', mail: notice(invoiceNotices(invoice(), active, env), 'receipt') },
    {
      kind: 'payment-failed',
      title: 'Payment failed',
      mail: notice(invoiceNotices(open, subscription({ status: 'past_due' }), env), 'payment-failed'),
    },
    {
      kind: 'action-required',
      title: 'Payment needs confirming (3-D Secure)',
      mail: notice(
        noticesFor(
          {
            subscriptionId: active._id,
            userId: 'u',
            before: active,
            after: subscription({ status: 'past_due', latestInvoice: open }),
          },
          env,
          new Set(['invoice.payment_action_required']),
        ),
        'action-required',
      ),
    },
    {
      kind: 'refund',
      title: 'Refund (part of a payment)',
      mail: refundNotice(
        { id: 're_sample', amount: 950, currency: 'usd' },
        { planId: 'pro', paid: 1900, card: { brand: 'visa', last4: '4242' } },
        env,
      ).mail,
    },
    {
      kind: 'credit-note',
      title: 'Credit note (balance and card)',
      mail: creditNoteNotice(
        {
          id: 'cn_sample',
          object: 'credit_note',
          number: 'A1B2C3D4-0002-CN-01',
          currency: 'usd',
          total: 800,
          reason: 'product_unsatisfactory',
          memo: null,
          status: 'issued',
          effective_at: null,
          created: Math.floor(Date.parse('2026-11-20T10:00:00Z') / 1000),
          pre_payment_amount: 0,
          post_payment_amount: 800,
          out_of_band_amount: null,
          refunds: [{ amount_refunded: 300, refund: 're_sample' }],
          pdf: 'https://files.stripe.com/sample.pdf',
        } as unknown as Stripe.CreditNote,
        { number: 'A1B2C3D4-0002', amountRemaining: 0, status: 'paid' },
        env,
      )!.mail,
    },
    {
      kind: 'credit-note-voided',
      title: 'Credit note voided',
      mail: creditNoteVoidedNotice(
        { id: 'cn_sample', number: 'A1B2C3D4-0003-CN-01', currency: 'usd', total: 500 } as unknown as Stripe.CreditNote,
        { number: 'A1B2C3D4-0003', amountRemaining: 1200, status: 'open' },
        env,
      ).mail,
    },
    {
      kind: 'quota-80',
      title: 'Quota: 80% used',
      mail: quotaMail(env, { metric: 'download', limit: 50, plan: 'free', period, threshold: 80 }),
    },
    {
      kind: 'quota-100',
      title: 'Quota: all used (Free)',
      mail: quotaMail(env, { metric: 'download', limit: 50, plan: 'free', period, threshold: 100 }),
    },
    {
      kind: 'quota-100-overage',
      title: 'Quota: all used, overage billed (Pro)',
      mail: quotaMail(env, { metric: 'api_call', limit: 10_000, plan: 'pro', period, threshold: 100 }),
    },
  ];
}
