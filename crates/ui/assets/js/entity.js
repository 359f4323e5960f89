// An entity page: its properties, its document viewer (for documents), the entities that
// refer to it, and the documents that mention it.
import { api, local, session } from './api.js';
import { h, clear, fmt, highlighted } from './dom.js';
import { getModel, caption } from './model.js';
import { viewer } from './viewers.js';
import { networkPanel } from './graph.js';
import { addToSet } from './sets.js';

// Properties shown elsewhere on the page, or internal to the pipeline.
const SKIP = new Set(['bodyText', 'bodyHtml', 'indexText', 'headers', 'contentHash', 'pdfHash', 'csvHash', 'processingAgent', 'ancestors']);

export async function entityView(ctx) {
  const id = ctx.params[0];
  const [entity, model] = await Promise.all([api(`entities/${encodeURIComponent(id)}`), getModel()]);
  if (!ctx.alive()) return undefined;
  const name = caption(entity);
  ctx.title(name);
  const isDoc = model.isA(entity.schema, 'Document');
  const links = entity.links || {};
  const coll = entity.collection;
  const parent = entity.properties && entity.properties.parent && entity.properties.parent[0];
  const content = h('div', { id: 'entity-main' });
  clear(ctx.main,
    h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumbs' }, h('ol', null,
      coll ? h('li', null, h('a', { href: `/collections/${coll.id}` }, coll.label)) : null,
      parent && typeof parent === 'object' ? h('li', null, h('a', { href: `/entities/${encodeURIComponent(parent.id)}` }, caption(parent))) : null,
      h('li', { 'aria-current': 'page' }, name))),
    h('p', { class: 'schema', style: { '--c': model.colour(entity.schema) } }, model.label(entity.schema)),
    h('h1', { dir: 'auto' }, name),
    session.get() ? addToSet(entity, 'entity-add') : null,
    links.file ? h('p', { class: 'actions' },
      h('a', { class: 'button', href: local(links.file), download: '', title: 'Original files can carry malware or tracking: open them offline.' }, 'Download the original'),
      entity.properties && entity.properties.processingError
        ? h('span', { class: 'error' }, `Processing failed: ${entity.properties.processingError[0]}`) : null) : null,
    h('div', { class: 'dual' },
      h('aside', { class: 'side', 'aria-label': 'Properties' }, h('h2', { style: { marginTop: 0 } }, 'Properties'), propertyTable(entity, model)),
      content));
  if (isDoc) {
    if (parent && typeof parent === 'object') siblings(ctx, entity, parent);
    await viewer(ctx, content, entity, model);
  } else {
    await thingSections(ctx, content, entity, model);
  }
  return undefined;
}

// Previous and next document in the same folder, in the folder's order (by name).
async function siblings(ctx, entity, parent) {
  const query = new URLSearchParams({ 'filter:properties.parent': parent.id, 'filter:schemata': 'Document', limit: '500', sort: 'caption:asc' });
  const data = await api('entities', { query }).catch(() => null);
  if (!ctx.alive() || !data) return;
  const list = data.results;
  const i = list.findIndex((e) => e.id === entity.id);
  if (i < 0 || list.length < 2) return;
  const link = (e, rel, text) => (e ? h('a', { href: `/entities/${encodeURIComponent(e.id)}`, rel }, text, ' ', caption(e)) : null);
  const nav = h('nav', { class: 'actions', 'aria-label': 'Documents in this folder', id: 'doc-nav' },
    link(list[i - 1], 'prev', '←'), h('span', { class: 'muted' }, `${i + 1} of ${list.length} in ${caption(parent)}`), link(list[i + 1], 'next', '→'));
  const h1 = ctx.main.querySelector('h1');
  if (h1) h1.after(nav);
}

export function propertyTable(entity, model) {
  const props = entity.properties || {};
  const featured = model.featured(entity.schema);
  const names = Object.keys(props).filter((p) => !SKIP.has(p) && !model.property(entity.schema, p).hidden);
  names.sort((a, b) => {
    const fa = featured.indexOf(a); const fb = featured.indexOf(b);
    if (fa !== fb) return (fa < 0 ? 99 : fa) - (fb < 0 ? 99 : fb);
    return model.property(entity.schema, a).label.localeCompare(model.property(entity.schema, b).label);
  });
  const rows = names.map((p) => {
    const prop = model.property(entity.schema, p);
    return h('tr', null, h('th', { scope: 'row' }, prop.label || p),
      h('td', { dir: 'auto' }, props[p].slice(0, 50).map((v, i) => [i ? h('br') : null, value(prop, v)])));
  });
  if (entity.collection) rows.push(h('tr', null, h('th', { scope: 'row' }, 'Collection'), h('td', null, h('a', { href: `/collections/${entity.collection.id}` }, entity.collection.label))));
  if (entity.updated_at) rows.push(h('tr', null, h('th', { scope: 'row' }, 'Last updated'), h('td', null, fmt.date(entity.updated_at))));
  return h('table', { class: 'data props' }, h('tbody', null, rows));
}

function value(prop, v) {
  if (v && typeof v === 'object') return h('a', { href: `/entities/${encodeURIComponent(v.id)}`, class: 'entity-link' }, caption(v));
  const s = String(v);
  switch (prop.type) {
    case 'entity': return h('a', { href: `/entities/${encodeURIComponent(s)}` }, s);
    case 'url': return /^https?:\/\//i.test(s) ? h('a', { href: s, rel: 'noopener noreferrer nofollow', target: '_blank' }, s) : s;
    case 'email': return h('a', { href: `/search?filter:emails=${encodeURIComponent(s)}` }, s);
    case 'phone': return h('a', { href: `/search?filter:phones=${encodeURIComponent(s)}` }, s);
    case 'country': return h('a', { href: `/search?filter:countries=${encodeURIComponent(s)}` }, s.toUpperCase());
    case 'name': return h('a', { href: `/search?filter:names=${encodeURIComponent(s)}` }, s);
    case 'number': return prop.name === 'fileSize' ? fmt.bytes(s) : s;
    case 'date': return h('time', { datetime: s }, fmt.date(s));
    default: return s.length > 400 ? `${s.slice(0, 400)}…` : s;
  }
}

async function thingSections(ctx, box, entity, model) {
  const rel = h('section', { 'aria-labelledby': 'rel-h' }, h('h2', { id: 'rel-h' }, 'Relationships'), h('p', { class: 'muted' }, 'Loading…'));
  const docs = h('section', { 'aria-labelledby': 'mentions-h' }, h('h2', { id: 'mentions-h' }, 'Documents mentioning it'), h('p', { class: 'muted' }, 'Loading…'));
  const sim = model.schema(entity.schema).matchable
    ? h('section', { 'aria-labelledby': 'similar-h', id: 'similar' }, h('h2', { id: 'similar-h' }, 'Similar entities'), h('p', { class: 'muted' }, 'Loading…'))
    : null;
  clear(box, rel, networkPanel(entity, model), sim, docs);
  await Promise.all([relationships(ctx, rel, entity, model), mentions(ctx, docs, entity, model),
    sim ? similar(ctx, sim, entity, model) : null]);
}

// The entities on the other side of each entity-typed property (owners, directors,
// payments, family…), one table per property, from the expand endpoint.
async function relationships(ctx, box, entity, model) {
  let data;
  try { data = await api(`entities/${encodeURIComponent(entity.id)}/expand`, { query: { limit: '100' } }); } catch (err) { clear(box, h('h2', { id: 'rel-h' }, 'Relationships'), h('p', { class: 'error' }, err.message)); return; }
  if (!ctx.alive()) return;
  // Document containment (parent, children) is shown by the viewers, not here.
  const groups = data.results.filter((g) => !['parent', 'children', 'ancestors'].includes(g.property));
  clear(box, h('h2', { id: 'rel-h' }, 'Relationships'),
    groups.length ? groups.map((g) => {
      const prop = model.property(entity.schema, g.property);
      return h('div', { class: 'rel-group', 'data-property': g.property },
        h('h3', null, `${prop.label || g.property} (${fmt.n(g.count)})`),
        h('div', { class: 'scroll', tabindex: '0', role: 'region', 'aria-label': prop.label || g.property, style: { maxHeight: '40vh' } },
          h('table', { class: 'data' }, h('tbody', null, g.entities.map((e) => relationRow(e, entity, model))))),
        g.count > g.entities.length ? h('p', { class: 'muted' }, `${fmt.n(g.entities.length)} of ${fmt.n(g.count)} shown.`) : null);
    }) : h('p', { class: 'muted' }, 'This entity does not have any relationships.'));
}

function relationRow(e, entity, model) {
  const schema = e.schema;
  const props = e.properties || {};
  // Show the other side of the relationship, not this entity again.
  const others = Object.entries(props).flatMap(([p, vs]) => (model.property(schema, p).type === 'entity'
    ? vs.filter((v) => (typeof v === 'object' ? v.id : v) !== entity.id).map((v) => [p, v]) : []));
  // Relationships rarely have a name of their own: call them by their schema.
  const named = model.captionProps(schema).some((p) => props[p] && props[p].length);
  return h('tr', null,
    h('td', null, h('a', { href: `/entities/${encodeURIComponent(e.id)}` }, named ? caption(e) : model.label(schema))),
    h('td', null, others.map(([p, v], i) => [i ? ', ' : '', `${model.property(schema, p).label}: `,
      typeof v === 'object' ? h('a', { href: `/entities/${encodeURIComponent(v.id)}` }, caption(v)) : v])),
    h('td', { class: 'muted' }, ['percentage', 'role', 'relationship', 'startDate', 'endDate', 'amount', 'date']
      .filter((p) => props[p]).map((p) => `${model.property(schema, p).label}: ${props[p].join(', ')}`).join(' · ')));
}

const VERDICTS = [['positive', 'Same'], ['negative', 'Different'], ['unsure', 'Unsure']];

// Candidates from other collections that the matcher scores as this entity, with the
// decision buttons of the xref review (clicking the chosen one again clears it).
async function similar(ctx, box, entity, model) {
  let data;
  try { data = await api(`entities/${encodeURIComponent(entity.id)}/similar`, { query: { limit: '10' } }); } catch (err) { clear(box, h('h2', { id: 'similar-h' }, 'Similar entities'), h('p', { class: 'error' }, err.message)); return; }
  if (!ctx.alive()) return;
  const row = (item) => {
    const m = item.entity;
    const buttons = VERDICTS.map(([j, label]) => h('button', {
      type: 'button', 'data-judgement': j, 'aria-pressed': String(item.judgement === j),
      onclick: async (ev) => {
        const next = item.judgement === j ? 'no_judgement' : j;
        try {
          await api('profiles/_pairwise', { method: 'POST', json: { entity_id: entity.id, match_id: m.id, judgement: next } });
          item.judgement = next;
          for (const b of ev.target.parentNode.querySelectorAll('button')) b.setAttribute('aria-pressed', String(b.dataset.judgement === next));
        } catch (err) { ev.target.parentNode.append(h('span', { class: 'error' }, ` ${err.message}`)); }
      },
    }, label));
    return h('tr', { class: 'similar' },
      h('td', { class: 'num' }, Number(item.score).toFixed(2)),
      h('td', null, h('a', { href: `/entities/${encodeURIComponent(m.id)}` }, caption(m)), ' ',
        h('span', { class: 'schema', style: { '--c': model.colour(m.schema) } }, model.label(m.schema))),
      h('td', null, m.collection ? h('a', { href: `/collections/${m.collection.id}` }, m.collection.label) : '–'),
      h('td', { class: 'verdict' }, item.writeable ? buttons : (item.judgement === 'no_judgement' ? '–' : item.judgement)));
  };
  clear(box, h('h2', { id: 'similar-h' }, `Similar entities (${fmt.n(data.total)})`),
    data.results.length ? h('div', { class: 'scroll', tabindex: '0', role: 'region', 'aria-label': 'Similar entities' }, h('table', { class: 'data' },
      h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Score'), h('th', { scope: 'col' }, 'Entity'), h('th', { scope: 'col' }, 'Collection'), h('th', { scope: 'col' }, 'Decision'))),
      h('tbody', null, data.results.map(row))))
      : h('p', { class: 'muted' }, 'No similar entities in the collections you can read.'));
}

async function mentions(ctx, box, entity, model) {
  const names = (entity.properties && entity.properties.name) || [caption(entity)];
  const q = names.slice(0, 3).map((n) => `"${String(n).replace(/"/g, '')}"`).join(' OR ');
  const query = new URLSearchParams({ q, 'filter:schemata': 'Document', limit: '20', highlight: 'true' });
  let data;
  try { data = await api('entities', { query }); } catch (err) { clear(box, h('h2', { id: 'mentions-h' }, 'Documents mentioning it'), h('p', { class: 'error' }, err.message)); return; }
  if (!ctx.alive()) return;
  clear(box, h('h2', { id: 'mentions-h' }, `Documents mentioning it (${fmt.n(data.total)})`),
    data.results.length ? h('ul', { class: 'results' }, data.results.map((d) => h('li', { class: 'result' },
      h('div', { class: 'title' }, h('a', { href: `/entities/${encodeURIComponent(d.id)}?q=${encodeURIComponent(q)}` }, caption(d))),
      h('div', { class: 'meta' }, h('span', { class: 'schema', style: { '--c': model.colour(d.schema) } }, model.label(d.schema))),
      d.highlight ? h('p', { class: 'snippets' }, d.highlight.flatMap((f, i) => [i ? ' … ' : '', highlighted(f)])) : null)))
      : h('p', { class: 'muted' }, 'No documents mention it.'),
    data.total > data.results.length ? h('p', null, h('a', { href: `/search?q=${encodeURIComponent(q)}&filter:schemata=Document` }, 'See all')) : null);
}
