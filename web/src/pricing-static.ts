// The script of the server-rendered pricing page (web/pricing-document.html): the page's styles, and the
// monthly/yearly switch, which shows the prices of the chosen period (both are in the document).
// Everything else on the page is a link into the app.
import './styles.css';
import './features/pricing/pricing.css';

const options = Array.from(document.querySelectorAll<HTMLButtonElement>('[data-interval-option]'));
for (const option of options) {
  option.addEventListener('click', () => {
    const chosen = option.dataset.intervalOption;
    for (const o of options) o.setAttribute('aria-pressed', String(o === option));
    for (const el of document.querySelectorAll<HTMLElement>('[data-interval]')) el.hidden = el.dataset.interval !== chosen;
  });
}
