// An admin's session in a real browser: create a library item, upload its file, set the plan to
// Pro, publish it; then a Pro subscriber finds it in the library, opens it and downloads the file.
// Screenshots of the content pages land in test-results/ (desktop and phone).
import { mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { payCheckout } from '../../src/dev/stripe-emulator/testing';
import { launchBrowser } from '../setup/browser';
import { trpc, verifiedUser, type BillingWorld } from '../setup/billing';
import { startE2E } from '../setup/e2e';

let world: BillingWorld;
let browser: Browser;
let adminCookie: string;

beforeAll(async () => {
  world = await startE2E();
  browser = await launchBrowser();
  adminCookie = (await verifiedUser(world, 'Cora Content', { role: 'admin' })).cookie;
});
afterAll(async () => {
  await browser?.close();
  await world?.close();
});

async function pageWithCookie(cookie: string, viewport = { width: 1280, height: 900 }): Promise<Page> {
  const base = world.server.env.PUBLIC_URL;
  const context = await browser.newContext({ baseURL: base, viewport, acceptDownloads: true });
  context.setDefaultTimeout(10_000);
  const [name, ...rest] = cookie.split('=');
  await context.addCookies([{ name: name as string, value: rest.join('='), url: base }]);
  const page = await context.newPage();
  page.on('pageerror', (err) => console.warn(`[page error] ${err.message}`));
  return page;
}

async function shot(page: Page, name: string) {
  mkdirSync('test-results', { recursive: true });
  await page.screenshot({ path: `test-results/admin-content-${name}.png`, fullPage: true });
}

async function proSubscriber() {
  const user = await verifiedUser(world, 'Priya Pro');
  const start = await trpc<{ url: string }>(world, user.cookie, 'mutation', 'billing.startCheckout', {
    planId: 'pro',
    interval: 'month',
    actionId: randomUUID().replaceAll('-', ''),
  });
  const paid = await payCheckout(start.data.url, { number: '4242424242424242' });
  const sessionId = new URL(paid.location as string).searchParams.get('session_id');
  await trpc(world, user.cookie, 'mutation', 'billing.completeCheckout', { sessionId });
  return user;
}

describe('content administration', () => {
  it('an admin creates an item, uploads its file, sets the plan to Pro and publishes; a Pro subscriber downloads it', {
    timeout: 120_000,
  }, async () => {
    const title = `Churn playbook ${randomUUID().slice(0, 6)}`;
    const csv = 'month,churn_pct\n2027-01,2.1\n2027-02,1.8\n';
    const page = await pageWithCookie(adminCookie);

    // The list, then a new draft.
    await page.goto('/app/admin');
    await page.getByRole('link', { name: 'Content', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Library content' }).waitFor();
    await page.getByRole('link', { name: 'New item' }).click();
    await page.getByLabel('Title').fill(title);
    // Without a summary the server refuses, and says so next to the field; nothing is created.
    await page.getByRole('button', { name: 'Create item…' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Create draft' }).click();
    await page.getByText('Enter a summary.').waitFor();
    await expect.poll(() => page.getByLabel('Summary').getAttribute('aria-invalid')).toBe('true');
    await shot(page, 'new-errors');
    await expect.poll(() => page.getByLabel('Slug').inputValue()).toMatch(/^churn-playbook-/);
    const slug = await page.getByLabel('Slug').inputValue();
    await page.getByLabel('Summary').fill('Monthly churn by segment, with what to do about it.');
    await page.getByLabel('Kind').selectOption('file');
    await page.getByLabel('Tags').fill('churn, retention');
    await page.getByLabel('Body', { exact: true }).fill('# Churn playbook\n\nThe spreadsheet has one row a month.');
    await shot(page, 'new');
    await page.getByRole('button', { name: 'Create item…' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Create draft' }).click();
    await page.getByRole('heading', { level: 1, name: title }).waitFor();
    await page.getByText(`“${title}” created as a draft.`).waitFor();

    // The file.
    await page.getByLabel('File to upload').setInputFiles({ name: 'churn.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await page.getByRole('button', { name: 'Upload…' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Upload file' }).click();
    await page.getByText('Uploaded churn.csv.').waitFor();

    // The plan, then publish.
    await page.getByRole('button', { name: 'Change plan' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Unlocks with').selectOption('pro');
    await dialog.getByRole('button', { name: 'Change plan' }).click();
    await page.getByText('Now unlocks with Pro.').waitFor();
    await page.getByRole('button', { name: 'Publish', exact: true }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Publish' }).click();
    await page.getByText('Published: it is in the library now.').waitFor();
    await page.getByText('publish', { exact: true }).waitFor(); // the audit trail's newest entry
    await shot(page, 'item');

    const item = await world.server.deps.db.c.content.findOne({ _id: slug });
    expect(item).toMatchObject({ title, kind: 'file', minPlan: 'pro', published: true, tags: ['churn', 'retention'] });
    expect(item?.file).toMatchObject({ name: 'churn.csv', contentType: 'text/csv', size: csv.length });
    const actions = (await world.server.deps.db.c.adminAudit.find({ targetId: slug }).sort({ at: 1 }).toArray()).map(
      (a) => a.action,
    );
    expect(actions).toEqual(['content_create', 'content_upload_file', 'content_set_plan', 'content_publish']);

    // The list shows it published, on phones too.
    await page.getByRole('link', { name: '← All content' }).click();
    await page
      .getByRole('row', { name: new RegExp(title) })
      .getByText('Published')
      .waitFor();
    await shot(page, 'list');
    await page.setViewportSize({ width: 390, height: 844 });
    await shot(page, 'list-phone');
    await page
      .getByRole('row', { name: new RegExp(title) })
      .getByRole('link', { name: title })
      .click();
    await page.getByRole('heading', { level: 1, name: title }).waitFor();
    await shot(page, 'item-phone');
    await page.context().close();

    // A Pro subscriber finds it, opens it and downloads the uploaded file.
    const pro = await proSubscriber();
    const reader = await pageWithCookie(pro.cookie);
    await reader.goto('/app/library');
    await reader.getByLabel('Search the library').fill(title);
    await reader.getByRole('link', { name: `Open ${title}` }).click();
    await reader.getByRole('heading', { level: 1, name: title }).waitFor();
    const [download] = await Promise.all([
      reader.waitForEvent('download'),
      reader.getByRole('button', { name: 'Download' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe('churn.csv');
    expect(await readFile((await download.path()) as string, 'utf8')).toBe(csv);
    await reader.context().close();
  });

  it('a save from a stale copy is refused with a conflict; the typed text stays until the admin loads the other version', {
    timeout: 60_000,
  }, async () => {
    const slug = `conflict-${randomUUID().slice(0, 8)}`;
    const fields = { kind: 'article', summary: 'Two editors.', tags: [], body: 'Body.', bodyFormat: 'markdown', minPlan: 'free' };
    const made = await trpc(world, adminCookie, 'mutation', 'admin.content.create', {
      slug,
      title: 'Original title',
      ...fields,
      published: false,
      actionId: randomUUID().replaceAll('-', ''),
    });
    expect(made.status, made.error?.message).toBe(200);

    const page = await pageWithCookie(adminCookie);
    await page.goto(`/app/admin/content/${slug}`);
    await page.getByRole('heading', { level: 1, name: 'Original title' }).waitFor();
    await page.getByLabel('Title').fill('My title');
    // Unsaved edits: the state actions wait until they are saved or undone.
    await expect.poll(() => page.getByRole('button', { name: 'Publish', exact: true }).isDisabled()).toBe(true);

    // Someone else saves first.
    const theirs = await trpc(world, adminCookie, 'mutation', 'admin.content.update', {
      slug,
      version: 1,
      title: 'Their title',
      ...fields,
      actionId: randomUUID().replaceAll('-', ''),
    });
    expect(theirs.status, theirs.error?.message).toBe(200);

    await page.getByRole('button', { name: 'Save changes…' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Save changes' }).click();
    await page.getByText('Someone else changed this item after you opened it').waitFor();
    expect(await page.getByLabel('Title').inputValue()).toBe('My title');
    await shot(page, 'conflict');
    await page.getByRole('button', { name: 'Load their version' }).click();
    await expect.poll(() => page.getByLabel('Title').inputValue()).toBe('Their title');
    expect((await world.server.deps.db.c.content.findOne({ _id: slug }))?.title).toBe('Their title');
    await page.context().close();
  });
});
