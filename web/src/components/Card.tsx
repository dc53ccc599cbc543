// A surface for one topic. With a title it becomes a labelled region, so each settings section is
// a landmark that people (and tests) can find by name.
import { type ReactNode, useId } from 'react';
import { cx } from './cx';

export interface CardProps {
  title?: ReactNode;
  description?: ReactNode;
  actions?: ReactNode;
  footer?: ReactNode;
  children?: ReactNode;
  tone?: 'default' | 'danger';
  className?: string;
  headingLevel?: 2 | 3;
}

export function Card({
  title,
  description,
  actions,
  footer,
  children,
  tone = 'default',
  className,
  headingLevel = 2,
}: CardProps) {
  const id = useId();
  const Heading = headingLevel === 2 ? 'h2' : 'h3';
  return (
    <section className={cx('card', tone === 'danger' && 'card-danger', className)} aria-labelledby={title ? id : undefined}>
      {(title || actions) && (
        <header className="card-header">
          <div>
            {title && (
              <Heading id={id} className="card-title">
                {title}
              </Heading>
            )}
            {description && <p className="card-description">{description}</p>}
          </div>
          {actions && <div className="card-actions">{actions}</div>}
        </header>
      )}
      {children && <div className="card-body">{children}</div>}
      {footer && <footer className="card-footer">{footer}</footer>}
    </section>
  );
}
