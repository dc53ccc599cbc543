// Admin actions on a subscriber. Each one is confirmed in the web app, carries the client's action
// id (Stripe idempotency key and audit key, so a double click acts once) and is audited with the
// target's state before and after. Stripe writes are followed by a sync so the mirror (and the
// admin's page) show the result at once, without waiting for the webhook; once Stripe accepted a
// write the action is reported done even if that sync has to finish in the background.
import type Stripe from 'stripe';
import type { AppDeps, ServerDeps } from '../deps';
import type { Role } from '../db/collections';
import { requireStripe, syncAfterWrite, syncCustomer } from '../billing/sync';
import { withStripeErrors } from '../billing/errors';
import { isEnded } from '../billing/status';
import { paidInvoice } from '../billing/refunds';
import { formatAmount } from '../lib/money';
import { disableUser } from '../auth/users';
import { removeTwoFactor } from '../auth/two-factor/enrolment';
import { AppError } from '../lib/errors';
import { audited, type Actor } from './audit';

interface ActionBase {
  deps: ServerDeps;
  actor: Actor;
  actionId: string;
}

async function accountState(deps: AppDeps, userId: string) {
  const u = await deps.db.c.users.findOne(
    { _id: userId },
    { projection: { email: 1, role: 1, disabled: 1, twoFactorEnabledAt: 1 } },
  );
  const sessions = await deps.db.c.sessions.countDocuments({ userId, expiresAt: { $gt: new Date() } });
  return u && { email: u.email, role: u.role, disabled: u.disabled, twoFactor: !!u.twoFactorEnabledAt, sessions };
}

async function subscriptionState(deps: AppDeps, subscriptionId: string) {
  const s = await deps.db.c.subscriptions.findOne({ _id: subscriptionId });
  return (
    s && {
      status: s.status,
      planId: s.planId,
      priceId: s.priceId,
      trialEnd: s.trialEnd,
      cancelAtPeriodEnd: s.cancelAtPeriodEnd,
      endedAt: s.endedAt,
      latestInvoice: s.latestInvoice && {
        id: s.latestInvoice.id,
        status: s.latestInvoice.status,
        amountDue: s.latestInvoice.amountDue,
      },
    }
  );
}

async function requireUser(deps: AppDeps, userId: string) {
  const user = await deps.db.c.users.findOne({ _id: userId }, { projection: { _id: 1, stripeCustomerId: 1 } });
  if (!user) throw new AppError('NOT_FOUND', 'No such account.');
  return user;
}

async function requireSubscription(deps: AppDeps, subscriptionId: string) {
  const sub = await deps.db.c.subscriptions.findOne(
    { _id: subscriptionId },
    { projection: { customerId: 1, userId: 1, status: 1, trialEnd: 1 } },
  );
  if (!sub) throw new AppError('NOT_FOUND', 'No such subscription.');
  return sub;
}

const idem = (action: string, actionId: string) => ({ idempotencyKey: `admin:${action}:${actionId}` });

export async function resyncCustomer(opts: ActionBase & { userId: string }) {
  const { deps } = opts;
  return audited({
    deps,
    actor: opts.actor,
    write: { action: 'resync', targetType: 'user', targetId: opts.userId, actionId: opts.actionId },
    prepare: async () => {
      const user = await requireUser(deps, opts.userId);
      if (!user.stripeCustomerId) throw new AppError('BAD_REQUEST', 'This account has no Stripe customer yet.');
      return { userId: opts.userId, customerId: user.stripeCustomerId };
    },
    snapshot: async ({ customerId }) =>
      await deps.db.c.subscriptions.find({ customerId }, { projection: { status: 1, priceId: 1, syncedAt: 1 } }).toArray(),
    run: async ({ customerId }) => {
      const res = await syncCustomer(deps, customerId, { source: 'admin.action', key: opts.actionId });
      return { changes: res.changes.length };
    },
  });
}

export async function cancelNow(opts: ActionBase & { subscriptionId: string; refund: boolean }) {
  const { deps } = opts;
  const stripe = requireStripe(deps);
  return audited({
    deps,
    actor: opts.actor,
    write: {
      action: opts.refund ? 'cancel_now_refund' : 'cancel_now',
      targetType: 'subscription',
      targetId: opts.subscriptionId,
      actionId: opts.actionId,
    },
    prepare: async () => {
      const sub = await requireSubscription(deps, opts.subscriptionId);
      if (isEnded(sub.status)) throw new AppError('CONFLICT', 'This subscription has already ended.');
      return { userId: sub.userId, customerId: sub.customerId };
    },
    snapshot: () => subscriptionState(deps, opts.subscriptionId),
    run: async ({ customerId }) => {
      // With a refund: prorate the unused time and invoice the credit now (Stripe adds it to the
      // customer's credit balance); without: end it now and bill nothing more.
      const params: Stripe.SubscriptionCancelParams = opts.refund
        ? { prorate: true, invoice_now: true, cancellation_details: { comment: 'Cancelled by an admin' } }
        : { prorate: false, invoice_now: false, cancellation_details: { comment: 'Cancelled by an admin' } };
      await withStripeErrors(() => stripe.subscriptions.cancel(opts.subscriptionId, params, idem('cancel', opts.actionId)));
      await syncAfterWrite(deps, customerId, { source: 'admin.action', key: opts.actionId });
    },
  });
}

export async function extendTrial(opts: ActionBase & { subscriptionId: string; trialEnd: Date }) {
  const { deps } = opts;
  const stripe = requireStripe(deps);
  return audited({
    deps,
    actor: opts.actor,
    write: {
      action: 'extend_trial',
      targetType: 'subscription',
      targetId: opts.subscriptionId,
      actionId: opts.actionId,
      params: { trialEnd: opts.trialEnd.toISOString() },
    },
    prepare: async () => {
      const sub = await requireSubscription(deps, opts.subscriptionId);
      if (sub.status !== 'trialing')
        throw new AppError('CONFLICT', 'Only a subscription in its trial can have the trial extended.');
      if (opts.trialEnd.getTime() <= Date.now() + 60_000)
        throw new AppError('BAD_REQUEST', 'The new trial end must be in the future.', { field: 'trialEnd' });
      if (sub.trialEnd && opts.trialEnd.getTime() <= sub.trialEnd.getTime())
        throw new AppError('BAD_REQUEST', 'The new trial end must be later than the current one.', { field: 'trialEnd' });
      return { userId: sub.userId, customerId: sub.customerId };
    },
    snapshot: () => subscriptionState(deps, opts.subscriptionId),
    run: async ({ customerId }) => {
      await withStripeErrors(() =>
        stripe.subscriptions.update(
          opts.subscriptionId,
          { trial_end: Math.floor(opts.trialEnd.getTime() / 1000), proration_behavior: 'none' },
          idem('extend_trial', opts.actionId),
        ),
      );
      await syncAfterWrite(deps, customerId, { source: 'admin.action', key: opts.actionId });
    },
  });
}

export async function applyCoupon(opts: ActionBase & { subscriptionId: string; couponId: string }) {
  const { deps } = opts;
  const stripe = requireStripe(deps);
  return audited({
    deps,
    actor: opts.actor,
    write: {
      action: 'apply_coupon',
      targetType: 'subscription',
      targetId: opts.subscriptionId,
      actionId: opts.actionId,
      params: { couponId: opts.couponId },
    },
    prepare: async () => {
      const sub = await requireSubscription(deps, opts.subscriptionId);
      return { userId: sub.userId, customerId: sub.customerId };
    },
    snapshot: async () => {
      const live = await withStripeErrors(() => stripe.subscriptions.retrieve(opts.subscriptionId));
      return { discounts: live.discounts.map((d) => (typeof d === 'string' ? d : d.id)), couponId: opts.couponId };
    },
    run: async ({ customerId }) => {
      await withStripeErrors(() =>
        stripe.subscriptions.update(
          opts.subscriptionId,
          { discounts: [{ coupon: opts.couponId }] },
          idem('coupon', opts.actionId),
        ),
      );
      await syncAfterWrite(deps, customerId, { source: 'admin.action', key: opts.actionId });
    },
  });
}

export const REFUND_REASONS = ['requested_by_customer', 'duplicate', 'fraudulent'] as const;

/**
 * Refunds all or part of a paid invoice's card payment. The amount is checked against what is still
 * refundable (billing/refunds.ts: what was paid, less credit notes and earlier refunds), so a refusal
 * names the field and changes nothing; the subscriber is
 * emailed by the effects that follow the sync (billing/refunds.ts), once per refund.
 */
export async function refundInvoice(
  opts: ActionBase & {
    userId: string;
    invoiceId: string;
    amount: number;
    reason: (typeof REFUND_REASONS)[number];
    note: string;
  },
) {
  const { deps } = opts;
  const stripe = requireStripe(deps);
  return audited({
    deps,
    actor: opts.actor,
    write: {
      action: 'refund',
      targetType: 'invoice',
      targetId: opts.invoiceId,
      actionId: opts.actionId,
      params: { userId: opts.userId, amount: opts.amount, reason: opts.reason, note: opts.note },
    },
    prepare: async () => {
      const user = await requireUser(deps, opts.userId);
      const paid = await paidInvoice(deps, stripe, opts.invoiceId);
      if (!user.stripeCustomerId || paid.customerId !== user.stripeCustomerId)
        throw new AppError('NOT_FOUND', 'This account has no such invoice.', { field: 'invoiceId' });
      const money = (amount: number) => formatAmount(amount, paid.charge.currency, { locale: 'en-US' });
      if (paid.refundable === 0)
        throw new AppError('CONFLICT', 'This invoice has already been refunded in full.', { field: 'amount' });
      if (opts.amount > paid.refundable)
        throw new AppError(
          'BAD_REQUEST',
          `The amount ${money(opts.amount)} is more than the ${money(paid.refundable)} still refundable on this invoice.`,
          { field: 'amount' },
        );
      return { userId: opts.userId, paid };
    },
    snapshot: async () => {
      const now = await paidInvoice(deps, stripe, opts.invoiceId);
      return {
        invoice: now.invoice.number ?? now.invoice.id,
        currency: now.charge.currency,
        paid: now.charge.amount,
        refunded: now.charge.amount_refunded,
        refundable: now.refundable,
      };
    },
    run: async ({ paid }) => {
      const refund = await withStripeErrors(() =>
        stripe.refunds.create(
          {
            payment_intent: paid.paymentIntentId,
            amount: opts.amount,
            reason: opts.reason,
            metadata: {
              dropin_invoice: opts.invoiceId,
              dropin_admin: opts.actor.email,
              ...(opts.note ? { note: opts.note } : {}),
            },
          },
          idem('refund', opts.actionId),
        ),
      );
      await syncAfterWrite(deps, paid.customerId, { source: 'admin.action', key: opts.actionId, refundId: refund.id });
      return { refundId: refund.id, amount: refund.amount, currency: refund.currency };
    },
  });
}

export async function listCoupons(deps: AppDeps) {
  // Without Stripe there is nothing to offer; the dialog then says so instead of failing.
  if (!deps.stripe) return [];
  const stripe = deps.stripe;
  const list = await withStripeErrors(() => stripe.coupons.list({ limit: 100 }));
  return list.data
    .filter((c) => c.valid)
    .map((c) => ({
      id: c.id,
      name: c.name ?? c.id,
      percentOff: c.percent_off ?? null,
      amountOff: c.amount_off ?? null,
      currency: c.currency ?? null,
      duration: c.duration,
      durationInMonths: c.duration_in_months ?? null,
    }));
}

/** The preconditions of an action on an account: it exists, and it is the one the entry names. */
const onUser = (deps: AppDeps, userId: string) => async () => {
  await requireUser(deps, userId);
  return { userId };
};

export async function revokeSessions(opts: ActionBase & { userId: string }) {
  const { deps } = opts;
  return audited({
    deps,
    actor: opts.actor,
    write: { action: 'revoke_sessions', targetType: 'user', targetId: opts.userId, actionId: opts.actionId },
    prepare: onUser(deps, opts.userId),
    snapshot: () => accountState(deps, opts.userId),
    run: async () => ({ revoked: await deps.sessions.invalidateAll(opts.userId) }),
  });
}

export async function setDisabled(opts: ActionBase & { userId: string; disabled: boolean }) {
  const { deps } = opts;
  if (opts.userId === opts.actor.id && opts.disabled) throw new AppError('BAD_REQUEST', 'You cannot disable your own account.');
  return audited({
    deps,
    actor: opts.actor,
    write: {
      action: opts.disabled ? 'disable' : 'enable',
      targetType: 'user',
      targetId: opts.userId,
      actionId: opts.actionId,
    },
    prepare: onUser(deps, opts.userId),
    snapshot: () => accountState(deps, opts.userId),
    run: async () => {
      if (opts.disabled) {
        // A disabled account is signed out at once: every session ends, on every process.
        await disableUser(deps, { userId: opts.userId });
      } else {
        await deps.db.c.users.updateOne({ _id: opts.userId }, { $set: { disabled: false, updatedAt: new Date() } });
        await deps.sessions.userChanged(opts.userId);
      }
    },
  });
}

/** Turns off a user's two-factor sign-in (lost phone and recovery codes); they can enrol again. */
export async function resetTwoFactor(opts: ActionBase & { userId: string }) {
  const { deps } = opts;
  return audited({
    deps,
    actor: opts.actor,
    write: { action: 'reset_two_factor', targetType: 'user', targetId: opts.userId, actionId: opts.actionId },
    prepare: onUser(deps, opts.userId),
    snapshot: () => accountState(deps, opts.userId),
    run: () => removeTwoFactor(deps, opts.userId),
  });
}

export async function setRole(opts: ActionBase & { userId: string; role: Role }) {
  const { deps } = opts;
  if (opts.userId === opts.actor.id && opts.role !== 'admin')
    throw new AppError('BAD_REQUEST', 'You cannot remove your own admin role; ask another admin.');
  return audited({
    deps,
    actor: opts.actor,
    write: { action: `set_role_${opts.role}`, targetType: 'user', targetId: opts.userId, actionId: opts.actionId },
    prepare: onUser(deps, opts.userId),
    snapshot: () => accountState(deps, opts.userId),
    run: async () => {
      await deps.db.c.users.updateOne({ _id: opts.userId }, { $set: { role: opts.role, updatedAt: new Date() } });
      // Cached sessions carry the role: evict them on every process so a demotion bites at once.
      await deps.sessions.userChanged(opts.userId);
    },
  });
}
