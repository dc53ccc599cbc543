// A small Markdown renderer for library bodies (headings, paragraphs, lists, bold, inline code,
// rules). It builds React elements, never HTML strings, so item text cannot inject markup.
// biome-ignore-all lint/suspicious/noArrayIndexKey: a body's blocks are static; their order is their identity
import { Fragment, type ReactNode } from 'react';

function inline(text: string): ReactNode[] {
  const out: ReactNode[] = [];
  const re = /(\*\*[^*]+\*\*|`[^`]+`)/g;
  let last = 0;
  for (const m of text.matchAll(re)) {
    const at = m.index ?? 0;
    if (at > last) out.push(text.slice(last, at));
    const token = m[0];
    out.push(
      token.startsWith('**') ? <strong key={at}>{token.slice(2, -2)}</strong> : <code key={at}>{token.slice(1, -1)}</code>,
    );
    last = at + token.length;
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}

export function Markdown({ source }: { source: string }) {
  const blocks = source.replace(/\r\n/g, '\n').split(/\n{2,}/);
  return (
    <div className="prose">
      {blocks.map((block, i) => {
        const lines = block.split('\n').filter((l) => l.trim() !== '');
        if (!lines.length) return null;
        const first = lines[0] as string;
        const heading = /^(#{1,3})\s+(.*)$/.exec(first);
        if (heading && lines.length === 1) {
          const level = (heading[1] as string).length;
          const H = level === 1 ? 'h2' : level === 2 ? 'h3' : 'h4';
          return <H key={i}>{inline(heading[2] as string)}</H>;
        }
        if (/^(-{3,}|\*{3,})$/.test(first.trim())) return <hr key={i} />;
        if (lines.every((l) => /^\s*[-*]\s+/.test(l))) {
          return (
            <ul key={i}>
              {lines.map((l, j) => (
                <li key={j}>{inline(l.replace(/^\s*[-*]\s+/, ''))}</li>
              ))}
            </ul>
          );
        }
        if (lines.every((l) => /^\s*\d+\.\s+/.test(l))) {
          return (
            <ol key={i}>
              {lines.map((l, j) => (
                <li key={j}>{inline(l.replace(/^\s*\d+\.\s+/, ''))}</li>
              ))}
            </ol>
          );
        }
        if (heading) {
          const level = (heading[1] as string).length;
          const H = level === 1 ? 'h2' : level === 2 ? 'h3' : 'h4';
          return (
            <Fragment key={i}>
              <H>{inline(heading[2] as string)}</H>
              <p>{inline(lines.slice(1).join(' '))}</p>
            </Fragment>
          );
        }
        return <p key={i}>{inline(lines.join(' '))}</p>;
      })}
    </div>
  );
}
