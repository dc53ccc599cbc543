// Loading indicators: an inline spinner (decorative, inside buttons), a labelled page spinner, and
// skeleton lines for content that is on its way. The labelled ones are polite live regions whose
// label is also their text, so screen readers hear what is loading.
import { cx } from './cx';

export function Spinner({ size = 'md', className }: { size?: 'sm' | 'md' | 'lg'; className?: string }) {
  return <span className={cx('spinner', `spinner-${size}`, className)} aria-hidden="true" />;
}

export function LoadingBlock({ label = 'Loading…' }: { label?: string }) {
  return (
    <div className="loading-block" role="status" aria-live="polite">
      <Spinner size="lg" />
      <span className="loading-label">{label}</span>
    </div>
  );
}

export function Skeleton({ lines = 3, label = 'Loading…' }: { lines?: number; label?: string }) {
  return (
    <div className="skeleton-group" role="status" aria-live="polite" aria-label={label}>
      <span className="visually-hidden">{label}</span>
      {Array.from({ length: lines }, (_, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: static placeholder rows
        <span key={i} className="skeleton" style={{ width: `${92 - ((i * 17) % 40)}%` }} />
      ))}
    </div>
  );
}
