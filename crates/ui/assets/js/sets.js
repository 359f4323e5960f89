// Entity sets: the index of lists, diagrams and timelines; a list page; a timeline page
// (dated entities in order); and the "Add to…" control used on search results and entity
// pages. The diagram editor is in diagram.js.
import { api, apiUrl, session } from './api.js';
import { h, clear, fmt, announce } from './dom.js';
import { getModel, caption } from './model.js';

export const KINDS = [['list', 'Lists', 'List'], ['diagram', 'Network diagrams', 'Network diagram'], ['timeline', 'Timelines', 'Timeline']];
const kindLabel = (t) => (KINDS.find(([k]) => k === t) || [t, t, t])[2];
export const setHref = (set) => `/${set.type}s/${encodeURIComponent(set.id)}`;

// The sets the caller can add to, loaded once per page.
let writable = null;
async function writableSets() {
  if (!writable) {
    const query = new URLSearchParams({ limit: '100' });
    for (const [k] of KINDS) query.append('filter:type', k);
    writable = api('entitysets', { query }).then((d) => d.results.filter((s) => s.writeable))
      .catch((e) => { writable = null; throw e; });
  }
  return writable;
}

// A compact "Add to…" disclosure: pick a list, diagram or timeline and add the entity.
export function addToSet(entity, idPrefix = 'add') {
  const select = h('select', { id: `${idPrefix}-set`, 'aria-label': `Add ${caption(entity)} to` });
  const message = h('span', { class: 'muted', role: 'status' });
  const button = h('button', { type: 'button', class: 'add-to-set' }, 'Add');
  const box = h('details', { class: 'add-to' },
    h('summary', null, 'Add to…'),
    h('div', { class: 'actions' }, select, button, message));
  box.addEventListener('toggle', async () => {
    if (!box.open || select.options.length) return;
    try {
      const sets = await writableSets();
      if (!sets.length) { clear(message, 'No list or diagram yet: ', h('a', { href: '/sets' }, 'make one')); button.disabled = true; return; }
      for (const s of sets) select.append(h('option', { value: s.id, 'data-type': s.type }, `${s.label} (${kindLabel(s.type)})`));
    } catch (err) { message.textContent = err.message; }
  });
  button.addEventListener('click', async () => {
    if (!select.value) return;
    button.disabled = true;
    try {
      await api(`entitysets/${encodeURIComponent(select.value)}/items`, { method: 'POST', json: { entity_id: entity.id, judgement: 'positive' } });
      message.textContent = `Added to ${select.selectedOptions[0].textContent}.`;
      announce(message.textContent);
    } catch (err) { message.textContent = err.message; } finally { button.disabled = false; }
  });
  return box;
}

// `/sets`: every list, diagram and timeline the caller can read, and a form for a new one.
export async function setsView(ctx) {
  ctx.title('Lists, diagrams and timelines');
  const only = ctx.query.get('collection');
  const [data, colls] = await Promise.all([
    api('entitysets', { query: new URLSearchParams([['limit', '200'], ...KINDS.map(([k]) => ['filter:type', k]), ...(only ? [['filter:collection_id', only]] : [])]) }),
    api('collections', { query: { limit: '200' } }).catch(() => ({ results: [] })),
  ]);
  if (!ctx.alive()) return;
  const mine = colls.results.filter((c) => c.writeable);
  const message = h('p', { role: 'status', class: 'muted' });
  const form = h('form', { class: 'card', id: 'set-new', 'aria-labelledby': 'set-new-h' },
    h('h2', { id: 'set-new-h', style: { marginTop: 0 } }, 'New list, diagram or timeline'),
    h('div', { class: 'field' }, h('label', { for: 'set-label' }, 'Name'), h('input', { id: 'set-label', type: 'text', required: true })),
    h('div', { class: 'field' }, h('label', { for: 'set-type' }, 'Kind'),
      h('select', { id: 'set-type' }, KINDS.map(([k, , one]) => h('option', { value: k }, one)))),
    h('div', { class: 'field' }, h('label', { for: 'set-collection' }, 'Collection'),
      h('select', { id: 'set-collection' }, mine.map((c) => h('option', { value: c.id, selected: String(c.id) === only }, c.label)))),
    h('button', { class: 'primary', type: 'submit', disabled: !mine.length }, 'Create'), message);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      const set = await api('entitysets', { method: 'POST', json: {
        label: form.querySelector('#set-label').value.trim(), type: form.querySelector('#set-type').value,
        collection_id: form.querySelector('#set-collection').value } });
      writable = null;
      ctx.navigate(setHref(set));
    } catch (err) { message.textContent = err.message; }
  });
  const groups = KINDS.map(([k, plural]) => {
    const list = data.results.filter((s) => s.type === k);
    return h('section', { 'aria-labelledby': `sets-${k}` }, h('h2', { id: `sets-${k}` }, `${plural} (${list.length})`),
      list.length ? h('ul', { class: 'set-list' }, list.map((s) => h('li', null,
        h('a', { href: setHref(s) }, s.label), ' ',
        h('span', { class: 'muted' }, [s.collection ? s.collection.label : null, `updated ${fmt.date(s.updated_at)}`].filter(Boolean).join(' · ')))))
        : h('p', { class: 'muted' }, 'None yet.'));
  });
  const scope = only && colls.results.find((c) => String(c.id) === only);
  clear(ctx.main, h('h1', null, 'Lists, diagrams and timelines'),
    scope ? h('p', null, 'In ', h('a', { href: `/collections/${scope.id}` }, scope.label), ' · ', h('a', { href: '/sets' }, 'show all')) : null,
    h('p', { class: 'muted' }, 'Collect entities from searches and entity pages ("Add to…"), draw how they are connected, or put them in order of time.'),
    mine.length ? form : h('p', { class: 'muted' }, 'You need a collection you can write to before you can make one.'), groups);
}

// The set and its entities (positive items only: the others are xref decisions).
export async function loadSet(id) {
  const [set, items] = await Promise.all([
    api(`entitysets/${encodeURIComponent(id)}`),
    api(`entitysets/${encodeURIComponent(id)}/items`, { query: { limit: '1000' } }),
  ]);
  const entities = items.results.filter((i) => i.entity && (i.judgement || 'positive') === 'positive').map((i) => i.entity);
  return { set, entities };
}

export function setHeader(ctx, set, kind) {
  return [h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumbs' }, h('ol', null,
    set.collection ? h('li', null, h('a', { href: `/collections/${set.collection.id}` }, set.collection.label)) : null,
    h('li', null, h('a', { href: '/sets' }, KINDS.find(([k]) => k === kind)[1])),
    h('li', { 'aria-current': 'page' }, set.label))),
  h('h1', { dir: 'auto' }, set.label),
  set.summary ? h('p', { class: 'muted', dir: 'auto' }, set.summary) : null,
  h('p', { class: 'actions' }, h('button', { type: 'button', id: 'set-export', onclick: (e) => exportSet(set, e.target) }, 'Export FtM JSON'))];
}

// The set's entities as FtM JSON lines (the API's _stream needs the session header, so
// the file is fetched and handed to the browser as a download).
async function exportSet(set, button) {
  button.disabled = true;
  try {
    const resp = await fetch(apiUrl(`entitysets/${encodeURIComponent(set.id)}/_stream`), { headers: session.headers() });
    if (!resp.ok) throw new Error(`The export failed (${resp.status}).`);
    const blob = await resp.blob();
    const a = h('a', { href: URL.createObjectURL(blob), download: `${set.label.replace(/[^\w.-]+/g, '_') || 'entities'}.ftm.json` });
    document.body.append(a); a.click(); a.remove();
  } catch (err) { button.after(h('span', { class: 'error' }, ` ${err.message}`)); } finally { button.disabled = false; }
}

async function removeFrom(set, entity) {
  await api(`entitysets/${encodeURIComponent(set.id)}/items`, { method: 'POST', json: { entity_id: entity.id, judgement: 'no_judgement' } });
}

// `/lists/:id`: the entities, with their type and collection; writers can take one out.
export async function listView(ctx) {
  const [{ set, entities }, model] = await Promise.all([loadSet(ctx.params[0]), getModel()]);
  if (!ctx.alive()) return;
  ctx.title(set.label);
  const body = h('tbody');
  const render = () => clear(body, entities.map((e) => h('tr', null,
    h('td', null, h('a', { href: `/entities/${encodeURIComponent(e.id)}` }, caption(e))),
    h('td', null, h('span', { class: 'schema', style: { '--c': model.colour(e.schema) } }, model.label(e.schema))),
    h('td', null, e.collection ? e.collection.label : '–'),
    set.writeable ? h('td', null, h('button', { type: 'button', onclick: async (ev) => {
      ev.target.disabled = true;
      try { await removeFrom(set, e); entities.splice(entities.indexOf(e), 1); render(); announce(`${caption(e)} removed.`); } catch (err) { ev.target.after(h('span', { class: 'error' }, err.message)); }
    } }, 'Remove')) : null)));
  render();
  clear(ctx.main, setHeader(ctx, set, 'list'),
    h('p', { class: 'muted' }, `${fmt.n(entities.length)} entities. Add more with "Add to…" on a search result or an entity page.`),
    entities.length ? h('div', { class: 'scroll', tabindex: '0', role: 'region', 'aria-label': 'Entities in the list' },
      h('table', { class: 'data', id: 'list-table' }, h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Name'), h('th', { scope: 'col' }, 'Type'),
        h('th', { scope: 'col' }, 'Collection'), set.writeable ? h('th', { scope: 'col' }, h('span', { class: 'sr-only' }, 'Actions')) : null)), body))
      : h('p', { class: 'muted' }, 'This list is empty.'));
}

// Every date of an entity with the property it comes from, earliest first.
function datesOf(e, model) {
  const out = [];
  for (const [p, values] of Object.entries(e.properties || {})) {
    const prop = model.property(e.schema, p);
    if (prop.type !== 'date') continue;
    for (const v of values) if (typeof v === 'string' && v) out.push([v, prop.label || p]);
  }
  return out.sort((a, b) => a[0].localeCompare(b[0]));
}

// `/timelines/:id`: the set's dated entities in order of their earliest date; undated
// ones are listed after, since they still belong to the story.
export async function timelineView(ctx) {
  const [{ set, entities }, model] = await Promise.all([loadSet(ctx.params[0]), getModel()]);
  if (!ctx.alive()) return;
  ctx.title(set.label);
  const dated = []; const undated = [];
  for (const e of entities) {
    const dates = datesOf(e, model);
    if (dates.length) dated.push({ e, dates }); else undated.push(e);
  }
  dated.sort((a, b) => a.dates[0][0].localeCompare(b.dates[0][0]) || caption(a.e).localeCompare(caption(b.e)));
  // Writers can put a new event straight on the timeline (made in the set's collection).
  const message = h('span', { role: 'status', class: 'muted' });
  const form = set.writeable ? h('form', { class: 'actions card', id: 'timeline-new', 'aria-label': 'New event' },
    h('label', { for: 'event-name' }, 'New event'), h('input', { id: 'event-name', type: 'text', required: true, placeholder: 'What happened' }),
    h('label', { for: 'event-date' }, 'on'), h('input', { id: 'event-date', type: 'text', required: true, placeholder: 'YYYY-MM-DD', pattern: '\\d{4}(-\\d{2}(-\\d{2})?)?' }),
    h('button', { type: 'submit', class: 'primary' }, 'Add'), message) : null;
  if (form) {
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      try {
        await api(`entitysets/${encodeURIComponent(set.id)}/entities`, { method: 'POST', json: { schema: 'Event',
          properties: { name: [form.querySelector('#event-name').value.trim()], date: [form.querySelector('#event-date').value.trim()] } } });
        ctx.navigate(location.pathname, { replace: true });
      } catch (err) { message.textContent = err.message; }
    });
  }
  clear(ctx.main, setHeader(ctx, set, 'timeline'), form,
    dated.length ? h('ol', { class: 'timeline', id: 'timeline' }, dated.map(({ e, dates }) => h('li', { class: 'event' },
      h('time', { datetime: dates[0][0] }, dates[0][0]),
      h('div', null,
        h('a', { href: `/entities/${encodeURIComponent(e.id)}` }, caption(e)), ' ',
        h('span', { class: 'schema', style: { '--c': model.colour(e.schema) } }, model.label(e.schema)),
        h('div', { class: 'muted' }, dates.map(([d, label]) => `${label}: ${d}`).join(' · '))))))
      : h('p', { class: 'muted' }, 'No dated entities in this timeline yet. Add events, payments, ownerships or documents with dates.'),
    undated.length ? [h('h2', null, `Without a date (${undated.length})`), h('ul', null, undated.map((e) => h('li', null,
      h('a', { href: `/entities/${encodeURIComponent(e.id)}` }, caption(e)), ' ', h('span', { class: 'muted' }, model.label(e.schema)))))] : null);
}
