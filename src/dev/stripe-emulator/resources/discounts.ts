// Coupons, promotion codes and the Discount objects that apply them to subscriptions.
import type Stripe from 'stripe';
import { previousAttributes, snapshot, type Emulator } from '../emulator.js';
import { invalidRequest, noSuch } from '../errors.js';
import { newId, randomToken } from '../ids.js';
import { inRange, paginate } from '../list.js';
import { listFields, p, parse } from '../params.js';
import type { Router } from '../router.js';
import { addUnits } from '../engine/time.js';
import { idOf, mergeMetadata, mustGet } from './common.js';

export function couponUsable(_emu: Emulator, coupon: Stripe.Coupon, now: number): string | null {
  if (!coupon.valid) return `Coupon ${coupon.id} is no longer valid.`;
  if (coupon.redeem_by !== null && coupon.redeem_by < now) return `Coupon ${coupon.id} has expired.`;
  if (coupon.max_redemptions !== null && coupon.times_redeemed >= coupon.max_redemptions)
    return `Coupon ${coupon.id} has been fully redeemed.`;
  return null;
}

/** Find an active promotion code by what a person types (case-insensitive, as on Checkout). */
export function findPromotionCode(emu: Emulator, code: string): Stripe.PromotionCode | undefined {
  const wanted = code.trim().toLowerCase();
  for (const promo of emu.state.promotionCodes.values()) if (promo.active && promo.code.toLowerCase() === wanted) return promo;
  return undefined;
}

export function promotionCodeUsable(
  emu: Emulator,
  promo: Stripe.PromotionCode,
  customerId: string | null,
  now: number,
): string | null {
  if (!promo.active) return 'This code is invalid.';
  if (promo.expires_at !== null && promo.expires_at < now) return 'This code has expired.';
  if (promo.max_redemptions !== null && promo.times_redeemed >= promo.max_redemptions)
    return 'This code has been fully redeemed.';
  const owner = idOf(promo.customer as string | null);
  if (owner && owner !== customerId) return 'This code is not valid for this customer.';
  const coupon = emu.state.coupons.get(idOf(promo.promotion.coupon as string) ?? '');
  if (!coupon) return 'This code is invalid.';
  return couponUsable(emu, coupon, now);
}

/** Redeem a coupon (directly or through a promotion code) into a Discount object. */
export function createDiscount(
  emu: Emulator,
  opts: {
    coupon?: string;
    promotionCode?: string;
    customer: string;
    subscription?: string | null;
    checkoutSession?: string | null;
    now: number;
    /** For an invoice preview: checked like a redemption, but nothing is redeemed. */
    preview?: boolean;
  },
): Stripe.Discount {
  let promo: Stripe.PromotionCode | undefined;
  let couponId = opts.coupon;
  if (opts.promotionCode) {
    promo = mustGet(emu.state.promotionCodes, opts.promotionCode, 'discounts[0][promotion_code]');
    const problem = promotionCodeUsable(emu, promo, opts.customer, opts.now);
    if (problem) throw invalidRequest(problem, { param: 'discounts[0][promotion_code]' });
    couponId = idOf(promo.promotion.coupon as string) ?? undefined;
  }
  const coupon = couponId ? emu.state.coupons.get(couponId) : undefined;
  if (!coupon) throw noSuch(String(couponId), 'discounts[0][coupon]', 'coupon');
  const problem = couponUsable(emu, coupon, opts.now);
  if (problem) throw invalidRequest(problem, { param: 'discounts[0][coupon]' });
  if (!opts.preview) {
    coupon.times_redeemed += 1;
    if (promo) promo.times_redeemed += 1;
  }
  const end =
    coupon.duration === 'repeating' && coupon.duration_in_months ? addUnits(opts.now, 'month', coupon.duration_in_months) : null;
  const discount = {
    id: newId('di'),
    object: 'discount',
    checkout_session: opts.checkoutSession ?? null,
    customer: opts.customer,
    customer_account: null,
    end,
    invoice: null,
    invoice_item: null,
    promotion_code: promo?.id ?? null,
    source: { type: 'coupon', coupon: coupon.id },
    start: opts.now,
    subscription: opts.subscription ?? null,
    subscription_item: null,
  } satisfies Stripe.Discount;
  emu.state.discounts.set(discount);
  return discount;
}

export function registerDiscounts(router: Router): void {
  router.post('/v1/coupons', ({ emu, raw }) => {
    const body = parse<{
      id?: string;
      amount_off?: number;
      currency?: string;
      duration?: string;
      duration_in_months?: number;
      max_redemptions?: number;
      metadata?: Record<string, string | null>;
      name?: string;
      percent_off?: number;
      redeem_by?: number;
    }>(
      {
        id: p.str,
        amount_off: p.int,
        currency: p.str,
        duration: p.enum('once', 'repeating', 'forever'),
        duration_in_months: p.int,
        max_redemptions: p.int,
        metadata: p.meta,
        name: p.str,
        percent_off: p.num,
        redeem_by: p.int,
        applies_to: p.unsupported,
        currency_options: p.unsupported,
      },
      raw,
    );
    if ((body.amount_off === undefined) === (body.percent_off === undefined)) {
      throw invalidRequest('You must pass exactly one of amount_off or percent_off.', { param: 'percent_off' });
    }
    if (body.amount_off !== undefined && !body.currency)
      throw invalidRequest('You must pass currency when passing amount_off.', { param: 'currency' });
    const duration = body.duration ?? 'once';
    if (duration === 'repeating' && !body.duration_in_months)
      throw invalidRequest('You must pass duration_in_months when duration is repeating.', { param: 'duration_in_months' });
    const id = body.id ?? randomToken(8);
    if (emu.state.coupons.has(id))
      throw invalidRequest('Coupon already exists.', { param: 'id', code: 'resource_already_exists' });
    const coupon = {
      id,
      object: 'coupon',
      amount_off: body.amount_off ?? null,
      created: emu.now(),
      currency: body.currency?.toLowerCase() ?? null,
      duration,
      duration_in_months: duration === 'repeating' ? (body.duration_in_months ?? null) : null,
      livemode: false,
      max_redemptions: body.max_redemptions ?? null,
      metadata: mergeMetadata({}, body.metadata),
      name: body.name ?? null,
      percent_off: body.percent_off ?? null,
      redeem_by: body.redeem_by ?? null,
      times_redeemed: 0,
      valid: true,
    } satisfies Stripe.Coupon;
    emu.state.coupons.set(coupon);
    emu.emit('coupon.created', coupon);
    return coupon;
  });
  router.get('/v1/coupons/:id', ({ emu, params, raw }) => {
    parse({}, raw);
    return mustGet(emu.state.coupons, params.id, 'id', 'coupon');
  });
  router.post('/v1/coupons/:id', ({ emu, params, raw }) => {
    const body = parse<{ metadata?: Record<string, string | null>; name?: string }>(
      { metadata: p.meta, name: p.str, currency_options: p.unsupported },
      raw,
    );
    const coupon = mustGet(emu.state.coupons, params.id, 'id', 'coupon');
    const before = snapshot(coupon);
    if (body.name !== undefined) coupon.name = body.name;
    if (body.metadata !== undefined) coupon.metadata = mergeMetadata(coupon.metadata, body.metadata);
    emu.emit('coupon.updated', coupon, { previous: previousAttributes(before, coupon) });
    return coupon;
  });
  router.delete('/v1/coupons/:id', ({ emu, params, raw }) => {
    parse({}, raw);
    const coupon = mustGet(emu.state.coupons, params.id, 'id', 'coupon');
    emu.state.coupons.delete(coupon.id);
    coupon.valid = false;
    emu.emit('coupon.deleted', coupon);
    return { id: coupon.id, object: 'coupon', deleted: true } satisfies Stripe.DeletedCoupon;
  });
  router.get('/v1/coupons', ({ emu, raw, path }) => {
    const params = parse<{ limit?: number; starting_after?: string; ending_before?: string; created?: unknown }>(
      { ...listFields, created: p.range },
      raw,
    );
    return paginate(
      emu.state.coupons.newestFirst((c) => inRange(c.created, params.created)),
      params,
      path,
    );
  });

  router.post('/v1/promotion_codes', ({ emu, raw }) => {
    const body = parse<{
      promotion?: { type?: string; coupon?: string };
      code?: string;
      active?: boolean;
      customer?: string;
      expires_at?: number;
      max_redemptions?: number;
      metadata?: Record<string, string | null>;
      restrictions?: { first_time_transaction?: boolean; minimum_amount?: number; minimum_amount_currency?: string };
    }>(
      {
        promotion: p.obj({ type: p.enum('coupon'), coupon: p.str }),
        code: p.str,
        active: p.bool,
        customer: p.str,
        customer_account: p.str,
        expires_at: p.int,
        max_redemptions: p.int,
        metadata: p.meta,
        restrictions: p.obj({
          first_time_transaction: p.bool,
          minimum_amount: p.int,
          minimum_amount_currency: p.str,
          currency_options: p.any,
        }),
      },
      raw,
    );
    if (!body.promotion?.coupon)
      throw invalidRequest('Missing required param: promotion[coupon].', {
        param: 'promotion[coupon]',
        code: 'parameter_missing',
      });
    mustGet(emu.state.coupons, body.promotion.coupon, 'promotion[coupon]', 'coupon');
    if (body.customer) mustGet(emu.state.customers, body.customer, 'customer');
    const code = body.code ?? randomToken(8).toUpperCase();
    if (findPromotionCode(emu, code))
      throw invalidRequest(`An active promotion code with \`code: ${code}\` already exists.`, { param: 'code' });
    const promo = {
      id: newId('promo'),
      object: 'promotion_code',
      active: body.active ?? true,
      code,
      created: emu.now(),
      customer: body.customer ?? null,
      customer_account: null,
      expires_at: body.expires_at ?? null,
      livemode: false,
      max_redemptions: body.max_redemptions ?? null,
      metadata: mergeMetadata({}, body.metadata),
      promotion: { type: 'coupon', coupon: body.promotion.coupon },
      restrictions: {
        first_time_transaction: body.restrictions?.first_time_transaction ?? false,
        minimum_amount: body.restrictions?.minimum_amount ?? null,
        minimum_amount_currency: body.restrictions?.minimum_amount_currency ?? null,
      },
      times_redeemed: 0,
    } satisfies Stripe.PromotionCode;
    emu.state.promotionCodes.set(promo);
    emu.emit('promotion_code.created', promo);
    return promo;
  });
  router.get('/v1/promotion_codes/:id', ({ emu, params, raw }) => {
    parse({}, raw);
    return mustGet(emu.state.promotionCodes, params.id);
  });
  router.post('/v1/promotion_codes/:id', ({ emu, params, raw }) => {
    const body = parse<{ active?: boolean; metadata?: Record<string, string | null> }>(
      { active: p.bool, metadata: p.meta, restrictions: p.any },
      raw,
    );
    const promo = mustGet(emu.state.promotionCodes, params.id);
    const before = snapshot(promo);
    if (body.active !== undefined) promo.active = body.active;
    if (body.metadata !== undefined) promo.metadata = mergeMetadata(promo.metadata, body.metadata);
    emu.emit('promotion_code.updated', promo, { previous: previousAttributes(before, promo) });
    return promo;
  });
  router.get('/v1/promotion_codes', ({ emu, raw, path }) => {
    const params = parse<{
      limit?: number;
      starting_after?: string;
      ending_before?: string;
      active?: boolean;
      code?: string;
      coupon?: string;
      customer?: string;
      created?: unknown;
    }>(
      { ...listFields, active: p.bool, code: p.str, coupon: p.str, customer: p.str, customer_account: p.str, created: p.range },
      raw,
    );
    const items = emu.state.promotionCodes.newestFirst(
      (x) =>
        (params.active === undefined || x.active === params.active) &&
        (!params.code || x.code.toLowerCase() === params.code.toLowerCase()) &&
        (!params.coupon || idOf(x.promotion.coupon as string) === params.coupon) &&
        (!params.customer || idOf(x.customer as string) === params.customer) &&
        inRange(x.created, params.created),
    );
    return paginate(items, params, path);
  });
}
