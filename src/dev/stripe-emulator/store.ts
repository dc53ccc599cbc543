// The emulator's whole state: one in-memory collection per Stripe resource, plus the side data the
// real Stripe keeps privately (how a test card behaves, pending proration items, dunning progress).
// Everything here is plain JSON so it can be persisted and reloaded as is.
import type Stripe from 'stripe';

export class Collection<T extends { id: string }> {
  private readonly map = new Map<string, T>();
  /** Insertion order (ids of deleted objects stay as holes), so pages are read newest-first lazily. */
  private order: string[] = [];
  private readonly position = new Map<string, number>();

  get(id: string): T | undefined {
    return this.map.get(id);
  }
  has(id: string): boolean {
    return this.map.has(id);
  }
  set(obj: T): T {
    if (!this.position.has(obj.id)) {
      this.position.set(obj.id, this.order.length);
      this.order.push(obj.id);
    }
    this.map.set(obj.id, obj);
    return obj;
  }
  delete(id: string): boolean {
    return this.map.delete(id);
  }
  get size(): number {
    return this.map.size;
  }
  values(): IterableIterator<T> {
    return this.map.values();
  }
  /** Newest first, the order Stripe lists in. */
  newestFirst(filter?: (obj: T) => boolean): T[] {
    const out: T[] = [];
    for (let i = this.order.length - 1; i >= 0; i--) {
      const obj = this.map.get(this.order[i]!);
      if (obj && (!filter || filter(obj))) out.push(obj);
    }
    return out;
  }
  /**
   * One page of a newest-first list, reading only as far as the page needs (cheap on big stores).
   * Returns null for an unknown cursor.
   */
  page(
    filter: (obj: T) => boolean,
    opts: { limit: number; startingAfter?: string; endingBefore?: string },
  ): { data: T[]; hasMore: boolean } | null {
    const { limit } = opts;
    const collect = (from: number, step: -1 | 1): T[] => {
      const out: T[] = [];
      for (let i = from; i >= 0 && i < this.order.length && out.length <= limit; i += step) {
        const obj = this.map.get(this.order[i]!);
        if (obj && filter(obj)) out.push(obj);
      }
      return out;
    };
    if (opts.endingBefore !== undefined) {
      const at = this.position.get(opts.endingBefore);
      if (at === undefined || !this.map.has(opts.endingBefore)) return null;
      const newer = collect(at + 1, 1);
      return { data: newer.slice(0, limit).reverse(), hasMore: newer.length > limit };
    }
    let from = this.order.length - 1;
    if (opts.startingAfter !== undefined) {
      const at = this.position.get(opts.startingAfter);
      if (at === undefined || !this.map.has(opts.startingAfter)) return null;
      from = at - 1;
    }
    const older = collect(from, -1);
    return { data: older.slice(0, limit), hasMore: older.length > limit };
  }
  toJSON(): T[] {
    return [...this.map.values()];
  }
  load(items: T[]): void {
    this.clear();
    for (const item of items) this.set(item);
  }
  clear(): void {
    this.map.clear();
    this.order = [];
    this.position.clear();
  }
}

/** How a saved card behaves when charged (Stripe's test card numbers decide this). */
export type CardBehavior =
  | 'succeed'
  | 'decline_generic' // 4000000000000002
  | 'decline_insufficient_funds' // 4000000000009995
  | 'attach_then_fail' // 4000000000000341: attaches, every charge fails
  | 'auth_setup' // 4000002500003155: authenticate once on session, later off-session charges succeed
  | 'auth_always'; // 4000002760003184 / 4000000000003220: every charge needs authentication

/** A proration or one-off amount waiting for the customer's next invoice (Stripe's pending invoice items). */
export interface PendingItem {
  id: string; // ii_…
  customer: string;
  subscription: string | null;
  subscription_item: string | null;
  price: string | null;
  product: string | null;
  amount: number;
  currency: string;
  description: string;
  quantity: number;
  period: { start: number; end: number };
  proration: boolean;
  created: number;
}

export interface StoredEvent {
  id: string;
  type: string;
  created: number;
  customer: string | null;
  /** The event exactly as first rendered (a snapshot, like Stripe's), deflated: events are most of the memory. */
  /**
   * `j:` + JSON, or the JSON deflated (raw, with the state's dictionary): in memory `l:` + the bytes
   * as Latin-1, in a data file `z:` + base64 (JSON would escape the control bytes).
   */
  data: string;
  pending: number; // endpoints still to be delivered to
  failed: boolean; // at least one delivery attempt failed
}

export interface MeterEventRecord {
  identifier: string;
  event_name: string;
  customer: string;
  value: number;
  timestamp: number;
  created: number;
  payload: Record<string, string>;
}

export interface SubscriptionFlags {
  trialWillEndSent?: number; // trial_end the warning was sent for
  upcomingSentFor?: number; // period end the invoice.upcoming was sent for
  incompleteExpiresAt?: number;
  /** The open invoice whose payment applies the subscription's `pending_update`. */
  pendingUpdateInvoice?: string;
}

export interface Settings {
  /** Days between payment retries after a failed renewal (Smart Retries' common default spacing). */
  retryDays: number[];
  /** What happens to the subscription after the last retry fails. */
  afterFinalFailure: 'cancel' | 'unpaid' | 'past_due';
  /** Draft renewal invoices finalize this many seconds after they are created (Stripe: ~1 hour). */
  finalizeDelaySeconds: number;
  /** invoice.upcoming is sent this many days before a renewal. */
  upcomingDays: number;
}

export const defaultSettings = (): Settings => ({
  retryDays: [3, 5, 7],
  afterFinalFailure: 'cancel',
  finalizeDelaySeconds: 3600,
  upcomingDays: 3,
});

export class State {
  customers = new Collection<Stripe.Customer>();
  products = new Collection<Stripe.Product>();
  prices = new Collection<Stripe.Price>();
  paymentMethods = new Collection<Stripe.PaymentMethod>();
  subscriptions = new Collection<Stripe.Subscription>();
  subscriptionSchedules = new Collection<Stripe.SubscriptionSchedule>();
  invoices = new Collection<Stripe.Invoice>();
  invoicePayments = new Collection<Stripe.InvoicePayment>();
  paymentIntents = new Collection<Stripe.PaymentIntent>();
  charges = new Collection<Stripe.Charge>();
  refunds = new Collection<Stripe.Refund>();
  creditNotes = new Collection<Stripe.CreditNote>();
  customerBalanceTransactions = new Collection<Stripe.CustomerBalanceTransaction>();
  checkoutSessions = new Collection<Stripe.Checkout.Session>();
  portalSessions = new Collection<Stripe.BillingPortal.Session>();
  portalConfigurations = new Collection<Stripe.BillingPortal.Configuration>();
  coupons = new Collection<Stripe.Coupon>();
  discounts = new Collection<Stripe.Discount>();
  promotionCodes = new Collection<Stripe.PromotionCode>();
  webhookEndpoints = new Collection<Stripe.WebhookEndpoint>();
  testClocks = new Collection<Stripe.TestHelpers.TestClock>();
  taxIds = new Collection<Stripe.TaxId>();
  meters = new Collection<Stripe.Billing.Meter>();
  events = new Collection<StoredEvent>();
  /** Event destinations (API v2), with their signing secrets. */
  eventDestinations = new Collection<Stripe.V2.Core.EventDestination>();
  /** API v2 events (thin events' full form, read with GET /v2/core/events/:id). */
  v2Events = new Collection<Stripe.V2.Core.Event>();

  meterEvents: MeterEventRecord[] = [];
  pendingItems: PendingItem[] = [];
  cardBehavior: Record<string, CardBehavior> = {};
  customerOffset: Record<string, number> = {};
  subFlags: Record<string, SubscriptionFlags> = {};
  /** Draft invoices that finalize on their own at the given time. */
  autoFinalize: Record<string, number> = {};
  /** Checkout line items (quantity per price) by session, for `line_items` and completion. */
  checkoutMeta: Record<
    string,
    {
      items: { price: string; quantity: number }[];
      promotionCode?: string;
      trialDays?: number;
      subMetadata?: Record<string, string>;
      trialEnd?: number;
    }
  > = {};
  invoiceSeq: Record<string, number> = {};
  invoicePaymentOf: Record<string, string> = {};
  /** Preset deflate dictionary for stored events (see Emulator.pack), base64. */
  eventDictionary: string | null = null;
  /** Restricted keys made through the control API: each resource's access (`read` or `write`); none when absent. */
  restrictedKeys: Record<string, Record<string, 'read' | 'write'>> = {};
  /** Ids of deleted objects that still answer retrieve with a `deleted: true` stub. */
  deleted: Record<string, string> = {};
  settings: Settings = defaultSettings();

  /** Every collection by the id prefix of the objects it holds (used by expand and the control API). */
  byPrefix(): Record<string, Collection<{ id: string }>> {
    return {
      cus: this.customers,
      prod: this.products,
      price: this.prices,
      pm: this.paymentMethods,
      sub: this.subscriptions,
      in: this.invoices,
      inpay: this.invoicePayments,
      pi: this.paymentIntents,
      ch: this.charges,
      re: this.refunds,
      cn: this.creditNotes,
      cbtxn: this.customerBalanceTransactions,
      cs: this.checkoutSessions,
      bps: this.portalSessions,
      bpc: this.portalConfigurations,
      promo: this.promotionCodes,
      we: this.webhookEndpoints,
      clock: this.testClocks,
      mtr: this.meters,
      di: this.discounts,
      txi: this.taxIds,
    } as unknown as Record<string, Collection<{ id: string }>>;
  }

  removeObject(id: string): boolean {
    return (this.collectionOf(id) ?? this.coupons).delete(id);
  }

  findObject(id: string): { id: string } | undefined {
    const col = this.collectionOf(id);
    if (col) return col.get(id);
    return this.coupons.get(id); // coupons take any id
  }

  private collectionOf(id: string): Collection<{ id: string }> | undefined {
    // `sub_sched_…` shares its first segment with subscriptions.
    if (id.startsWith('sub_sched_')) return this.subscriptionSchedules as unknown as Collection<{ id: string }>;
    return this.byPrefix()[id.split('_')[0] ?? ''];
  }

  toJSON(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(this)) out[k] = v instanceof Collection ? v.toJSON() : v;
    out.events = this.events
      .toJSON()
      .map((e) =>
        e.data.startsWith('l:') ? { ...e, data: `z:${Buffer.from(e.data.slice(2), 'latin1').toString('base64')}` } : e,
      );
    return out;
  }

  load(data: Record<string, unknown>): void {
    for (const [k, v] of Object.entries(data)) {
      const current = (this as unknown as Record<string, unknown>)[k];
      if (k === 'events') {
        const events = (v as (StoredEvent & { json?: string })[]).map(({ json, ...e }) => {
          // Data files from before events were compressed kept the event as plain `json`.
          if (typeof e.data !== 'string') return { ...e, data: `j:${json ?? '{}'}` };
          return e.data.startsWith('z:') ? { ...e, data: `l:${Buffer.from(e.data.slice(2), 'base64').toString('latin1')}` } : e;
        });
        this.events.load(events);
      } else if (current instanceof Collection) current.load(v as { id: string }[]);
      else if (current !== undefined) (this as unknown as Record<string, unknown>)[k] = v;
    }
    this.settings = { ...defaultSettings(), ...this.settings };
  }

  reset(): void {
    const fresh = new State();
    for (const [k, v] of Object.entries(fresh)) (this as unknown as Record<string, unknown>)[k] = v;
  }
}

export const realNow = (): number => Math.floor(Date.now() / 1000);
