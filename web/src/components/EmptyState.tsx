// What a section shows when there is nothing in it yet: an icon, one line of why, and what to do.
import type { ReactNode } from 'react';

export function EmptyState({
  icon,
  title,
  children,
  action,
  headingLevel = 2,
}: {
  headingLevel?: 1 | 2 | 3;
  icon?: ReactNode;
  title: ReactNode;
  children?: ReactNode;
  action?: ReactNode;
}) {
  const Heading = headingLevel === 1 ? 'h1' : headingLevel === 3 ? 'h3' : 'h2';
  return (
    <div className="empty-state">
      {icon && (
        <div className="empty-icon" aria-hidden="true">
          {icon}
        </div>
      )}
      <Heading className="empty-title">{title}</Heading>
      {children && <div className="empty-text">{children}</div>}
      {action && <div className="empty-action">{action}</div>}
    </div>
  );
}
