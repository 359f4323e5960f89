// The mixed folder the browser test uploads: a two-page PDF (the phrase on page 2), an
// e-mail with an attachment and its reply, a CSV table of 120 rows, an HTML page, an image and a text file.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const PHRASE = 'zanzibar turmeric ledger';

function pdf(pages) {
  const objects = [];
  const fontId = 3 + pages.length * 2;
  const kids = pages.map((_, i) => `${3 + i * 2} 0 R`).join(' ');
  objects[1] = '<< /Type /Catalog /Pages 2 0 R >>';
  objects[2] = `<< /Type /Pages /Kids [${kids}] /Count ${pages.length} >>`;
  pages.forEach((text, i) => {
    const stream = `BT /F1 16 Tf 72 720 Td (${text}) Tj ET`;
    objects[3 + i * 2] = `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents ${4 + i * 2} 0 R /Resources << /Font << /F1 ${fontId} 0 R >> >> >>`;
    objects[4 + i * 2] = `<< /Length ${stream.length} >>\nstream\n${stream}\nendstream`;
  });
  objects[fontId] = '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>';
  let out = '%PDF-1.4\n';
  const offsets = [];
  for (let i = 1; i < objects.length; i += 1) {
    offsets[i] = Buffer.byteLength(out);
    out += `${i} 0 obj\n${objects[i]}\nendobj\n`;
  }
  const xref = Buffer.byteLength(out);
  out += `xref\n0 ${objects.length}\n0000000000 65535 f \n`;
  for (let i = 1; i < objects.length; i += 1) out += `${String(offsets[i]).padStart(10, '0')} 00000 n \n`;
  out += `trailer\n<< /Size ${objects.length} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return out;
}

const EMAIL = [
  'From: Alice Example <alice@example.org>',
  'To: Bob Example <bob@example.net>',
  'Subject: Quarterly shipment figures',
  'Date: Tue, 3 Mar 2020 10:00:00 +0000',
  'Message-ID: <fig-1@example.org>',
  'MIME-Version: 1.0',
  'Content-Type: multipart/mixed; boundary="XYZ"',
  '',
  '--XYZ',
  'Content-Type: text/plain; charset=utf-8',
  '',
  'Hello Bob, the figures for the harbour are attached. Call +44 20 7946 0000.',
  '',
  '--XYZ',
  'Content-Type: text/plain; charset=utf-8',
  'Content-Disposition: attachment; filename="figures.txt"',
  '',
  'Shipment figures: 12 containers of cloves.',
  '--XYZ--',
  '',
].join('\r\n');

const REPLY = [
  'From: Bob Example <bob@example.net>',
  'To: Alice Example <alice@example.org>',
  'Subject: Re: Quarterly shipment figures',
  'Date: Wed, 4 Mar 2020 09:00:00 +0000',
  'Message-ID: <fig-2@example.net>',
  'In-Reply-To: <fig-1@example.org>',
  'Content-Type: text/plain; charset=utf-8',
  '',
  'Thanks Alice, received.',
  '',
].join('\r\n');

export function writeFixtures(root) {
  const dir = join(root, 'evidence');
  mkdirSync(join(dir, 'reports'), { recursive: true });
  mkdirSync(join(dir, 'mail'), { recursive: true });
  writeFileSync(join(dir, 'reports', 'annual-report.pdf'),
    pdf(['Annual report of the Harbour Trading Company', `Page two mentions the ${PHRASE} in detail`]));
  writeFileSync(join(dir, 'mail', 'figures.eml'), EMAIL);
  writeFileSync(join(dir, 'mail', 'reply.eml'), REPLY);
  const rows = ['name,country,amount'];
  for (let i = 1; i <= 120; i += 1) rows.push(`Vessel ${i},${i % 2 ? 'de' : 'fr'},${i * 100}`);
  writeFileSync(join(dir, 'vessels.csv'), `${rows.join('\n')}\n`);
  writeFileSync(join(dir, 'notes.txt'), 'Meeting notes: the harbour master asked about cloves.\n');
  // A 1×1 PNG: an Image document whose file the viewer shows.
  writeFileSync(join(dir, 'pixel.png'), Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64'));
  writeFileSync(join(dir, 'page.html'), '<html><head><title>Harbour page</title></head><body><h1>Harbour news</h1><p>Ships arrived.</p><script>alert(1)</script></body></html>');
  return dir;
}

// A company, a person and the ownership between them, loaded through the API.
export const ENTITIES = [
  { id: 'harbour-co', schema: 'Company', properties: { name: ['Harbour Trading Company'], jurisdiction: ['gb'] } },
  { id: 'jane-owner', schema: 'Person', properties: { name: ['Jane Harbourmaster'], nationality: ['gb'] } },
  { id: 'own-1', schema: 'Ownership', properties: { owner: ['jane-owner'], asset: ['harbour-co'], percentage: ['60'] } },
];
