// The collections index, and the form that creates or edits one.
import { api } from './api.js';
import { h, clear, fmt } from './dom.js';
import { pager } from './search.js';

const LIMIT = 30;

export async function collectionsView(ctx) {
  const { query } = ctx;
  ctx.title('Collections');
  const q = query.get('q') || '';
  const list = h('div', { 'aria-busy': 'true' }, h('p', { class: 'muted' }, 'Loading…'));
  clear(ctx.main,
    h('div', { class: 'resultline' }, h('h1', null, 'Collections'),
      h('a', { class: 'button primary', href: '/collections/new' }, 'New collection')),
    h('form', { class: 'search-form', role: 'search', 'aria-label': 'Search collections', action: '/collections', method: 'get' },
      h('label', { class: 'sr-only', for: 'collections-q' }, 'Search collections'),
      h('input', { id: 'collections-q', name: 'q', type: 'search', value: q, placeholder: 'Search collections…' }),
      h('button', { type: 'submit' }, 'Search')),
    list);
  const offset = Number(query.get('offset') || 0);
  const params = new URLSearchParams({ limit: String(LIMIT), offset: String(offset) });
  if (q) params.set('q', q);
  const data = await api('collections', { query: params });
  if (!ctx.alive()) return;
  list.removeAttribute('aria-busy');
  clear(list,
    h('p', { class: 'muted' }, `${fmt.n(data.total)} ${data.total === 1 ? 'collection' : 'collections'}`),
    data.results.length
      ? h('ul', { class: 'grid-cards', style: { listStyle: 'none', padding: 0 } }, data.results.map(card))
      : h('div', { class: 'card' }, h('h2', null, 'No collections yet'),
        h('p', null, 'A collection holds the documents and data of one investigation or dataset. ',
          h('a', { href: '/collections/new' }, 'Create one'), ' and upload files into it.')),
    pager(query, offset, data.total, '/collections', LIMIT));
}

function card(c) {
  return h('li', { class: 'card' },
    h('h2', { style: { marginTop: 0 } }, h('a', { href: `/collections/${c.id}` }, c.label)),
    c.summary ? h('p', null, c.summary) : null,
    h('p', { class: 'muted' },
      h('span', { class: 'tag' }, c.casefile ? 'investigation' : (c.category || 'dataset')), ' ',
      `${fmt.n(c.count || 0)} entities`,
      c.countries ? ` · ${c.countries.join(', ').toUpperCase()}` : '',
      c.updated_at ? ` · updated ${fmt.date(c.updated_at)}` : '',
      c.secret ? ' · private' : ''));
}

export async function collectionFormView(ctx) {
  const id = ctx.params[0];
  const existing = id ? await api(`collections/${id}`) : null;
  if (!ctx.alive()) return;
  ctx.title(existing ? `Edit ${existing.label}` : 'New collection');
  const meta = await api('metadata').catch(() => ({}));
  const field = (name, label, input) => h('div', { class: 'field' }, h('label', { for: `c-${name}` }, label), input);
  const label = h('input', { id: 'c-label', name: 'label', type: 'text', required: true, minlength: 2, maxlength: 500, value: existing ? existing.label : '' });
  const summary = h('textarea', { id: 'c-summary', name: 'summary', rows: 3 }, existing ? existing.summary || '' : '');
  const countries = h('input', { id: 'c-countries', name: 'countries', type: 'text', placeholder: 'e.g. de, fr', value: existing && existing.countries ? existing.countries.join(', ') : '' });
  const languages = h('input', { id: 'c-languages', name: 'languages', type: 'text', placeholder: 'e.g. eng, deu', value: existing && existing.languages ? existing.languages.join(', ') : '' });
  const categories = meta.categories || {};
  const category = h('select', { id: 'c-category', name: 'category' },
    Object.entries(categories).map(([k, v]) => h('option', { value: k, selected: (existing ? existing.category : 'casefile') === k }, v)));
  const message = h('p', { class: 'error', role: 'alert' });
  const list = (s) => s.split(',').map((x) => x.trim()).filter(Boolean);
  const form = h('form', {
    async onsubmit(e) {
      e.preventDefault();
      message.textContent = '';
      const body = { label: label.value.trim(), summary: summary.value, countries: list(countries.value), languages: list(languages.value), category: category.value };
      try {
        const saved = existing
          ? await api(`collections/${existing.id}`, { method: 'PUT', json: { ...body } })
          : await api('collections', { method: 'POST', json: body });
        ctx.navigate(`/collections/${saved.id}`);
      } catch (err) { message.textContent = err.message; }
    },
  },
  field('label', 'Title', label), field('summary', 'Summary', summary),
  field('countries', 'Countries (ISO codes, comma-separated)', countries),
  field('languages', 'Languages (ISO 639-3 codes, comma-separated)', languages),
  Object.keys(categories).length ? field('category', 'Category (only administrators can set one other than investigation)', category) : null,
  message,
  h('div', { class: 'actions' }, h('button', { class: 'primary', type: 'submit' }, existing ? 'Save' : 'Create'),
    h('a', { href: existing ? `/collections/${existing.id}` : '/collections' }, 'Cancel')));
  clear(ctx.main, h('div', { class: 'narrow', style: { maxWidth: '560px' } },
    h('h1', null, existing ? `Edit “${existing.label}”` : 'New collection'), form));
}
