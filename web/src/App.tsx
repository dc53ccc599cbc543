// Every route of the web app, and what follows a client-side navigation.
import { type ComponentType, lazy, Suspense, useEffect, useRef } from 'react';
import { createRoutesFromElements, matchRoutes, Navigate, Route, useLocation, useRoutes } from 'react-router';
import { shortUrls, webPages } from '../../src/lib/web-routes';
import { PageErrorBoundary } from './components/ErrorBoundary';
import { LoadingBlock } from './components/Spinner';
import { RequireAuth } from './features/auth/session';
import { AdminArea } from './features/admin/AdminArea';

/**
 * A page loaded on demand: each page is its own chunk, so the first visit to /pricing or /login
 * downloads that page and the shared frame, not the dashboard, the settings or the admin area.
 * While its code is on the way the page shows a loading state of its own, in the place the page
 * takes (inside the app's frame for app pages): a new boundary per page, so a navigation replaces
 * the old page at once rather than leaving it on screen under the new address. `preload` starts the
 * download without rendering the page.
 */
function lazyPage<K extends string>(load: () => Promise<Record<K, ComponentType>>, name: K) {
  let loading: Promise<{ default: ComponentType }> | undefined;
  const preload = () => {
    loading ??= load().then((m) => ({ default: m[name] }));
    return loading;
  };
  const Lazy = lazy(preload);
  // biome-ignore lint/correctness/noComponentHookFactories: made once per page when this module loads, never during a render
  function Page() {
    return (
      <Suspense fallback={<LoadingBlock label="Loading the page…" />}>
        <Lazy />
      </Suspense>
    );
  }
  return Object.assign(Page, { preload });
}

const HomePage = lazyPage(() => import('./features/home/HomePage'), 'HomePage');
const PricingPage = lazyPage(() => import('./features/pricing/PricingPage'), 'PricingPage');
const LoginPage = lazyPage(() => import('./features/auth/LoginPage'), 'LoginPage');
const SignupPage = lazyPage(() => import('./features/auth/SignupPage'), 'SignupPage');
const VerifyEmailPage = lazyPage(() => import('./features/auth/VerifyEmailPage'), 'VerifyEmailPage');
const ForgotPasswordPage = lazyPage(() => import('./features/auth/ForgotPasswordPage'), 'ForgotPasswordPage');
const ResetPasswordPage = lazyPage(() => import('./features/auth/ResetPasswordPage'), 'ResetPasswordPage');
const ConfirmEmailPage = lazyPage(() => import('./features/auth/ConfirmEmailPage'), 'ConfirmEmailPage');
const AppShell = lazyPage(() => import('./components/AppShell'), 'AppShell');
const DashboardPage = lazyPage(() => import('./features/app/DashboardPage'), 'DashboardPage');
const NotFoundPage = lazyPage(() => import('./features/app/NotFoundPage'), 'NotFoundPage');
const AppNotFoundPage = lazyPage(() => import('./features/app/NotFoundPage'), 'AppNotFoundPage');
const SettingsPage = lazyPage(() => import('./features/settings/SettingsPage'), 'SettingsPage');
const BillingPage = lazyPage(() => import('./features/billing/BillingPage'), 'BillingPage');
const CheckoutSuccessPage = lazyPage(() => import('./features/billing/CheckoutSuccessPage'), 'CheckoutSuccessPage');
const LibraryPage = lazyPage(() => import('./features/library/LibraryPage'), 'LibraryPage');
const LibraryItemPage = lazyPage(() => import('./features/library/LibraryItemPage'), 'LibraryItemPage');
const UsagePage = lazyPage(() => import('./features/usage/UsagePage'), 'UsagePage');

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

/**
 * Starts downloading the pages an address needs. The entry calls it for the first address before
 * React starts, so the page's code loads while the app starts rather than once React has drawn the
 * route and met the page.
 */
export function preloadPages(pathname: string): void {
  for (const match of matchRoutes(appRoutes, pathname) ?? []) {
    const type = (match.route.element as { type?: { preload?: () => Promise<unknown> } } | undefined)?.type;
    // A failed download is the page's to report (its error boundary), when React renders it.
    type?.preload?.().catch(() => {});
  }
}

/** A short URL (/billing) goes to its page (/app/billing), query string and all. */
function ShortUrl({ to }: { to: string }) {
  const { search } = useLocation();
  return <Navigate to={`${to}${search}`} replace />;
}

/**
 * On client-side navigation: start the new page at the top, and if the focused element went away
 * with the old page, move focus to the new page's <main> so keyboard and screen-reader users are
 * not dropped at the top of the document. Pages that autofocus a field keep that focus. A page
 * whose code is still on its way has no <main> yet (outside the app's frame): focus goes there
 * once it is drawn, unless something else took focus meanwhile.
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
    /** True once there is nothing left to do: focus is on something, or on the new <main>. */
    const focusMain = () => {
      const active = document.activeElement;
      if (active && active !== document.body) return true;
      const main = document.getElementById('main');
      main?.focus();
      return Boolean(main);
    };
    if (focusMain()) return;
    const observer = new MutationObserver(() => {
      if (focusMain()) observer.disconnect();
    });
    observer.observe(document.body, { childList: true, subtree: true });
    return () => observer.disconnect();
  }, [pathname]);
  return null;
}
