// The library: search and filter every item; locked ones say which plan unlocks them and offer an
// upgrade. Opening and downloading are checked again on the server.
import { useId, useState } from 'react';
import { Link } from 'react-router';
import { trpc } from '../../lib/trpc';
import { PageHeader } from '../../components/AppShell';
import { ButtonLink } from '../../components/Button';
import { QueryState } from '../../components/QueryState';
import { BookIcon } from '../../components/icons';
import { PlanBadge, kindLabel } from './PlanBadge';
import './library.css';

export function LibraryPage() {
  const [q, setQ] = useState('');
  const [tag, setTag] = useState('');
  const searchId = useId();
  const tagId = useId();
  const list = trpc.content.list.useQuery(
    { q: q.trim() || undefined, tag: tag || undefined },
    { placeholderData: (prev) => prev },
  );

  return (
    <div className="page page-library">
      <PageHeader title="Library" description="Guides, templates and tools. Search everything; your plan decides what opens." />
      <search className="library-filters">
        <div className="field">
          <label className="field-label" htmlFor={searchId}>
            Search the library
          </label>
          <input
            id={searchId}
            className="input"
            type="search"
            value={q}
            onChange={(e) => setQ(e.target.value)}
            placeholder="pricing, churn, templates…"
          />
        </div>
        <div className="field">
          <label className="field-label" htmlFor={tagId}>
            Tag
          </label>
          <select id={tagId} className="input" value={tag} onChange={(e) => setTag(e.target.value)}>
            <option value="">All tags</option>
            {(list.data?.tags ?? []).map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </select>
        </div>
      </search>

      <QueryState
        query={list}
        loadingLabel="Loading the library…"
        skeletonLines={6}
        isEmpty={(data) => data.items.length === 0}
        empty={{
          icon: <BookIcon size={28} />,
          title: 'Nothing matches',
          description: 'Try another word or clear the tag filter.',
        }}
      >
        {(data) => (
          <ul className="library-grid" aria-label="Library items">
            {data.items.map((item) => {
              const titleId = `item-${item.slug}`;
              return (
                <li
                  key={item.slug}
                  className={`library-card card${item.locked ? ' library-card-locked' : ''}`}
                  aria-labelledby={titleId}
                >
                  <div className="library-card-top">
                    <span className="badge">{kindLabel[item.kind]}</span>
                    <PlanBadge plan={item.minPlan} name={item.requiredPlanName} />
                  </div>
                  <h2 id={titleId} className="library-card-title">
                    {item.locked ? item.title : <Link to={`/app/library/${item.slug}`}>{item.title}</Link>}
                  </h2>
                  <p className="library-card-summary">{item.summary}</p>
                  <p className="library-tags">
                    {item.tags.map((t) => (
                      <button
                        key={t}
                        type="button"
                        className="tag-chip"
                        onClick={() => setTag(t)}
                        aria-label={`Show items tagged ${t}`}
                      >
                        #{t}
                      </button>
                    ))}
                  </p>
                  <div className="library-card-foot">
                    {item.locked ? (
                      <>
                        <span className="library-lock">Unlocks with {item.requiredPlanName}</span>
                        <ButtonLink to="/pricing" size="sm" aria-label={`Upgrade to open ${item.title}`}>
                          Upgrade
                        </ButtonLink>
                      </>
                    ) : (
                      <ButtonLink
                        to={`/app/library/${item.slug}`}
                        variant="secondary"
                        size="sm"
                        aria-label={`Open ${item.title}`}
                      >
                        Open
                      </ButtonLink>
                    )}
                  </div>
                </li>
              );
            })}
          </ul>
        )}
      </QueryState>
    </div>
  );
}
