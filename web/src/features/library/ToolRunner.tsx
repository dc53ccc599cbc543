// The form and result of each library tool (src/content/tools.ts). Runs from the web count nothing;
// the server checks every input and names the field it refuses, shown next to that field.
import {
  type ChangeEvent,
  type CSSProperties,
  type FormEvent,
  type ReactNode,
  type RefObject,
  useEffect,
  useId,
  useRef,
  useState,
} from 'react';
import type { CohortResult, HeadlineResult, MrrResult, ToolId } from '../../../../src/content/tools';
import { trpc } from '../../lib/trpc';
import { fieldValue, useFocusFirstInvalid, useFormErrors } from '../../lib/hooks';
import { FormAlert } from '../../components/Banner';
import { Button } from '../../components/Button';
import { Field, TextField } from '../../components/TextField';
import { cx } from '../../components/cx';
import { AlertIcon, CheckIcon } from '../../components/icons';

interface ToolResults {
  'headline-analyzer': HeadlineResult;
  'mrr-forecaster': MrrResult;
  'cohort-retention-analyzer': CohortResult;
}

export function ToolRunner({ slug, tool }: { slug: string; tool: ToolId }) {
  switch (tool) {
    case 'headline-analyzer':
      return <HeadlineTool slug={slug} />;
    case 'mrr-forecaster':
      return <MrrTool slug={slug} />;
    case 'cohort-retention-analyzer':
      return <CohortTool slug={slug} />;
  }
}

/** The runTool mutation with its result typed for one tool: the server answers with that tool's shape. */
function useToolRun<T extends ToolId>(_tool: T) {
  const run = trpc.content.runTool.useMutation();
  return { run, result: run.data as ToolResults[T] | undefined };
}

/**
 * A tool's form (its fields, then the buttons) and below it the result. Screen readers hear only the
 * one-line `summary`, from a live region present before the first run; the report itself is there to
 * read at one's own pace.
 */
function ToolForm(props: {
  formRef: RefObject<HTMLFormElement | null>;
  onSubmit: (e: FormEvent<HTMLFormElement>) => void;
  alert: string | null;
  submit: string;
  busy: boolean;
  /** Buttons after the submit button. */
  actions?: ReactNode;
  summary: string | null;
  report: ReactNode;
  children: ReactNode;
}) {
  return (
    <div className="tool">
      <form ref={props.formRef} className="form" onSubmit={props.onSubmit} noValidate>
        <FormAlert message={props.alert} />
        {props.children}
        <div className="form-actions">
          <Button type="submit" loading={props.busy}>
            {props.submit}
          </Button>
          {props.actions}
        </div>
      </form>
      <div className="tool-result" aria-busy={props.busy || undefined}>
        <p className="visually-hidden" aria-live="polite">
          {props.busy ? '' : (props.summary ?? '')}
        </p>
        {props.report}
      </div>
    </div>
  );
}

/** A table that scrolls sideways on narrow screens; focusable so keyboard users can scroll it too. */
function TableScroll({ label, children }: { label: string; children: ReactNode }) {
  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard to scroll
    <section className="tool-table-wrap" aria-label={label} tabIndex={0}>
      {children}
    </section>
  );
}

// ---- Headline analyzer

function HeadlineTool({ slug }: { slug: string }) {
  const formRef = useRef<HTMLFormElement>(null);
  const { run, result } = useToolRun('headline-analyzer');
  const errors = useFormErrors(run, ['headline']);
  useFocusFirstInvalid(formRef, run.error);

  function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    run.mutate({ slug, input: { headline: fieldValue(new FormData(e.currentTarget), 'headline') } });
  }

  return (
    <ToolForm
      formRef={formRef}
      onSubmit={onSubmit}
      alert={errors.message}
      submit="Analyze"
      busy={run.isPending}
      summary={
        result ? `Score ${result.score} out of 100, ${result.checks.filter((c) => !c.passed).length} checks to improve.` : null
      }
      report={result && <HeadlineReport result={result} />}
    >
      <TextField
        label="Headline"
        name="headline"
        maxLength={300}
        autoComplete="off"
        placeholder="How to double your newsletter signups in 30 days"
        hint="One headline at a time; 6–12 words read best."
        error={errors.fields.headline}
      />
    </ToolForm>
  );
}

function HeadlineReport({ result }: { result: HeadlineResult }) {
  const labelId = useId();
  const tone = result.score >= 80 ? 'good' : result.score >= 50 ? 'fair' : 'poor';
  const verdict = { good: 'Strong headline', fair: 'Could be sharper', poor: 'Needs work' }[tone];
  return (
    <>
      <div className="tool-score">
        <p className="tool-score-figure">
          <strong>{result.score}</strong> <span>out of 100</span>
        </p>
        <div className="tool-score-side">
          <p className="tool-score-verdict" id={labelId}>
            {verdict}
            <span className="muted">
              {' · '}
              {result.words} {result.words === 1 ? 'word' : 'words'}
            </span>
          </p>
          <meter
            className={`tool-meter tool-meter-${tone}`}
            aria-label="Headline score"
            aria-describedby={labelId}
            min={0}
            max={100}
            value={result.score}
          >
            {result.score} out of 100
          </meter>
        </div>
      </div>
      <ul className="tool-checks" aria-label="Checks">
        {result.checks.map((c) => (
          <li key={c.id} className={cx('tool-check', c.passed ? 'tool-check-passed' : 'tool-check-failed')}>
            {c.passed ? <CheckIcon className="tool-check-icon" /> : <AlertIcon size={20} className="tool-check-icon" />}
            <div className="tool-check-main">
              <p className="tool-check-head">
                <strong>{c.label}</strong>
                <span className="tool-check-status">{c.passed ? 'Passed' : 'Failed'}</span>
              </p>
              <p className="tool-check-detail">{c.detail}</p>
            </div>
            <p className="tool-check-points">
              {c.points}/{c.of}
              <span className="visually-hidden"> points</span>
            </p>
          </li>
        ))}
      </ul>
    </>
  );
}

// ---- MRR forecaster

const MRR_FIELDS = [
  { name: 'startingMrr', label: 'Starting MRR ($)', missing: 'Enter your starting MRR.', hint: 'Recurring revenue today.' },
  {
    name: 'newMrr',
    label: 'New MRR per month ($)',
    missing: 'Enter the new MRR you add each month.',
    hint: 'From new customers.',
  },
  {
    name: 'churnRate',
    label: 'Monthly churn (%)',
    missing: 'Enter your monthly churn rate.',
    hint: 'Share of MRR lost each month.',
  },
  {
    name: 'expansionRate',
    label: 'Monthly expansion (%)',
    missing: 'Enter your monthly expansion rate (0 if none).',
    hint: 'Upgrades and add-ons, as a share of MRR.',
  },
  { name: 'months', label: 'Months', missing: 'Enter how many months to forecast.', hint: '1 to 36.' },
] as const;

type MrrField = (typeof MRR_FIELDS)[number]['name'];

/**
 * Plain digits, or digits grouped in thousands by commas, with optional decimals. A comma anywhere
 * else ("2,5", a decimal comma) is refused rather than dropped: "2,5" must not become 25.
 */
const NUMBER = /^-?(?:\d+|\d{1,3}(?:,\d{3})+)(?:\.\d+)?$|^-?\.\d+$/;

/** Reads "$12,000", "3 %" or "4.5" as a number; null when empty, NaN when not a number. */
function readNumber(raw: string): number | null {
  const text = raw.replace(/[$%\s]/g, '');
  if (text === '') return null;
  return NUMBER.test(text) ? Number(text.replaceAll(',', '')) : Number.NaN;
}

const usd = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD', maximumFractionDigits: 0 });

function MrrTool({ slug }: { slug: string }) {
  const formRef = useRef<HTMLFormElement>(null);
  const { run, result } = useToolRun('mrr-forecaster');
  // Empty or unreadable fields are caught here, all at once; the server checks the ranges.
  const [missing, setMissing] = useState<Partial<Record<MrrField, string>> | null>(null);
  const errors = useFormErrors(
    run,
    MRR_FIELDS.map((f) => f.name),
  );
  useFocusFirstInvalid(formRef, missing ?? run.error);

  function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const data = new FormData(e.currentTarget);
    const input: Partial<Record<MrrField, number>> = {};
    const problems: Partial<Record<MrrField, string>> = {};
    for (const f of MRR_FIELDS) {
      const value = readNumber(fieldValue(data, f.name));
      if (value === null) problems[f.name] = f.missing;
      else if (Number.isNaN(value)) problems[f.name] = `${f.label.replace(/ \(.*\)$/, '')} must be a number, like 12.5.`;
      else input[f.name] = value;
    }
    if (Object.keys(problems).length > 0) {
      run.reset();
      setMissing(problems);
      return;
    }
    setMissing(null);
    run.mutate({ slug, input });
  }

  return (
    <ToolForm
      formRef={formRef}
      onSubmit={onSubmit}
      alert={errors.message}
      submit="Forecast"
      busy={run.isPending}
      summary={
        result
          ? `Forecast ready: ${result.months.length} months, ending at ${usd.format(result.endMrr)} monthly recurring revenue.`
          : null
      }
      report={result && <MrrReport result={result} />}
    >
      <div className="form-row tool-mrr-fields">
        {MRR_FIELDS.map((f) => (
          <TextField
            key={f.name}
            label={f.label}
            name={f.name}
            inputMode={f.name === 'months' ? 'numeric' : 'decimal'}
            autoComplete="off"
            defaultValue={f.name === 'months' ? '12' : undefined}
            hint={f.hint}
            error={missing?.[f.name] ?? errors.fields[f.name]}
          />
        ))}
      </div>
    </ToolForm>
  );
}

/**
 * Where MRR heads: a plateau exists only when churn outweighs expansion; otherwise it grows, unless
 * nothing moves at all (no new MRR, and expansion cancels churn or there is no MRR to act on).
 */
function mrrTrend(result: MrrResult): 'levels-off' | 'grows' | 'flat' {
  if (result.plateauMrr !== null) return 'levels-off';
  return result.months.every((m) => m.endMrr === m.startMrr) ? 'flat' : 'grows';
}

function MrrReport({ result }: { result: MrrResult }) {
  const n = result.months.length;
  const trend = mrrTrend(result);
  const growth =
    result.growthPercent === null
      ? '—'
      : `${result.growthPercent > 0 ? '+' : result.growthPercent < 0 ? '−' : ''}${Math.abs(result.growthPercent)}%`;
  return (
    <>
      <dl className="tool-stats">
        <div>
          <dt>MRR after {n === 1 ? '1 month' : `${n} months`}</dt>
          <dd>{usd.format(result.endMrr)}</dd>
        </div>
        <div>
          <dt>Growth</dt>
          <dd>{growth}</dd>
          {result.growthPercent === null && <dd className="tool-stat-note">Starting from $0.</dd>}
        </div>
        <div>
          <dt>Churn overtakes new MRR</dt>
          <dd>{result.churnOvertakesNewAt === null ? 'Not yet' : `Month ${result.churnOvertakesNewAt}`}</dd>
          <dd className="tool-stat-note">
            {result.churnOvertakesNewAt === null
              ? `New MRR keeps up with churn for all ${n} months.`
              : 'From then on, you lose more each month than you sign.'}
          </dd>
        </div>
        <div>
          <dt>Plateau</dt>
          <dd>
            {trend === 'levels-off' ? usd.format(result.plateauMrr ?? 0) : trend === 'flat' ? usd.format(result.endMrr) : 'None'}
          </dd>
          <dd className="tool-stat-note">
            {trend === 'levels-off'
              ? 'Churn outweighs expansion, so MRR levels off here if these rates hold.'
              : trend === 'flat'
                ? 'MRR stays flat: each month ends where it started.'
                : 'Expansion keeps up with churn, so MRR keeps growing.'}
          </dd>
        </div>
      </dl>
      <h3 className="tool-subtitle">Month by month</h3>
      <TableScroll label="Month-by-month forecast">
        <table className="tool-table">
          <thead>
            <tr>
              <th scope="col">Month</th>
              <th scope="col" className="num">
                Start
              </th>
              <th scope="col" className="num">
                New
              </th>
              <th scope="col" className="num">
                Churned
              </th>
              <th scope="col" className="num">
                Expansion
              </th>
              <th scope="col" className="num">
                End
              </th>
            </tr>
          </thead>
          <tbody>
            {result.months.map((m) => (
              <tr key={m.month}>
                <th scope="row">{m.month}</th>
                <td className="num">{usd.format(m.startMrr)}</td>
                <td className="num">{usd.format(m.newMrr)}</td>
                <td className="num">{m.churned > 0 ? `−${usd.format(m.churned)}` : usd.format(0)}</td>
                <td className="num">{usd.format(m.expansion)}</td>
                <td className="num strong">{usd.format(m.endMrr)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableScroll>
    </>
  );
}

// ---- Cohort retention analyzer

const EXAMPLE_AS_OF = '2026-11-20';
const EXAMPLE_CSV = `customer_id,signed_up_at,canceled_at
cus_1001,2026-06-02,
cus_1002,2026-06-09,2026-07-14
cus_1003,2026-06-15,
cus_1004,2026-06-23,2026-09-03
cus_1005,2026-07-01,
cus_1006,2026-07-12,2026-08-20
cus_1007,2026-07-28,
cus_1008,2026-08-04,
cus_1009,2026-08-11,2026-08-30
cus_1010,2026-08-19,
cus_1011,2026-08-27,2026-10-05
cus_1012,2026-09-03,
cus_1013,2026-09-14,
cus_1014,2026-09-25,2026-11-02
cus_1015,2026-10-02,
cus_1016,2026-10-16,2026-10-29
cus_1017,2026-10-21,
cus_1018,2026-11-03,
cus_1019,2026-11-10,
cus_1020,2026-11-17,
`;

/** The server's limit on the csv field (cohortInput in src/content/tools.ts), in characters. */
const MAX_CSV_CHARS = 2_000_000;
/** UTF-8 takes at most 3 bytes per UTF-16 character (and a BOM): a larger file cannot fit, so is not read. */
const MAX_CSV_FILE_BYTES = MAX_CSV_CHARS * 3 + 3;
const TOO_BIG = 'at most 2 MB (2,000,000 characters). Split it, or keep the three columns only.';

/** Lines in a text, not counting the empty one after a final line break. */
function countLines(text: string): number {
  if (text === '') return 0;
  const breaks = text.match(/\r\n|\r|\n/g)?.length ?? 0;
  return /[\r\n]$/.test(text) ? breaks : breaks + 1;
}

const monthName = new Intl.DateTimeFormat('en-US', { month: 'short', year: 'numeric', timeZone: 'UTC' });
const dayName = new Intl.DateTimeFormat('en-US', { dateStyle: 'medium', timeZone: 'UTC' });
const percent = (rate: number) => `${Math.round(rate * 100)}%`;

function CohortTool({ slug }: { slug: string }) {
  const formRef = useRef<HTMLFormElement>(null);
  const fileId = useId();
  const { run, result } = useToolRun('cohort-retention-analyzer');
  const [csv, setCsv] = useState('');
  const [asOf, setAsOf] = useState('');
  const fileRef = useRef<HTMLInputElement>(null);
  // What became of the last file picked: read into the box, or refused. A new object each time, so
  // the same error twice still moves focus.
  const [file, setFile] = useState<{ loaded: string } | { error: string } | null>(null);
  // A pasted CSV over the limit, caught before sending.
  const [tooBig, setTooBig] = useState<{ message: string } | null>(null);
  const errors = useFormErrors(run, ['csv', 'asOf']);
  useFocusFirstInvalid(formRef, tooBig ?? run.error);
  const csvError = tooBig?.message ?? errors.fields.csv;
  const fileError = file && 'error' in file ? file.error : null;
  const loaded = file && 'loaded' in file ? file.loaded : null;

  // A file error takes focus to the input, read out with the error it points to. Focus is often there
  // already (after the file dialog), so the error is also in a status region, which announces it.
  useEffect(() => {
    if (file && 'error' in file) fileRef.current?.focus();
  }, [file]);

  async function onFile(e: ChangeEvent<HTMLInputElement>) {
    const input = e.currentTarget;
    const picked = input.files?.[0];
    setFile(null);
    if (!picked) return;
    try {
      if (picked.size > MAX_CSV_FILE_BYTES) {
        setFile({ error: `The file is too big: a CSV can be ${TOO_BIG}` });
        return;
      }
      let text: string;
      try {
        text = await picked.text();
      } catch {
        setFile({ error: 'The file could not be read. Try again, or paste its contents above.' });
        return;
      }
      if (text.length > MAX_CSV_CHARS) {
        setFile({ error: `The file is too big: a CSV can be ${TOO_BIG}` });
        return;
      }
      setCsv(text);
      setTooBig(null);
      const lines = countLines(text);
      setFile({ loaded: `Loaded ${picked.name}: ${lines.toLocaleString('en-US')} ${lines === 1 ? 'line' : 'lines'}.` });
    } finally {
      // So that picking the same file again (after editing it) reads it again.
      input.value = '';
    }
  }

  function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    if (csv.length > MAX_CSV_CHARS) {
      run.reset();
      setTooBig({ message: `The CSV is too big: ${TOO_BIG}` });
      return;
    }
    setTooBig(null);
    run.mutate({ slug, input: asOf ? { csv, asOf } : { csv } });
  }

  return (
    <ToolForm
      formRef={formRef}
      onSubmit={onSubmit}
      alert={errors.message}
      submit="Analyze retention"
      busy={run.isPending}
      actions={
        <Button
          variant="secondary"
          onClick={() => {
            setCsv(EXAMPLE_CSV);
            setAsOf(EXAMPLE_AS_OF);
            setFile(null);
            setTooBig(null);
          }}
        >
          Load an example
        </Button>
      }
      summary={
        result
          ? `Cohort table ready: ${result.cohorts.length} cohorts, ${result.customers} customers, as of ${result.asOf}.`
          : null
      }
      report={result && <CohortReport result={result} />}
    >
      <Field
        label="Customers (CSV)"
        error={csvError}
        hint={
          <>
            A header line <code>customer_id,signed_up_at,canceled_at</code>, then one line per customer. Dates as YYYY-MM-DD;
            leave canceled_at empty for customers still subscribed. At most 2 MB.
          </>
        }
      >
        {(control) => (
          <textarea
            {...control}
            name="csv"
            className="input tool-csv"
            rows={8}
            spellCheck={false}
            placeholder={'customer_id,signed_up_at,canceled_at\ncus_1001,2026-06-02,\ncus_1002,2026-06-09,2026-07-14'}
            value={csv}
            onChange={(e) => {
              setCsv(e.target.value);
              setTooBig(null);
            }}
          />
        )}
      </Field>
      <div className="form-row">
        <div className={cx('field', fileError && 'field-invalid')}>
          <label className="field-label" htmlFor={fileId}>
            Or upload a CSV file
          </label>
          <input
            ref={fileRef}
            id={fileId}
            type="file"
            className="input tool-file"
            accept=".csv,text/csv"
            onChange={onFile}
            aria-invalid={fileError ? true : undefined}
            aria-describedby={file ? `${fileId}-status` : undefined}
          />
          {/* Always rendered: a live region announces changes only once it is in the page. */}
          <p id={`${fileId}-status`} role="status" className={fileError ? 'field-error' : 'field-hint'}>
            {fileError ? (
              <>
                <AlertIcon />
                <span>{fileError}</span>
              </>
            ) : (
              loaded
            )}
          </p>
        </div>
        <TextField
          label="As of"
          name="asOf"
          type="date"
          optional
          value={asOf}
          onChange={(e) => setAsOf(e.target.value)}
          hint="The day the figures are taken on; today if empty."
          error={errors.fields.asOf}
        />
      </div>
    </ToolForm>
  );
}

function CohortReport({ result }: { result: CohortResult }) {
  const columns = result.average.map((_, k) => k);
  const cohortCount = result.cohorts.length;
  return (
    <>
      <p className="tool-summary">
        <strong>{result.customers.toLocaleString('en-US')}</strong> {result.customers === 1 ? 'customer' : 'customers'} in{' '}
        <strong>{cohortCount}</strong> monthly {cohortCount === 1 ? 'cohort' : 'cohorts'}, as of{' '}
        {dayName.format(new Date(`${result.asOf}T00:00:00Z`))}. Each cell is the share of a cohort still subscribed at the start
        of that month since signup.
      </p>
      <TableScroll label="Retention by signup month">
        <table className="tool-table tool-cohorts">
          <thead>
            <tr>
              <th scope="col">Signup month</th>
              {columns.map((k) => (
                <th key={k} scope="col" className="num">
                  Month {k}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {result.cohorts.map((c) => (
              <tr key={c.month}>
                <th scope="row">
                  <CohortLabel name={monthName.format(new Date(`${c.month}-01T00:00:00Z`))} size={c.size} />
                </th>
                {columns.map((k) => {
                  const rate = c.rates[k];
                  return rate === undefined ? (
                    <td key={k} className="tool-heat-empty" />
                  ) : (
                    <td
                      key={k}
                      className="num tool-heat"
                      style={{ '--heat': `${Math.round(rate * 55)}%` } as CSSProperties}
                      title={stillSubscribed(c.retained[k] ?? 0, c.size)}
                    >
                      {percent(rate)}
                      <span className="visually-hidden">, {stillSubscribed(c.retained[k] ?? 0, c.size)}</span>
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
          <tfoot>
            <tr>
              <th scope="row">
                <CohortLabel name="Average" size={result.customers} />
              </th>
              {result.average.map((rate, k) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: the index is the month since signup
                <td key={k} className="num">
                  {percent(rate)}
                </td>
              ))}
            </tr>
          </tfoot>
        </table>
      </TableScroll>
    </>
  );
}

const stillSubscribed = (retained: number, size: number) =>
  `${retained.toLocaleString('en-US')} of ${size.toLocaleString('en-US')} still subscribed`;

/** A cohort's row header: its signup month over its size, so phones keep room for the months. */
function CohortLabel({ name, size }: { name: string; size: number }) {
  return (
    <>
      <span className="tool-cohort-name">{name}</span>{' '}
      <span className="tool-cohort-size">
        {size.toLocaleString('en-US')} {size === 1 ? 'customer' : 'customers'}
      </span>
    </>
  );
}
