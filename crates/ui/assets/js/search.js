// The search page. The URL holds the whole search with the API's own parameter names
// (q, filter:*, sort, offset), so /search?… maps one-to-one onto /api/2/entities?….
import { api, session } from './api.js';
import { h, clear, fmt, highlighted, announce, uniqueById } from './dom.js';
import { getModel, caption } from './model.js';
import { addToSet } from './sets.js';

const LIMIT = 20;
const FACETS = [
  { field: 'schema', label: 'Type' },
  { field: 'collection_id', label: 'Collection' },
  { field: 'dates', label: 'Dates', interval: 'year', heavy: true },
  { field: 'countries', label: 'Countries' },
  { field: 'languages', label: 'Languages' },
  { field: 'emails', label: 'E-mails', heavy: true },
  { field: 'phones', label: 'Phones', heavy: true },
  { field: 'names', label: 'Names' },
  { field: 'properties.peopleMentioned', label: 'People mentioned' },
  { field: 'properties.companiesMentioned', label: 'Companies mentioned' },
];
const SORTS = [
  ['', 'Relevance'],
  ['caption:asc', 'Name (A–Z)'],
  ['dates:desc', 'Date (newest first)'],
  ['dates:asc', 'Date (oldest first)'],
  ['created_at:desc', 'Recently added'],
];

function facetLabel(field) {
  const f = FACETS.find((x) => x.field === field);
  return f ? f.label : field.replace(/^properties\./, '');
}

// The API request for a page URL: the user's parameters plus paging, facets, highlights.
// Facets come in two requests: the results with the cheap facets, then (limit=0) the
// ones that count over every matching document (the date histogram, e-mails, phones),
// which take far longer on a big index and must not hold the results back.
export function apiQuery(query, { facets = true, limit = LIMIT, heavy = false } = {}) {
  const q = new URLSearchParams();
  for (const [k, v] of query) {
    if (k === 'q' || k === 'sort' || k === 'offset' || k.startsWith('filter:') || k.startsWith('exclude:')) q.append(k, v);
  }
  if (!q.has('filter:schema') && !q.has('filter:schemata')) q.set('filter:schemata', 'Thing');
  q.set('limit', String(limit));
  q.set('highlight', 'true');
  q.set('highlight_count', '3');
  if (facets) {
    for (const f of FACETS) {
      if (Boolean(f.heavy) !== heavy) continue;
      q.append('facet', f.field);
      q.set(`facet_size:${f.field}`, String(Math.min(Number(query.get(`facet_size:${f.field}`)) || 10, 100)));
      if (f.interval) q.set(`facet_interval:${f.field}`, f.interval);
    }
  }
  return q;
}

function withParams(query, change) {
  const next = new URLSearchParams(query);
  change(next);
  next.delete('offset');
  return `/search?${next}`;
}

function withSize(query, field, size) {
  const next = new URLSearchParams(query);
  next.set(`facet_size:${field}`, String(size));
  return `/search?${next}`;
}

function toggleFilter(query, field, value) {
  return withParams(query, (p) => {
    const key = `filter:${field}`;
    const values = p.getAll(key);
    p.delete(key);
    if (values.includes(value)) values.filter((v) => v !== value).forEach((v) => p.append(key, v));
    else [...values, value].forEach((v) => p.append(key, v));
  });
}

export function syntaxHelp() {
  const row = (ex, what) => h('tr', null, h('td', null, h('code', null, ex)), h('td', null, what));
  return h('details', { class: 'help' }, h('summary', null, 'Search syntax'),
    h('table', null, h('tbody', null,
      row('"john smith"', 'the exact phrase'),
      row('"john smith"~3', 'the words at most 3 apart'),
      row('smith~2', 'similar spellings (up to 2 letters different)'),
      row('bank*', 'words starting with bank'),
      row('+gazprom -sanctions', 'must contain gazprom, must not contain sanctions'),
      row('oil AND (iran OR iraq)', 'combine terms; NOT excludes'),
      row('countries:ru', 'a field: countries, emails, names, schema…'),
      row('properties.incorporationDate:>=2010', 'a range on a date or number property'))),
    h('p', { class: 'muted' }, 'Press ', h('kbd', null, '/'), ' to jump to the search box, ', h('kbd', null, 'j'), '/', h('kbd', null, 'k'), ' to move through results.'));
}

export async function helpView(ctx) {
  ctx.title('Search syntax and shortcuts');
  const help = syntaxHelp();
  help.open = true;
  const key = (k, what) => h('tr', null, h('td', null, h('kbd', null, k)), h('td', null, what));
  clear(ctx.main, h('h1', null, 'Search syntax and shortcuts'), help,
    h('h2', null, 'Keyboard shortcuts'),
    h('p', { class: 'muted' }, 'They work anywhere outside a text field.'),
    h('table', { class: 'data', style: { maxWidth: '560px' } }, h('tbody', null,
      key('/', 'jump to the search box'),
      key('j / k', 'next and previous search result, or cross-reference pair'),
      key('y / n / u', 'judge the focused pair: same, not same, unsure (again to clear)'),
      key('← / →', 'previous and next page of a PDF'),
      key('Enter', 'open the focused link; expand the focused network node'))));
}

export async function searchView(ctx) {
  const { query } = ctx;
  const q = query.get('q') || '';
  ctx.title(q ? `Search: ${q}` : 'Search');
  const input = h('input', { id: 'search-q', name: 'q', type: 'search', value: q, 'aria-label': 'Search query', placeholder: 'Search companies, people and documents' });
  const hidden = [...query].filter(([k]) => k !== 'q' && k !== 'offset').map(([k, v]) => h('input', { type: 'hidden', name: k, value: v }));
  const form = h('form', { class: 'search-form', role: 'search', 'aria-label': 'Search', action: '/search', method: 'get' }, input, hidden,
    h('button', { class: 'primary', type: 'submit' }, 'Search'));
  const side = h('aside', { class: 'side collapsed', 'aria-label': 'Filters', id: 'facets' }, h('p', { class: 'muted' }, 'Loading filters…'));
  const toggle = h('button', { type: 'button', class: 'filters-toggle', 'aria-controls': 'facets', 'aria-expanded': 'false',
    onclick() { const open = side.classList.toggle('collapsed'); toggle.setAttribute('aria-expanded', String(!open)); } }, 'Show filters');
  const results = h('section', { 'aria-label': 'Results', 'aria-busy': 'true' }, h('p', { class: 'muted' }, 'Searching…'));
  clear(ctx.main, h('h1', { class: 'sr-only' }, 'Search'), form, syntaxHelp(), toggle,
    h('div', { class: 'dual' }, side, results));
  ctx.keepFocus = true;
  if (!q) input.focus();

  const [model, data] = await Promise.all([getModel(), api('entities', { query: apiQuery(query) })]);
  if (!ctx.alive()) return;
  const heavy = api('entities', { query: apiQuery(query, { heavy: true, limit: 0 }) }).catch(() => ({ facets: {} }));
  const facets = { ...(data.facets || {}) };
  renderFacets(ctx, side, facets, model);
  heavy.then((more) => {
    if (!ctx.alive()) return;
    Object.assign(facets, more.facets || {});
    renderFacets(ctx, side, facets, model);
  });
  renderResults(ctx, results, data, model);
  results.removeAttribute('aria-busy');
  announce(`${fmt.n(data.total)} results`);

  const onKey = (e) => {
    const t = e.target;
    if (e.ctrlKey || e.metaKey || e.altKey || ['INPUT', 'TEXTAREA', 'SELECT'].includes(t.tagName)) return;
    if (e.key !== 'j' && e.key !== 'k') return;
    const links = [...results.querySelectorAll('.result .title a')];
    if (!links.length) return;
    const i = links.indexOf(document.activeElement);
    const next = e.key === 'j' ? Math.min(i + 1, links.length - 1) : Math.max(i - 1, 0);
    links[next].focus();
    e.preventDefault();
  };
  document.addEventListener('keydown', onKey);
  return () => document.removeEventListener('keydown', onKey);
}

function valueLabel(field, value, facets, model) {
  const f = facets[field];
  const found = f && (f.values || []).concat(f.intervals || []).find((v) => v.id === value);
  if (found && found.label) return found.label;
  if (field === 'schema' || field === 'schemata') return model.plural(value);
  return value;
}

function renderFacets(ctx, side, facets, model) {
  const { query } = ctx;
  const blocks = [];
  // Chips first on narrow screens would push results down; they live above the results.
  for (const f of FACETS) {
    const data = facets[f.field];
    if (!data) continue;
    if (f.interval) {
      const bins = data.intervals || [];
      if (!bins.length) continue;
      const max = Math.max(...bins.map((b) => b.count), 1);
      blocks.push(h('details', { class: 'facet', open: true }, h('summary', null, f.label),
        h('div', { class: 'histogram', role: 'group', 'aria-label': 'Dates by year' },
          bins.map((b) => {
            const year = String(b.label || b.id).slice(0, 4);
            const active = query.get('filter:gte:dates') === `${year}-01-01`;
            return h('button', { type: 'button', title: `${year}: ${fmt.n(b.count)}`, 'aria-label': `${year}: ${fmt.n(b.count)} results`,
              'aria-pressed': String(active), style: { height: `${Math.max(4, (b.count / max) * 100)}%` },
              onclick: () => ctx.navigate(withParams(query, (p) => {
                p.delete('filter:gte:dates'); p.delete('filter:lte:dates');
                if (!active) { p.set('filter:gte:dates', `${year}-01-01`); p.set('filter:lte:dates', `${year}-12-31`); }
              })) });
          })),
        h('p', { class: 'muted' }, `${String(bins[0].label || bins[0].id).slice(0, 4)} – ${String(bins[bins.length - 1].label || bins[bins.length - 1].id).slice(0, 4)}`)));
      continue;
    }
    const values = data.values || [];
    if (!values.length) continue;
    const active = query.getAll(`filter:${f.field}`);
    blocks.push(h('details', { class: 'facet', open: true }, h('summary', null, f.label),
      h('ul', null, values.map((v) => {
        const on = active.includes(String(v.id));
        const label = f.field === 'schema' ? model.plural(v.id) : (v.label || v.id);
        return h('li', null, h('button', {
          type: 'button', 'aria-pressed': String(on), 'data-facet': f.field, 'data-value': v.id,
          onclick: () => ctx.navigate(toggleFilter(query, f.field, String(v.id))),
        }, h('span', null, label), h('span', { class: 'count' }, fmt.n(v.count))));
      })),
      // Ten values first; the rest on request, kept in the URL like everything else.
      values.length >= Number(query.get(`facet_size:${f.field}`) || 10)
        ? h('a', { href: withSize(query, f.field, Number(query.get(`facet_size:${f.field}`) || 10) + 20), 'data-more': f.field }, `Show more ${f.label.toLowerCase()}`) : null));
  }
  clear(side, blocks.length ? blocks : h('p', { class: 'muted' }, 'No filters for these results.'));
}

function renderResults(ctx, box, data, model) {
  const { query } = ctx;
  const q = query.get('q') || '';
  const chips = [];
  for (const [k, v] of query) {
    if (!k.startsWith('filter:')) continue;
    const field = k.slice('filter:'.length);
    if (field === 'lte:dates') continue;
    const label = field === 'gte:dates' ? `Dates: ${v.slice(0, 4)}` : `${facetLabel(field)}: ${valueLabel(field, v, data.facets || {}, model)}`;
    chips.push(h('li', { class: 'chip' }, h('span', null, label),
      h('button', { type: 'button', 'aria-label': `Remove filter ${label}`, title: 'Remove',
        onclick: () => ctx.navigate(withParams(query, (p) => {
          if (field === 'gte:dates') { p.delete('filter:gte:dates'); p.delete('filter:lte:dates'); return; }
          const rest = p.getAll(k).filter((x) => x !== v);
          p.delete(k); rest.forEach((x) => p.append(k, x));
        })) }, '✕')));
  }
  const offset = Number(query.get('offset') || 0);
  const total = data.total || 0;
  const sort = h('select', { id: 'sort', 'aria-label': 'Sort by',
    onchange: (e) => ctx.navigate(withParams(query, (p) => { if (e.target.value) p.set('sort', e.target.value); else p.delete('sort'); })) },
  SORTS.map(([v, l]) => h('option', { value: v, selected: (query.get('sort') || '') === v }, l)));
  const more = data.total_type === 'gte' ? 'More than ' : '';
  const line = h('div', { class: 'resultline' },
    h('p', { id: 'result-count' }, total ? `${more}${fmt.n(offset + 1)}–${fmt.n(Math.min(offset + data.results.length, total))} of ${fmt.n(total)} results` : 'No results'),
    h('label', null, 'Sort ', sort));
  const list = h('ol', { class: 'results', start: offset + 1 }, uniqueById(data.results).map((e) => resultItem(e, q, model)));
  clear(box,
    chips.length ? h('ul', { class: 'chips', 'aria-label': 'Active filters' }, chips,
      h('li', null, h('a', { href: q ? `/search?q=${encodeURIComponent(q)}` : '/search' }, 'Clear all'))) : null,
    line,
    // The index is being rebuilt after an upgrade: say why results may be missing.
    data.index_rebuilding ? h('p', { class: 'muted', id: 'index-rebuilding', role: 'status' },
      `The search index is being rebuilt (${data.index_rebuilding.percent}% done): some results may be missing for now.`) : null,
    total ? list : h('div', { class: 'card' }, h('h2', null, 'No search results'), h('p', { class: 'muted' }, 'Try making your search more general, or remove a filter.')),
    pager(query, offset, total));
}

function resultItem(e, q, model) {
  const p = e.properties || {};
  const href = `/entities/${encodeURIComponent(e.id)}${q ? `?q=${encodeURIComponent(q)}` : ''}`;
  const dates = p.date || p.authoredAt || p.incorporationDate || p.birthDate || p.startDate || [];
  return h('li', { class: 'result' },
    h('div', { class: 'title' }, h('a', { href, class: 'entity-link' }, caption(e))),
    h('div', { class: 'meta' },
      h('span', { class: 'schema', style: { '--c': model.colour(e.schema) } }, model.label(e.schema)),
      e.collection ? h('a', { href: `/collections/${e.collection.id}` }, e.collection.label) : null,
      dates.length ? h('span', null, dates.slice(0, 2).map(fmt.date).join(', ')) : null,
      p.fileSize ? h('span', null, fmt.bytes(p.fileSize[0])) : null,
      p.countries ? h('span', null, p.countries.slice(0, 3).join(', ').toUpperCase()) : null,
      session.get() ? addToSet(e, `add-${e.id.replace(/[^\w-]/g, '_')}`) : null),
    e.highlight && e.highlight.length
      ? h('p', { class: 'snippets' }, e.highlight.flatMap((frag, i) => [i ? ' … ' : '', highlighted(frag)])) : null);
}

export function pager(query, offset, total, base = '/search', limit = LIMIT) {
  const capped = Math.min(total, 9999);
  const pages = Math.ceil(capped / limit);
  if (pages <= 1) return null;
  const current = Math.floor(offset / limit);
  const link = (i, label, rel) => {
    const p = new URLSearchParams(query);
    if (i) p.set('offset', String(i * limit)); else p.delete('offset');
    const attrs = { href: `${base}?${p}`, rel };
    if (i === current && !rel) attrs['aria-current'] = 'page';
    return h('a', attrs, label);
  };
  const items = [];
  if (current > 0) items.push(link(current - 1, '← Previous', 'prev'));
  for (let i = Math.max(0, current - 3); i < Math.min(pages, current + 4); i += 1) items.push(link(i, String(i + 1)));
  if (current < pages - 1) items.push(link(current + 1, 'Next →', 'next'));
  return h('nav', { class: 'pager', 'aria-label': 'Pages' }, items);
}
