// The REST API's shapes as zod schemas: what a request may carry (checked on every call) and what
// each answer holds (the OpenAPI spec at /api/v1/openapi.json is generated from them, and the
// type checks at the end keep them equal to the domain types the handlers return).
import { z } from '@hono/zod-openapi';
import type { HeadlineResult, MrrResult, CohortResult } from '../content/tools';
import type { LibraryItem, LibraryItemFull } from '../content/library';
import type { UsageSummary } from '../usage/summary';
import { itemSlug, search, tag } from '../trpc/inputs';

// ---- Requests

export const itemParams = z
  .object({ slug: itemSlug().openapi({ param: { name: 'slug', in: 'path' }, example: 'headline-analyzer' }) })
  .strict();

/** Unknown parameters are ignored, as query strings go; known ones must be given once. */
export const searchQuery = z.object({
  q: search.optional().openapi({ param: { name: 'q', in: 'query' }, description: 'Words that must all appear.' }),
  tag: tag.optional().openapi({ param: { name: 'tag', in: 'query' }, description: 'One tag, any case.' }),
});

// ---- Answers

const planId = z.enum(['free', 'pro', 'business']);

export const errorSchema = z
  .object({
    error: z.string().openapi({ description: 'A sentence to show a person.' }),
    field: z.string().optional().openapi({ description: 'The parameter or body field at fault, for bad input.' }),
  })
  .openapi('Error');

export const libraryItem = z
  .object({
    id: z.string(),
    slug: z.string(),
    kind: z.enum(['article', 'file', 'tool']),
    title: z.string(),
    summary: z.string(),
    tags: z.array(z.string()),
    minPlan: planId.openapi({ description: 'The lowest plan that unlocks the item.' }),
    requiredPlanName: z.string(),
    locked: z.boolean().openapi({ description: "True when the key's plan does not include the item." }),
    file: z.object({ name: z.string(), size: z.number().int(), contentType: z.string() }).nullable(),
    tool: z
      .enum(['headline-analyzer', 'mrr-forecaster', 'cohort-retention-analyzer'])
      .nullable()
      .openapi({ description: 'The tool this item runs at POST /tools/{slug}/run; null for other items.' }),
  })
  .strict()
  .openapi('LibraryItem');

export const libraryItemFull = libraryItem
  .extend({ body: z.string(), bodyFormat: z.enum(['markdown', 'plain']) })
  .strict()
  .openapi('LibraryItemFull');

export const searchResult = z
  .object({ plan: planId, data: z.array(libraryItem) })
  .strict()
  .openapi('SearchResult');
export const itemResult = z.object({ data: libraryItemFull }).strict().openapi('ItemResult');

const headlineResult = z
  .object({
    score: z.number().int().min(0).max(100),
    words: z.number().int(),
    checks: z.array(
      z
        .object({
          id: z.enum(['length', 'specific', 'audience', 'filler', 'tone']),
          label: z.string(),
          passed: z.boolean(),
          points: z.number(),
          of: z.number(),
          detail: z.string(),
        })
        .strict(),
    ),
  })
  .strict()
  .openapi('HeadlineResult');

const mrrResult = z
  .object({
    months: z.array(
      z
        .object({
          month: z.number().int(),
          startMrr: z.number(),
          newMrr: z.number(),
          churned: z.number(),
          expansion: z.number(),
          endMrr: z.number(),
        })
        .strict(),
    ),
    endMrr: z.number(),
    growthPercent: z.number().nullable(),
    churnOvertakesNewAt: z.number().int().nullable(),
    plateauMrr: z.number().nullable(),
  })
  .strict()
  .openapi('MrrResult');

const cohortResult = z
  .object({
    asOf: z.string(),
    customers: z.number().int(),
    cohorts: z.array(
      z
        .object({
          month: z.string().openapi({ description: 'Signup month, YYYY-MM.' }),
          size: z.number().int(),
          retained: z.array(z.number().int()),
          rates: z.array(z.number()),
        })
        .strict(),
    ),
    average: z.array(z.number()),
  })
  .strict()
  .openapi('CohortResult');

export const toolResult = z
  .object({ data: z.union([headlineResult, mrrResult, cohortResult]) })
  .strict()
  .openapi('ToolResult');

const metricUsage = z
  .object({
    metric: z.enum(['download', 'api_call']),
    label: z.string(),
    used: z.number().int(),
    limit: z.number().int(),
    remaining: z.number().int(),
    overage: z.number().int(),
    overageUnitAmount: z.number().nullable().openapi({ description: 'Cents per unit past the quota; null where refused.' }),
    overageAmount: z.number(),
  })
  .strict();

export const usageResult = z
  .object({
    data: z
      .object({
        plan: z.object({ id: planId, name: z.string() }).strict(),
        status: z.string().nullable(),
        period: z.object({ start: z.string(), end: z.string() }).strict(),
        currency: z.string(),
        metrics: z.array(metricUsage),
        overageReported: z.number().int(),
        history: z.array(
          z
            .object({ periodStart: z.string(), periodEnd: z.string(), downloads: z.number().int(), apiCalls: z.number().int() })
            .strict(),
        ),
      })
      .strict()
      .openapi('UsageSummary'),
  })
  .strict()
  .openapi('UsageResult');

// ---- The schemas above describe exactly what the handlers return.

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const same = <_T extends true>() => {};
same<Same<z.output<typeof libraryItem>, LibraryItem>>();
same<Same<z.output<typeof libraryItemFull>, LibraryItemFull>>();
same<Same<z.output<typeof headlineResult>, HeadlineResult>>();
same<Same<z.output<typeof mrrResult>, MrrResult>>();
same<Same<z.output<typeof cohortResult>, CohortResult>>();
same<Same<z.output<typeof usageResult>['data'], UsageSummary>>();
