// The public front page's look, shared by the app's page (HomePage.tsx) and the document the server
// renders for visitors (web/src/prerender/pages.tsx): what DropIn offers and the way in.
import { Link } from 'react-router';
import { Banner } from '../../components/Banner';
import { ButtonLink } from '../../components/Button';
import { Logo } from '../../components/Logo';
import { Checklist } from '../../components/Checklist';
import { BookIcon, CodeIcon, SparkIcon } from '../../components/icons';

const plans = [
  {
    name: 'Free',
    blurb: 'Try the library and the API with generous starter limits.',
    points: ['Selected articles', 'Starter API quota'],
  },
  {
    name: 'Pro',
    blurb: 'The full library and higher limits for individuals.',
    points: ['Every article and guide', 'Higher API limits'],
  },
  { name: 'Business', blurb: 'For teams that build on DropIn every day.', points: ['Highest limits', 'Priority support'] },
];

export function HomeView({ loggedIn, notice }: { loggedIn: boolean; notice: string | null }) {
  return (
    <div className="home">
      <header className="site-header">
        <Logo />
        <nav aria-label="Site" className="site-nav">
          <Link to="/pricing" className="site-nav-link">
            Pricing
          </Link>
          {loggedIn ? (
            <ButtonLink to="/app" size="sm">
              Go to dashboard
            </ButtonLink>
          ) : (
            <>
              <Link to="/login" className="site-nav-link">
                Log in
              </Link>
              <ButtonLink to="/signup" size="sm">
                Sign up
              </ButtonLink>
            </>
          )}
        </nav>
      </header>
      <main id="main" tabIndex={-1}>
        {notice && (
          <div className="container">
            <Banner tone="success">{notice}</Banner>
          </div>
        )}
        <section className="hero container">
          <p className="eyebrow">Premium content · Developer tools · Simple plans</p>
          <h1 className="hero-title">Everything you need to build, in one subscription.</h1>
          <p className="hero-lead">
            DropIn gives you a library of in-depth premium content and a set of developer tools with an API — on a plan that fits,
            from Free to Business. Manage your plan, payment method, invoices and usage from one dashboard.
          </p>
          <div className="hero-actions">
            {loggedIn ? (
              <ButtonLink to="/app" size="lg">
                Go to dashboard
              </ButtonLink>
            ) : (
              <>
                <ButtonLink to="/signup" size="lg">
                  Sign up free
                </ButtonLink>
                <ButtonLink to="/login" size="lg" variant="secondary">
                  Log in
                </ButtonLink>
              </>
            )}
          </div>
        </section>

        <section className="container features" aria-labelledby="features-title">
          <h2 id="features-title" className="visually-hidden">
            What you get
          </h2>
          <article className="feature">
            <span className="feature-icon">
              <BookIcon />
            </span>
            <h3>Premium content library</h3>
            <p>Guides, deep dives and references written by practitioners, with new pieces every week.</p>
          </article>
          <article className="feature">
            <span className="feature-icon">
              <CodeIcon />
            </span>
            <h3>Developer tools &amp; API</h3>
            <p>Hosted tools and an API you can call from your own code, with clear usage limits per plan.</p>
          </article>
          <article className="feature">
            <span className="feature-icon">
              <SparkIcon />
            </span>
            <h3>Simple plans</h3>
            <p>Free, Pro and Business. Pay securely through Stripe, change or cancel any time.</p>
          </article>
        </section>

        <section className="container plans" aria-labelledby="plans-title">
          <div className="section-head">
            <h2 id="plans-title">Plans for every stage</h2>
            <Link to="/pricing">Compare plans and prices</Link>
          </div>
          <ul className="plan-grid">
            {plans.map((plan) => (
              <li key={plan.name} className="plan">
                <h3>{plan.name}</h3>
                <p>{plan.blurb}</p>
                <Checklist items={plan.points} />
              </li>
            ))}
          </ul>
        </section>
      </main>
      <footer className="site-footer container">
        <p>© DropIn</p>
        <Link to="/pricing">Pricing</Link>
      </footer>
    </div>
  );
}
