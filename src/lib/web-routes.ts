// The web app's pages by URL, shared by the server and the web (like money.ts). The web's router
// declares its routes from this list; the server answers 200 for a path that is one of these pages
// and 404 for any other (both with the app shell, whose router then shows its not-found page), and
// sends the short URLs people type to the page they stand for.

/** Every page, as a React Router pattern: `:name` stands for one path segment. */
export const webPages = {
  home: '/',
  pricing: '/pricing',
  signup: '/signup',
  login: '/login',
  forgotPassword: '/forgot-password',
  resetPassword: '/reset-password',
  verifyEmail: '/verify-email',
  confirmEmail: '/confirm-email',
  dashboard: '/app',
  library: '/app/library',
  libraryItem: '/app/library/:slug',
  usage: '/app/usage',
  billing: '/app/billing',
  checkoutSuccess: '/app/billing/success',
  settings: '/app/settings',
  admin: '/app/admin',
  adminSubscribers: '/app/admin/subscribers',
  adminSubscriber: '/app/admin/subscribers/:userId',
  adminFailedPayments: '/app/admin/failed-payments',
  adminEvents: '/app/admin/events',
  adminReconciler: '/app/admin/reconciler',
  adminContent: '/app/admin/content',
  adminContentNew: '/app/admin/content/new',
  adminContentItem: '/app/admin/content/:slug',
} as const;

/** What people type for a section, and the page it stands for. */
export const shortUrls: Readonly<Record<string, string>> = {
  '/dashboard': webPages.dashboard,
  '/library': webPages.library,
  '/usage': webPages.usage,
  '/billing': webPages.billing,
  '/settings': webPages.settings,
  '/admin': webPages.admin,
};

const patterns = Object.values(webPages);

/**
 * Whether `pattern` matches `pathname` the way React Router matches by default: whole segments,
 * any letter case, trailing slashes ignored, a `:name` segment matching any non-empty segment.
 */
export function matchesPattern(pattern: string, pathname: string): boolean {
  const want = segments(pattern);
  const got = segments(pathname);
  return want.length === got.length && want.every((w, i) => (w.startsWith(':') ? got[i] !== '' : w === got[i]?.toLowerCase()));
}

function segments(path: string): string[] {
  const trimmed = path.replace(/\/+$/, '');
  return trimmed === '' ? [] : trimmed.slice(1).split('/');
}

/** Whether `pathname` is one of the web app's pages. */
export function isWebPage(pathname: string): boolean {
  return patterns.some((p) => matchesPattern(p, pathname));
}

/** The page a short URL stands for, or null when `pathname` is not one. */
export function shortUrlTarget(pathname: string): string | null {
  const from = Object.keys(shortUrls).find((s) => matchesPattern(s, pathname));
  return from ? (shortUrls[from] ?? null) : null;
}

/**
 * `pattern` relative to the page `parent`, for routes that a component mounted at `parent/*` declares
 * in its own <Routes> (React Router matches those against the rest of the path). The parent itself
 * is '' (its index route).
 */
export function childPath(parent: string, pattern: string): string {
  if (pattern === parent) return '';
  if (!pattern.startsWith(`${parent}/`)) throw new Error(`${pattern} is not under ${parent}`);
  return pattern.slice(parent.length + 1);
}
