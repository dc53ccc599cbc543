// The frame of the logged-out pages (sign up, log in, reset…): the logo and one centred card.
import type { ReactNode } from 'react';
import { Logo } from './Logo';

export function AuthLayout({
  title,
  subtitle,
  children,
  footer,
}: {
  title: string;
  subtitle?: ReactNode;
  children: ReactNode;
  footer?: ReactNode;
}) {
  return (
    <div className="auth-page">
      <header className="auth-top">
        <Logo />
      </header>
      <main id="main" tabIndex={-1} className="auth-main">
        <title>{`${title} · DropIn`}</title>
        <div className="auth-card">
          <h1 className="auth-title">{title}</h1>
          {subtitle && <p className="auth-subtitle">{subtitle}</p>}
          {children}
        </div>
        {footer && <div className="auth-footer">{footer}</div>}
      </main>
    </div>
  );
}
