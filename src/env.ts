// Every environment variable DropIn reads, parsed once at startup. A bad or missing variable stops
// the process with a message naming it; production never falls back to a local default.
import { z } from 'zod';

const bool = z
  .enum(['true', 'false', '1', '0', ''])
  .optional()
  .transform((v) => v === 'true' || v === '1');

const list = z
  .string()
  .optional()
  .transform((v) =>
    (v ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );

/**
 * `3,5,7`: the days after failed attempts 1, 2, 3 until the next, each a whole number from 1 to 60
 * (Stripe's own bounds); null for anything else. Each is a gap after the previous attempt, so they
 * need not ascend.
 */
export function parseRetryDays(value: string): number[] | null {
  const days = value.split(',').map((d) => (/^\s*\d+\s*$/.test(d) ? Number(d) : Number.NaN));
  return days.every((d) => Number.isInteger(d) && d >= 1 && d <= 60) ? days : null;
}

export const envSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    HOST: z.string().min(1).default('127.0.0.1'),
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    PUBLIC_URL: z.url().optional(),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),

    MONGODB_URI: z.string().startsWith('mongodb').optional(),
    MONGODB_DB: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,60}$/)
      .default('dropin'),

    SMTP_URL: z
      .string()
      .regex(/^smtps?:\/\//, 'must start with smtp:// or smtps://')
      .optional(),
    MAIL_FROM: z.string().min(3).default('DropIn <no-reply@dropin.localhost>'),
    MAILPIT_URL: z.url().optional(),

    STRIPE_SECRET_KEY: z
      .string()
      .regex(/^(sk|rk)_(test|live)_/, 'must be a Stripe secret key')
      .optional(),
    STRIPE_WEBHOOK_SECRET: z.string().startsWith('whsec_').optional(),
    /** Signing secret of the event destination for v2 thin events (meter error reports). */
    STRIPE_EVENTS_WEBHOOK_SECRET: z.string().startsWith('whsec_').optional(),
    /** Points the real SDK at the local emulator (development and tests only). */
    STRIPE_API_BASE: z.url().optional(),

    GITHUB_CLIENT_ID: z.string().optional(),
    GITHUB_CLIENT_SECRET: z.string().optional(),
    GOOGLE_CLIENT_ID: z.string().optional(),
    GOOGLE_CLIENT_SECRET: z.string().optional(),
    /** Test stand-ins for the providers' token and user endpoints (never set in production). */
    OAUTH_GITHUB_BASE: z.url().optional(),
    OAUTH_GOOGLE_BASE: z.url().optional(),

    /** Comma-separated proxy addresses whose X-Forwarded-* headers are trusted. */
    TRUST_PROXY: list,
    /**
     * How long a stopping server waits for in-flight requests before cutting them. Keep it below
     * PM2's kill_timeout (ecosystem.config.cjs), which ends the process regardless.
     */
    SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).max(120_000).default(10_000),
    SESSION_IDLE_HOURS: z.coerce
      .number()
      .positive()
      .default(24 * 14),
    SESSION_ABSOLUTE_HOURS: z.coerce
      .number()
      .positive()
      .default(24 * 30),
    /** How long a validated session is reused from memory; revocations evict it on every process. */
    SESSION_CACHE_MS: z.coerce.number().int().min(0).max(60_000).default(5_000),
    /** Turns rate limiting off (benchmarks only). */
    RATE_LIMIT_DISABLED: bool,
    /** Emit the driver's command events (benchmarks time the database by command with them). */
    MONGODB_MONITOR_COMMANDS: bool,

    /** The reconciler's schedule (node-cron syntax, server time) and its Stripe request budget. */
    RECONCILE_CRON: z.string().min(9).default('17 3 * * *'),
    RECONCILE_RPS: z.coerce.number().positive().max(100).default(20),

    /** Admins must turn on two-factor sign-in before the admin area (and its procedures) opens. */
    ADMIN_REQUIRE_2FA: bool,
    ADMIN_EMAIL: z.email().optional(),
    ADMIN_PASSWORD: z.string().min(8).optional(),

    /**
     * HMAC key of signed download URLs. Required by the production server (startServer refuses to
     * start without it); elsewhere a random key is made per process (URLs live 5 minutes).
     */
    DOWNLOAD_SIGNING_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),

    /**
     * Stripe's retry setting for failed payments, as set in its dashboard: days after each failed
     * attempt until the next (the default matches Stripe's and the emulator's). Shown to subscribers
     * and admins as the retry schedule (src/billing/retry-schedule.ts).
     */
    STRIPE_RETRY_DAYS: z
      .string()
      .default('3,5,7')
      .transform((value, ctx) => {
        const days = parseRetryDays(value);
        if (days) return days;
        ctx.addIssue({ code: 'custom', message: 'must list whole days between 1 and 60, separated by commas (e.g. 3,5,7)' });
        return z.NEVER;
      }),
  })
  .superRefine((env, ctx) => {
    if (env.NODE_ENV !== 'production') return;
    const required = ['PUBLIC_URL', 'MONGODB_URI', 'SMTP_URL', 'STRIPE_SECRET_KEY', 'STRIPE_WEBHOOK_SECRET'] as const;
    for (const name of required) {
      if (!env[name]) ctx.addIssue({ code: 'custom', path: [name], message: 'is required in production' });
    }
    for (const name of ['STRIPE_API_BASE', 'OAUTH_GITHUB_BASE', 'OAUTH_GOOGLE_BASE', 'MAILPIT_URL'] as const) {
      if (env[name])
        ctx.addIssue({ code: 'custom', path: [name], message: 'is a development setting and must not be set in production' });
    }
    if (env.RATE_LIMIT_DISABLED) {
      ctx.addIssue({ code: 'custom', path: ['RATE_LIMIT_DISABLED'], message: 'must not be set in production' });
    }
  });

export type Env = z.output<typeof envSchema> & { PUBLIC_URL: string };

export class EnvError extends Error {
  constructor(readonly issues: string[]) {
    super(`Invalid environment:\n${issues.map((i) => `  - ${i}`).join('\n')}`);
    this.name = 'EnvError';
  }
}

/** Parses `source` (default `process.env`); throws an EnvError naming every bad variable. */
export function parseEnv(source: Record<string, string | undefined> = process.env): Env {
  // Empty strings mean "unset": `FOO= npm start` should not fail a min-length check.
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ''));
  const result = envSchema.safeParse(cleaned);
  if (!result.success) {
    throw new EnvError(result.error.issues.map((i) => `${i.path.join('.') || '(root)'} ${i.message}`));
  }
  const env = result.data;
  return { ...env, PUBLIC_URL: (env.PUBLIC_URL ?? `http://localhost:${env.PORT}`).replace(/\/$/, '') };
}
