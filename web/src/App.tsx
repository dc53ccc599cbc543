// Every route of the web app, and what follows a client-side navigation.
import { useEffect, useRef } from 'react';
import { createRoutesFromElements, Navigate, Route, useLocation, useRoutes } from 'react-router';
import { shortUrls, webPages } from '../../src/lib/web-routes';
import { AppShell } from './components/AppShell';
import { PageErrorBoundary } from './components/ErrorBoundary';
import { HomePage } from './features/home/HomePage';
import { LoginPage } from './features/auth/LoginPage';
import { SignupPage } from './features/auth/SignupPage';
import { VerifyEmailPage } from './features/auth/VerifyEmailPage';
import { ForgotPasswordPage } from './features/auth/ForgotPasswordPage';
import { ResetPasswordPage } from './features/auth/ResetPasswordPage';
import { ConfirmEmailPage } from './features/auth/ConfirmEmailPage';
import { RequireAuth } from './features/auth/session';
import { DashboardPage } from './features/app/DashboardPage';
import { AdminArea } from './features/admin/AdminArea';
import { AppNotFoundPage, NotFoundPage } from './features/app/NotFoundPage';
import { SettingsPage } from './features/settings/SettingsPage';
import { PricingPage } from './features/pricing/PricingPage';
import { BillingPage } from './features/billing/BillingPage';
import { CheckoutSuccessPage } from './features/billing/CheckoutSuccessPage';
import { LibraryPage } from './features/library/LibraryPage';
import { LibraryItemPage } from './features/library/LibraryItemPage';
import { UsagePage } from './features/usage/UsagePage';

export function App() {
  const page = useRoutes(appRoutes);
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <RouteChangeFocus />
      {/* The last resort, for pages outside the app's frame and the frame itself: each area of the
          app has its own boundary inside. */}
      <PageErrorBoundary home={webPages.home} homeLabel="Go to the home page" standalone>
        {page}
      </PageErrorBoundary>
    </>
  );
}

const p = webPages;

/** The route tree, built from the shared list of pages (src/lib/web-routes.ts). */
export const appRoutes = createRoutesFromElements(
  <>
    <Route path={p.home} element={<HomePage />} />
    <Route path={p.pricing} element={<PricingPage />} />
    <Route path={p.signup} element={<SignupPage />} />
    <Route path={p.login} element={<LoginPage />} />
    <Route path={p.forgotPassword} element={<ForgotPasswordPage />} />
    <Route path={p.resetPassword} element={<ResetPasswordPage />} />
    <Route path={p.confirmEmail} element={<ConfirmEmailPage />} />
    <Route element={<RequireAuth />}>
      <Route path={p.verifyEmail} element={<VerifyEmailPage />} />
      <Route path={p.dashboard} element={<AppShell />}>
        <Route index element={<DashboardPage />} />
        <Route path={p.library} element={<LibraryPage />} />
        <Route path={p.libraryItem} element={<LibraryItemPage />} />
        <Route path={p.usage} element={<UsagePage />} />
        <Route path={p.billing} element={<BillingPage />} />
        <Route path={p.checkoutSuccess} element={<CheckoutSuccessPage />} />
        <Route path={p.settings} element={<SettingsPage />} />
        {/* Its sections are declared by the admin area itself, loaded on demand. */}
        <Route path={`${p.admin}/*`} element={<AdminArea />} />
        <Route path="*" element={<AppNotFoundPage />} />
      </Route>
    </Route>
    {Object.entries(shortUrls).map(([from, to]) => (
      <Route key={from} path={from} element={<ShortUrl to={to} />} />
    ))}
    <Route path="*" element={<NotFoundPage />} />
  </>,
);

/** A short URL (/billing) goes to its page (/app/billing), query string and all. */
function ShortUrl({ to }: { to: string }) {
  const { search } = useLocation();
  return <Navigate to={`${to}${search}`} replace />;
}

/**
 * On client-side navigation: start the new page at the top, and if the focused element went away
 * with the old page, move focus to the new page's <main> so keyboard and screen-reader users are
 * not dropped at the top of the document. Pages that autofocus a field keep that focus.
 */
function RouteChangeFocus() {
  const { pathname } = useLocation();
  // The path already handled: the first load is not a navigation, and neither is React's
  // development StrictMode running this effect a second time on mount.
  const handled = useRef(pathname);
  useEffect(() => {
    if (handled.current === pathname) return;
    handled.current = pathname;
    window.scrollTo(0, 0);
    const active = document.activeElement;
    if (!active || active === document.body) document.getElementById('main')?.focus();
  }, [pathname]);
  return null;
}
