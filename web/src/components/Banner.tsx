// Page and form messages. Errors are announced at once (role=alert); the rest politely (status).
import type { ReactNode } from 'react';
import { cx } from './cx';
import { AlertIcon, CheckIcon, InfoIcon } from './icons';

export type BannerTone = 'info' | 'success' | 'warning' | 'error';

export interface BannerProps {
  tone?: BannerTone;
  title?: ReactNode;
  children?: ReactNode;
  action?: ReactNode;
  className?: string;
}

export function Banner({ tone = 'info', title, children, action, className }: BannerProps) {
  const Icon = tone === 'success' ? CheckIcon : tone === 'info' ? InfoIcon : AlertIcon;
  return (
    <div className={cx('banner', `banner-${tone}`, className)} role={tone === 'error' ? 'alert' : 'status'}>
      <Icon className="banner-icon" />
      <div className="banner-body">
        {title && <p className="banner-title">{title}</p>}
        {children && <div className="banner-text">{children}</div>}
      </div>
      {action && <div className="banner-action">{action}</div>}
    </div>
  );
}

/** The alert at the top of a form; renders nothing without a message. */
export function FormAlert({ message }: { message: string | null | undefined }) {
  if (!message) return null;
  return <Banner tone="error">{message}</Banner>;
}
