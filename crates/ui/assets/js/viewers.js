// Document viewers, chosen by schema (most specific first): PDF pages with their text,
// e-mail, HTML, tables, images, folders and plain text.
import { api, local } from './api.js';
import { h, clear, fmt, markText, highlighted, uniqueById } from './dom.js';
import { caption } from './model.js';

export async function viewer(ctx, box, entity, model) {
  const is = (s) => model.isA(entity.schema, s);
  const props = entity.properties || {};
  if (is('Pages')) return pdfViewer(ctx, box, entity);
  if (is('Email')) return emailViewer(ctx, box, entity, model);
  if (is('HyperText')) return htmlViewer(box, entity);
  if (is('Table')) return tableViewer(ctx, box, entity);
  if (is('Image')) return imageViewer(ctx, box, entity);
  if (is('Folder')) return folderViewer(ctx, box, entity, model, 'Contents');
  if (props.bodyText) return clear(box, h('h2', null, 'Text'), textBlock(props.bodyText.join('\n\n'), ctx.query.get('q')));
  return clear(box, h('div', { class: 'card' }, h('h2', null, 'No preview is available'),
    props.processingError ? h('p', { class: 'error' }, props.processingError[0]) : h('p', { class: 'muted' }, 'This file has not been processed into something viewable (yet).'),
    entity.links && entity.links.file ? h('p', null, h('a', { href: local(entity.links.file), download: '' }, 'Download the file')) : null));
}

function textBlock(text, q) {
  return h('pre', { class: 'text', dir: 'auto', id: 'doc-text' }, markText(text, q));
}

// A sandboxed frame: no scripts, no same-origin access, no remote loads (the page's CSP
// applies to srcdoc frames), so hostile HTML stays inert and tracking pixels stay dark.
function htmlFrame(html, title) {
  const doc = `<!doctype html><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'"><base target="_blank"><body style="font:15px/1.6 system-ui,sans-serif;margin:12px">${html}</body>`;
  return h('iframe', { class: 'doc html', sandbox: '', srcdoc: doc, title, referrerpolicy: 'no-referrer' });
}

async function pageEntities(entity, extra) {
  const query = new URLSearchParams({ 'filter:schema': 'Page', 'filter:properties.document': entity.id, ...extra });
  return api('entities', { query });
}

async function pdfViewer(ctx, box, entity) {
  const links = entity.links || {};
  const props = entity.properties || {};
  const isPdf = String((props.mimeType || [''])[0]).includes('pdf') || /\.pdf$/i.test(String((props.fileName || [''])[0]));
  const pdf = local(links.pdf || (isPdf ? links.file : null));
  const q = ctx.query.get('q') || '';
  const count = await pageEntities(entity, { limit: '0' });
  const pages = Number((entity.properties.pageCount || [count.total])[0]) || count.total || 1;
  let page = Number(ctx.query.get('page') || 0);
  let hits = [];
  if (q) {
    const found = await pageEntities(entity, { q, limit: '100', highlight: 'true', highlight_count: '2' }).catch(() => ({ results: [] }));
    hits = found.results.map((p) => ({ index: Number((p.properties.index || ['0'])[0]), highlight: p.highlight || [] }))
      .sort((a, b) => a.index - b.index);
    if (!page && hits.length) page = hits[0].index;
  }
  if (!page) page = 1;
  if (!ctx.alive()) return;

  const number = h('input', { type: 'number', min: 1, max: pages, value: page, id: 'page-number', 'aria-label': 'Page number' });
  const text = h('div', { id: 'page-text', 'aria-live': 'polite' });
  const frameBox = h('div');
  const prev = h('button', { type: 'button', onclick: () => go(page - 1), 'aria-label': 'Previous page' }, '←');
  const next = h('button', { type: 'button', onclick: () => go(page + 1), 'aria-label': 'Next page' }, '→');
  number.addEventListener('change', () => go(Number(number.value)));
  const search = h('form', { class: 'search-form', role: 'search', 'aria-label': 'Search in this document', onsubmit(e) {
    e.preventDefault();
    const p = new URLSearchParams(location.search); p.set('q', searchInput.value); p.delete('page');
    ctx.navigate(`${location.pathname}?${p}`, { replace: true });
  } });
  const searchInput = h('input', { type: 'search', id: 'doc-q', value: q, 'aria-label': 'Search in this document', placeholder: 'Search in this document' });
  search.append(searchInput, h('button', { type: 'submit' }, 'Find'));
  const hitList = q ? h('nav', { 'aria-label': 'Pages with hits' },
    h('p', null, hits.length ? `${hits.length} ${hits.length === 1 ? 'page matches' : 'pages match'} ${q}:` : `No page matches ${q}.`),
    h('ul', { class: 'results' }, hits.slice(0, 30).map((hit) => h('li', { class: 'result' },
      h('a', { href: '#', onclick: (e) => { e.preventDefault(); go(hit.index); } }, `Page ${hit.index}`), ' ',
      h('span', { class: 'snippets' }, hit.highlight.flatMap((f, i) => [i ? ' … ' : '', highlighted(f)])))))) : null;

  async function go(n) {
    if (!Number.isFinite(n) || n < 1 || n > pages) return;
    page = n;
    number.value = String(n);
    prev.disabled = n <= 1; next.disabled = n >= pages;
    const p = new URLSearchParams(location.search); p.set('page', String(n));
    history.replaceState(null, '', `${location.pathname}?${p}`);
    const found = await pageEntities(entity, { 'filter:properties.index': String(n), limit: '1' }).catch(() => ({ results: [] }));
    const pageEntity = found.results[0];
    const body = pageEntity && pageEntity.properties.bodyText ? pageEntity.properties.bodyText.join('\n') : '';
    clear(text, h('h3', null, `Text of page ${n}`), body ? textBlock(body, q) : h('p', { class: 'muted' }, 'No text on this page.'));
    if (blobUrl) showPdf();
  }

  // The archive sends files as attachments; the browser's own viewer gets a copy as a
  // blob, loaded only on request so that big files cost nothing until wanted.
  let blobUrl = null;
  async function showPdf() {
    if (!blobUrl) {
      clear(frameBox, h('p', { class: 'muted' }, 'Loading the PDF…'));
      const resp = await fetch(pdf);
      if (!resp.ok) { clear(frameBox, h('p', { class: 'error' }, `The PDF could not be loaded (${resp.status}).`)); return; }
      blobUrl = URL.createObjectURL(new Blob([await resp.arrayBuffer()], { type: 'application/pdf' }));
    }
    clear(frameBox, h('iframe', { class: 'doc', src: `${blobUrl}#page=${page}`, title: `PDF, page ${page}` }));
  }

  // ← and → turn pages from anywhere outside a field.
  const onKey = (e) => {
    if (!ctx.alive()) { document.removeEventListener('keydown', onKey); return; }
    if (e.ctrlKey || e.metaKey || e.altKey || ['INPUT', 'TEXTAREA', 'SELECT'].includes(e.target.tagName)) return;
    if (e.key === 'ArrowLeft') go(page - 1);
    else if (e.key === 'ArrowRight') go(page + 1);
  };
  document.addEventListener('keydown', onKey);

  clear(box,
    h('div', { class: 'viewer-bar' }, prev, h('label', null, 'Page ', number, ` of ${pages}`), next,
      pdf ? h('button', { type: 'button', id: 'show-pdf', onclick: showPdf }, 'Show the PDF') : null),
    search, hitList, text, frameBox);
  await go(page);
}

async function emailViewer(ctx, box, entity, model) {
  const p = entity.properties || {};
  const shown = (key, v) => (key === 'date' ? fmt.date(v) : String(v));
  const row = (label, key) => (p[key] ? h('tr', null, h('th', { scope: 'row' }, label), h('td', { dir: 'auto' },
    p[key].map((v, i) => [i ? ', ' : '', typeof v === 'object' ? h('a', { href: `/entities/${encodeURIComponent(v.id)}` }, caption(v)) : shown(key, v)]))) : null);
  const head = h('table', { class: 'data props email-head' }, h('tbody', null,
    row('From', 'from'), row('Sender', 'sender'), row('Date', 'date'), row('Subject', 'subject'), row('To', 'to'),
    row('CC', 'cc'), row('BCC', 'bcc'), row('In reply to', 'inReplyTo')));
  const body = p.bodyHtml ? htmlFrame(p.bodyHtml.join('\n'), 'Message body')
    : p.bodyText ? textBlock(p.bodyText.join('\n\n'), ctx.query.get('q')) : h('p', { class: 'muted' }, 'No message body.');
  const attachments = h('section', null);
  const thread = h('section', { id: 'thread' });
  clear(box, h('h2', null, 'Message'), head, body, attachments, thread);
  await Promise.all([folderViewer(ctx, attachments, entity, model, 'Attachments'), threadOf(ctx, thread, entity)]);
}

// The messages this one answers and the answers to it, by Message-ID and In-Reply-To.
async function threadOf(ctx, box, entity) {
  const p = entity.properties || {};
  const collection = entity.collection && entity.collection.id;
  const ask = async (prop, values) => {
    if (!values || !values.length) return [];
    const query = new URLSearchParams({ 'filter:schema': 'Email', limit: '20' });
    if (collection) query.set('filter:collection_id', collection);
    for (const v of values) query.append(`filter:properties.${prop}`, String(v));
    return (await api('entities', { query }).catch(() => ({ results: [] }))).results.filter((e) => e.id !== entity.id);
  };
  const [parents, replies] = await Promise.all([ask('messageId', p.inReplyTo), ask('inReplyTo', p.messageId)]);
  if (!ctx.alive() || (!parents.length && !replies.length)) return;
  const item = (e) => h('li', null, h('a', { href: `/entities/${encodeURIComponent(e.id)}` }, caption(e)),
    e.properties && e.properties.date ? h('span', { class: 'muted' }, ` · ${fmt.date(e.properties.date[0])}`) : null);
  clear(box, h('h2', null, 'Thread'),
    parents.length ? [h('h3', null, 'In reply to'), h('ul', null, parents.map(item))] : null,
    replies.length ? [h('h3', null, 'Replies'), h('ul', null, uniqueById(replies).map(item))] : null);
}

function htmlViewer(box, entity) {
  const p = entity.properties || {};
  clear(box, h('h2', null, 'Page'), p.bodyHtml ? htmlFrame(p.bodyHtml.join('\n'), 'Document') : textBlock((p.bodyText || ['']).join('\n\n')));
}

async function imageViewer(ctx, box, entity) {
  const p = entity.properties || {};
  const src = local(entity.links && entity.links.file);
  clear(box, src ? h('img', { class: 'doc', src, alt: `Image: ${caption(entity)}` }) : h('p', { class: 'muted' }, 'The image is not available.'),
    p.bodyText ? [h('h2', null, 'Text in the image (OCR)'), textBlock(p.bodyText.join('\n'), ctx.query.get('q'))] : null);
}

const ROWS = 50;

// A page of rows at a time from the server (`/entities/{id}/rows`), which streams the
// stored CSV and applies the column filters, so a big table never loads whole.
async function tableViewer(ctx, box, entity) {
  const csv = entity.links && entity.links.csv;
  if (!csv) { clear(box, h('p', { class: 'muted' }, 'The table has no stored rows.')); return; }
  clear(box, h('p', { class: 'muted' }, 'Loading the table…'));
  const url = `entities/${encodeURIComponent(entity.id)}/rows`;
  const filters = [];
  let offset = 0;
  let first = await api(url, { query: { limit: String(ROWS) } });
  if (!ctx.alive()) return;
  const header = first.columns || [];
  const grid = h('div', { class: 'scroll', tabindex: '0', role: 'region', 'aria-label': 'Table rows' });
  const line = h('p', { id: 'table-line', 'aria-live': 'polite' });
  const prev = h('button', { type: 'button', onclick: () => { offset = Math.max(0, offset - ROWS); load(); } }, '← Previous rows');
  const next = h('button', { type: 'button', id: 'table-next', onclick: () => { offset += ROWS; load(); } }, 'Next rows →');
  let timer = null;
  const inputs = header.map((col, i) => h('input', { type: 'search', 'aria-label': `Filter column ${col || i + 1}`, placeholder: 'contains…',
    oninput: (e) => { filters[i] = e.target.value; offset = 0; clearTimeout(timer); timer = setTimeout(load, 250); } }));
  let generation = 0;

  async function load() {
    const mine = ++generation;
    const query = new URLSearchParams({ offset: String(offset), limit: String(ROWS) });
    filters.forEach((f, i) => { if (f) query.set(`col:${i}`, f); });
    let data;
    try { data = await api(url, { query }); } catch (err) { line.textContent = err.message; return; }
    if (mine !== generation || !ctx.alive()) return;
    draw(data);
  }
  function draw(data) {
    const page = data.results;
    line.textContent = data.total
      ? `Rows ${fmt.n(offset + 1)}–${fmt.n(offset + page.length)} of ${fmt.n(data.total)}${data.total !== data.unfiltered ? ` (filtered from ${fmt.n(data.unfiltered)})` : ''}`
      : 'No rows match.';
    prev.disabled = offset === 0;
    next.disabled = offset + ROWS >= data.total;
    const table = h('table', { class: 'data', id: 'table-grid' },
      h('thead', null, h('tr', null, h('th', { scope: 'col', class: 'num' }, '#'), header.map((c) => h('th', { scope: 'col' }, c))),
        h('tr', null, h('td'), inputs.map((inp) => h('td', null, inp)))),
      h('tbody', null, page.map((r, i) => h('tr', null, h('td', { class: 'num muted' }, String(offset + i + 1)),
        header.map((_, j) => h('td', { dir: 'auto' }, r[j] || ''))))));
    // Keep the filter inputs (and their focus) across redraws.
    const focused = document.activeElement;
    clear(grid, table);
    if (inputs.includes(focused)) focused.focus();
  }
  clear(box, h('h2', null, 'Table'), line, h('div', { class: 'actions' }, prev, next), grid);
  draw(first);
  first = null;
}

// The direct children of a folder, archive, workbook or e-mail.
async function folderViewer(ctx, box, entity, model, title) {
  const offset = Number(ctx.query.get('offset') || 0);
  const query = new URLSearchParams({ 'filter:properties.parent': entity.id, 'filter:schemata': 'Document', limit: '50', offset: String(offset), sort: 'caption:asc' });
  const data = await api('entities', { query });
  if (!ctx.alive()) return;
  clear(box, h('h2', null, `${title} (${fmt.n(data.total)})`),
    data.results.length ? h('ul', { class: 'tree', id: 'children' }, uniqueById(data.results).map((e) => h('li', null,
      h('a', { href: `/entities/${encodeURIComponent(e.id)}`, class: 'entity-link' }, caption(e)), ' ',
      h('span', { class: 'schema', style: { '--c': model.colour(e.schema) } }, model.label(e.schema)),
      e.properties && e.properties.fileSize ? h('span', { class: 'muted' }, ` · ${fmt.bytes(e.properties.fileSize[0])}`) : null)))
      : h('p', { class: 'muted' }, title === 'Attachments' ? 'No attachments.' : 'No files or directories.'),
    data.total > offset + 50 ? h('p', null, h('a', { href: `${location.pathname}?offset=${offset + 50}` }, 'More →')) : null);
}
