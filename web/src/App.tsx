// Every route of the web app. Later issues replace the placeholder sections.
import { useEffect, useRef } from 'react';
import { Navigate, Route, Routes, useLocation } from 'react-router';
import { AppShell } from './components/AppShell';
import { HomePage } from './features/home/HomePage';
import { LoginPage } from './features/auth/LoginPage';
import { SignupPage } from './features/auth/SignupPage';
import { VerifyEmailPage } from './features/auth/VerifyEmailPage';
import { ForgotPasswordPage } from './features/auth/ForgotPasswordPage';
import { ResetPasswordPage } from './features/auth/ResetPasswordPage';
import { RequireAuth } from './features/auth/session';
import { DashboardPage } from './features/app/DashboardPage';
import { AdminArea } from './features/admin/AdminArea';
import { NotFoundPage } from './features/app/NotFoundPage';
import { SettingsPage } from './features/settings/SettingsPage';
import { PricingPage } from './features/pricing/PricingPage';
import { BillingPage } from './features/billing/BillingPage';
import { CheckoutSuccessPage } from './features/billing/CheckoutSuccessPage';
import { LibraryPage } from './features/library/LibraryPage';
import { LibraryItemPage } from './features/library/LibraryItemPage';
import { UsagePage } from './features/usage/UsagePage';

export function App() {
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <RouteChangeFocus />
      <Routes>
        <Route index element={<HomePage />} />
        <Route path="pricing" element={<PricingPage />} />
        <Route path="signup" element={<SignupPage />} />
        <Route path="login" element={<LoginPage />} />
        <Route path="forgot-password" element={<ForgotPasswordPage />} />
        <Route path="reset-password" element={<ResetPasswordPage />} />
        <Route element={<RequireAuth />}>
          <Route path="verify-email" element={<VerifyEmailPage />} />
          <Route path="app" element={<AppShell />}>
            <Route index element={<DashboardPage />} />
            <Route path="library" element={<LibraryPage />} />
            <Route path="library/:slug" element={<LibraryItemPage />} />
            <Route path="usage" element={<UsagePage />} />
            <Route path="billing" element={<BillingPage />} />
            <Route path="billing/success" element={<CheckoutSuccessPage />} />
            <Route path="settings" element={<SettingsPage />} />
            <Route path="admin/*" element={<AdminArea />} />
          </Route>
        </Route>
        {/* The server's OAuth routes send linking errors to /settings. */}
        <Route path="settings" element={<ToAppSettings />} />
        <Route path="*" element={<NotFoundPage />} />
      </Routes>
    </>
  );
}

function ToAppSettings() {
  const { search } = useLocation();
  return <Navigate to={`/app/settings${search}`} replace />;
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
