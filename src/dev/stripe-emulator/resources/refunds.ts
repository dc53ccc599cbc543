// Charges (retrieve, list) and refunds (create, retrieve, update, cancel, list). A refund names a
// PaymentIntent or a Charge; it is refused when it is more than what is left to refund.
import type Stripe from 'stripe';
import { previousAttributes, snapshot } from '../emulator.js';
import { invalidRequest } from '../errors.js';
import { registerIncludable } from '../expand.js';
import { fullList, inRange, pageOf } from '../list.js';
import { listFields, p, parse } from '../params.js';
import type { Router } from '../router.js';
import { chargeToRefund, refundCharge } from '../engine/charges.js';
import { idOf, mergeMetadata, mustGet } from './common.js';

export function registerRefunds(router: Router): void {
  // Since 2022-11-15 a charge's refunds are listed only when expanded.
  registerIncludable('charge', 'refunds', (emu, obj) =>
    fullList(
      emu.state.refunds.newestFirst((r) => r.charge === obj.id),
      `/v1/charges/${String(obj.id)}/refunds`,
    ),
  );

  router.get('/v1/charges/:id', ({ emu, params, raw }) => {
    parse({}, raw);
    return mustGet(emu.state.charges, params.id);
  });

  router.get('/v1/charges', ({ emu, raw, path }) => {
    const q = parse<{
      limit?: number;
      starting_after?: string;
      ending_before?: string;
      customer?: string;
      payment_intent?: string;
      created?: unknown;
    }>({ ...listFields, customer: p.str, payment_intent: p.str, created: p.range, transfer_group: p.unsupported }, raw);
    const filter = (c: Stripe.Charge) =>
      (!q.customer || idOf(c.customer) === q.customer) &&
      (!q.payment_intent || idOf(c.payment_intent) === q.payment_intent) &&
      inRange(c.created, q.created);
    return pageOf(emu.state.charges, filter, q, path);
  });

  router.post('/v1/refunds', ({ emu, raw }) => {
    const body = parse<{
      amount?: number;
      charge?: string;
      payment_intent?: string;
      reason?: Stripe.RefundCreateParams.Reason;
      metadata?: Record<string, string | null>;
      instructions_email?: string;
    }>(
      {
        amount: p.intIn(1, 99_999_999),
        charge: p.str,
        payment_intent: p.str,
        reason: p.enum('duplicate', 'fraudulent', 'requested_by_customer'),
        metadata: p.meta,
        instructions_email: p.str,
        currency: p.unsupported,
        customer: p.unsupported,
        origin: p.unsupported,
        refund_application_fee: p.unsupported,
        reverse_transfer: p.unsupported,
      },
      raw,
    );
    const charge = chargeToRefund(emu, { charge: body.charge, paymentIntent: body.payment_intent });
    return refundCharge(emu, charge, {
      amount: body.amount,
      reason: body.reason,
      metadata: body.metadata,
      instructionsEmail: body.instructions_email,
    });
  });

  router.get('/v1/refunds/:id', ({ emu, params, raw }) => {
    parse({}, raw);
    return mustGet(emu.state.refunds, params.id);
  });

  router.post('/v1/refunds/:id', ({ emu, params, raw }) => {
    const body = parse<{ metadata?: Record<string, string | null> | null }>({ metadata: p.meta }, raw);
    const refund = mustGet(emu.state.refunds, params.id);
    const before = snapshot(refund);
    refund.metadata = mergeMetadata(refund.metadata, body.metadata);
    const previous = previousAttributes(before, refund);
    if (Object.keys(previous).length > 0)
      emu.emit('refund.updated', refund, { customer: idOf(refund.customer as string | null), previous });
    return refund;
  });

  router.post('/v1/refunds/:id/cancel', ({ emu, params, raw }) => {
    parse({}, raw);
    const refund = mustGet(emu.state.refunds, params.id);
    // Card refunds succeed at once; only refunds waiting for customer action can be canceled.
    throw invalidRequest(`You can only cancel refunds with a status of \`requires_action\`; this refund is ${refund.status}.`);
  });

  router.get('/v1/refunds', ({ emu, raw, path }) => {
    const q = parse<{
      limit?: number;
      starting_after?: string;
      ending_before?: string;
      charge?: string;
      payment_intent?: string;
      created?: unknown;
    }>({ ...listFields, charge: p.str, payment_intent: p.str, created: p.range }, raw);
    const filter = (r: Stripe.Refund) =>
      (!q.charge || idOf(r.charge) === q.charge) &&
      (!q.payment_intent || idOf(r.payment_intent) === q.payment_intent) &&
      inRange(r.created, q.created);
    return pageOf(emu.state.refunds, filter, q, path);
  });
}
