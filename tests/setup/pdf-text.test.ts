import PDFDocument from 'pdfkit';
import { describe, expect, it } from 'vitest';
import { pdfText } from './pdf-text';

/** A PDF made by pdfkit itself, as the emulator makes its invoices. */
function pdfkit(draw: (doc: PDFKit.PDFDocument) => void, opts: PDFKit.PDFDocumentOptions = {}): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const doc = new PDFDocument({ size: 'A4', margin: 50, ...opts });
    const chunks: Buffer[] = [];
    doc.on('data', (c: Buffer) => chunks.push(c));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
    draw(doc);
    doc.end();
  });
}

describe('pdfText', () => {
  it('reads the lines of a compressed pdfkit PDF in Helvetica, kerned pairs, brackets and accents included', async () => {
    const pdf = await pdfkit((doc) => {
      doc.fontSize(20).text('Invoice');
      doc.fontSize(10).text('AVATAR Wave (kerned) — Straße, Café: €12.00');
      doc.text('EU VAT DE123456789');
      doc.addPage().text('Total: $49.00', 50, 50, { width: 200, align: 'right' });
    });
    expect(pdf.toString('latin1')).toContain('/FlateDecode');
    expect(pdfText(pdf).split('\n')).toEqual([
      'Invoice',
      'AVATAR Wave (kerned) — Straße, Café: €12.00',
      'EU VAT DE123456789',
      'Total: $49.00',
    ]);
  });

  it('reads uncompressed streams and wrapped text, one line each', async () => {
    const pdf = await pdfkit((doc) => doc.text('Acme GmbH, Hauptstr. 1, 10115 Berlin', { width: 100 }), { compress: false });
    expect(pdf.toString('latin1')).not.toContain('/FlateDecode');
    expect(pdfText(pdf).split('\n')).toEqual(['Acme GmbH,', 'Hauptstr. 1,', '10115 Berlin']);
  });

  it('decodes literal strings with their escapes', () => {
    const content = String.raw`BT /F1 12 Tf 72 712 Td (Hello \(world\)\041) Tj [(A) -120 (B\\C)] TJ ET`;
    const pdf = Buffer.from(
      `%PDF-1.4\n1 0 obj\n<< /Length ${content.length} >>\nstream\n${content}\nendstream\nendobj\n%%EOF\n`,
      'latin1',
    );
    expect(pdfText(pdf)).toBe('Hello (world)!\nAB\\C');
  });

  it('refuses bytes that are not a PDF, and filters it cannot read', () => {
    expect(() => pdfText(Buffer.from('<html></html>'))).toThrow('not a PDF');
    const pdf = Buffer.from('%PDF-1.4\n1 0 obj\n<< /Length 2 /Filter /LZWDecode >>\nstream\nxx\nendstream\nendobj\n', 'latin1');
    expect(() => pdfText(pdf)).toThrow('stream filter /LZWDecode is not supported');
  });
});
