// The audit entries of one subject (a subscriber, a library item): what was done, by whom, when,
// how it ended, and the before and after it recorded.
import type { ReactNode } from 'react';
import type { AuditView } from '../../../../src/admin/audit';
import { formatDateTime } from '../../lib/format';

export function AuditLog({
  entries,
  empty,
  name = (a) => a.action.replace(/_/g, ' '),
  target,
}: {
  entries: AuditView[];
  empty: string;
  /** How an action reads, e.g. `content_publish` → "publish". */
  name?: (a: AuditView) => string;
  /** Shown after the time, e.g. the target when entries have several. */
  target?: (a: AuditView) => ReactNode;
}) {
  if (entries.length === 0) return <p className="muted">{empty}</p>;
  return (
    <ul className="admin-log">
      {entries.map((a) => (
        <li key={a.id}>
          <strong>{name(a)}</strong>{' '}
          <span className={`badge badge-${a.outcome === 'ok' ? 'success' : a.outcome === 'failed' ? 'danger' : 'warning'}`}>
            {a.outcome}
          </span>{' '}
          <span className="muted admin-small">
            by {a.actorEmail} · {formatDateTime(a.at)}
            {target && <> · {target(a)}</>}
            {a.error ? ` · ${a.error}` : ''}
          </span>
          {(a.before || a.after) && (
            <details className="admin-diff">
              <summary>Before and after</summary>
              <div className="admin-diff-cols">
                <figure>
                  <figcaption className="admin-small">Before</figcaption>
                  <pre>{pretty(a.before)}</pre>
                </figure>
                <figure>
                  <figcaption className="admin-small">After</figcaption>
                  <pre>{pretty(a.after)}</pre>
                </figure>
              </div>
            </details>
          )}
        </li>
      ))}
    </ul>
  );
}

function pretty(json: string | null): string {
  if (!json) return '—';
  try {
    return JSON.stringify(JSON.parse(json), null, 2);
  } catch {
    return json;
  }
}
