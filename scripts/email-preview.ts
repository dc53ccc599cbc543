// Writes every email DropIn sends, rendered with sample data, to .data/email-preview/: one .html and
// one .txt per kind and an index.html that shows them side by side. Nothing is sent.
//   npm run email:preview [PUBLIC_URL=http://localhost:3000]
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { previewEmails } from '../src/dev/email-preview';

const outDir = path.resolve(import.meta.dirname, '..', '.data', 'email-preview');
const env = { PUBLIC_URL: process.env.PUBLIC_URL ?? 'http://localhost:3000' };

const esc = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });
const emails = previewEmails(env);
for (const { kind, mail } of emails) {
  writeFileSync(path.join(outDir, `${kind}.html`), mail.html ?? '');
  writeFileSync(path.join(outDir, `${kind}.txt`), `Subject: ${mail.subject}\n\n${mail.text}\n`);
}

const rows = emails
  .map(
    ({ kind, title, mail }) => `<section id="${kind}">
<h2>${esc(title)}</h2>
<p class="meta">Subject: <strong>${esc(mail.subject)}</strong> · <a href="${kind}.html">HTML</a> · <a href="${kind}.txt">text</a></p>
<div class="pair"><iframe title="${esc(title)} (HTML)" src="${kind}.html"></iframe><pre>${esc(mail.text)}</pre></div>
</section>`,
  )
  .join('\n');
writeFileSync(
  path.join(outDir, 'index.html'),
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>DropIn emails (${emails.length})</title>
<style>
body{font-family:system-ui,sans-serif;margin:0 auto;max-width:1200px;padding:24px;color:#1f2330}
nav ul{columns:3;padding-left:1.2em}section{border-top:1px solid #ddd;padding:12px 0}.meta{color:#555}
.pair{display:flex;gap:16px;flex-wrap:wrap}iframe{flex:1 1 560px;height:640px;border:1px solid #ccc;border-radius:6px}
pre{flex:1 1 320px;white-space:pre-wrap;background:#f6f7f9;padding:12px;border-radius:6px;font-size:13px;margin:0}
</style></head><body>
<h1>DropIn emails</h1>
<p>Every email the app sends, with sample data; links point at ${esc(env.PUBLIC_URL)}.</p>
<nav><ul>${emails.map((e) => `<li><a href="#${e.kind}">${esc(e.title)}</a></li>`).join('')}</ul></nav>
${rows}
</body></html>`,
);
console.log(`${emails.length} emails written; open ${path.join(outDir, 'index.html')}`);
