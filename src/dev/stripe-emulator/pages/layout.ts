// The shared shell of the hosted pages: a plain, accessible HTML page (real labels, visible focus,
// errors announced to screen readers) that says clearly it is the local emulator, not stripe.com.

export function esc(value: unknown): string {
  return String(value ?? '')
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

const CSS = `
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1a1f36;background:#f6f8fa}
.banner{background:#fff4d6;color:#5c4400;text-align:center;font-size:.85rem;padding:.35rem 1rem;border-bottom:1px solid #f0d78c}
main{max-width:980px;margin:0 auto;padding:2rem 1.25rem;display:grid;gap:2rem}
@media(min-width:800px){main.split{grid-template-columns:1fr 1fr}}
h1{font-size:1.5rem;margin:.2rem 0 1rem}h2{font-size:1.15rem;margin:0 0 .75rem}
.card{background:#fff;border:1px solid #e3e8ee;border-radius:10px;padding:1.5rem;box-shadow:0 1px 2px rgba(0,0,0,.04)}
.muted{color:#57606a}.price{font-size:2rem;font-weight:600}
label{display:block;font-weight:500;margin:.9rem 0 .3rem}
input{width:100%;font:inherit;padding:.6rem .75rem;border:1px solid #c9d1d9;border-radius:6px;background:#fff;color:inherit}
input[aria-invalid=true]{border-color:#cf222e}
.row{display:flex;gap:.75rem}.row>div{flex:1}
button,.button{display:inline-block;font:inherit;font-weight:600;border:0;border-radius:6px;padding:.7rem 1.2rem;cursor:pointer;text-decoration:none;text-align:center}
.primary{background:#635bff;color:#fff;width:100%;margin-top:1.25rem}
.secondary{background:#eef0f4;color:#1a1f36}
.danger{background:#fff;color:#cf222e;border:1px solid #cf222e}
button:focus-visible,.button:focus-visible,a:focus-visible,input:focus-visible{outline:3px solid #0969da;outline-offset:2px}
.error{color:#a40e26;background:#ffebe9;border:1px solid #ffcecb;border-radius:6px;padding:.6rem .8rem;margin:.75rem 0}
.notice{color:#0a3069;background:#ddf4ff;border:1px solid #b6e3ff;border-radius:6px;padding:.6rem .8rem;margin:.75rem 0}
table{width:100%;border-collapse:collapse}th,td{text-align:left;padding:.5rem .25rem;border-bottom:1px solid #eaeef2}
td.num,th.num{text-align:right}
.lines li{display:flex;justify-content:space-between;align-items:baseline;gap:1rem;padding:.35rem 0}
.lines li>span:first-child{min-width:0}.lines .amount{flex:none;text-align:right;white-space:nowrap}
.status{display:inline-block;font-size:.8rem;font-weight:600;padding:.1rem .5rem;border-radius:999px;background:#eef0f4}
.inline{display:inline}
.default-submit{position:absolute;left:-9999px;width:1px;height:1px;overflow:hidden;padding:0;border:0}
a{color:#0969da}
`;

export function page(title: string, body: string, opts: { split?: boolean } = {}): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<link rel="icon" href="data:,"><title>${esc(title)}</title><style>${CSS}</style></head>
<body><div class="banner" role="note">Test mode · local Stripe emulator — no real money moves</div>
<main${opts.split ? ' class="split"' : ''}>${body}</main></body></html>`;
}

export function html(body: string, status = 200) {
  return { status, body, contentType: 'text/html; charset=utf-8' };
}

export function redirect(location: string) {
  return { status: 303, body: '', headers: { location } };
}

export interface CardFieldValues {
  card_number?: string;
  expiry?: string;
  cvc?: string;
  name?: string;
}

/** The card fields, labelled as Stripe's Checkout labels them (tests fill them by label). */
export function cardFields(values: CardFieldValues, error: string | null): string {
  const invalid = error ? ' aria-invalid="true" aria-describedby="card-error"' : '';
  return `
<label for="card_number">Card number</label>
<input id="card_number" name="card_number" inputmode="numeric" autocomplete="cc-number" placeholder="1234 1234 1234 1234" required value="${esc(values.card_number)}"${invalid}>
<div class="row">
  <div><label for="expiry">Expiration</label>
  <input id="expiry" name="expiry" inputmode="numeric" autocomplete="cc-exp" placeholder="MM / YY" required value="${esc(values.expiry)}"></div>
  <div><label for="cvc">CVC</label>
  <input id="cvc" name="cvc" inputmode="numeric" autocomplete="cc-csc" placeholder="CVC" required value="${esc(values.cvc)}"></div>
</div>
<label for="name">Cardholder name</label>
<input id="name" name="name" autocomplete="cc-name" placeholder="Full name on card" required value="${esc(values.name)}">
${error ? `<div id="card-error" class="error" role="alert">${esc(error)}</div>` : ''}`;
}

/** Validate the card fields the way Stripe's card element does before anything is sent. */
export function readCard(
  form: Record<string, unknown>,
): { ok: true; number: string; expMonth: number; expYear: number; name: string } | { ok: false; error: string } {
  const number = String(form.card_number ?? '').replace(/[\s-]/g, '');
  const expiry = String(form.expiry ?? '').replace(/\s/g, '');
  const cvc = String(form.cvc ?? '').trim();
  const name = String(form.name ?? '').trim();
  if (!/^\d{12,19}$/.test(number) || !luhn(number)) return { ok: false, error: 'Your card number is invalid.' };
  const m = /^(\d{1,2})\/?(\d{2}|\d{4})$/.exec(expiry);
  if (!m) return { ok: false, error: "Your card's expiration date is incomplete." };
  const month = Number(m[1]);
  const year = m[2]!.length === 2 ? 2000 + Number(m[2]) : Number(m[2]);
  const now = new Date();
  if (month < 1 || month > 12) return { ok: false, error: "Your card's expiration date is invalid." };
  if (year < now.getUTCFullYear() || (year === now.getUTCFullYear() && month < now.getUTCMonth() + 1)) {
    return { ok: false, error: "Your card's expiration year is in the past." };
  }
  if (!/^\d{3,4}$/.test(cvc)) return { ok: false, error: "Your card's security code is incomplete." };
  if (!name) return { ok: false, error: 'Enter the cardholder name.' };
  return { ok: true, number, expMonth: month, expYear: year, name };
}

function luhn(number: string): boolean {
  let sum = 0;
  let dbl = false;
  for (let i = number.length - 1; i >= 0; i--) {
    let d = Number(number[i]);
    if (dbl) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    dbl = !dbl;
  }
  return sum % 10 === 0;
}

export function hiddenFields(values: Record<string, unknown>): string {
  return Object.entries(values)
    .filter(([, v]) => v !== undefined && v !== null && v !== '')
    .map(([k, v]) => `<input type="hidden" name="${esc(k)}" value="${esc(v)}">`)
    .join('');
}

/** The simulated 3-D Secure challenge (what the bank's page would be). */
export function authenticatePage(action: string, carry: Record<string, unknown>, amountText: string): string {
  return page(
    'Authenticate your payment',
    `<section class="card" aria-labelledby="auth-title">
<h1 id="auth-title">Authenticate your payment</h1>
<p>Your bank asks you to confirm this payment of <strong>${esc(amountText)}</strong>. This is a test 3D Secure page: choose how the authentication ends.</p>
<form method="post" action="${esc(action)}">${hiddenFields(carry)}
<button class="primary" type="submit" name="decision" value="complete">Complete authentication</button>
<button class="button danger" style="width:100%;margin-top:.75rem" type="submit" name="decision" value="fail">Fail authentication</button>
</form></section>`,
  );
}
