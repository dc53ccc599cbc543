// Content administration: admins create, edit, publish and unpublish library items,
// upload their files and set the plan that unlocks them. Each change is audited with the state
// before and after; a stale edit is refused; bad input and non-admins change nothing; unpublished
// items vanish from the library, the REST API and downloads while admins still see them.
import { randomUUID } from 'node:crypto';
import { Binary } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Browser, type Harness } from '../setup/harness';
import { seedContent } from '../../src/content/seed';
import { CHUNK_BYTES, MAX_UPLOAD_BYTES, readFileBytes } from '../../src/content/storage';
import type { AdminContentItem, AdminContentRow } from '../../src/admin/content';
import type { AuditView } from '../../src/admin/audit';
import type { LibraryItem } from '../../src/content/library';
import { seedAdmin } from '../../src/auth/admin-seed';
import { GOOD_PASSWORD, uniqueEmail } from '../fixtures/accounts';
import { loggedIn, mirrorSubscription } from './usage.fixtures';

let h: Harness;
let admin: Browser;
let adminEmail: string;

beforeAll(async () => {
  h = await createHarness();
  await seedContent(h.deps);
  adminEmail = uniqueEmail();
  const seeded = await seedAdmin(h.deps, adminEmail, GOOD_PASSWORD);
  const { token } = await h.deps.sessions.create(seeded.userId, { ip: '127.0.0.1', userAgent: 'test' });
  admin = h.browser({ ip: '10.9.0.1' });
  admin.cookies.set(h.deps.sessions.cookieName, token);
});
afterAll(() => h?.close());

const action = () => randomUUID().replaceAll('-', '');
let n = 0;
const newSlug = () => `admin-test-item-${++n}-${randomUUID().slice(0, 6)}`;

const draft = (slug: string) => ({
  slug,
  kind: 'file' as 'article' | 'file' | 'tool',
  title: 'Churn benchmarks 2027',
  summary: 'Monthly churn by segment, as a spreadsheet.',
  tags: ['Metrics', 'churn', 'metrics'],
  body: 'Benchmarks from 400 subscription businesses.',
  bodyFormat: 'markdown' as const,
  minPlan: 'free' as const,
  published: false,
  actionId: action(),
});

async function ok<T>(res: Promise<{ status: number; body: { result?: { data: T }; error?: { message: string } } }>): Promise<T> {
  const r = await res;
  expect(r.status, JSON.stringify(r.body.error)).toBe(200);
  return r.body.result!.data as T;
}

const create = (input: ReturnType<typeof draft>) => ok<AdminContentItem>(admin.mutation('admin.content.create', input));
const get = (slug: string) => ok<{ item: AdminContentItem; audit: AuditView[] }>(admin.query('admin.content.get', { slug }));

function upload(
  b: Browser,
  slug: string,
  opts: { name: string; bytes: Uint8Array; version: number; actionId?: string; type?: string },
) {
  const qs = new URLSearchParams({ name: opts.name, version: String(opts.version), actionId: opts.actionId ?? action() });
  return b.request(`/api/admin/content/${slug}/file?${qs}`, {
    method: 'POST',
    headers: { 'content-type': opts.type ?? 'application/octet-stream' },
    body: opts.bytes as Uint8Array<ArrayBuffer>,
  });
}

/** Byte equality without vitest's element-by-element diffing (seconds for megabytes). */
const sameBytes = (a: Uint8Array | null, b: Uint8Array) => a !== null && Buffer.compare(a, b) === 0;

const library = async (b: Browser) => (await ok<{ items: LibraryItem[] }>(b.query('content.list'))).items.map((i) => i.slug);
const rest = (path: string, key: string) =>
  h.app.request(`${h.env.PUBLIC_URL}/api/v1${path}`, { headers: { authorization: `Bearer ${key}` } });

async function proUser() {
  const u = await loggedIn(h);
  await mirrorSubscription(h.deps, u.id, { planId: 'pro', status: 'active' });
  return u;
}

describe('creating, uploading, setting the plan, publishing', () => {
  it('an admin builds an item step by step; a Pro user then reads and downloads it; each step is audited', async () => {
    const slug = newSlug();
    const created = await create(draft(slug));
    expect(created).toMatchObject({ slug, version: 1, published: false, file: null, tags: ['metrics', 'churn'] });
    const pro = await proUser();
    expect(await library(pro.b)).not.toContain(slug);

    // A file of several chunks, so chunking and reassembly are both exercised.
    const bytes = new Uint8Array(CHUNK_BYTES * 2 + 1234).map((_, i) => i % 251);
    const up = await upload(admin, slug, { name: 'churn-benchmarks.csv', bytes, version: 1 });
    expect(up.status, await up.clone().text()).toBe(200);
    const withFile = ((await up.json()) as { item: AdminContentItem }).item;
    expect(withFile.version).toBe(2);
    expect(withFile.file).toMatchObject({ name: 'churn-benchmarks.csv', contentType: 'text/csv', size: bytes.length });
    expect(sameBytes(await readFileBytes(h.deps.db.c, withFile.file!.id), bytes)).toBe(true);

    const planned = await ok<AdminContentItem>(
      admin.mutation('admin.content.setPlan', { slug, version: 2, minPlan: 'pro', actionId: action() }),
    );
    expect(planned).toMatchObject({ minPlan: 'pro', version: 3 });
    const published = await ok<AdminContentItem>(
      admin.mutation('admin.content.setPublished', { slug, version: 3, published: true, actionId: action() }),
    );
    expect(published).toMatchObject({ published: true, version: 4 });

    // Users see it now: listed, locked for Free, downloadable for Pro with the uploaded bytes.
    const free = await loggedIn(h);
    const freeView = (await ok<{ items: LibraryItem[] }>(free.b.query('content.list'))).items.find((i) => i.slug === slug);
    expect(freeView).toMatchObject({ locked: true, requiredPlanName: 'Pro' });
    expect(await library(pro.b)).toContain(slug);
    const dl = await ok<{ url: string }>(pro.b.mutation('content.download', { slug }));
    const file = await pro.b.request(dl.url);
    expect(file.status).toBe(200);
    expect(file.headers.get('content-type')).toBe('text/csv');
    expect(file.headers.get('content-disposition')).toContain('churn-benchmarks.csv');
    expect(sameBytes(new Uint8Array(await file.arrayBuffer()), bytes)).toBe(true);

    // The audit trail: who, what, target, when, before and after.
    const { audit } = await get(slug);
    expect(audit.map((a) => a.action)).toEqual(['content_publish', 'content_set_plan', 'content_upload_file', 'content_create']);
    for (const entry of audit)
      expect(entry).toMatchObject({ actorEmail: adminEmail, targetType: 'content', targetId: slug, outcome: 'ok' });
    const [pub, plan, uploaded, made] = audit as [AuditView, AuditView, AuditView, AuditView];
    expect(JSON.parse(made.before!)).toBeNull();
    expect(JSON.parse(made.after!)).toMatchObject({ title: 'Churn benchmarks 2027', version: 1, published: false });
    expect(JSON.parse(uploaded.before!).file).toBeNull();
    expect(JSON.parse(uploaded.after!).file).toMatchObject({ name: 'churn-benchmarks.csv', size: bytes.length });
    expect(JSON.parse(plan.before!).minPlan).toBe('free');
    expect(JSON.parse(plan.after!).minPlan).toBe('pro');
    expect(JSON.parse(pub.before!).published).toBe(false);
    expect(JSON.parse(pub.after!).published).toBe(true);
    expect(new Date(pub.at).getTime()).toBeGreaterThan(Date.now() - 60_000);
  });

  it('edits every field; the edit is audited with the old and new text', async () => {
    const slug = newSlug();
    await create({ ...draft(slug), kind: 'article' });
    const edited = await ok<AdminContentItem>(
      admin.mutation('admin.content.update', {
        slug,
        version: 1,
        kind: 'article',
        title: 'Churn benchmarks, revised',
        summary: 'Now with annual plans.',
        tags: ['churn'],
        body: '# Revised\n\nAnnual plans churn less.',
        bodyFormat: 'markdown',
        minPlan: 'business',
        actionId: action(),
      }),
    );
    expect(edited).toMatchObject({ version: 2, title: 'Churn benchmarks, revised', minPlan: 'business', tags: ['churn'] });
    const entry = (await get(slug)).audit[0]!;
    expect(entry.action).toBe('content_edit');
    expect(JSON.parse(entry.before!)).toMatchObject({
      title: 'Churn benchmarks 2027',
      body: 'Benchmarks from 400 subscription businesses.',
    });
    expect(JSON.parse(entry.after!)).toMatchObject({
      title: 'Churn benchmarks, revised',
      body: '# Revised\n\nAnnual plans churn less.',
    });
  });

  it('an edit to a published item is what the REST API serves next, and a plan raised above the caller locks it', async () => {
    // The API serializes each item once per catalog read: an edit must still show at once.
    const slug = newSlug();
    const made = await create({ ...draft(slug), kind: 'article', published: true });
    const u = await loggedIn(h);
    const key = (await ok<{ key: string }>(u.b.mutation('apiKeys.create', { name: 'reader' }))).key;
    const read = async () => {
      const res = await rest(`/content/${slug}`, key);
      return { status: res.status, body: (await res.json()) as { data?: { title: string; body: string }; error?: string } };
    };
    expect((await read()).body.data).toMatchObject({
      title: 'Churn benchmarks 2027',
      body: 'Benchmarks from 400 subscription businesses.',
    });

    const edited = await ok<AdminContentItem>(
      admin.mutation('admin.content.update', {
        ...{ ...draft(slug), published: undefined },
        kind: 'article',
        version: made.version,
        title: 'Churn benchmarks, second edition',
        body: 'Now from 600 businesses.',
      }),
    );
    expect((await read()).body.data).toMatchObject({
      title: 'Churn benchmarks, second edition',
      body: 'Now from 600 businesses.',
    });

    await ok(admin.mutation('admin.content.setPlan', { slug, version: edited.version, minPlan: 'pro', actionId: action() }));
    const locked = await read();
    expect(locked.status).toBe(403);
    expect(locked.body.error).toMatch(/Pro/);
  });

  it('lists drafts and published items, searchable, and includes seeded items', async () => {
    const slug = newSlug();
    await create(draft(slug));
    const drafts = await ok<{ rows: AdminContentRow[] }>(admin.query('admin.content.list', { status: 'draft' }));
    expect(drafts.rows.map((r) => r.slug)).toEqual(expect.arrayContaining([slug, 'annual-plans-playbook']));
    expect(drafts.rows.every((r) => !r.published)).toBe(true);
    const found = await ok<{ rows: AdminContentRow[]; total: number }>(admin.query('admin.content.list', { search: slug }));
    expect(found.rows.map((r) => r.slug)).toEqual([slug]);
    expect(JSON.stringify(found)).not.toContain('Benchmarks from 400'); // no bodies in the list
  });
});

describe('unpublishing', () => {
  it('hides an item from the library, the REST API and downloads (even a link already issued); admins still see it', async () => {
    const slug = 'content-calendar-template';
    const u = await loggedIn(h);
    const key = (await ok<{ key: string }>(u.b.mutation('apiKeys.create', { name: 'script' }))).key;
    expect((await rest(`/content/${slug}`, key)).status).toBe(200);
    const link = await ok<{ url: string }>(u.b.mutation('content.download', { slug }));

    const { item } = await get(slug);
    await ok(admin.mutation('admin.content.setPublished', { slug, version: item.version, published: false, actionId: action() }));

    expect(await library(u.b)).not.toContain(slug);
    expect((await u.b.query('content.get', { slug })).status).toBe(404);
    expect((await u.b.mutation('content.download', { slug })).status).toBe(404);
    expect((await u.b.request(link.url)).status).toBe(404);
    const listed = (await (await rest('/content?q=calendar', key)).json()) as { data: { slug: string }[] };
    expect(listed.data.map((i) => i.slug)).not.toContain(slug);
    expect((await rest(`/content/${slug}`, key)).status).toBe(404);

    // The admin still sees and fetches it.
    expect((await get(slug)).item).toMatchObject({ slug, published: false });
    const adminFile = await admin.request(`/api/admin/content/${slug}/file`);
    expect(adminFile.status).toBe(200);
    expect(await adminFile.text()).toMatch(/^week,publish_date/);

    // Publishing again brings it back.
    const again = await get(slug);
    await ok(
      admin.mutation('admin.content.setPublished', { slug, version: again.item.version, published: true, actionId: action() }),
    );
    expect(await library(u.b)).toContain(slug);
    const audit = (await get(slug)).audit.map((a) => a.action);
    expect(audit.slice(0, 2)).toEqual(['content_publish', 'content_unpublish']);
  });
});

describe('concurrent edits', () => {
  it('a stale edit is refused with a conflict and changes nothing', async () => {
    const slug = newSlug();
    const base = await create({ ...draft(slug), kind: 'article' });
    const fields = {
      kind: 'article',
      summary: base.summary,
      tags: base.tags,
      body: base.body,
      bodyFormat: 'markdown',
      minPlan: 'free',
    };
    await ok(admin.mutation('admin.content.update', { slug, version: 1, ...fields, title: 'First editor', actionId: action() }));
    const stale = await admin.mutation('admin.content.update', {
      slug,
      version: 1,
      ...fields,
      title: 'Second editor',
      actionId: action(),
    });
    expect(stale.status).toBe(409);
    expect(stale.body.error!.message).toMatch(/changed this item after you opened it/);
    expect((await get(slug)).item).toMatchObject({ title: 'First editor', version: 2 });
    // Publishing or uploading from the stale version is refused too.
    expect(
      (await admin.mutation('admin.content.setPublished', { slug, version: 1, published: true, actionId: action() })).status,
    ).toBe(409);
    expect((await upload(admin, slug, { name: 'a.csv', bytes: new Uint8Array([1]), version: 1 })).status).toBe(409);
    expect((await get(slug)).item).toMatchObject({ version: 2, published: false, file: null });
  });

  it('of several edits from the same version at once, exactly one lands (FerretDB included)', async () => {
    const slug = newSlug();
    const base = await create({ ...draft(slug), kind: 'article' });
    const fields = {
      kind: 'article',
      summary: base.summary,
      tags: base.tags,
      body: base.body,
      bodyFormat: 'markdown',
      minPlan: 'free',
    };
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        admin.mutation('admin.content.update', { slug, version: 1, ...fields, title: `Editor ${i}`, actionId: action() }),
      ),
    );
    const winners = results.filter((r) => r.status === 200);
    expect(winners).toHaveLength(1);
    expect(results.filter((r) => r.status === 409)).toHaveLength(7);
    const { item } = await get(slug);
    expect(item.version).toBe(2);
    expect(item.title).toBe((winners[0]!.body.result!.data as AdminContentItem).title);
  });

  it('a retried click (same action id) applies once and answers like the first time', async () => {
    const slug = newSlug();
    await create({ ...draft(slug), kind: 'article' });
    const id = action();
    const input = { slug, version: 1, minPlan: 'business', actionId: id };
    await ok(admin.mutation('admin.content.setPlan', input));
    const retry = await ok<AdminContentItem>(admin.mutation('admin.content.setPlan', input));
    expect(retry).toMatchObject({ minPlan: 'business', version: 2 });
    expect((await get(slug)).audit.filter((a) => a.action === 'content_set_plan')).toHaveLength(1);
  });
});

describe('rows written before content admin existed', () => {
  it('an item without a version is edited from version 0; a file stored inline is still served', async () => {
    const slug = newSlug();
    const now = new Date();
    await h.deps.db.c.contentFiles.insertOne({
      _id: `file_${slug}`,
      data: new Binary(Buffer.from('legacy,bytes\n')),
      contentType: 'text/csv',
      size: 13,
      sha256: 'x',
      createdAt: now,
    });
    await h.deps.db.c.content.insertOne({
      _id: slug,
      kind: 'file',
      title: 'Legacy item',
      summary: 'Seeded before versions.',
      tags: [],
      body: '',
      bodyFormat: 'markdown',
      file: { id: `file_${slug}`, name: 'legacy.csv', contentType: 'text/csv', size: 13 },
      minPlan: 'free',
      published: true,
      createdAt: now,
      updatedAt: now,
    });
    expect((await get(slug)).item.version).toBe(0);
    const u = await loggedIn(h);
    const dl = await ok<{ url: string }>(u.b.mutation('content.download', { slug }));
    expect(await (await u.b.request(dl.url)).text()).toBe('legacy,bytes\n');
    const planned = await ok<AdminContentItem>(
      admin.mutation('admin.content.setPlan', { slug, version: 0, minPlan: 'pro', actionId: action() }),
    );
    expect(planned).toMatchObject({ version: 1, minPlan: 'pro' });
    expect(
      (await admin.mutation('admin.content.setPlan', { slug, version: 0, minPlan: 'free', actionId: action() })).status,
    ).toBe(409);
  });
});

describe('bad input changes nothing', () => {
  it('field errors name the field', async () => {
    const slug = newSlug();
    const res = await admin.mutation('admin.content.create', {
      ...draft(slug),
      slug: 'Not A Slug',
      title: '   ',
      minPlan: 'platinum',
      tags: ['ok', '#bad!'],
    });
    expect(res.status).toBe(400);
    const fields = (res.body.error as { data: { fieldErrors: Record<string, string> } }).data.fieldErrors;
    expect(fields.slug).toMatch(/lower-case letters/);
    expect(fields.title).toBe('Enter a title.');
    expect(fields.minPlan).toBe('Choose Free, Pro or Business.');
    expect(fields['tags.1']).toMatch(/Each tag/);
    expect(await h.deps.db.c.content.countDocuments({ _id: 'Not A Slug' })).toBe(0);
  });

  it('a slug that is taken is a conflict on the slug field; the existing item is untouched', async () => {
    const res = await admin.mutation('admin.content.create', { ...draft('headline-analyzer'), kind: 'tool' });
    expect(res.status).toBe(409);
    expect((res.body.error as { data: { fieldErrors: Record<string, string> } }).data.fieldErrors).toEqual({
      slug: 'An item with this slug already exists. Choose another slug.',
    });
    expect((await get('headline-analyzer')).item.kind).toBe('tool');
  });

  it('a file item cannot be published without a file, nor an article without a body', async () => {
    const res = await admin.mutation('admin.content.create', { ...draft(newSlug()), published: true });
    expect(res.status).toBe(400);
    expect((res.body.error as { data: { fieldErrors: Record<string, string> } }).data.fieldErrors).toEqual({
      published: 'Upload a file before publishing a file item.',
    });
    const slug = newSlug();
    await create({ ...draft(slug), kind: 'article', body: '' });
    const pub = await admin.mutation('admin.content.setPublished', { slug, version: 1, published: true, actionId: action() });
    expect(pub.status).toBe(400);
    expect((await get(slug)).item).toMatchObject({ published: false, version: 1 });
  });

  it('uploads: too large is 413, a refused type or name is 400, an empty file is 400, a form post is 415; nothing is stored', async () => {
    const slug = newSlug();
    await create(draft(slug));
    const files = () => h.deps.db.c.contentFiles.countDocuments({ slug });

    const big = await upload(admin, slug, { name: 'big.zip', bytes: new Uint8Array(MAX_UPLOAD_BYTES + 1), version: 1 });
    expect(big.status).toBe(413);
    expect(await big.json()).toEqual({ error: 'The file is larger than 20 MB, the most an upload may be.', field: 'file' });

    const exe = await upload(admin, slug, { name: 'setup.exe', bytes: new Uint8Array([1, 2]), version: 1 });
    expect(exe.status).toBe(400);
    expect(((await exe.json()) as { error: string }).error).toMatch(/cannot be uploaded\. Allowed: \.pdf/);
    const html = await upload(admin, slug, { name: 'page.html', bytes: new Uint8Array([1]), version: 1 });
    expect(html.status).toBe(400);
    const traversal = await upload(admin, slug, { name: '../../etc/passwd.txt', bytes: new Uint8Array([1]), version: 1 });
    expect(traversal.status).toBe(400);
    const empty = await upload(admin, slug, { name: 'empty.csv', bytes: new Uint8Array(0), version: 1 });
    expect(((await empty.json()) as { error: string }).error).toBe('The file is empty.');
    const form = await upload(admin, slug, {
      name: 'a.csv',
      bytes: new Uint8Array([1]),
      version: 1,
      type: 'multipart/form-data; boundary=x',
    });
    expect(form.status).toBe(415);
    const noVersion = await admin.request(`/api/admin/content/${slug}/file?name=a.csv&actionId=${action()}`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: new Uint8Array([1]),
    });
    expect(noVersion.status).toBe(400);
    expect(((await noVersion.json()) as { field: string }).field).toBe('version');
    expect((await upload(admin, 'no-such-item', { name: 'a.csv', bytes: new Uint8Array([1]), version: 1 })).status).toBe(404);

    expect(await files()).toBe(0);
    expect((await get(slug)).item).toMatchObject({ version: 1, file: null });
    expect((await get(slug)).audit.map((a) => a.action)).toEqual(['content_create']);
  });
});

describe('only admins', () => {
  it('uploads and admin file reads: 401 anonymous, 403 for a normal user, cross-site 403', async () => {
    const slug = 'content-calendar-template';
    const version = (await get(slug)).item.version;
    const anon = h.browser({ ip: '10.9.0.2' });
    const user = await loggedIn(h);
    const body = { name: 'x.csv', bytes: new Uint8Array([1]), version };
    expect((await upload(anon, slug, body)).status).toBe(401);
    expect((await upload(user.b, slug, body)).status).toBe(403);
    expect((await anon.request(`/api/admin/content/${slug}/file`)).status).toBe(401);
    expect((await user.b.request(`/api/admin/content/${slug}/file`)).status).toBe(403);
    const crossSite = await admin.request(`/api/admin/content/${slug}/file?name=x.csv&version=${version}&actionId=${action()}`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream', origin: 'https://evil.example' },
      body: new Uint8Array([1]),
    });
    expect(crossSite.status).toBe(403);
    expect((await get(slug)).item.version).toBe(version);
  });

  it('the admin.content procedures refuse normal users', async () => {
    const user = await loggedIn(h);
    expect((await user.b.query('admin.content.list', {})).status).toBe(403);
    const res = await user.b.mutation('admin.content.create', draft(newSlug()));
    expect(res.status).toBe(403);
    expect((await h.browser().query('admin.content.get', { slug: 'headline-analyzer' })).status).toBe(401);
  });
});
