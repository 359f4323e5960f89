// One collection: what it holds, its processing status, its documents as a tree, and
// (for writers) upload, edit and delete.
import { api, session } from './api.js';
import { h, clear, fmt, uniqueById } from './dom.js';
import { getModel, caption } from './model.js';
import { statusPanel } from './status.js';
import { uploader } from './upload.js';
import { accessPanel } from './access.js';

const STAT_GROUPS = [
  ['schema', 'Types', 'schema'], ['countries', 'Countries', 'countries'], ['languages', 'Languages', 'languages'],
  ['names', 'Names', 'names'], ['emails', 'E-mails', 'emails'], ['phones', 'Phones', 'phones'],
  ['addresses', 'Addresses', 'addresses'], ['ibans', 'IBANs', 'ibans'],
];

export async function collectionView(ctx) {
  const id = ctx.params[0];
  const [collection, model] = await Promise.all([api(`collections/${id}`), getModel()]);
  if (!ctx.alive()) return undefined;
  ctx.title(collection.label);
  const writeable = collection.writeable && session.get();
  const tree = h('div', { id: 'documents' }, h('p', { class: 'muted' }, 'Loading…'));
  const stats = h('section', { 'aria-labelledby': 'stats-h' });
  const loadTree = () => documentTree(collection, model).then((t) => { if (ctx.alive()) clear(tree, t); });
  const status = statusPanel(collection, { onIdle: () => { loadTree(); refreshStats(); } });
  const up = writeable ? uploader(collection, { onUploaded: () => status.kick() }) : null;

  async function refreshStats() {
    const fresh = await api(`collections/${id}`, { query: { refresh: 'true' } }).catch(() => null);
    if (ctx.alive() && fresh) { renderStats(stats, fresh, model); renderMeta(fresh); }
  }

  const meta = h('p', { class: 'muted', id: 'collection-meta' });
  const renderMeta = (c) => clear(meta,
    h('span', { class: 'tag' }, c.casefile ? 'investigation' : (c.category || 'dataset')), ' ',
    `${fmt.n(c.count || 0)} entities`,
    c.countries ? ` · ${c.countries.join(', ').toUpperCase()}` : '',
    c.creator ? ` · created by ${c.creator.label || c.creator.name}` : '',
    c.created_at ? ` · ${fmt.date(c.created_at)}` : '');
  renderMeta(collection);
  const xrefLink = h('p', { id: 'xref-link' });
  // Only when the server offers cross-referencing (it answers 404 otherwise).
  api(`collections/${id}/xref`, { query: { limit: '0' } }).then((x) => {
    if (ctx.alive()) clear(xrefLink, h('a', { href: `/collections/${id}/xref` }, `Cross-reference: ${fmt.n(x.total)} candidate pairs to review`));
  }).catch(() => null);

  const setsLink = h('p', { id: 'sets-link' });
  api('entitysets', { query: new URLSearchParams([['filter:collection_id', id], ['limit', '0'], ['filter:type', 'list'], ['filter:type', 'diagram'], ['filter:type', 'timeline']]) }).then((x) => {
    if (ctx.alive()) clear(setsLink, h('a', { href: `/sets?collection=${id}` }, `Lists, diagrams and timelines: ${fmt.n(x.total)}`));
  }).catch(() => null);

  const del = writeable ? h('button', { type: 'button', class: 'danger', async onclick() {
    // A deletion cannot be undone: ask with the collection's name.
    if (!window.confirm(`Delete the collection “${collection.label}” and everything in it?`)) return;
    await api(`collections/${id}`, { method: 'DELETE' });
    ctx.navigate('/collections');
  } }, 'Delete') : null;

  clear(ctx.main,
    h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumbs' }, h('ol', null,
      h('li', null, h('a', { href: '/collections' }, 'Collections')), h('li', { 'aria-current': 'page' }, collection.label))),
    h('h1', null, collection.label),
    collection.summary ? h('p', { class: 'reading' }, collection.summary) : null,
    meta,
    h('div', { class: 'actions' },
      h('form', { class: 'search-form', role: 'search', 'aria-label': 'Search this collection', action: '/search', method: 'get' },
        h('input', { type: 'hidden', name: 'filter:collection_id', value: collection.id }),
        h('label', { class: 'sr-only', for: 'collection-q' }, 'Search this collection'),
        h('input', { id: 'collection-q', name: 'q', type: 'search', placeholder: 'Search this collection' }),
        h('button', { type: 'submit' }, 'Search')),
      writeable ? h('a', { class: 'button', href: `/collections/${id}/edit` }, 'Edit') : null, del),
    status.el,
    stats,
    h('section', { 'aria-labelledby': 'docs-h' }, h('h2', { id: 'docs-h' }, 'Documents'), tree),
    xrefLink, setsLink,
    up ? up.el : null,
    writeable ? accessPanel(collection) : null);
  renderStats(stats, collection, model);
  loadTree();
  return () => status.stop();
}

function renderStats(box, collection, model) {
  const statistics = collection.statistics || {};
  const groups = STAT_GROUPS.filter(([k]) => statistics[k] && statistics[k].values && Object.keys(statistics[k].values).length);
  clear(box, h('h2', { id: 'stats-h' }, 'What is in it'),
    groups.length ? h('div', { class: 'grid-cards' }, groups.map(([k, title, filter]) => {
      const values = Object.entries(statistics[k].values).sort((a, b) => b[1] - a[1]).slice(0, 10);
      return h('div', { class: 'card' }, h('h3', null, `${title} (${fmt.n(statistics[k].total)})`),
        h('ul', null, values.map(([v, n]) => h('li', null,
          h('a', { href: `/search?filter:collection_id=${collection.id}&filter:${filter}=${encodeURIComponent(v)}` }, k === 'schema' ? model.plural(v) : v),
          ' ', h('span', { class: 'muted' }, fmt.n(n))))));
    })) : h('p', { class: 'muted' }, 'This collection is empty.'));
}

// The documents without a parent; folders open in place, one level at a time.
async function documentTree(collection, model, parent = null) {
  const query = new URLSearchParams({ 'filter:collection_id': collection.id, 'filter:schemata': 'Document', limit: '200', sort: 'caption:asc' });
  if (parent) query.set('filter:properties.parent', parent);
  else query.set('empty:properties.parent', 'true');
  const data = await api('entities', { query });
  if (!data.results.length) return parent ? h('p', { class: 'muted' }, 'Empty.') : h('p', { class: 'muted' }, 'No files or folders yet.');
  return h('ul', { class: 'tree' }, uniqueById(data.results).map((e) => {
    const folderish = ['Folder', 'Package', 'Workbook', 'Directory'].some((s) => model.isA(e.schema, s));
    const link = h('a', { href: `/entities/${encodeURIComponent(e.id)}`, class: 'entity-link' }, caption(e));
    const label = h('span', { class: 'schema', style: { '--c': model.colour(e.schema) } }, model.label(e.schema));
    if (!folderish) return h('li', null, h('span', { class: 'toggle', style: { display: 'inline-block', width: '24px' } }), link, ' ', label);
    const kids = h('div', { hidden: true });
    const toggle = h('button', { type: 'button', class: 'toggle', 'aria-expanded': 'false', 'aria-label': `Open ${caption(e)}`,
      async onclick() {
        const open = toggle.getAttribute('aria-expanded') === 'true';
        toggle.setAttribute('aria-expanded', String(!open));
        toggle.textContent = open ? '▸' : '▾';
        kids.hidden = open;
        if (!open && !kids.dataset.loaded) { kids.dataset.loaded = '1'; clear(kids, await documentTree(collection, model, e.id)); }
      } }, '▸');
    return h('li', null, toggle, link, ' ', label, kids);
  }), data.total > data.results.length ? h('li', { class: 'muted' }, `… and ${fmt.n(data.total - data.results.length)} more; search the collection to find them.`) : null);
}
