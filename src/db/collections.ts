// Typed collections. Every document shape the app stores is declared here, so a reader can see the
// whole data model in one place. Ids are strings we generate (not ObjectIds) so they travel safely
// through URLs, Stripe metadata and the web app.
import type { Binary, Collection, Db } from 'mongodb';

export type Role = 'user' | 'admin';

export interface UserDoc {
  _id: string;
  /** Lower-cased and trimmed; unique. */
  email: string;
  emailVerified: boolean;
  name: string;
  /** Argon2id PHC string; null for accounts created through OAuth that never set a password. */
  passwordHash: string | null;
  role: Role;
  disabled: boolean;
  createdAt: Date;
  updatedAt: Date;
  /** Set when the account is first sent to Stripe (billing). */
  stripeCustomerId?: string;
  /** When two-factor sign-in was turned on; null or missing while it is off (src/auth/two-factor). */
  twoFactorEnabledAt?: Date | null;
}

export interface SessionDoc {
  /** SHA-256 of the session token: a leaked sessions collection logs no one in. */
  _id: string;
  /** Random id shown to the user to list and revoke sessions; never the token. */
  publicId: string;
  userId: string;
  /** Idle expiry; slides forward on use but never past `absoluteExpiresAt`. */
  expiresAt: Date;
  absoluteExpiresAt: Date;
  createdAt: Date;
  lastSeenAt: Date;
  ip: string;
  userAgent: string;
  /**
   * When this session's sign-in passed the second factor (a code, or a browser remembered after
   * one); null or absent when it did not. ADMIN_REQUIRE_2FA asks it of admins' sessions.
   */
  secondFactorAt?: Date | null;
}

export type EmailCodePurpose = 'verify_email' | 'change_email';

export interface EmailCodeDoc {
  _id: string;
  userId: string;
  purpose: EmailCodePurpose;
  /** The address the code was sent to; the code only proves ownership of this address. */
  email: string;
  codeHash: string;
  /** SHA-256 of the secret half of an emailed link's token, for codes sent with a link; else null. */
  linkHash?: string | null;
  expiresAt: Date;
  attempts: number;
  createdAt: Date;
}

export interface PasswordResetDoc {
  /** SHA-256 of the emailed token. */
  _id: string;
  userId: string;
  email: string;
  expiresAt: Date;
  createdAt: Date;
}

export interface RateLimitDoc {
  /** Random: one row per counted hit, a sliding-window log (see src/lib/rate-limit.ts for why). */
  _id: string;
  /** e.g. `login:ip:1.2.3.4` or `login:acct-ip:a@b.c|1.2.3.4` */
  key: string;
  /** When this hit leaves the window; rows past it are deleted by a cleanup job. */
  expiresAt: Date;
}

export type OAuthProvider = 'github' | 'google';

/**
 * A user's TOTP secret (base32), kept apart from the user document so no user read carries it and
 * never sent to the web after enrolment. `confirmedAt` stays null until a code from the app was
 * accepted; two-factor is on only while the user's `twoFactorEnabledAt` is set.
 */
export interface TwoFactorSecretDoc {
  /** The user id: one secret per user. */
  _id: string;
  secret: string;
  createdAt: Date;
  confirmedAt: Date | null;
}

/** One unused recovery code (Argon2id hash). Using it claims `recovery:<_id>`, then deletes the row. */
export interface RecoveryCodeDoc {
  _id: string;
  userId: string;
  hash: string;
  createdAt: Date;
}

/** A password login waiting for its second factor; the browser holds the token, we its SHA-256. */
export interface PendingLoginDoc {
  _id: string;
  userId: string;
  expiresAt: Date;
  createdAt: Date;
}

/** A browser that may skip the second factor for its user until `expiresAt` (SHA-256 of the cookie). */
export interface RememberedDeviceDoc {
  _id: string;
  userId: string;
  userAgent: string;
  createdAt: Date;
  expiresAt: Date;
}

export interface OAuthAccountDoc {
  /** `${provider}:${providerUserId}` — accounts are keyed on the provider's id, never on email. */
  _id: string;
  provider: OAuthProvider;
  providerUserId: string;
  userId: string;
  email: string | null;
  username: string | null;
  createdAt: Date;
}

/**
 * A session or user whose cached sessions must be dropped. Every server process polls these so a
 * logout, revocation, demotion or disabled account on one process takes effect on all of them.
 */
export interface SessionEventDoc {
  _id: string;
  userId: string | null;
  tokenHash: string | null;
  at: Date;
}

// ---- Billing: a mirror of Stripe for fast reads and access checks. Stripe stays the source of
// truth; these rows are only ever written by syncCustomer (src/billing/sync.ts).

export interface PaymentMethodSummary {
  id: string;
  brand: string;
  last4: string;
  expMonth: number;
  expYear: number;
}

export interface InvoiceSummary {
  id: string;
  status: string | null;
  amountDue: number;
  amountPaid: number;
  currency: string;
  hostedInvoiceUrl: string | null;
  attemptCount: number;
  nextPaymentAttempt: Date | null;
}

export interface SubscriptionDoc {
  /** Stripe subscription id. */
  _id: string;
  userId: string | null;
  customerId: string;
  status: string;
  /** Our plan, from the price's lookup_key; null for a price the catalog does not know. */
  planId: string | null;
  priceId: string;
  lookupKey: string | null;
  interval: 'month' | 'year' | null;
  unitAmount: number | null;
  currency: string;
  quantity: number;
  /** The licensed (plan) item; billing periods live on items in this API version. */
  itemId: string;
  currentPeriodStart: Date | null;
  currentPeriodEnd: Date | null;
  trialStart: Date | null;
  trialEnd: Date | null;
  cancelAtPeriodEnd: boolean;
  cancelAt: Date | null;
  canceledAt: Date | null;
  endedAt: Date | null;
  cancellationFeedback: string | null;
  defaultPaymentMethod: PaymentMethodSummary | null;
  latestInvoice: InvoiceSummary | null;
  /**
   * The plan change a subscription schedule makes at the end of the current phase (a downgrade or
   * interval switch at the period end); null when none is pending. Absent on rows mirrored before
   * it existed, which read as null.
   */
  scheduledChange?: ScheduledChange | null;
  created: Date;
  /** When the Stripe reads behind this row started: an older read never overwrites a newer one. */
  fetchedAt: Date;
  syncedAt: Date;
}

export interface ScheduledChange {
  /** Our plan, from the next phase's price; null for a price the catalog does not know. */
  planId: string | null;
  priceId: string;
  interval: 'month' | 'year' | null;
  unitAmount: number | null;
  /** When the change takes effect (the current phase's end). */
  at: Date;
  /** The promotion code that starts with the new plan, as Stripe spells it; absent without one. */
  promotionCode?: string;
}

export interface BillingCustomerDoc {
  /** Stripe customer id. */
  _id: string;
  userId: string | null;
  email: string | null;
  deleted: boolean;
  defaultPaymentMethod: PaymentMethodSummary | null;
  /**
   * Stripe's customer balance in the smallest currency unit: negative is credit the next invoices
   * use up (a downgrade's unused time), positive is owed. Missing on rows mirrored before it was kept.
   */
  balance?: number;
  /** The currency of the balance; null until the customer has been billed. */
  currency?: string | null;
  /** Every subscription Stripe listed for this customer at the last sync (any status). */
  subscriptionIds?: string[];
  fetchedAt: Date;
  syncedAt: Date;
}

export type WebhookEventStatus = 'pending' | 'processing' | 'processed' | 'parked';

/** The webhook inbox: every verified Stripe event, keyed by event id, processed by a worker. */
export interface WebhookEventDoc {
  _id: string;
  type: string;
  /** The customer the event is about, when it names one: what the worker re-syncs. */
  customerId: string | null;
  objectId: string | null;
  livemode: boolean;
  /** The raw event as Stripe sent it (JSON): metadata keys are arbitrary, so never a nested document. */
  payload: string;
  created: Date;
  receivedAt: Date;
  /**
   * Always 0 on new rows: repeated deliveries are recorded in `webhook_duplicates` (one row each),
   * so that nothing but the worker updates an inbox row. Kept for rows written before.
   */
  duplicates: number;
  status: WebhookEventStatus;
  attempts: number;
  nextAttemptAt: Date;
  lockedUntil: Date | null;
  lastError: string | null;
  processedAt: Date | null;
  /** Set by a replay: attempts before it do not count towards parking. */
  replayedFromAttempt?: number;
}

/**
 * Emails that must go out exactly once per real change (billing notices). The id is the change's
 * key, so a second attempt to enqueue the same notice is refused by the unique _id; unsent rows are
 * retried by housekeeping.
 */
export interface EmailOutboxDoc {
  _id: string;
  to: string;
  subject: string;
  text: string;
  html: string | null;
  status: 'pending' | 'sent';
  attempts: number;
  /** A sender's claim, so two processes never send the same row at once. */
  lockedUntil: Date | null;
  lastError: string | null;
  createdAt: Date;
  sentAt: Date | null;
}

/**
 * Exclusive claims. FerretDB 1.24 does not apply concurrent updates to one document atomically
 * (measured: 50 parallel $inc → 8; 20 parallel conditional claims → 4 winners), but an insert
 * under a unique _id is exact on it and on MongoDB. So "only one worker may do X" is an insert
 * here, keyed by X (see docs/decisions/006-atomicity-on-ferretdb.md).
 */
/**
 * What follows a sync's changes, kept until it has all been applied. The changes exist only once
 * (the next sync of the customer sees the mirror already equal to Stripe), so a sync whose effects
 * fail midway leaves this row, and the customer's next sync applies it first. Effects are
 * idempotent, so applying one twice is harmless.
 */
export interface PendingEffectsDoc {
  _id: string;
  customerId: string;
  at: Date;
  /** A SyncResult and its SyncCause (billing/sync-result.ts), as stored. */
  result: unknown;
  cause: unknown;
}

export interface ClaimDoc {
  _id: string;
  owner: string;
  at: Date;
}

// ---- Content library, usage and the developer API.

export type ContentKind = 'article' | 'file' | 'tool';
export type PlanTier = 'free' | 'pro' | 'business';

export interface ContentDoc {
  /** The slug: stable, unique, used in URLs and by the seed to stay idempotent. */
  _id: string;
  kind: ContentKind;
  title: string;
  summary: string;
  tags: string[];
  /** Markdown or plain text; empty for file items. */
  body: string;
  bodyFormat: 'markdown' | 'plain';
  /** For file items: the content_files row and what the download is called. */
  file: { id: string; name: string; contentType: string; size: number } | null;
  minPlan: PlanTier;
  published: boolean;
  createdAt: Date;
  updatedAt: Date;
  /**
   * Bumped by every admin change; an edit names the version it started from and a stale one is
   * refused (src/admin/content.ts). Missing on items seeded before versions existed: read as 0.
   */
  version?: number;
}

/**
 * One stored file, kept apart from the catalog so listing never reads its bytes. Uploads keep the
 * bytes in `content_file_chunks` (`chunks` rows of ≤ 1 MB) and write this row last, so a file
 * exists only once all of it is stored; rows written before uploads existed hold `data` inline.
 */
export interface ContentFileDoc {
  _id: string;
  data?: Binary;
  chunks?: number;
  /** The item it was uploaded for and its file name (informational). */
  slug?: string;
  name?: string;
  contentType: string;
  size: number;
  sha256: string;
  createdAt: Date;
}

/** Bytes of a stored file: `_id` is `<fileId>:<n>`, so every read is an `_id` equality. */
export interface ContentFileChunkDoc {
  _id: string;
  fileId: string;
  n: number;
  data: Binary;
}

export type UsageMetric = 'download' | 'api_call';

/**
 * One row per unit of work, keyed by the unit's idempotency id (`api:<requestId>`,
 * `download:<uuid>`): a replayed unit is refused by the unique _id, and counts are countDocuments,
 * never $inc on a shared document (FerretDB 1.24 loses concurrent $inc's; docs/decisions/007).
 */
export interface UsageEventDoc {
  _id: string;
  userId: string;
  metric: UsageMetric;
  /** Start of the billing period the unit belongs to (the subscription item's, or the UTC month). */
  periodStart: Date;
  periodEnd: Date;
  planId: PlanTier;
  at: Date;
  /** API key used, for API calls; content id for downloads. */
  ref: string | null;
  /**
   * Units this row counts: 1, or more when units of ours were stored together (src/usage/counter.ts).
   * The _id is then the first unit's id.
   */
  units: number;
}

/**
 * Overage units waiting to be reported to the Stripe Billing Meter. The _id is the meter event's
 * identifier, `meter:<userId>:<periodStartMs>:<n>` for the n-th unit past the included quota, so
 * two processes filling the same period cannot create a unit twice and Stripe dedupes a resend.
 */
export interface MeterOutboxDoc {
  _id: string;
  userId: string;
  customerId: string;
  periodStart: Date;
  ordinal: number;
  /** Unix seconds sent as the event's timestamp: inside the period it belongs to. */
  timestamp: number;
  /**
   * `rejected`: Stripe accepted the event, then reported it could not apply it (meter-errors.ts).
   * `parked`: never to be sent, its timestamp being older than Stripe accepts (`lastError` says so).
   */
  status: 'pending' | 'sent' | 'rejected' | 'parked';
  attempts: number;
  nextAttemptAt: Date;
  lastError: string | null;
  createdAt: Date;
  sentAt: Date | null;
  /**
   * The identifier the next send uses when it is not `_id`: a unit Stripe rejected is sent again
   * under a new one (Stripe keeps an identifier used for a day, rejected or not).
   */
  sendAs?: string | null;
}

/**
 * A meter event Stripe accepted and then could not apply, as a `v1.billing.meter.error_report_triggered`
 * report named it (its sample errors). _id: `<event id>:<identifier>`.
 */
export interface MeterErrorDoc {
  _id: string;
  eventId: string;
  identifier: string;
  meterId: string | null;
  /** The outbox row the identifier belongs to, and its account; null when it is none of ours. */
  outboxId: string | null;
  userId: string | null;
  customerId: string | null;
  code: string;
  message: string;
  /** How many errors of this code the report counted (the samples are a few of them). */
  errorCount: number;
  /** Overage units of ours found rejected by this report, and those queued again. */
  rejectedUnits: number;
  requeuedUnits: number;
  /** Units it would have queued again, parked instead: too old for Stripe to accept (absent: none). */
  parkedUnits?: number;
  receivedAt: Date;
}

export interface ApiKeyDoc {
  _id: string;
  userId: string;
  name: string;
  /** SHA-256 of the whole key; the key itself is shown once and never stored. */
  hash: string;
  /** The first characters, shown in the list so people can tell keys apart. */
  prefix: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
  /** The plan-limit slot this key holds while live (`slots` row `api-key-slot:<userId>:<slot>`). */
  slot?: number;
}

export type ReconcileRunStatus = 'running' | 'succeeded' | 'failed' | 'skipped';

/** One reconciler run: what it checked, the drift it found and repaired (src/billing/reconcile/run.ts). */
export interface ReconcileRunDoc {
  _id: string;
  startedAt: Date;
  endedAt: Date | null;
  status: ReconcileRunStatus;
  dryRun: boolean;
  /** The whole account, or one customer (`npm run reconcile -- --customer cus_…`). */
  scope: 'all' | 'customer';
  customerId: string | null;
  owner: string;
  /** Events were listed from here (null when the run did not replay events). */
  eventsSince: Date | null;
  /** True once every event since `eventsSince` reached the inbox: the next run starts from this run. */
  eventsComplete: boolean;
  /**
   * Every drift seen at compare time counts in `drifted`, and ends as one of `repaired` (the run's
   * sync made the mirror equal Stripe), `alreadyFixed` (by the time the run came to repair it, the
   * mirror already equalled Stripe: the live webhook worker or a user action got there first) or
   * `failed`. `alreadyFixed` is absent from reports stored before it was counted.
   */
  counts: {
    checked: number;
    inSync: number;
    drifted: number;
    repaired: number;
    alreadyFixed?: number;
    failed: number;
    byKind: Record<string, { found: number; repaired: number; alreadyFixed?: number; failed: number }>;
  };
  drifts: {
    subscriptionId: string;
    customerId: string | null;
    userId: string | null;
    kind: string;
    fields: { field: string; mirror: unknown; stripe: unknown; after: unknown }[];
    /** The run's own sync made the mirror equal Stripe. */
    repaired: boolean;
    /** The mirror already equalled Stripe when the run came to repair it. */
    alreadyFixed?: boolean;
    error: string | null;
  }[];
  /** How many drifts were found beyond the ones stored (a report stays far below 16 MB). */
  driftsOmitted: number;
  errors: string[];
  eventsReplayed: number;
  parkedRetried: number;
  stripeCalls: number;
  durationMs: number | null;
  /**
   * The admin figures checked against the mirror after the run: ok, drift (a rebuild was asked
   * for), busy (changes were being folded; the next run checks) or missing (not built yet).
   */
  figures?: { result: 'ok' | 'drift' | 'busy' | 'missing'; fields: string[] };
}

// ---- Admin: the audit log of every admin action, and daily analytics snapshots.

/** One admin action: who did what to whom, and the state before and after (JSON strings). */
export interface AdminAuditDoc {
  /**
   * `action:<actionId>` for a write: one confirmed action, recorded once however often it is sent,
   * and bound to its actor, action, target and parameters (src/admin/audit.ts). A read of personal
   * data gets its own id.
   */
  _id: string;
  actorId: string;
  actorEmail: string;
  action: string;
  targetType: 'user' | 'subscription' | 'invoice' | 'event' | 'reconciler' | 'content' | 'subscriber_list';
  targetId: string;
  /** The user the action concerns, when there is one: the subscriber page lists by it. */
  userId: string | null;
  at: Date;
  outcome: 'started' | 'ok' | 'failed';
  error: string | null;
  before: string | null;
  after: string | null;
  /** SHA-256 of the write's parameters (absent on reads and on entries older than it). */
  paramsHash?: string;
  /** The write's answer once it is done (JSON `{"answer": …}`), given again to a retry of the same action id. */
  result?: string | null;
}

/**
 * The overview's figures at the close of one UTC day: written after every fold of the figures that
 * day (src/billing/figures/fold.ts), so the day's last change leaves its closing values.
 */
export interface AdminSnapshotDoc {
  /** `YYYY-MM-DD` (UTC): one row per day. */
  _id: string;
  at: Date;
  mrr: { currency: string; amount: number }[];
  activeSubscribers: number;
  trialing: number;
  pastDue: number;
  /** On rows written before each day's counts were kept apart (admin_figure_days); unread now. */
  newSubscriptions30d?: number;
  churned30d?: number;
}

/**
 * Work waiting in the webhook inbox: one small row per event still to be processed, removed once it
 * is. The worker reads this collection with no filter and no sort (natural order is arrival order),
 * which FerretDB answers by reading just the rows asked for, where any query on the inbox itself
 * would read all of it.
 */
export interface WebhookQueueDoc {
  /** The event id (the inbox row's _id). */
  _id: string;
  /** What the worker needs of the inbox row, copied so it need not read it (the payload stays there). */
  type: string;
  customerId: string | null;
  objectId: string | null;
  /** When Stripe created the event: a customer's events are worked oldest first. */
  created: Date;
  /** The inbox row's attempts when queued: the next attempt claimed is this plus one. */
  attempts: number;
  replayedFromAttempt?: number;
  /** When the event may be worked on (later while a failed attempt backs off). */
  at: Date;
  queuedAt: Date;
}

/** One repeated delivery of an event already in the inbox (acknowledged, not re-processed). */
export interface WebhookDuplicateDoc {
  _id: string;
  eventId: string;
  receivedAt: Date;
}

// ---- Admin read models kept by the billing effects (src/billing/figures/).

export type MovementKind = 'new' | 'expansion' | 'contraction' | 'churn' | 'reactivation';
export type RecoveryStep = 'retry' | 'card_update' | 'manual';

/** One MRR movement, with the subscriber behind it (the overview's numbers open these). */
export interface MrrMovementDoc {
  /** The change's id and the currency. */
  _id: string;
  day: string;
  month: string;
  kind: MovementKind;
  currency: string;
  /** Size of the movement (always positive), × 12 like every MRR figure here. */
  mrr12: number;
  fromMrr12: number;
  toMrr12: number;
  fromPlan: string | null;
  toPlan: string | null;
  subscriptionId: string;
  customerId: string;
  userId: string | null;
  at: Date;
}

/** One invoice won back after its payment failed: how, how much, and how long it took. */
export interface RecoveryDoc {
  _id: string;
  day: string;
  subscriptionId: string;
  customerId: string;
  userId: string | null;
  step: RecoveryStep;
  amount: number;
  currency: string;
  failedAt: Date;
  recoveredAt: Date;
  days: number;
}

/** The admin's subscriber list: one row per subscription with its account (src/billing/figures/subscriber-rows.ts). */
export interface SubscriberRowDoc {
  /** The subscription id. */
  _id: string;
  customerId: string;
  userId: string | null;
  email: string | null;
  name: string | null;
  planId: string | null;
  interval: 'month' | 'year' | null;
  status: string;
  unitAmount: number | null;
  currency: string;
  trialEnd: Date | null;
  cancelAtPeriodEnd: boolean;
  currentPeriodEnd: Date | null;
  created: Date;
  /** Lower-cased: the email, its parts, each word of the name, the ids. A search matches word prefixes. */
  words: string[];
  fetchedAt: Date;
}

/** An exact look-up key (`email:<address>`) and the subscriptions behind it. */
export interface SubscriberKeyDoc {
  _id: string;
  subscriptionIds: string[];
}

/**
 * One applied database migration (src/db/migrations/): its id is the step's file name. A row is
 * written once, after its step finished; a database whose ledger names a step the code does not
 * have was migrated by a newer version (src/db/migrate.ts).
 */
export interface MigrationDoc {
  _id: string;
  appliedAt: Date;
  durationMs: number;
}

export interface Collections {
  users: Collection<UserDoc>;
  sessions: Collection<SessionDoc>;
  emailCodes: Collection<EmailCodeDoc>;
  passwordResets: Collection<PasswordResetDoc>;
  rateLimits: Collection<RateLimitDoc>;
  oauthAccounts: Collection<OAuthAccountDoc>;
  twoFactorSecrets: Collection<TwoFactorSecretDoc>;
  recoveryCodes: Collection<RecoveryCodeDoc>;
  pendingLogins: Collection<PendingLoginDoc>;
  rememberedDevices: Collection<RememberedDeviceDoc>;
  sessionEvents: Collection<SessionEventDoc>;
  subscriptions: Collection<SubscriptionDoc>;
  billingCustomers: Collection<BillingCustomerDoc>;
  webhookEvents: Collection<WebhookEventDoc>;
  webhookDuplicates: Collection<WebhookDuplicateDoc>;
  webhookQueue: Collection<WebhookQueueDoc>;
  emailOutbox: Collection<EmailOutboxDoc>;
  claims: Collection<ClaimDoc>;
  /**
   * Numbered slots of count-limited things, held while the thing lives (db/claims.ts claimSlot);
   * `owner` names the thing. API key slots whose key is gone are swept (src/api/keys.ts).
   */
  slots: Collection<ClaimDoc>;
  reconcileRuns: Collection<ReconcileRunDoc>;
  content: Collection<ContentDoc>;
  contentFiles: Collection<ContentFileDoc>;
  contentFileChunks: Collection<ContentFileChunkDoc>;
  usageEvents: Collection<UsageEventDoc>;
  meterOutbox: Collection<MeterOutboxDoc>;
  meterErrors: Collection<MeterErrorDoc>;
  apiKeys: Collection<ApiKeyDoc>;
  adminAudit: Collection<AdminAuditDoc>;
  adminSnapshots: Collection<AdminSnapshotDoc>;
  pendingEffects: Collection<PendingEffectsDoc>;
  adminSubscribers: Collection<SubscriberRowDoc>;
  adminSubscriberKeys: Collection<SubscriberKeyDoc>;
  adminMovements: Collection<MrrMovementDoc>;
  adminRecoveries: Collection<RecoveryDoc>;
  migrations: Collection<MigrationDoc>;
}

export function collections(db: Db): Collections {
  return {
    users: db.collection<UserDoc>('users'),
    sessions: db.collection<SessionDoc>('sessions'),
    emailCodes: db.collection<EmailCodeDoc>('email_codes'),
    passwordResets: db.collection<PasswordResetDoc>('password_resets'),
    rateLimits: db.collection<RateLimitDoc>('rate_limits'),
    oauthAccounts: db.collection<OAuthAccountDoc>('oauth_accounts'),
    twoFactorSecrets: db.collection<TwoFactorSecretDoc>('two_factor_secrets'),
    recoveryCodes: db.collection<RecoveryCodeDoc>('recovery_codes'),
    pendingLogins: db.collection<PendingLoginDoc>('pending_logins'),
    rememberedDevices: db.collection<RememberedDeviceDoc>('remembered_devices'),
    sessionEvents: db.collection<SessionEventDoc>('session_events'),
    subscriptions: db.collection<SubscriptionDoc>('subscriptions'),
    billingCustomers: db.collection<BillingCustomerDoc>('billing_customers'),
    webhookEvents: db.collection<WebhookEventDoc>('webhook_events'),
    webhookDuplicates: db.collection<WebhookDuplicateDoc>('webhook_duplicates'),
    webhookQueue: db.collection<WebhookQueueDoc>('webhook_queue'),
    emailOutbox: db.collection<EmailOutboxDoc>('email_outbox'),
    claims: db.collection<ClaimDoc>('claims'),
    slots: db.collection<ClaimDoc>('slots'),
    reconcileRuns: db.collection<ReconcileRunDoc>('reconcile_runs'),
    content: db.collection<ContentDoc>('content'),
    contentFiles: db.collection<ContentFileDoc>('content_files'),
    contentFileChunks: db.collection<ContentFileChunkDoc>('content_file_chunks'),
    usageEvents: db.collection<UsageEventDoc>('usage_events'),
    meterOutbox: db.collection<MeterOutboxDoc>('meter_outbox'),
    meterErrors: db.collection<MeterErrorDoc>('meter_errors'),
    apiKeys: db.collection<ApiKeyDoc>('api_keys'),
    adminAudit: db.collection<AdminAuditDoc>('admin_audit'),
    adminSnapshots: db.collection<AdminSnapshotDoc>('admin_snapshots'),
    pendingEffects: db.collection<PendingEffectsDoc>('pending_effects'),
    adminSubscribers: db.collection<SubscriberRowDoc>('admin_subscribers'),
    adminSubscriberKeys: db.collection<SubscriberKeyDoc>('admin_subscriber_keys'),
    adminMovements: db.collection<MrrMovementDoc>('admin_mrr_movements'),
    adminRecoveries: db.collection<RecoveryDoc>('admin_recoveries'),
    migrations: db.collection<MigrationDoc>('migrations'),
  };
}
