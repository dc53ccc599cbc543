// Subscribing through Stripe Checkout. Nothing is written on our side when the session is made:
// an abandoned or expired checkout leaves nothing half-made. The success page calls
// completeCheckout, which syncs from Stripe at once, so the dashboard is right before any webhook.
import type { AppDeps } from '../deps';
import { AppError } from '../lib/errors';
import { customerIdOf, ensureCustomer } from './customers';
import { withStripeErrors } from './errors';
import { overagePriceFor } from './overage';
import { plans, type Interval, type PlanId } from './plans';
import { priceFor } from './prices';
import { currentSubscription, hadSubscription } from './subscription';
import { requireStripe, syncCustomer } from './sync';

export async function startCheckout(opts: {
  deps: AppDeps;
  user: { id: string; emailVerified: boolean };
  planId: PlanId;
  interval: Interval;
  /** The client's id for this click: a double click or a retry reuses it and gets the same session. */
  actionId: string;
}): Promise<{ url: string }> {
  const { deps, user, planId, interval } = opts;
  if (!user.emailVerified) throw new AppError('FORBIDDEN', 'Verify your email address before subscribing.');
  const plan = plans[planId];
  if (!plan.prices) throw new AppError('BAD_REQUEST', 'The Free plan needs no checkout.', { field: 'planId' });
  if (await currentSubscription(deps, user.id)) {
    throw new AppError('CONFLICT', 'You already have a subscription. Change your plan from the Billing page.');
  }
  const stripe = requireStripe(deps);
  const price = await priceFor(stripe, planId, interval);
  // API calls past the plan's quota are billed in arrears through this metered price (billing/overage.ts).
  const overage = await overagePriceFor(deps, planId, interval);
  const customer = await ensureCustomer(deps, user.id);
  const trial = plan.trialDays > 0 && !(await hadSubscription(deps, user.id)) ? plan.trialDays : 0;
  const base = deps.env.PUBLIC_URL;
  const session = await withStripeErrors(() =>
    stripe.checkout.sessions.create(
      {
        mode: 'subscription',
        customer,
        client_reference_id: user.id,
        line_items: [{ price: price.id, quantity: 1 }, ...(overage ? [{ price: overage.id }] : [])],
        allow_promotion_codes: true,
        subscription_data: {
          metadata: { dropin_user_id: user.id, dropin_plan: planId },
          ...(trial ? { trial_period_days: trial } : {}),
        },
        success_url: `${base}/app/billing/success?session_id={CHECKOUT_SESSION_ID}`,
        cancel_url: `${base}/pricing?checkout=canceled`,
      },
      { idempotencyKey: `dropin-checkout-${user.id}-${opts.actionId}` },
    ),
  );
  if (!session.url) throw new AppError('UNAVAILABLE', 'Stripe did not return a checkout page. Please try again.');
  return { url: session.url };
}

/** Called by the success page: confirms the session belongs to the user and syncs at once. */
export async function completeCheckout(opts: { deps: AppDeps; userId: string; sessionId: string }): Promise<{ status: string }> {
  const { deps, userId, sessionId } = opts;
  const stripe = requireStripe(deps);
  const customer = await customerIdOf(deps, userId);
  const session = await withStripeErrors(() => stripe.checkout.sessions.retrieve(sessionId));
  const sessionCustomer = typeof session.customer === 'string' ? session.customer : session.customer?.id;
  // Another user's session id is "not found", not "forbidden": it reveals nothing.
  if (!customer || sessionCustomer !== customer) throw new AppError('NOT_FOUND', 'Checkout session not found.');
  if (session.status === 'complete') {
    const invoice = typeof session.invoice === 'string' ? session.invoice : (session.invoice?.id ?? undefined);
    await syncCustomer(deps, customer, { source: 'checkout', key: sessionId, invoiceId: invoice });
  }
  return { status: session.status ?? 'open' };
}
