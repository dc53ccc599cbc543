// One library item: the editor (create or edit, saved after a confirmation), its state with the
// publish and plan actions, its file, and its audit trail. Every save names the version it was
// opened at: if someone else saved in between, the server refuses and the page says so, keeping
// the admin's text in the form.
import { type FormEvent, type ReactNode, useState } from 'react';
import { Link, useLocation, useNavigate, useParams } from 'react-router';
import { TRPCClientError } from '@trpc/client';
import { trpc } from '../../lib/trpc';
import type { ApiError } from '../../lib/errors';
import { formatDateTime } from '../../lib/format';
import { PageHeader } from '../../components/AppShell';
import { Banner } from '../../components/Banner';
import { Button, ButtonLink } from '../../components/Button';
import { Card } from '../../components/Card';
import { QueryState } from '../../components/QueryState';
import { Field, FieldError } from '../../components/TextField';
import { AdminAction } from './AdminAction';
import { ConfirmDialog } from './ConfirmDialog';
import { useActionIds } from './admin-lib';
import { ContentAuditCard, ContentFileCard } from './ContentFileCard';
import { KIND_LABELS, PLAN_LABELS, type ContentItem, type ContentKind, type ContentPlan } from './ContentShared';

interface Values {
  slug: string;
  title: string;
  summary: string;
  kind: ContentKind;
  minPlan: ContentPlan;
  tags: string;
  body: string;
  bodyFormat: 'markdown' | 'plain';
  published: boolean;
}

type Errors = Partial<Record<keyof Values | 'form', string>>;

const EMPTY: Values = {
  slug: '',
  title: '',
  summary: '',
  kind: 'article',
  minPlan: 'free',
  tags: '',
  body: '',
  bodyFormat: 'markdown',
  published: false,
};

const FIELD_LABELS: Record<keyof Values, string> = {
  slug: 'slug',
  title: 'title',
  summary: 'summary',
  kind: 'kind',
  minPlan: 'plan',
  tags: 'tags',
  body: 'body',
  bodyFormat: 'format',
  published: 'published',
};

const fromItem = (i: ContentItem): Values => ({
  slug: i.slug,
  title: i.title,
  summary: i.summary,
  kind: i.kind,
  minPlan: i.minPlan,
  tags: i.tags.join(', '),
  body: i.body,
  bodyFormat: i.bodyFormat,
  published: i.published,
});

const tagList = (tags: string) =>
  tags
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);

const slugify = (title: string) =>
  title
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 100)
    .replace(/-+$/g, '');

/** Field errors from the server next to their fields (tags.3 → tags); the rest as one message. */
function errorsOf(err: unknown): Errors {
  const apiError = err instanceof TRPCClientError ? (err as unknown as ApiError) : null;
  const data = apiError?.data;
  if (!data) return { form: err instanceof Error ? err.message : 'Something went wrong. Please try again.' };
  const out: Errors = {};
  for (const [key, message] of Object.entries(data.fieldErrors ?? {})) {
    const field = key.split('.')[0] as keyof Values;
    if (field in FIELD_LABELS) out[field] ??= message;
    else out.form = out.form ? `${out.form} ${message}` : message;
  }
  if (Object.keys(out).length === 0) out.form = apiError.message;
  return out;
}

/** After the server named fields, put the cursor in the first one (once the dialog has closed). */
const focusFirstInvalid = () => setTimeout(() => document.querySelector<HTMLElement>('form [aria-invalid="true"]')?.focus(), 50);

const isConflict = (err: unknown) =>
  err instanceof TRPCClientError &&
  (err as unknown as ApiError).data?.httpStatus === 409 &&
  !(err as unknown as ApiError).data?.fieldErrors;

export function ContentNewPage() {
  const navigate = useNavigate();
  const utils = trpc.useUtils();
  const ids = useActionIds();
  const [values, setValues] = useState<Values>(EMPTY);
  const [slugTouched, setSlugTouched] = useState(false);
  const [errors, setErrors] = useState<Errors>({});
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);

  const change = (patch: Partial<Values>) => {
    setValues((v) => {
      const next = { ...v, ...patch };
      if (!slugTouched && patch.title !== undefined) next.slug = slugify(patch.title);
      return next;
    });
  };

  const create = async () => {
    setBusy(true);
    setErrors({});
    try {
      const { slug, tags, ...rest } = values;
      const item = await utils.client.admin.content.create.mutate({
        ...rest,
        slug,
        tags: tagList(tags),
        actionId: ids.idFor('create'),
      });
      ids.settle('create', null);
      await utils.admin.content.invalidate();
      navigate(`/app/admin/content/${item.slug}`, {
        state: { notice: `“${item.title}” created${item.published ? ' and published' : ' as a draft'}.` },
      });
    } catch (err) {
      ids.settle('create', err instanceof TRPCClientError ? (err as unknown as ApiError) : null);
      const found = errorsOf(err);
      setErrors(found);
      // Field errors are shown next to their fields: close the dialog so they can be fixed.
      if (Object.keys(found).some((k) => k !== 'form')) {
        setConfirming(false);
        focusFirstInvalid();
      }
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="page page-wide">
      <BackLink />
      <PageHeader
        title="New library item"
        description="Starts as a draft unless you publish it now. File items get their file after saving."
      />
      <Card>
        <ContentForm
          mode="create"
          values={values}
          errors={errors}
          onChange={change}
          onSlugEdit={() => setSlugTouched(true)}
          onSubmit={() => {
            setErrors({});
            setConfirming(true);
          }}
          submitLabel="Create item…"
        />
      </Card>
      <ConfirmDialog
        open={confirming}
        title="Create this item?"
        description={
          <>
            “{values.title || 'Untitled'}” at <code>/library/{values.slug || '…'}</code>,{' '}
            {values.published ? 'published at once' : 'as a draft only admins see'}, unlocking with {PLAN_LABELS[values.minPlan]}.
          </>
        }
        confirmLabel={values.published ? 'Create and publish' : 'Create draft'}
        busy={busy}
        error={errors.form ?? null}
        onConfirm={() => void create()}
        onClose={() => setConfirming(false)}
      />
    </div>
  );
}

export function ContentEditPage() {
  const { slug = '' } = useParams();
  const query = trpc.admin.content.get.useQuery({ slug });
  const utils = trpc.useUtils();
  const ids = useActionIds();
  const [base, setBase] = useState<ContentItem | null>(null);
  const [values, setValues] = useState<Values | null>(null);
  const [errors, setErrors] = useState<Errors>({});
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [conflict, setConflict] = useState(false);
  const location = useLocation();
  const [notice, setNotice] = useState<string | null>(() => (location.state as { notice?: string } | null)?.notice ?? null);

  const loaded = query.data?.item;
  const dirty = Boolean(base && values && JSON.stringify(values) !== JSON.stringify(fromItem(base)));
  // A fresh copy from the server (after an action, a refetch) replaces the form only when it holds
  // no unsaved edits: those are never thrown away silently. (State adjusted while rendering, as
  // React recommends over an effect.)
  const [seen, setSeen] = useState<ContentItem | undefined>(undefined);
  if (loaded && loaded !== seen) {
    setSeen(loaded);
    if (!dirty || !base) {
      setBase(loaded);
      setValues(fromItem(loaded));
    }
  }

  const changed =
    base && values ? (Object.keys(FIELD_LABELS) as (keyof Values)[]).filter((k) => values[k] !== fromItem(base)[k]) : [];

  const save = async () => {
    if (!base || !values) return;
    setBusy(true);
    setErrors({});
    const key = `save:${base.version}`;
    try {
      const { slug: s, tags, published: _p, ...rest } = values;
      const item = await utils.client.admin.content.update.mutate({
        ...rest,
        slug: s,
        version: base.version,
        tags: tagList(tags),
        actionId: ids.idFor(key),
      });
      ids.settle(key, null);
      setBase(item);
      setValues(fromItem(item));
      setConfirming(false);
      setNotice('Changes saved.');
      await utils.admin.content.invalidate();
    } catch (err) {
      ids.settle(key, err instanceof TRPCClientError ? (err as unknown as ApiError) : null);
      if (isConflict(err)) {
        setConflict(true);
        setConfirming(false);
      } else {
        const found = errorsOf(err);
        setErrors(found);
        if (Object.keys(found).some((k) => k !== 'form')) {
          setConfirming(false);
          focusFirstInvalid();
        }
      }
    } finally {
      setBusy(false);
    }
  };

  const reloadLatest = async () => {
    const fresh = await query.refetch();
    if (fresh.data) {
      setBase(fresh.data.item);
      setValues(fromItem(fresh.data.item));
    }
    setConflict(false);
    setErrors({});
  };

  const onDone = (message: string) => {
    setNotice(message);
    setConflict(false);
  };

  if (!base || !values) {
    // Until the item is in the form's state: loading, or the error. Once loaded, the form below
    // is the page, and a later failed refetch leaves it (and any unsaved edits) in place.
    return (
      <div className="page page-wide">
        <BackLink />
        <QueryState
          query={query}
          loadingLabel="Loading the item…"
          skeletonLines={6}
          placeholder={(skeleton) => <Card>{skeleton}</Card>}
          errorTitle="We couldn't load this item"
        >
          {() => null}
        </QueryState>
      </div>
    );
  }

  return (
    <div className="page page-wide">
      <BackLink />
      <PageHeader
        title={base.title}
        description={
          <>
            <code>{base.slug}</code> · {KIND_LABELS[base.kind]} · version {base.version} · updated{' '}
            {formatDateTime(base.updatedAt)}
          </>
        }
        actions={
          base.published ? (
            <ButtonLink to={`/app/library/${base.slug}`} variant="secondary" size="sm">
              View in library
            </ButtonLink>
          ) : undefined
        }
      />
      {notice && <Banner tone="success">{notice}</Banner>}
      {conflict && (
        <Banner
          tone="warning"
          title="Someone else changed this item after you opened it"
          action={
            <Button size="sm" variant="secondary" onClick={() => void reloadLatest()}>
              Load their version
            </Button>
          }
        >
          Your edits were not saved and are still in the form. Copy what you need, load their version, then make your changes
          again.
        </Banner>
      )}

      <Card
        title="State"
        description={
          dirty ? 'Save or undo your edits below before publishing, changing the plan or uploading a file.' : undefined
        }
      >
        <fieldset className="admin-content-state" disabled={dirty}>
          <legend className="visually-hidden">Publishing and plan</legend>
          <dl className="admin-facts">
            <div className="admin-fact">
              <dt>Visibility</dt>
              <dd>
                {base.published ? (
                  <span className="badge badge-success">Published</span>
                ) : (
                  <span className="badge badge-warning">Draft — only admins see it</span>
                )}
              </dd>
            </div>
            <div className="admin-fact">
              <dt>Unlocks with</dt>
              <dd>{PLAN_LABELS[base.minPlan]} and above</dd>
            </div>
          </dl>
          <div className="admin-actions">
            {base.published ? (
              <AdminAction
                label="Unpublish"
                title="Unpublish this item?"
                description={`“${base.title}” disappears from the library and the API at once, and its file can no longer be downloaded. You can publish it again later.`}
                confirmLabel="Unpublish"
                danger
                doneMessage="Unpublished: subscribers no longer see it."
                onDone={onDone}
                run={(_f, actionId) =>
                  utils.client.admin.content.setPublished.mutate({
                    slug: base.slug,
                    version: base.version,
                    published: false,
                    actionId,
                  })
                }
              />
            ) : (
              <AdminAction
                label="Publish"
                variant="primary"
                title="Publish this item?"
                description={`“${base.title}” appears in the library and the API for everyone; ${PLAN_LABELS[base.minPlan]} subscribers and above can open it.`}
                confirmLabel="Publish"
                doneMessage="Published: it is in the library now."
                onDone={onDone}
                run={(_f, actionId) =>
                  utils.client.admin.content.setPublished.mutate({
                    slug: base.slug,
                    version: base.version,
                    published: true,
                    actionId,
                  })
                }
              />
            )}
            <AdminAction
              label="Change plan"
              title="Change the plan that unlocks it?"
              description="Subscribers on this plan and above can open the item; others see it locked, with an upgrade offer."
              confirmLabel="Change plan"
              doneMessage={(r) => `Now unlocks with ${PLAN_LABELS[(r as ContentItem).minPlan]}.`}
              onDone={onDone}
              fields={
                <div className="field">
                  <label className="field-label" htmlFor="set-plan">
                    Unlocks with
                  </label>
                  <select id="set-plan" name="minPlan" className="input select" defaultValue={base.minPlan}>
                    {(Object.keys(PLAN_LABELS) as ContentPlan[]).map((p) => (
                      <option key={p} value={p}>
                        {PLAN_LABELS[p]}
                      </option>
                    ))}
                  </select>
                </div>
              }
              run={(f, actionId) =>
                utils.client.admin.content.setPlan.mutate({
                  slug: base.slug,
                  version: base.version,
                  minPlan: String(f.get('minPlan')) as ContentPlan,
                  actionId,
                })
              }
            />
          </div>
        </fieldset>
      </Card>

      <ContentFileCard item={base} disabled={dirty} onDone={onDone} onConflict={() => setConflict(true)} />

      <Card title="Details">
        <ContentForm
          mode="edit"
          values={values}
          errors={errors}
          onChange={(patch) => setValues((v) => (v ? { ...v, ...patch } : v))}
          onSubmit={() => {
            setErrors({});
            setConfirming(true);
          }}
          submitLabel="Save changes…"
          submitDisabled={!dirty}
          extraActions={
            <>
              {dirty && (
                <Button variant="ghost" onClick={() => setValues(fromItem(base))}>
                  Undo edits
                </Button>
              )}
              {conflict && (
                <span className="admin-danger-text admin-small" role="alert">
                  Not saved: someone else changed this item. See the message at the top of the page.
                </span>
              )}
            </>
          }
        />
      </Card>

      {query.data && <ContentAuditCard entries={query.data.audit} />}

      <ConfirmDialog
        open={confirming}
        title="Save these changes?"
        description={
          changed.length > 0
            ? `Changes the ${changed.map((k) => FIELD_LABELS[k]).join(', ')} of “${base.title}”.${base.published ? ' Subscribers see them at once.' : ''}`
            : 'Nothing has changed.'
        }
        confirmLabel="Save changes"
        busy={busy}
        error={errors.form ?? null}
        onConfirm={() => void save()}
        onClose={() => setConfirming(false)}
      />
    </div>
  );
}

function BackLink() {
  return (
    <p>
      <Link to="/app/admin/content" className="small-link">
        ← All content
      </Link>
    </p>
  );
}

function ContentForm({
  mode,
  values,
  errors,
  onChange,
  onSlugEdit,
  onSubmit,
  submitLabel,
  submitDisabled,
  extraActions,
}: {
  mode: 'create' | 'edit';
  values: Values;
  errors: Errors;
  onChange: (patch: Partial<Values>) => void;
  onSlugEdit?: () => void;
  onSubmit: () => void;
  submitLabel: string;
  submitDisabled?: boolean;
  extraActions?: ReactNode;
}) {
  const submit = (e: FormEvent) => {
    e.preventDefault();
    onSubmit();
  };
  return (
    <form className="form" onSubmit={submit} noValidate>
      {errors.form && mode === 'edit' && <Banner tone="error">{errors.form}</Banner>}
      <div className="form-row">
        <Field label="Title" error={errors.title}>
          {(p) => (
            <input
              {...p}
              className="input"
              value={values.title}
              maxLength={200}
              onChange={(e) => onChange({ title: e.target.value })}
            />
          )}
        </Field>
        {mode === 'create' && (
          <Field label="Slug" error={errors.slug} hint="The item's address in the library; it cannot change later.">
            {(p) => (
              <input
                {...p}
                className="input"
                value={values.slug}
                maxLength={100}
                autoCapitalize="none"
                spellCheck={false}
                onChange={(e) => {
                  onSlugEdit?.();
                  onChange({ slug: e.target.value });
                }}
              />
            )}
          </Field>
        )}
      </div>
      <Field label="Summary" error={errors.summary} hint="One or two sentences, shown in the library list.">
        {(p) => (
          <textarea
            {...p}
            className="input admin-content-summary"
            rows={2}
            maxLength={500}
            value={values.summary}
            onChange={(e) => onChange({ summary: e.target.value })}
          />
        )}
      </Field>
      <div className="form-row">
        <Field label="Kind" error={errors.kind}>
          {(p) => (
            <select
              {...p}
              className="input select"
              value={values.kind}
              onChange={(e) => onChange({ kind: e.target.value as ContentKind })}
            >
              {(Object.keys(KIND_LABELS) as ContentKind[]).map((k) => (
                <option key={k} value={k}>
                  {KIND_LABELS[k]}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Unlocks with" error={errors.minPlan} hint="This plan and above can open it.">
          {(p) => (
            <select
              {...p}
              className="input select"
              value={values.minPlan}
              onChange={(e) => onChange({ minPlan: e.target.value as ContentPlan })}
            >
              {(Object.keys(PLAN_LABELS) as ContentPlan[]).map((k) => (
                <option key={k} value={k}>
                  {PLAN_LABELS[k]}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Tags" error={errors.tags} hint="Separated by commas, e.g. pricing, churn.">
          {(p) => <input {...p} className="input" value={values.tags} onChange={(e) => onChange({ tags: e.target.value })} />}
        </Field>
      </div>
      <Field
        label="Body"
        error={errors.body}
        hint={values.kind === 'file' ? 'Optional for file items: shown above the download.' : 'Required before publishing.'}
      >
        {(p) => (
          <textarea
            {...p}
            className="input admin-content-body"
            rows={14}
            value={values.body}
            onChange={(e) => onChange({ body: e.target.value })}
          />
        )}
      </Field>
      <div className="form-row">
        <Field label="Body format" error={errors.bodyFormat}>
          {(p) => (
            <select
              {...p}
              className="input select"
              value={values.bodyFormat}
              onChange={(e) => onChange({ bodyFormat: e.target.value as 'markdown' | 'plain' })}
            >
              <option value="markdown">Markdown</option>
              <option value="plain">Plain text</option>
            </select>
          )}
        </Field>
        {mode === 'create' && (
          <div className="field">
            <span className="field-label">Visibility</span>
            <label className="admin-check">
              <input type="checkbox" checked={values.published} onChange={(e) => onChange({ published: e.target.checked })} />
              Publish now
            </label>
            {errors.published ? (
              <FieldError message={errors.published} />
            ) : (
              <p className="field-hint">Otherwise it is saved as a draft.</p>
            )}
          </div>
        )}
      </div>
      <div className="form-actions">
        <Button type="submit" disabled={submitDisabled}>
          {submitLabel}
        </Button>
        {extraActions}
      </div>
      {mode === 'edit' && errors.published && <FieldError message={errors.published} />}
    </form>
  );
}
