// The library's tools: small calculators a subscriber runs from the item's page or the REST API.
// Each is a pure function of its validated input; access is the item's (its minimum plan), and a
// run through the API counts as one API call. A tool item is tied to its engine by slug; an item
// of kind "tool" with no engine here is a description only.
import { parse } from 'csv-parse';
import { z } from 'zod';
import { AppError } from '../lib/errors';

// ---- Headline analyzer

export const headlineInput = z
  .object({
    headline: z
      .string({ error: 'Enter a headline.' })
      .trim()
      .min(1, 'Enter a headline.')
      .max(300, 'Keep it under 300 characters: that is already far too long for a headline.'),
  })
  .strict();

export interface HeadlineCheck {
  id: 'length' | 'specific' | 'audience' | 'filler' | 'tone';
  label: string;
  passed: boolean;
  points: number;
  /** Points available for this check. */
  of: number;
  detail: string;
}

export interface HeadlineResult {
  score: number;
  words: number;
  checks: HeadlineCheck[];
}

const FILLER = ['very', 'really', 'things', 'stuff', 'just', 'basically', 'actually', 'literally', 'totally', 'simply'];
const OUTCOME = /\b(double|triple|half|halve|cut|save|grow|increase|reduce|boost|win|stop|without|in \d+)\b/i;
const AUDIENCE = /\b(you|your|for (?:\w+ ){0,2}\w+)\b/i;

export function analyzeHeadline(input: z.infer<typeof headlineInput>): HeadlineResult {
  const text = input.headline;
  const words = text.split(/\s+/).filter((w) => /[\p{L}\p{N}]/u.test(w));
  const n = words.length;
  const lower = words.map((w) => w.toLowerCase().replace(/[^\p{L}\p{N}']/gu, ''));
  const fillers = [...new Set(lower.filter((w) => FILLER.includes(w)))];
  const letters = text.replace(/[^\p{L}]/gu, '');
  // Scripts without capitals (Chinese, Japanese…) cannot shout.
  const shouting = letters.length >= 8 && letters === letters.toUpperCase() && letters !== letters.toLowerCase();
  const exclaims = (text.match(/!/g) ?? []).length;

  const length: HeadlineCheck =
    n >= 6 && n <= 12
      ? { id: 'length', label: 'Length', passed: true, points: 30, of: 30, detail: `${n} words: in the 6–12 that read best.` }
      : {
          id: 'length',
          label: 'Length',
          passed: false,
          points: (n >= 4 && n < 6) || (n > 12 && n <= 16) ? 15 : 0,
          of: 30,
          detail:
            n < 6
              ? `${n} word${n === 1 ? '' : 's'}: say a little more; 6–12 words read best.`
              : `${n} words: cut to 12 or fewer.`,
        };
  const hasNumber = /\d/.test(text);
  const hasOutcome = OUTCOME.test(text);
  const specific: HeadlineCheck = {
    id: 'specific',
    label: 'Specific',
    passed: hasNumber || hasOutcome,
    points: hasNumber || hasOutcome ? 25 : 0,
    of: 25,
    detail: hasNumber
      ? 'A number makes the promise concrete.'
      : hasOutcome
        ? 'It names an outcome.'
        : 'Add a number or a concrete outcome ("in 10 minutes", "cut churn by a third").',
  };
  const audienceMatch = AUDIENCE.exec(text);
  const audience: HeadlineCheck = {
    id: 'audience',
    label: 'Audience',
    passed: Boolean(audienceMatch),
    points: audienceMatch ? 20 : 0,
    of: 20,
    detail: audienceMatch
      ? `It speaks to someone ("${audienceMatch[0]}").`
      : 'Say who it is for ("for newsletter writers", "your first 100 customers").',
  };
  const filler: HeadlineCheck = {
    id: 'filler',
    label: 'No filler',
    passed: fillers.length === 0,
    points: fillers.length === 0 ? 15 : 0,
    of: 15,
    detail:
      fillers.length === 0
        ? 'No filler words.'
        : `Drop ${fillers.map((w) => `"${w}"`).join(', ')}: they add length, not meaning.`,
  };
  const calm = !shouting && exclaims <= 1;
  const tone: HeadlineCheck = {
    id: 'tone',
    label: 'Tone',
    passed: calm,
    points: calm ? 10 : 0,
    of: 10,
    detail: shouting ? 'All capitals reads as shouting.' : exclaims > 1 ? 'One exclamation mark at most.' : 'Calm and readable.',
  };
  const checks = [length, specific, audience, filler, tone];
  return { score: checks.reduce((s, c) => s + c.points, 0), words: n, checks };
}

// ---- MRR forecaster

const money = (label: string) =>
  z
    .number({ error: `${label} must be a number.` })
    .min(0, `${label} cannot be negative.`)
    .max(1_000_000_000, `${label} is over $1,000,000,000: check the figure.`);
const percent = (label: string) =>
  z
    .number({ error: `${label} must be a number.` })
    .min(0, `${label} cannot be negative.`)
    .max(100, `${label} is a percentage: at most 100.`);

export const mrrInput = z
  .object({
    startingMrr: money('Starting MRR'),
    newMrr: money('New MRR per month'),
    churnRate: percent('Monthly churn'),
    expansionRate: percent('Monthly expansion'),
    months: z
      .number({ error: 'Months must be a number.' })
      .int('Months must be a whole number.')
      .min(1, 'Forecast at least 1 month.')
      .max(36, 'Forecast at most 36 months.')
      .default(12),
  })
  .strict();

export interface MrrMonth {
  month: number;
  startMrr: number;
  newMrr: number;
  churned: number;
  expansion: number;
  endMrr: number;
}

export interface MrrResult {
  months: MrrMonth[];
  endMrr: number;
  /** Change from the starting MRR to the last month's, in percent; null when starting from 0. */
  growthPercent: number | null;
  /** The first month in which churned MRR exceeds new MRR, if it happens within the forecast. */
  churnOvertakesNewAt: number | null;
  /** Where MRR levels off if the rates hold (new = churned − expansion); null if it never does. */
  plateauMrr: number | null;
}

const cents = (x: number) => Math.round(x * 100) / 100;

export function forecastMrr(input: z.input<typeof mrrInput>): MrrResult {
  const { startingMrr, newMrr, churnRate, expansionRate, months } = mrrInput.parse(input);
  const rows: MrrMonth[] = [];
  let mrr = startingMrr;
  let overtakes: number | null = null;
  for (let m = 1; m <= months; m++) {
    const churned = (mrr * churnRate) / 100;
    const expansion = (mrr * expansionRate) / 100;
    const end = mrr - churned + expansion + newMrr;
    if (overtakes === null && churned > newMrr) overtakes = m;
    rows.push({
      month: m,
      startMrr: cents(mrr),
      newMrr: cents(newMrr),
      churned: cents(churned),
      expansion: cents(expansion),
      endMrr: cents(end),
    });
    mrr = end;
  }
  const net = churnRate - expansionRate;
  return {
    months: rows,
    endMrr: cents(mrr),
    growthPercent: startingMrr > 0 ? Math.round(((mrr - startingMrr) / startingMrr) * 1000) / 10 : null,
    churnOvertakesNewAt: overtakes,
    plateauMrr: net > 0 ? cents((newMrr * 100) / net) : null,
  };
}

// ---- Cohort retention analyzer

export const COHORT_MAX_ROWS = 50_000;
/**
 * Request bodies carrying a tool's input: the CSV's 2,000,000 characters as JSON, where a line break
 * takes two bytes (four with CR), an accented letter two and a CJK one three.
 */
export const TOOL_BODY_MAX = 4_200_000;
/** Columns a customers CSV may have: the three it needs and a few it may carry along. */
export const COHORT_MAX_COLUMNS = 20;
/** Months from the first signup month to the as-of month: bounds the table (and the work) to 20 years. */
export const COHORT_MAX_MONTHS = 240;

export const cohortInput = z
  .object({
    csv: z
      .string({ error: 'Paste or upload a CSV.' })
      .min(1, 'Paste or upload a CSV.')
      .max(2_000_000, 'The CSV is over 2 MB: split it, or keep the three columns only.'),
    /** The day the figures are taken on (YYYY-MM-DD); today when omitted. */
    asOf: z
      .string()
      .regex(/^\d{4}-\d{2}-\d{2}$/, 'Use a date like 2026-11-30.')
      .optional(),
  })
  .strict();

export interface Cohort {
  /** Signup month, YYYY-MM. */
  month: string;
  size: number;
  /** Customers still subscribed at the start of each month since signup (index 0 = signup month). */
  retained: number[];
  /** retained / size, rounded to 0.1%. */
  rates: number[];
}

export interface CohortResult {
  asOf: string;
  customers: number;
  cohorts: Cohort[];
  /** Retention by months since signup, averaged over the cohorts that have reached it (weighted by size). */
  average: number[];
}

const monthIndex = (d: Date) => d.getUTCFullYear() * 12 + d.getUTCMonth();
const monthLabel = (i: number) => `${Math.floor(i / 12)}-${String((i % 12) + 1).padStart(2, '0')}`;

/**
 * The calendar day written at the start of a date or timestamp, as midnight UTC: a customer who
 * signed up on January 31st is in January's cohort whatever the time, its offset, or the server's
 * time zone. Null unless the day exists (Date would roll 2026-02-30 over to March 2nd).
 */
function parseDay(value: string): Date | null {
  if (!/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(value)) return null;
  const [y, m, day] = value.slice(0, 10).split('-').map(Number) as [number, number, number];
  const d = new Date(Date.UTC(y, m - 1, day));
  return m >= 1 && m <= 12 && d.getUTCDate() === day ? d : null;
}

/** A value quoted back in an error, cut short: the input may be megabytes. */
const quote = (value: string) => JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);

function badCsv(message: string): AppError {
  return new AppError('BAD_REQUEST', message, { field: 'csv' });
}

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

type CsvRecord = { record: Record<string, string>; info: { lines: number } };

/** About 8 ms of parsing: a large CSV is read in slices, so other requests go on between them. */
const CSV_SLICE = 64 * 1024;

/** The CSV's records with their line numbers; at most COHORT_MAX_ROWS. */
async function readCsv(csv: string): Promise<CsvRecord[]> {
  const records: CsvRecord[] = [];
  const parser = parse({
    columns: (header: string[]) => {
      const names = header.map((h) => h.trim().toLowerCase());
      if (names.length > COHORT_MAX_COLUMNS)
        throw badCsv(
          `The header has ${names.length} columns: keep customer_id, signed_up_at and canceled_at (at most ${COHORT_MAX_COLUMNS}).`,
        );
      const twice = names.find((n, i) => n && names.indexOf(n) !== i);
      if (twice) throw badCsv(`The header names the column ${quote(twice)} twice.`);
      return names;
    },
    skip_empty_lines: true,
    trim: true,
    info: true,
    max_record_size: 10_000,
  });
  let failed: unknown = null;
  parser.on('readable', () => {
    for (let r = parser.read(); r !== null; r = parser.read()) records.push(r);
  });
  const ended = new Promise<void>((resolve, reject) => {
    parser.on('end', resolve);
    parser.on('error', (err) => {
      failed = err;
      reject(err);
    });
  });
  ended.catch(() => {});
  for (let at = 0; at < csv.length && !failed; ) {
    // The parser takes a record across slices; only a UTF-16 surrogate pair must stay whole.
    let next = Math.min(csv.length, at + CSV_SLICE);
    const last = csv.charCodeAt(next - 1);
    if (next < csv.length && last >= 0xd800 && last <= 0xdbff) next -= 1;
    parser.write(csv.slice(at, next));
    at = next;
    if (records.length > COHORT_MAX_ROWS) break;
    await nextTurn();
  }
  const tooMany = () => badCsv(`At most ${COHORT_MAX_ROWS.toLocaleString('en-US')} customers per run.`);
  if (records.length > COHORT_MAX_ROWS) {
    parser.destroy();
    throw tooMany();
  }
  parser.end();
  await ended;
  if (records.length > COHORT_MAX_ROWS) throw tooMany();
  return records;
}

export async function cohortRetention(input: z.input<typeof cohortInput>, now = new Date()): Promise<CohortResult> {
  const { csv, asOf: asOfText } = cohortInput.parse(input);
  const today = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
  const asOf = asOfText ? parseDay(asOfText) : today;
  if (!asOf) throw new AppError('BAD_REQUEST', 'Use a date like 2026-11-30.', { field: 'asOf' });
  // A day's grace: it may already be tomorrow where the user is.
  if (asOf.getTime() > today.getTime() + 86_400_000)
    throw new AppError('BAD_REQUEST', 'As of cannot be in the future: leave it empty for today.', { field: 'asOf' });

  let records: CsvRecord[];
  try {
    records = await readCsv(csv);
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw badCsv(`The CSV could not be read: ${(err as Error).message}`);
  }
  const first = records[0]?.record;
  const missing = ['customer_id', 'signed_up_at', 'canceled_at'].filter((c) => !first || !(c in first));
  if (!first) throw badCsv('The CSV has no rows: it needs a header line and one line per customer.');
  if (missing.length)
    throw badCsv(`The header needs the columns customer_id, signed_up_at, canceled_at; missing: ${missing.join(', ')}.`);

  const seen = new Set<string>();
  // Months as indexes (year × 12 + month); `end` is the month a customer left in, Infinity if they did not.
  const customers: { start: number; end: number }[] = [];
  for (const [i, { record, info }] of records.entries()) {
    if (i % 5_000 === 4_999) await nextTurn(); // other requests go on between batches
    const line = info.lines;
    const id = record.customer_id ?? '';
    if (!id) throw badCsv(`Line ${line}: customer_id is empty.`);
    if (seen.has(id)) throw badCsv(`Line ${line}: customer ${quote(id)} appears twice.`);
    seen.add(id);
    const signedUp = parseDay(record.signed_up_at ?? '');
    if (!signedUp) throw badCsv(`Line ${line}: signed_up_at ${quote(record.signed_up_at ?? '')} is not a date like 2026-01-31.`);
    if (signedUp > asOf) throw badCsv(`Line ${line}: signed_up_at is after ${asOf.toISOString().slice(0, 10)}.`);
    const canceledText = record.canceled_at ?? '';
    const canceled = canceledText ? parseDay(canceledText) : null;
    if (canceledText && !canceled)
      throw badCsv(`Line ${line}: canceled_at ${quote(canceledText)} is not a date (leave it empty if still subscribed).`);
    if (canceled && canceled < signedUp) throw badCsv(`Line ${line}: canceled_at is before signed_up_at.`);
    customers.push({ start: monthIndex(signedUp), end: canceled ? monthIndex(canceled) : Number.POSITIVE_INFINITY });
  }

  const last = monthIndex(asOf);
  const earliest = customers.reduce((m, c) => Math.min(m, c.start), last);
  if (last - earliest >= COHORT_MAX_MONTHS)
    throw badCsv(
      `Signups from ${monthLabel(earliest)} to ${monthLabel(last)} span more than ${COHORT_MAX_MONTHS / 12} years: keep the last ${COHORT_MAX_MONTHS / 12} years.`,
    );
  const byMonth = new Map<number, { end: number }[]>();
  for (const c of customers) {
    const list = byMonth.get(c.start) ?? [];
    list.push(c);
    byMonth.set(c.start, list);
  }
  const cohorts: Cohort[] = [...byMonth.entries()]
    .sort(([a], [b]) => a - b)
    .map(([start, members]) => {
      // Still subscribed at the start of month k: left in month start + k or later. Counted from a
      // histogram of leaving months, so the work grows with customers plus months, not their product.
      const leftIn = new Array<number>(last - start + 2).fill(0);
      for (const m of members) {
        const i = Math.min(m.end, last + 1) - start;
        leftIn[i] = (leftIn[i] ?? 0) + 1;
      }
      const retained: number[] = [];
      let stillThere = members.length;
      for (let k = 0; start + k <= last; k++) {
        retained.push(stillThere);
        stillThere -= leftIn[k] as number;
      }
      return {
        month: monthLabel(start),
        size: members.length,
        retained,
        rates: retained.map((r) => Math.round((r / members.length) * 1000) / 1000),
      };
    });
  const longest = Math.max(0, ...cohorts.map((c) => c.retained.length));
  const average = Array.from({ length: longest }, (_, k) => {
    const reached = cohorts.filter((c) => c.retained.length > k);
    const size = reached.reduce((s, c) => s + c.size, 0);
    return Math.round((reached.reduce((s, c) => s + (c.retained[k] ?? 0), 0) / size) * 1000) / 1000;
  });
  return { asOf: asOf.toISOString().slice(0, 10), customers: customers.length, cohorts, average };
}

// ---- The engines by item slug

export const tools = {
  'headline-analyzer': {
    input: headlineInput,
    run: (i: z.input<typeof headlineInput>) => analyzeHeadline(headlineInput.parse(i)),
    heavy: false,
  },
  'mrr-forecaster': { input: mrrInput, run: forecastMrr, heavy: false },
  // Up to about half a second of CPU on 50,000 customers.
  'cohort-retention-analyzer': { input: cohortInput, run: (i: z.input<typeof cohortInput>) => cohortRetention(i), heavy: true },
} as const;

export type ToolId = keyof typeof tools;

export function isToolId(slug: string): slug is ToolId {
  return Object.hasOwn(tools, slug);
}

/** Runs a tool on unvalidated input: BAD_REQUEST naming the first wrong field otherwise. */
export async function runTool(id: ToolId, raw: unknown): Promise<HeadlineResult | MrrResult | CohortResult> {
  const tool = tools[id];
  const parsed = tool.input.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.join('.') || undefined;
    throw new AppError('BAD_REQUEST', issue?.message ?? 'Invalid input.', field ? { field } : {});
  }
  return (tool.run as (i: unknown) => HeadlineResult | MrrResult | Promise<CohortResult>)(parsed.data);
}
