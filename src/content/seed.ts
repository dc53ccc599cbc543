// The starter catalog: a dozen realistic items across plans, with small files made at seed time.
// Idempotent and additive: each item is inserted under its slug and an existing one (perhaps edited
// by an admin) is left alone, so any number of processes may seed at once.
import type { AppDeps } from '../deps';
import type { ContentDoc, ContentKind, PlanTier } from '../db/collections';
import { isDuplicateKey } from '../db/errors';
import { storeFile } from './storage';

interface SeedItem {
  slug: string;
  kind: ContentKind;
  title: string;
  summary: string;
  tags: string[];
  minPlan: PlanTier;
  published?: boolean;
  body?: string;
  file?: { name: string; contentType: string; make: () => string };
}

function contentCalendarCsv(): string {
  const themes = ['Customer story', 'How-to', 'Product update', 'Behind the scenes', 'Industry roundup', 'Q&A'];
  const channels = ['Newsletter', 'Blog', 'LinkedIn', 'YouTube'];
  const rows = ['week,publish_date,theme,channel,working_title,owner,status'];
  const start = Date.UTC(2027, 0, 4);
  for (let w = 0; w < 12; w++) {
    const date = new Date(start + w * 7 * 86_400_000).toISOString().slice(0, 10);
    const theme = themes[w % themes.length] as string;
    const channel = channels[w % channels.length] as string;
    rows.push(
      `${w + 1},${date},${theme},${channel},"${theme}: week ${w + 1} draft",${w % 2 ? 'Sam' : 'Priya'},${w < 3 ? 'scheduled' : 'idea'}`,
    );
  }
  return `${rows.join('\n')}\n`;
}

function metricsWorkbookCsv(): string {
  const rows = ['month,starting_mrr,new_mrr,expansion_mrr,churned_mrr,ending_mrr,customers,logo_churn_pct,arpa'];
  let mrr = 12_000;
  let customers = 400;
  for (let m = 0; m < 12; m++) {
    const month = `2026-${String(m + 1).padStart(2, '0')}`;
    const fresh = 1_400 + m * 60;
    const expansion = 350 + m * 25;
    const churned = Math.round(mrr * 0.028);
    const ending = mrr + fresh + expansion - churned;
    const lost = Math.round(customers * 0.025);
    customers = customers + 45 + m * 2 - lost;
    rows.push(
      `${month},${mrr},${fresh},${expansion},${churned},${ending},${customers},${((lost / customers) * 100).toFixed(1)},${(ending / customers).toFixed(2)}`,
    );
    mrr = ending;
  }
  return `${rows.join('\n')}\n`;
}

const onboardingGuide = `# A five-email onboarding sequence

New subscribers decide within a week whether your product is part of their routine. These five
emails give them one small win each, in order.

## 1. Day 0 — Welcome and one first step
Thank them, then ask for exactly one action that takes under two minutes (import a file, invite a
colleague, bookmark the dashboard). Link straight to it.

## 2. Day 1 — The "aha" feature
Show the feature your best customers mention first. One screenshot, three sentences, one button.

## 3. Day 3 — A story from someone like them
A short customer story with a number in it ("cut month-end close from 3 days to 4 hours").

## 4. Day 5 — Remove the most common blocker
Look at support tickets from week one. Answer the top question before it is asked.

## 5. Day 7 — Ask how it is going
A plain-text note from a real person. Replies to this email are your best research.

---
Measure each step by the action it asks for, not by opens.
`;

const securityAnswers = `# Security questionnaire: prepared answers

Enterprise buyers send long questionnaires (SIG Lite, CAIQ, custom spreadsheets). Most questions
repeat. Keep these answers current and you will turn a two-week review into two days.

## Data protection
- **Encryption in transit:** TLS 1.2+ on every public endpoint; HSTS enabled.
- **Encryption at rest:** managed database encryption (AES-256); backups encrypted.
- **Data retention:** customer data deleted within 30 days of account closure.

## Access control
- **Employee access:** single sign-on with hardware keys; access reviewed quarterly.
- **Least privilege:** production access limited to on-call engineers, logged and alerted.

## Application security
- **Passwords:** Argon2id hashes; breached-password checks at signup.
- **Sessions:** HttpOnly, SameSite cookies; sessions revoked on password change.
- **Testing:** dependency scanning on every build; annual third-party penetration test.

## Incident response
- Documented runbook, 24-hour customer notification target, post-mortems shared on request.
`;

const items: SeedItem[] = [
  {
    slug: 'pricing-your-first-digital-product',
    kind: 'article',
    title: 'Pricing your first digital product',
    summary: 'Anchor on the value you create, not on your costs: a practical way to pick a first price and test it.',
    tags: ['pricing', 'strategy'],
    minPlan: 'free',
    body: `Most first prices are too low. Creators price from their own effort ("it took me a weekend") when buyers pay for the outcome ("it saves me a day a month").

## Start from the outcome
Write down what your buyer gets in money or time. If a template saves a freelancer four hours a month and they bill $60 an hour, the template is worth $240 a month to them. Charging 10% of that is still a bargain.

## Offer three options
A small, a recommended and a large option. Most people choose the middle one, and the large one makes it look reasonable.

## Raise prices on new customers first
Keep existing customers on their price for a year. Test the new one for a month and watch conversion, not just revenue.`,
  },
  {
    slug: 'newsletter-launch-checklist',
    kind: 'article',
    title: 'A checklist for launching a newsletter',
    summary: 'Twelve things to settle before issue one, from the sender address to the welcome email.',
    tags: ['newsletter', 'launch'],
    minPlan: 'free',
    body: `1. Pick a sending domain and set up SPF, DKIM and DMARC.
2. Write the welcome email before anything else.
3. Decide your cadence and keep it for three months.
4. Write three issues before you announce.
5. Make the signup form one field.
6. Put the unsubscribe link where people can find it.
7. Plan a recurring section readers can look forward to.
8. Keep a swipe file of subject lines.
9. Track replies, not only opens.
10. Ask new readers one question in the welcome email.
11. Archive issues on the web for search.
12. Review the numbers once a month, not after every issue.`,
  },
  {
    slug: 'content-calendar-template',
    kind: 'file',
    title: 'Content calendar template (CSV)',
    summary: 'Twelve weeks of themes, channels and owners, ready to import into any spreadsheet.',
    tags: ['planning', 'template', 'newsletter'],
    minPlan: 'free',
    file: { name: 'content-calendar.csv', contentType: 'text/csv; charset=utf-8', make: contentCalendarCsv },
  },
  {
    slug: 'headline-analyzer',
    kind: 'tool',
    title: 'Headline analyzer',
    summary: 'Scores a headline for length, clarity and specificity, with concrete suggestions.',
    tags: ['writing', 'tool'],
    minPlan: 'free',
    body: `Paste a headline and get a score out of 100 with the reasons behind it.

**What it checks:** length (6–12 words reads best), a specific number or outcome, a clear audience, and filler words ("very", "really", "things").

**From the API:** \`POST /api/v1/tools/headline-analyzer/run\` with your API key and a JSON body \`{"headline": "…"}\`; each run counts as one API call.`,
  },
  {
    slug: 'reducing-churn-with-dunning-emails',
    kind: 'article',
    title: 'Reducing churn with dunning emails',
    summary: 'A quarter of churn is involuntary: failed cards. The four-email sequence that wins most of it back.',
    tags: ['billing', 'retention'],
    minPlan: 'pro',
    body: `Failed payments are the cheapest churn to fix, because the customer never decided to leave.

## The sequence
- **Day 0:** the card was declined. Say so plainly, link to a page that updates the card in one step.
- **Day 3:** a reminder with what they will lose, in their own usage numbers.
- **Day 5:** from a person, not the system. Offer help.
- **Day 7:** last notice before the account falls back to the free plan.

## Keep access during retries
Customers in a retry period should keep everything they pay for. Cutting access on day one turns a bank hiccup into a support ticket.

## Measure recovery rate
Recovered revenue divided by failed revenue, per month. Good sequences recover 40–60%.`,
  },
  {
    slug: 'saas-metrics-workbook',
    kind: 'file',
    title: 'SaaS metrics workbook (CSV)',
    summary: 'Twelve months of MRR movements, churn and ARPA with the formulas laid out column by column.',
    tags: ['metrics', 'template', 'finance'],
    minPlan: 'pro',
    file: { name: 'saas-metrics-workbook.csv', contentType: 'text/csv; charset=utf-8', make: metricsWorkbookCsv },
  },
  {
    slug: 'onboarding-email-sequence',
    kind: 'file',
    title: 'Onboarding email sequence (guide)',
    summary: 'Five emails for a new subscriber’s first week, each with one small win. Markdown, ready to adapt.',
    tags: ['email', 'onboarding', 'retention'],
    minPlan: 'pro',
    file: { name: 'onboarding-email-sequence.md', contentType: 'text/markdown; charset=utf-8', make: () => onboardingGuide },
  },
  {
    slug: 'mrr-forecaster',
    kind: 'tool',
    title: 'MRR forecaster',
    summary: 'Projects twelve months of recurring revenue from growth, churn and expansion rates.',
    tags: ['metrics', 'finance', 'tool'],
    minPlan: 'pro',
    body: `Enter starting MRR, monthly new MRR, churn rate and expansion rate; the forecaster projects twelve months and shows when churn overtakes new sales if nothing changes.

**Tip:** run it with last quarter's real figures first. If the forecast for this month is off by more than 10%, your churn number is probably measured on the wrong base.

**From the API:** \`POST /api/v1/tools/mrr-forecaster/run\` with \`{"startingMrr": 12000, "newMrr": 1500, "churnRate": 3, "expansionRate": 1, "months": 12}\` (dollars and percents); each run counts as one API call.`,
  },
  {
    slug: 'usage-based-pricing-field-guide',
    kind: 'article',
    title: 'Usage-based pricing: a field guide',
    summary: 'When to charge by use, which value metric to pick, and how to bill it without surprising anyone.',
    tags: ['pricing', 'billing', 'strategy'],
    minPlan: 'business',
    body: `Usage-based pricing works when the customer's value grows with use and they can predict their use.

## Pick a value metric
Good metrics are easy to understand, grow with the customer's success and are hard to game: API calls, documents processed, seats actively used.

## Include a quota
A base fee with included usage is easier to budget for than pure pay-as-you-go. Bill overage in arrears, per unit, on the regular invoice.

## Never surprise
Email at 80% and 100% of the included amount, show usage on the dashboard in real time, and make the overage price visible next to the progress bar.

## Count exactly
Every billed unit needs a unique id end to end, so retries and outages never double-bill. Reconcile your count against the invoice each period.`,
  },
  {
    slug: 'security-questionnaire-answers',
    kind: 'file',
    title: 'Security questionnaire answers (guide)',
    summary: 'Prepared answers for enterprise security reviews: encryption, access control, incident response.',
    tags: ['security', 'sales', 'template'],
    minPlan: 'business',
    file: { name: 'security-questionnaire-answers.md', contentType: 'text/markdown; charset=utf-8', make: () => securityAnswers },
  },
  {
    slug: 'cohort-retention-analyzer',
    kind: 'tool',
    title: 'Cohort retention analyzer',
    summary: 'Turns a list of signups and cancellations into monthly retention cohorts and a retention curve.',
    tags: ['metrics', 'retention', 'tool'],
    minPlan: 'business',
    body: `Upload a CSV with \`customer_id, signed_up_at, canceled_at\` and get a cohort table (rows: signup month; columns: months since signup) plus the average retention curve.

Each cell is the share of the cohort still subscribed at the start of that month; leave \`canceled_at\` empty for customers who are still subscribed.

Flattening curves mean you have found product–market fit for that cohort; curves that keep falling mean the product is being tried, not adopted.

**From the API:** \`POST /api/v1/tools/cohort-retention-analyzer/run\` with \`{"csv": "…", "asOf": "2026-10-31"}\` (\`asOf\` is optional: today); each run counts as one API call.`,
  },
  {
    slug: 'annual-plans-playbook',
    kind: 'article',
    title: 'Annual plans playbook (draft)',
    summary: 'When to push annual plans and how big a discount to give.',
    tags: ['pricing', 'billing'],
    minPlan: 'pro',
    published: false,
    body: 'Draft: not yet published.',
  },
];

/** Inserts the starter catalog; returns how many items were new. */
export async function seedContent(deps: Pick<AppDeps, 'db'>): Promise<number> {
  const { c } = deps.db;
  let created = 0;
  const now = new Date();
  for (const item of items) {
    let file: ContentDoc['file'] = null;
    if (item.file) {
      const bytes = Buffer.from(item.file.make(), 'utf8');
      // Fixed ids and fixed bytes: storing again from another process changes nothing.
      const stored = await storeFile(c, {
        id: `file_${item.slug}`,
        bytes,
        contentType: item.file.contentType,
        slug: item.slug,
        name: item.file.name,
      });
      file = { id: stored._id, name: item.file.name, contentType: item.file.contentType, size: stored.size };
    }
    try {
      await c.content.insertOne({
        _id: item.slug,
        kind: item.kind,
        title: item.title,
        summary: item.summary,
        tags: item.tags,
        body: item.body ?? '',
        bodyFormat: 'markdown',
        file,
        minPlan: item.minPlan,
        published: item.published ?? true,
        createdAt: now,
        updatedAt: now,
        version: 1,
      });
      created++;
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
    }
  }
  return created;
}
