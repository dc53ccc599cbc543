// The tool engines: what a subscriber reads off each result, and bad input named by field.
import { describe, expect, it } from 'vitest';
import { AppError } from '../lib/errors';
import { analyzeHeadline, cohortRetention, COHORT_MAX_ROWS, forecastMrr, runTool } from './tools';

const checks = (headline: string) => Object.fromEntries(analyzeHeadline({ headline }).checks.map((c) => [c.id, c.passed]));

describe('headline analyzer', () => {
  it('a specific headline for a named audience scores full marks', () => {
    const r = analyzeHeadline({ headline: 'How to double your newsletter signups in 30 days' });
    expect(r.words).toBe(9);
    expect(r.score).toBe(100);
    expect(r.checks.every((c) => c.passed)).toBe(true);
  });

  it('each weakness costs its points and says what to change', () => {
    const r = analyzeHeadline({ headline: 'REALLY GREAT THINGS!!' });
    expect(r.score).toBe(0);
    expect(r.checks.find((c) => c.id === 'filler')?.detail).toBe('Drop "really", "things": they add length, not meaning.');
    expect(r.checks.find((c) => c.id === 'tone')?.detail).toBe('All capitals reads as shouting.');
    expect(checks('Pricing tips for founders who sell templates online')).toMatchObject({
      length: true,
      audience: true,
      specific: false,
    });
    // 4–5 or 13–16 words earn half the length points.
    expect(analyzeHeadline({ headline: 'Pricing that works for you' }).checks[0]).toMatchObject({ passed: false, points: 15 });
  });

  it('an empty or overlong headline is refused naming the field', async () => {
    await expect(runTool('headline-analyzer', { headline: '   ' })).rejects.toThrow(
      expect.objectContaining({ code: 'BAD_REQUEST', message: 'Enter a headline.', details: { field: 'headline' } }),
    );
    await expect(runTool('headline-analyzer', { headline: 'x'.repeat(301) })).rejects.toThrow(AppError);
    await expect(runTool('headline-analyzer', { headline: 'ok', extra: 1 })).rejects.toThrow(AppError);
  });
});

describe('MRR forecaster', () => {
  it('compounds churn, expansion and new MRR month by month', () => {
    const r = forecastMrr({ startingMrr: 10_000, newMrr: 1_000, churnRate: 5, expansionRate: 1, months: 2 });
    expect(r.months[0]).toEqual({ month: 1, startMrr: 10_000, newMrr: 1_000, churned: 500, expansion: 100, endMrr: 10_600 });
    expect(r.months[1]).toEqual({ month: 2, startMrr: 10_600, newMrr: 1_000, churned: 530, expansion: 106, endMrr: 11_176 });
    expect(r.endMrr).toBe(11_176);
    expect(r.growthPercent).toBe(11.8);
    // It levels off where new MRR equals net churn: 1,000 / 4%.
    expect(r.plateauMrr).toBe(25_000);
    expect(r.churnOvertakesNewAt).toBeNull();
  });

  it('says when churn overtakes new sales; 12 months by default', () => {
    const r = forecastMrr({ startingMrr: 50_000, newMrr: 2_000, churnRate: 5, expansionRate: 0 });
    expect(r.months).toHaveLength(12);
    expect(r.churnOvertakesNewAt).toBe(1);
    expect(forecastMrr({ startingMrr: 0, newMrr: 100, churnRate: 0, expansionRate: 0 }).growthPercent).toBeNull();
  });

  it('bad figures are refused naming the field', async () => {
    const bad = (input: object, field: string) =>
      expect(runTool('mrr-forecaster', { startingMrr: 1, newMrr: 1, churnRate: 1, expansionRate: 1, ...input })).rejects.toThrow(
        expect.objectContaining({ details: { field } }),
      );
    await bad({ churnRate: 120 }, 'churnRate');
    await bad({ startingMrr: -5 }, 'startingMrr');
    await bad({ newMrr: '100' }, 'newMrr');
    await bad({ months: 1.5 }, 'months');
  });
});

describe('cohort retention analyzer', () => {
  const csv = [
    'customer_id,signed_up_at,canceled_at',
    'a,2026-01-05,',
    'b,2026-01-20,2026-02-10',
    'c,2026-01-31,2026-03-15',
    'd,2026-02-02,',
    'e,2026-02-27,2026-02-28',
    '',
  ].join('\n');

  it('groups customers by signup month and counts who is still subscribed each month after', async () => {
    const r = await cohortRetention({ csv, asOf: '2026-04-10' });
    expect(r.customers).toBe(5);
    expect(r.cohorts).toEqual([
      // January: all 3 still there on February 1st; b left in February, c in March.
      { month: '2026-01', size: 3, retained: [3, 3, 2, 1], rates: [1, 1, 0.667, 0.333] },
      // February: e left within its signup month.
      { month: '2026-02', size: 2, retained: [2, 1, 1], rates: [1, 0.5, 0.5] },
    ]);
    // Month 1: (3 + 1) of 5; month 3 only January has reached it.
    expect(r.average).toEqual([1, 0.8, 0.6, 0.333]);
  });

  it('columns in any order and case, quoted fields, ISO timestamps', async () => {
    const r = await cohortRetention({
      csv: 'Canceled_At,Customer_ID,Signed_Up_At\n"","cus_1","2026-03-01T10:00:00Z"\n2026-04-02,"cus_2",2026-03-09\n',
      asOf: '2026-05-01',
    });
    expect(r.cohorts).toEqual([{ month: '2026-03', size: 2, retained: [2, 2, 1], rates: [1, 1, 0.5] }]);
  });

  it('says which line is wrong and why', async () => {
    const bad = (text: string, message: string) =>
      expect(cohortRetention({ csv: text, asOf: '2026-05-01' })).rejects.toThrow(
        expect.objectContaining({ code: 'BAD_REQUEST', message, details: { field: 'csv' } }),
      );
    await bad(
      'id,start\n1,2026-01-01\n',
      'The header needs the columns customer_id, signed_up_at, canceled_at; missing: customer_id, signed_up_at, canceled_at.',
    );
    await bad('customer_id,signed_up_at,canceled_at\n', 'The CSV has no rows: it needs a header line and one line per customer.');
    await bad('customer_id,signed_up_at,canceled_at\na,2026-01-01,\na,2026-02-01,\n', 'Line 3: customer "a" appears twice.');
    await bad(
      'customer_id,signed_up_at,canceled_at\na,01/02/2026,\n',
      'Line 2: signed_up_at "01/02/2026" is not a date like 2026-01-31.',
    );
    await bad('customer_id,signed_up_at,canceled_at\na,2026-02-01,2026-01-01\n', 'Line 2: canceled_at is before signed_up_at.');
    await bad(
      'customer_id,signed_up_at,canceled_at\na,2026-02-30,\n',
      'Line 2: signed_up_at "2026-02-30" is not a date like 2026-01-31.',
    );
    await bad('customer_id,signed_up_at,canceled_at\na,2026-06-01,\n', 'Line 2: signed_up_at is after 2026-05-01.');
    await bad(
      `customer_id,signed_up_at,canceled_at\n${Array.from({ length: COHORT_MAX_ROWS + 1 }, (_, i) => `c${i},2026-01-01,`).join('\n')}`,
      'At most 50,000 customers per run.',
    );
    await bad(
      'customer_id,signed_up_at,canceled_at\na,1900-01-01,\n',
      'Signups from 1900-01 to 2026-05 span more than 20 years: keep the last 20 years.',
    );
    await expect(runTool('cohort-retention-analyzer', { csv: 'customer_id\n1', asOf: '2026-13' })).rejects.toThrow(
      expect.objectContaining({ details: { field: 'asOf' } }),
    );
  });
});

describe('edge cases people run into', () => {
  it('headlines in any script: words are counted, and scripts without capitals do not shout', () => {
    const ru = analyzeHeadline({ headline: 'Как удвоить число подписчиков вашей рассылки за 30 дней' });
    expect(ru.words).toBe(9);
    expect(ru.checks[0]).toMatchObject({ id: 'length', passed: true });
    const ja = analyzeHeadline({ headline: 'ニュースレターの登録者を30日で2倍にする方法' });
    expect(ja.checks.find((c) => c.id === 'tone')).toMatchObject({ passed: true });
  });

  it('the written day decides the cohort, whatever the time, offset or server time zone', async () => {
    const zone = process.env.TZ;
    process.env.TZ = 'Pacific/Kiritimati'; // UTC+14
    try {
      const r = await cohortRetention({
        csv: 'customer_id,signed_up_at,canceled_at\na,2026-01-31T23:30:00-05:00,\nb,2026-02-01T00:30:00+09:00,\nc,2026-05-01T10:00:00Z,\n',
        asOf: '2026-05-01',
      });
      expect(r.cohorts.map((c) => [c.month, c.size])).toEqual([
        ['2026-01', 1],
        ['2026-02', 1],
        ['2026-05', 1],
      ]);
    } finally {
      process.env.TZ = zone;
    }
  });

  it('CR-only line endings read; odd headers, future dates and huge values are refused briefly', async () => {
    const r = await cohortRetention({
      csv: 'customer_id,signed_up_at,canceled_at\ra,2026-01-05,\rb,2026-01-06,\r',
      asOf: '2026-02-01',
    });
    expect(r.customers).toBe(2);
    const bad = (csv: string, message: string, asOf = '2026-05-01') =>
      expect(cohortRetention({ csv, asOf }, new Date('2026-05-01T12:00:00Z'))).rejects.toThrow(
        expect.objectContaining({ code: 'BAD_REQUEST', message }),
      );
    await bad(
      'customer_id,customer_id,signed_up_at,canceled_at\n1,2,2026-01-01,\n',
      'The header names the column "customer_id" twice.',
    );
    await bad(
      `customer_id,signed_up_at,canceled_at,${Array.from({ length: 30 }, (_, i) => `x${i}`).join(',')}\n`,
      'The header has 33 columns: keep customer_id, signed_up_at and canceled_at (at most 20).',
    );
    await bad(
      `customer_id,signed_up_at,canceled_at\na,${'9'.repeat(5000)},\n`,
      'Line 2: signed_up_at "9999999999999999999999999999999999999999…" is not a date like 2026-01-31.',
    );
    await bad(
      'customer_id,signed_up_at,canceled_at\na,2026-01-01,\n',
      'As of cannot be in the future: leave it empty for today.',
      '2026-05-03',
    );
  });
});
