// Charges and refunds: a successful card payment leaves a Charge (the PaymentIntent's
// `latest_charge`), and refunds return all or part of it to the card. Card refunds succeed at once,
// as with Stripe's test cards; failed payment attempts leave no Charge here.
import type Stripe from 'stripe';
import { previousAttributes, snapshot, type Emulator } from '../emulator.js';
import { invalidRequest } from '../errors.js';
import { newId, randomToken } from '../ids.js';
import { idOf, metadataOf } from '../resources/common.js';
import { formatMoney } from './time.js';

/** The Charge a succeeded PaymentIntent made, stored and announced (`charge.succeeded`). */
export function recordCharge(emu: Emulator, pi: Stripe.PaymentIntent): Stripe.Charge {
  const customerId = idOf(pi.customer);
  const pmId = idOf(pi.payment_method);
  const pm = pmId ? emu.state.paymentMethods.get(pmId) : undefined;
  const card = pm?.card;
  const id = newId('ch');
  const charge = {
    id,
    object: 'charge',
    amount: pi.amount,
    amount_captured: pi.amount,
    amount_refunded: 0,
    application: null,
    application_fee: null,
    application_fee_amount: null,
    balance_transaction: null,
    billing_details: {
      address: pm?.billing_details.address ?? null,
      email: pm?.billing_details.email ?? null,
      name: pm?.billing_details.name ?? null,
      phone: pm?.billing_details.phone ?? null,
      tax_id: null,
    },
    calculated_statement_descriptor: 'DROPIN',
    captured: true,
    created: emu.now(customerId),
    currency: pi.currency,
    customer: customerId,
    description: pi.description,
    disputed: false,
    failure_balance_transaction: null,
    failure_code: null,
    failure_message: null,
    fraud_details: {},
    livemode: false,
    metadata: {},
    on_behalf_of: null,
    outcome: {
      advice_code: null,
      network_advice_code: null,
      network_decline_code: null,
      network_status: 'approved_by_network',
      reason: null,
      risk_level: 'normal',
      seller_message: 'Payment complete.',
      type: 'authorized',
    },
    paid: true,
    payment_intent: pi.id,
    payment_method: pmId,
    payment_method_details: card
      ? {
          type: 'card',
          card: {
            amount_authorized: pi.amount,
            authorization_code: null,
            brand: card.brand,
            checks: card.checks,
            country: card.country,
            electronic_commerce_indicator: null,
            exp_month: card.exp_month,
            exp_year: card.exp_year,
            fingerprint: card.fingerprint ?? null,
            funding: card.funding,
            installments: null,
            last4: card.last4,
            mandate: null,
            network: card.brand,
            network_transaction_id: randomToken(15),
            regulated_status: card.regulated_status ?? null,
            three_d_secure: null,
            transaction_link_id: null,
            wallet: null,
          },
        }
      : null,
    receipt_email: null,
    receipt_number: null,
    receipt_url: null,
    refunded: false,
    review: null,
    shipping: null,
    source: null,
    source_transfer: null,
    statement_descriptor: null,
    statement_descriptor_suffix: null,
    status: 'succeeded',
    transfer_data: null,
    transfer_group: null,
  } satisfies Stripe.Charge;
  emu.state.charges.set(charge);
  emu.emit('charge.succeeded', charge, { customer: customerId });
  return charge;
}

/** The Charge to refund for `charge` and/or `payment_intent`, as Stripe resolves them. */
export function chargeToRefund(emu: Emulator, opts: { charge?: string; paymentIntent?: string }): Stripe.Charge {
  let fromIntent: string | null = null;
  if (opts.paymentIntent) {
    const pi = emu.state.paymentIntents.get(opts.paymentIntent);
    if (!pi) throw invalidRequest(`No such payment_intent: '${opts.paymentIntent}'`, notFound('payment_intent'));
    fromIntent = pi.status === 'succeeded' ? idOf(pi.latest_charge) : null;
    if (!fromIntent)
      throw invalidRequest(`This PaymentIntent (${pi.id}) does not have a successful charge to refund.`, {
        param: 'payment_intent',
        code: 'charge_not_refundable',
      });
  }
  if (opts.charge && fromIntent && opts.charge !== fromIntent)
    throw invalidRequest(`The charge ${opts.charge} does not belong to the PaymentIntent ${opts.paymentIntent}.`, {
      param: 'charge',
    });
  const id = opts.charge ?? fromIntent;
  if (!id)
    throw invalidRequest('One of the following params should be provided for this request: payment_intent or charge.', {
      code: 'parameter_missing',
    });
  const charge = emu.state.charges.get(id);
  if (!charge) throw invalidRequest(`No such charge: '${id}'`, notFound(opts.charge ? 'charge' : 'payment_intent'));
  return charge;
}

const notFound = (param: string) => ({ param, code: 'resource_missing', status: 404 });

/**
 * Refunds `amount` (default: all that is left) of a charge. Refused, changing nothing, when the
 * charge is already fully refunded or the amount is more than what is left.
 */
export function refundCharge(
  emu: Emulator,
  charge: Stripe.Charge,
  opts: { amount?: number; reason?: Stripe.Refund.Reason; metadata?: Record<string, string | null>; instructionsEmail?: string },
): Stripe.Refund {
  const left = charge.amount - charge.amount_refunded;
  if (charge.refunded || left <= 0)
    throw invalidRequest(`Charge ${charge.id} has already been refunded.`, { code: 'charge_already_refunded' });
  const amount = opts.amount ?? left;
  if (amount > left) {
    const what = charge.amount_refunded > 0 ? 'unrefunded amount on charge' : 'charge amount';
    throw invalidRequest(
      `Refund amount (${formatMoney(amount, charge.currency)}) is greater than ${what} (${formatMoney(left, charge.currency)})`,
      { param: 'amount', code: 'amount_too_large' },
    );
  }
  const customerId = idOf(charge.customer);
  const refund = {
    id: newId('re'),
    object: 'refund',
    amount,
    balance_transaction: null,
    charge: charge.id,
    created: emu.now(customerId),
    currency: charge.currency,
    customer: customerId,
    customer_account: null,
    destination_details: {
      type: 'card',
      card: {
        reference: randomToken(12),
        reference_status: 'available',
        reference_type: 'acquirer_reference_number',
        type: 'refund',
      },
    },
    ...(opts.instructionsEmail ? { instructions_email: opts.instructionsEmail } : {}),
    metadata: metadataOf(opts.metadata),
    payment_intent: idOf(charge.payment_intent),
    payment_method: charge.payment_method,
    reason: opts.reason ?? null,
    receipt_number: null,
    source_transfer_reversal: null,
    status: 'succeeded',
    transfer_reversal: null,
  } satisfies Stripe.Refund;
  emu.state.refunds.set(refund);
  const before = snapshot(charge);
  charge.amount_refunded += amount;
  charge.refunded = charge.amount_refunded >= charge.amount;
  emu.emit('refund.created', refund, { customer: customerId });
  emu.emit('charge.refunded', charge, { customer: customerId, previous: previousAttributes(before, charge) });
  return refund;
}
