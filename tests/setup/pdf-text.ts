// The text a PDF shows, read the way the tests need it: enough for PDFs made by pdfkit with its
// standard fonts (the emulator's invoices), whose content streams are FlateDecode-compressed (or
// plain) and whose text sits in hex or literal strings of Tj / TJ operators, one text line each.
// Not a general PDF reader: text in embedded (subset) fonts would come out garbled, and a stream
// under any filter but FlateDecode is refused.
import { inflateSync } from 'node:zlib';

// The standard fonts' text is WinAnsiEncoding (windows-1252): Latin-1 but for 0x80–0x9F, spelled
// out here because Node's TextDecoder reads 'windows-1252' as Latin-1.
const WIN_ANSI_80_9F = '€\u0081‚ƒ„…†‡ˆ‰Š‹Œ\u008dŽ\u008f\u0090‘’“”•–—˜™š›œ\u009džŸ';

function winAnsi(bytes: Buffer): string {
  let out = '';
  for (const b of bytes) out += b >= 0x80 && b <= 0x9f ? WIN_ANSI_80_9F[b - 0x80] : String.fromCharCode(b);
  return out;
}

const STRING = String.raw`<[0-9A-Fa-f\s]*>|\((?:\\[\s\S]|[^\\)])*\)`;
const SHOW_TEXT = new RegExp(String.raw`\[((?:${STRING}|[^\]<(])*)\]\s*TJ|(${STRING})\s*(?:Tj|'|")`, 'g');
const STRINGS = new RegExp(STRING, 'g');
const STREAM = /<<((?:[^<>]|<<[^<>]*>>|<[0-9A-Fa-f\s]*>)*)>>\s*stream\r?\n/g;

/** Each text line a PDF shows (without trailing spaces), in the order it draws them, joined with newlines. */
export function pdfText(pdf: Uint8Array): string {
  const raw = Buffer.from(pdf.buffer, pdf.byteOffset, pdf.byteLength);
  const source = raw.toString('latin1');
  if (!source.startsWith('%PDF-')) throw new Error('pdfText: the bytes are not a PDF (no %PDF- header)');
  const lines: string[] = [];
  for (const m of source.matchAll(STREAM)) {
    const dict = m[1] as string;
    const start = (m.index as number) + m[0].length;
    const length = /\/Length\s+(\d+)(?!\s+\d+\s+R)/.exec(dict);
    const end = length ? start + Number(length[1]) : source.indexOf('endstream', start);
    const data = raw.subarray(start, end);
    const filter = /\/Filter\s*\/(\w+)/.exec(dict)?.[1];
    if (/\/Subtype\s*\/(Image|XML)|\/Type\s*\/(XObject|ObjStm|XRef|Metadata)/.test(dict)) continue;
    if (filter && filter !== 'FlateDecode') throw new Error(`pdfText: stream filter /${filter} is not supported`);
    lines.push(...textLines(filter ? inflateSync(data) : data));
  }
  return lines.join('\n');
}

function textLines(content: Buffer): string[] {
  const lines: string[] = [];
  for (const m of content.toString('latin1').matchAll(SHOW_TEXT)) {
    const strings = m[1] !== undefined ? (m[1].match(STRINGS) ?? []) : [m[2] as string];
    // pdfkit keeps the space at which it wrapped a line; a reader sees none.
    lines.push(
      strings
        .map((s) => winAnsi(bytesOf(s)))
        .join('')
        .trimEnd(),
    );
  }
  return lines;
}

/** The bytes of a PDF string token: `<48656c6c6f>` or `(Hello \(world\))`. */
function bytesOf(token: string): Buffer {
  if (token.startsWith('<')) {
    const hex = token.slice(1, -1).replace(/\s+/g, '');
    return Buffer.from(hex.length % 2 ? `${hex}0` : hex, 'hex');
  }
  const escapes: Record<string, string> = { n: '\n', r: '\r', t: '\t', b: '\b', f: '\f' };
  const text = token
    .slice(1, -1)
    .replace(/\\(\r\n|\r|\n|[0-7]{1,3}|[\s\S])/g, (_, e: string) =>
      /^[\r\n]/.test(e) ? '' : /^[0-7]/.test(e) ? String.fromCharCode(Number.parseInt(e, 8) & 0xff) : (escapes[e] ?? e),
    );
  return Buffer.from(text, 'latin1');
}
