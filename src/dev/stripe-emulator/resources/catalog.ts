// The catalog: products and prices (recurring, lookup keys, metered prices linked to a meter).
import type Stripe from 'stripe';
import { previousAttributes, snapshot, type Emulator } from '../emulator.js';
import { invalidRequest } from '../errors.js';
import { newId } from '../ids.js';
import { inRange, matchesQuery, paginate, parseQuery, searchPage } from '../list.js';
import { listFields, p, parse, required, searchFields } from '../params.js';
import type { Router } from '../router.js';
import { decimalString, idOf, mergeMetadata, mustGet } from './common.js';

const recurringSpec = p.obj({
  interval: p.enum('day', 'week', 'month', 'year'),
  interval_count: p.intIn(1, 365),
  meter: p.str,
  trial_period_days: p.int,
  usage_type: p.enum('licensed', 'metered'),
  aggregate_usage: p.str,
});

interface PriceParams {
  currency?: string;
  unit_amount?: number;
  unit_amount_decimal?: number;
  active?: boolean;
  lookup_key?: string | null;
  transfer_lookup_key?: boolean;
  metadata?: Record<string, string | null> | null;
  nickname?: string | null;
  product?: string;
  product_data?: { name: string; active?: boolean; metadata?: Record<string, string | null>; id?: string };
  recurring?: { interval: string; interval_count?: number; meter?: string; trial_period_days?: number; usage_type?: string };
  tax_behavior?: string;
  billing_scheme?: string;
}

const priceCreateFields = {
  currency: p.str,
  unit_amount: p.int,
  unit_amount_decimal: p.num,
  active: p.bool,
  lookup_key: p.str,
  transfer_lookup_key: p.bool,
  metadata: p.meta,
  nickname: p.str,
  product: p.str,
  product_data: p.obj({
    name: p.str,
    active: p.bool,
    metadata: p.meta,
    id: p.str,
    statement_descriptor: p.str,
    tax_code: p.str,
    unit_label: p.str,
    tax_details: p.any,
  }),
  recurring: recurringSpec,
  tax_behavior: p.enum('inclusive', 'exclusive', 'unspecified'),
  billing_scheme: p.or(p.enum('per_unit'), p.unsupported),
  currency_options: p.unsupported,
  custom_unit_amount: p.unsupported,
  tiers: p.unsupported,
  tiers_mode: p.unsupported,
  transform_quantity: p.unsupported,
};

function newProduct(
  emu: Emulator,
  body: {
    id?: string;
    name: string;
    description?: string | null;
    active?: boolean;
    metadata?: Record<string, string | null> | null;
    images?: string[];
    unit_label?: string | null;
    url?: string | null;
    statement_descriptor?: string | null;
  },
): Stripe.Product {
  const now = emu.now();
  const id = body.id ?? newId('prod');
  if (emu.state.products.has(id))
    throw invalidRequest(`Product already exists.`, { param: 'id', code: 'resource_already_exists' });
  const product = {
    id,
    object: 'product',
    active: body.active ?? true,
    created: now,
    default_price: null,
    description: body.description ?? null,
    images: body.images ?? [],
    livemode: false,
    marketing_features: [],
    metadata: mergeMetadata({}, body.metadata),
    name: body.name,
    package_dimensions: null,
    shippable: null,
    statement_descriptor: body.statement_descriptor ?? null,
    tax_code: null,
    tax_details: null,
    type: 'service',
    unit_label: body.unit_label ?? null,
    updated: now,
    url: body.url ?? null,
  } satisfies Stripe.Product;
  emu.state.products.set(product);
  emu.emit('product.created', product);
  return product;
}

const plans = new WeakMap<Stripe.Price, Stripe.Plan>();

/** Stripe's legacy Plan view of a recurring price (still embedded on subscription items); shared per price. */
export function planFromPrice(price: Stripe.Price): Stripe.Plan {
  const cached = plans.get(price);
  if (cached && cached.active === price.active && cached.nickname === price.nickname) return cached;
  const plan = buildPlan(price);
  plans.set(price, plan);
  return plan;
}

function buildPlan(price: Stripe.Price): Stripe.Plan {
  const r = price.recurring;
  return {
    id: price.id,
    object: 'plan',
    active: price.active,
    amount: price.unit_amount,
    amount_decimal: price.unit_amount_decimal,
    billing_scheme: price.billing_scheme,
    created: price.created,
    currency: price.currency,
    interval: r?.interval ?? 'month',
    interval_count: r?.interval_count ?? 1,
    livemode: false,
    metadata: price.metadata,
    meter: r?.meter ?? null,
    nickname: price.nickname,
    product: price.product,
    tiers_mode: null,
    transform_usage: null,
    trial_period_days: r?.trial_period_days ?? null,
    usage_type: r?.usage_type ?? 'licensed',
  } satisfies Stripe.Plan;
}

function claimLookupKey(emu: Emulator, key: string, transfer: boolean | undefined, except?: string): void {
  for (const other of emu.state.prices.values()) {
    if (other.id === except || other.lookup_key !== key) continue;
    if (!transfer) {
      throw invalidRequest(`A price (\`${other.id}\`) already uses that lookup key.`, { param: 'lookup_key' });
    }
    const before = snapshot(other);
    other.lookup_key = null;
    emu.emit('price.updated', other, { previous: previousAttributes(before, other) });
  }
}

export function createPrice(emu: Emulator, body: PriceParams): Stripe.Price {
  const currency = required<string>(body as Record<string, unknown>, 'currency').toLowerCase();
  let productId = body.product;
  if (!productId && !body.product_data)
    throw invalidRequest('Missing required param: product.', { param: 'product', code: 'parameter_missing' });
  if (productId) mustGet(emu.state.products, productId, 'product');
  else
    productId = newProduct(emu, {
      ...body.product_data!,
      name: required<string>(body.product_data as Record<string, unknown>, 'name'),
    }).id;
  if (body.unit_amount === undefined && body.unit_amount_decimal === undefined) {
    throw invalidRequest('Missing required param: unit_amount.', { param: 'unit_amount', code: 'parameter_missing' });
  }
  let recurring: Stripe.Price.Recurring | null = null;
  if (body.recurring) {
    if (!body.recurring.interval)
      throw invalidRequest('Missing required param: recurring[interval].', {
        param: 'recurring[interval]',
        code: 'parameter_missing',
      });
    const usageType = body.recurring.usage_type ?? 'licensed';
    if (usageType === 'metered' && !body.recurring.meter) {
      throw invalidRequest('Metered prices must be backed by a meter. Pass `recurring[meter]`.', { param: 'recurring[meter]' });
    }
    if (body.recurring.meter) {
      mustGet(emu.state.meters, body.recurring.meter, 'recurring[meter]');
      if (usageType !== 'metered')
        throw invalidRequest('A meter can only be set on a price with `recurring[usage_type]=metered`.', {
          param: 'recurring[meter]',
        });
    }
    recurring = {
      interval: body.recurring.interval,
      interval_count: body.recurring.interval_count ?? 1,
      meter: body.recurring.meter ?? null,
      trial_period_days: body.recurring.trial_period_days ?? null,
      usage_type: usageType,
    };
  }
  if (body.lookup_key) claimLookupKey(emu, body.lookup_key, body.transfer_lookup_key);
  const amount = body.unit_amount ?? Math.round(body.unit_amount_decimal ?? 0);
  const price = {
    id: newId('price'),
    object: 'price',
    active: body.active ?? true,
    billing_scheme: 'per_unit',
    created: emu.now(),
    currency,
    custom_unit_amount: null,
    livemode: false,
    lookup_key: body.lookup_key ?? null,
    metadata: mergeMetadata({}, body.metadata),
    nickname: body.nickname ?? null,
    product: productId,
    recurring,
    tax_behavior: body.tax_behavior ?? 'unspecified',
    tiers_mode: null,
    transform_quantity: null,
    type: recurring ? 'recurring' : 'one_time',
    unit_amount: amount,
    unit_amount_decimal: decimalString(body.unit_amount_decimal ?? amount),
  } satisfies Stripe.Price;
  emu.state.prices.set(price);
  emu.emit('price.created', price);
  return price;
}

export function registerCatalog(router: Router): void {
  // ---- products ----
  router.post('/v1/products', ({ emu, raw }) => {
    const body = parse<{
      id?: string;
      name: string;
      description?: string;
      active?: boolean;
      metadata?: Record<string, string | null>;
      images?: string[];
      default_price_data?: {
        currency: string;
        unit_amount?: number;
        recurring?: PriceParams['recurring'];
        unit_amount_decimal?: number;
      };
      unit_label?: string;
      url?: string;
      statement_descriptor?: string;
    }>(
      {
        id: p.str,
        name: p.str,
        description: p.str,
        active: p.bool,
        metadata: p.meta,
        images: p.arr(p.str),
        default_price_data: p.obj({
          currency: p.str,
          unit_amount: p.int,
          unit_amount_decimal: p.num,
          recurring: recurringSpec,
          tax_behavior: p.str,
          currency_options: p.unsupported,
          custom_unit_amount: p.unsupported,
          metadata: p.meta,
        }),
        marketing_features: p.any,
        package_dimensions: p.any,
        shippable: p.bool,
        statement_descriptor: p.str,
        tax_code: p.str,
        tax_details: p.any,
        type: p.str,
        unit_label: p.str,
        url: p.str,
      },
      raw,
    );
    required(body, 'name');
    const product = newProduct(emu, body);
    if (body.default_price_data) {
      const price = createPrice(emu, { ...body.default_price_data, product: product.id });
      product.default_price = price.id;
    }
    return product;
  });

  router.get('/v1/products/search', ({ emu, raw, path }) => {
    const params = parse<{ query?: string; limit?: number; page?: string }>(searchFields, raw);
    const q = parseQuery(required<string>(params, 'query'));
    return searchPage(
      emu.state.products.newestFirst((x) =>
        matchesQuery(x as unknown as Record<string, unknown>, q, ['active', 'name', 'metadata', 'created', 'description']),
      ),
      params,
      path,
    );
  });

  router.get('/v1/products/:id', ({ emu, params, raw }) => {
    parse({}, raw);
    return mustGet(emu.state.products, params.id);
  });

  router.post('/v1/products/:id', ({ emu, params, raw }) => {
    const body = parse<{
      name?: string;
      description?: string | null;
      active?: boolean;
      metadata?: Record<string, string | null> | null;
      default_price?: string | null;
      images?: string[] | null;
      unit_label?: string | null;
      url?: string | null;
    }>(
      {
        name: p.str,
        description: p.str,
        active: p.bool,
        metadata: p.meta,
        default_price: p.str,
        images: p.arr(p.str),
        marketing_features: p.any,
        package_dimensions: p.any,
        shippable: p.bool,
        statement_descriptor: p.str,
        tax_code: p.str,
        tax_details: p.any,
        unit_label: p.str,
        url: p.str,
      },
      raw,
    );
    const product = mustGet(emu.state.products, params.id);
    const before = snapshot(product);
    if (body.name !== undefined) product.name = body.name;
    if (body.description !== undefined) product.description = body.description;
    if (body.active !== undefined) product.active = body.active;
    if (body.images !== undefined) product.images = body.images ?? [];
    if (body.unit_label !== undefined) product.unit_label = body.unit_label;
    if (body.url !== undefined) product.url = body.url;
    if (body.metadata !== undefined) product.metadata = mergeMetadata(product.metadata, body.metadata);
    if (body.default_price !== undefined) {
      if (body.default_price) {
        const price = mustGet(emu.state.prices, body.default_price, 'default_price');
        if (price.product !== product.id)
          throw invalidRequest('The default price must belong to this product.', { param: 'default_price' });
      }
      product.default_price = body.default_price;
    }
    product.updated = emu.now();
    emu.emit('product.updated', product, { previous: previousAttributes(before, product) });
    return product;
  });

  router.delete('/v1/products/:id', ({ emu, params, raw }) => {
    parse({}, raw);
    const product = mustGet(emu.state.products, params.id);
    for (const price of emu.state.prices.values()) {
      if (price.product === product.id) {
        throw invalidRequest('This product cannot be deleted because it has one or more user-created prices.', { param: 'id' });
      }
    }
    emu.state.products.delete(product.id);
    emu.state.deleted[product.id] = 'product';
    emu.emit('product.deleted', product);
    return { id: product.id, object: 'product', deleted: true } satisfies Stripe.DeletedProduct;
  });

  router.get('/v1/products', ({ emu, raw, path }) => {
    const params = parse<{
      limit?: number;
      starting_after?: string;
      ending_before?: string;
      active?: boolean;
      ids?: string[];
      created?: unknown;
    }>({ ...listFields, active: p.bool, ids: p.arr(p.str), created: p.range, shippable: p.bool, type: p.str, url: p.str }, raw);
    const items = emu.state.products.newestFirst(
      (x) =>
        (params.active === undefined || x.active === params.active) &&
        (!params.ids || params.ids.includes(x.id)) &&
        inRange(x.created, params.created),
    );
    return paginate(items, params, path);
  });

  // ---- prices ----
  router.post('/v1/prices', ({ emu, raw }) => createPrice(emu, parse<PriceParams>(priceCreateFields, raw)));

  router.get('/v1/prices/search', ({ emu, raw, path }) => {
    const params = parse<{ query?: string; limit?: number; page?: string }>(searchFields, raw);
    const q = parseQuery(required<string>(params, 'query'));
    return searchPage(
      emu.state.prices.newestFirst((x) =>
        matchesQuery({ ...x, product: idOf(x.product) } as unknown as Record<string, unknown>, q, [
          'active',
          'currency',
          'lookup_key',
          'metadata',
          'product',
          'type',
          'created',
        ]),
      ),
      params,
      path,
    );
  });

  router.get('/v1/prices/:id', ({ emu, params, raw }) => {
    parse({}, raw);
    return mustGet(emu.state.prices, params.id);
  });

  router.post('/v1/prices/:id', ({ emu, params, raw }) => {
    const body = parse<{
      active?: boolean;
      lookup_key?: string | null;
      transfer_lookup_key?: boolean;
      metadata?: Record<string, string | null> | null;
      nickname?: string | null;
      tax_behavior?: string;
    }>(
      {
        active: p.bool,
        lookup_key: p.str,
        transfer_lookup_key: p.bool,
        metadata: p.meta,
        nickname: p.str,
        tax_behavior: p.str,
        currency_options: p.unsupported,
      },
      raw,
    );
    const price = mustGet(emu.state.prices, params.id);
    const before = snapshot(price);
    if (body.lookup_key !== undefined) {
      if (body.lookup_key) claimLookupKey(emu, body.lookup_key, body.transfer_lookup_key, price.id);
      price.lookup_key = body.lookup_key;
    }
    if (body.active !== undefined) price.active = body.active;
    if (body.nickname !== undefined) price.nickname = body.nickname;
    if (body.tax_behavior !== undefined) price.tax_behavior = body.tax_behavior;
    if (body.metadata !== undefined) price.metadata = mergeMetadata(price.metadata, body.metadata);
    emu.emit('price.updated', price, { previous: previousAttributes(before, price) });
    return price;
  });

  router.get('/v1/prices', ({ emu, raw, path }) => {
    const params = parse<{
      limit?: number;
      starting_after?: string;
      ending_before?: string;
      active?: boolean;
      currency?: string;
      product?: string;
      type?: string;
      lookup_keys?: string[];
      recurring?: { interval?: string; usage_type?: string; meter?: string };
      created?: unknown;
    }>(
      {
        ...listFields,
        active: p.bool,
        currency: p.str,
        product: p.str,
        type: p.enum('one_time', 'recurring'),
        lookup_keys: p.arr(p.str),
        recurring: p.obj({ interval: p.str, usage_type: p.str, meter: p.str }),
        created: p.range,
      },
      raw,
    );
    if (params.lookup_keys && params.lookup_keys.length > 10)
      throw invalidRequest('You may only specify up to 10 lookup keys.', { param: 'lookup_keys' });
    const items = emu.state.prices.newestFirst(
      (x) =>
        (params.active === undefined || x.active === params.active) &&
        (!params.currency || x.currency === params.currency) &&
        (!params.product || x.product === params.product) &&
        (!params.type || x.type === params.type) &&
        (!params.lookup_keys || (x.lookup_key !== null && params.lookup_keys.includes(x.lookup_key))) &&
        (!params.recurring?.interval || x.recurring?.interval === params.recurring.interval) &&
        (!params.recurring?.usage_type || x.recurring?.usage_type === params.recurring.usage_type) &&
        (!params.recurring?.meter || x.recurring?.meter === params.recurring.meter) &&
        inRange(x.created, params.created),
    );
    return paginate(items, params, path);
  });
}
