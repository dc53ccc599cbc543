// The logged-in frame: a top bar (logo, account, Log out), the section navigation (a sidebar on
// wide screens, a menu behind a button on phones) and the page itself in <main>, where a page that
// fails to render shows an error while the frame keeps working. Above every page: the account
// alerts that need action (a failed payment), until they are fixed.
import { type ReactNode, useEffect, useRef, useState } from 'react';
import { NavLink, Outlet, useLocation } from 'react-router';
import { trpc } from '../lib/trpc';
import { leaveSignedOut, useCurrentUser } from '../features/auth/session';
import { AccountAlerts } from '../features/billing/AccountAlerts';
import { Button } from './Button';
import { PageErrorBoundary } from './ErrorBoundary';
import { cx } from './cx';
import { Logo } from './Logo';
import { BookIcon, CardIcon, ChartIcon, CloseIcon, HomeIcon, LogOutIcon, MenuIcon, SettingsIcon, ShieldIcon } from './icons';

interface NavItem {
  to: string;
  label: string;
  icon: ReactNode;
  end?: boolean;
}

export function AppShell() {
  const user = useCurrentUser();
  const [menuOpen, setMenuOpen] = useState(false);
  const menuButton = useRef<HTMLButtonElement>(null);
  const location = useLocation();
  const logout = trpc.auth.logout.useMutation({
    onSuccess: () => leaveSignedOut('/login?notice=logged-out'),
  });

  // A route change closes the phone menu.
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs on navigation on purpose
  useEffect(() => setMenuOpen(false), [location.pathname]);

  // Escape closes the phone menu and puts focus back on its button.
  useEffect(() => {
    if (!menuOpen) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== 'Escape') return;
      setMenuOpen(false);
      menuButton.current?.focus();
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [menuOpen]);

  const items: NavItem[] = [
    { to: '/app', label: 'Dashboard', icon: <HomeIcon />, end: true },
    { to: '/app/library', label: 'Library', icon: <BookIcon /> },
    { to: '/app/usage', label: 'Usage', icon: <ChartIcon /> },
    { to: '/app/billing', label: 'Billing', icon: <CardIcon /> },
    { to: '/app/settings', label: 'Settings', icon: <SettingsIcon /> },
  ];
  if (user.role === 'admin') items.push({ to: '/app/admin', label: 'Admin', icon: <ShieldIcon /> });

  const initial = (user.name || user.email).trim().charAt(0).toUpperCase();

  return (
    <div className="shell">
      <header className="topbar">
        <button
          ref={menuButton}
          type="button"
          className="icon-button menu-button"
          aria-expanded={menuOpen}
          aria-controls="app-nav"
          onClick={() => setMenuOpen((o) => !o)}
        >
          {menuOpen ? <CloseIcon /> : <MenuIcon />}
          <span className="visually-hidden">Menu</span>
        </button>
        <Logo to="/app" />
        <div className="topbar-end">
          <div className="account-chip" title={user.email}>
            <span className="avatar" aria-hidden="true">
              {initial}
            </span>
            <span className="account-text">
              <span className="account-name">{user.name || user.email}</span>
              {user.name && <span className="account-email">{user.email}</span>}
            </span>
          </div>
          <Button variant="ghost" size="sm" onClick={() => logout.mutate()} loading={logout.isPending}>
            <LogOutIcon className="hide-sm" />
            Log out
          </Button>
        </div>
      </header>
      {logout.isError && (
        <div className="shell-alert" role="alert">
          We couldn't log you out. Please try again.
        </div>
      )}
      <div className="shell-body">
        {/* A mouse/touch shortcut to close the phone menu; keyboards use Escape. */}
        {menuOpen && <div className="nav-backdrop" aria-hidden="true" onClick={() => setMenuOpen(false)} />}
        <nav id="app-nav" className={cx('sidenav', menuOpen && 'sidenav-open')} aria-label="Main">
          <ul>
            {items.map((item) => (
              <li key={item.to}>
                <NavLink to={item.to} end={item.end} className={({ isActive }) => cx('nav-link', isActive && 'active')}>
                  {item.icon}
                  <span>{item.label}</span>
                </NavLink>
              </li>
            ))}
          </ul>
        </nav>
        <main id="main" tabIndex={-1} className="shell-main">
          <PageErrorBoundary home="/app" homeLabel="Go to the dashboard">
            {/* A failed payment (or anything else that needs action) shows on every page until fixed. */}
            <AccountAlerts show="action_required" />
            <Outlet />
          </PageErrorBoundary>
        </main>
      </div>
    </div>
  );
}

/** The heading block of an app page; also sets the document title. */
export function PageHeader({ title, description, actions }: { title: string; description?: ReactNode; actions?: ReactNode }) {
  return (
    <div className="page-header">
      <title>{`${title} · DropIn`}</title>
      <div>
        <h1 className="page-title">{title}</h1>
        {description && <p className="page-description">{description}</p>}
      </div>
      {actions && <div className="page-actions">{actions}</div>}
    </div>
  );
}
