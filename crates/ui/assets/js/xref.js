// Cross-reference review: each candidate pair side by side with its score and the
// matcher's explanation, and Same / Not same / Unsure decisions recorded at once
// (POST /api/2/profiles/_pairwise). Keys: j/k move between pairs, y same, n not same,
// u unsure; pressing the chosen decision again clears it.
import { api, session } from './api.js';
import { h, clear, fmt, announce } from './dom.js';
import { getModel, caption } from './model.js';
import { pager } from './search.js';

const LIMIT = 20;
const DECISIONS = [['positive', 'Same', 'y'], ['negative', 'Not same', 'n'], ['unsure', 'Unsure', 'u']];

export async function xrefView(ctx) {
  const id = ctx.params[0];
  const { query } = ctx;
  const offset = Number(query.get('offset') || 0);
  const params = new URLSearchParams({ limit: String(LIMIT), offset: String(offset) });
  for (const [k, v] of query) if (k.startsWith('filter:')) params.append(k, v);
  const [collection, model, data] = await Promise.all([api(`collections/${id}`), getModel(), api(`collections/${id}/xref`, { query: params })]);
  if (!ctx.alive()) return undefined;
  ctx.title(`Cross-reference · ${collection.label}`);
  const writeable = collection.writeable && session.get();
  const run = writeable ? h('button', { type: 'button', id: 'xref-run', async onclick(e) {
    e.target.disabled = true;
    try { await api(`collections/${id}/xref`, { method: 'POST', json: {} }); announce('Cross-referencing was queued; its progress shows on the collection page.'); } catch (err) { announce(err.message); }
  } }, 'Run cross-referencing') : null;
  const list = h('ol', { class: 'results', id: 'xref-pairs', start: offset + 1 }, data.results.map((item) => pairCard(item, model)));
  clear(ctx.main,
    h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumbs' }, h('ol', null,
      h('li', null, h('a', { href: '/collections' }, 'Collections')),
      h('li', null, h('a', { href: `/collections/${id}` }, collection.label)),
      h('li', { 'aria-current': 'page' }, 'Cross-reference'))),
    h('h1', null, 'Cross-reference'),
    h('p', { class: 'muted' }, 'Entities of this collection that look like entities elsewhere, best matches first. Decide whether each pair is the same: keys ',
      h('kbd', null, 'y'), ' same, ', h('kbd', null, 'n'), ' not same, ', h('kbd', null, 'u'), ' unsure, ', h('kbd', null, 'j'), '/', h('kbd', null, 'k'), ' next and previous pair.'),
    h('div', { class: 'actions' }, run, h('span', { id: 'xref-count' }, `${fmt.n(data.total)} candidate pairs`)),
    data.results.length ? list : h('div', { class: 'card' }, h('h2', null, 'No matches yet'), h('p', { class: 'muted' }, 'Run cross-referencing to look for these entities in the other collections you can read.')),
    pager(query, offset, data.total, `/collections/${id}/xref`, LIMIT));

  const onKey = (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey || ['INPUT', 'TEXTAREA', 'SELECT'].includes(e.target.tagName)) return;
    const cards = [...list.querySelectorAll('.pair')];
    if (!cards.length) return;
    const current = document.activeElement && document.activeElement.closest ? document.activeElement.closest('.pair') : null;
    const i = cards.indexOf(current);
    if (e.key === 'j' || e.key === 'k') {
      const next = e.key === 'j' ? Math.min(i + 1, cards.length - 1) : Math.max(i - 1, 0);
      cards[next].focus();
      e.preventDefault();
      return;
    }
    const decision = DECISIONS.find(([, , key]) => key === e.key);
    if (decision && current) {
      const button = current.querySelector(`button[data-judgement=${decision[0]}]`);
      if (button && !button.disabled) { button.click(); e.preventDefault(); }
    }
  };
  document.addEventListener('keydown', onKey);
  return () => document.removeEventListener('keydown', onKey);
}

function side(entity, model, label) {
  return h('div', null,
    h('p', { class: 'muted', style: { margin: 0 } }, label, entity.collection ? [' · ', h('a', { href: `/collections/${entity.collection.id}` }, entity.collection.label)] : null),
    h('h2', { style: { marginTop: '2px', fontSize: '15px' } }, h('a', { href: `/entities/${encodeURIComponent(entity.id)}` }, caption(entity))),
    h('span', { class: 'schema', style: { '--c': model.colour(entity.schema) } }, model.label(entity.schema)));
}

function comparison(a, b, model) {
  // The same properties on both sides, so that differences show at a glance.
  const pa = a.properties || {}; const pb = b.properties || {};
  const names = [...new Set([...Object.keys(pa), ...Object.keys(pb)])]
    .filter((p) => !model.property(a.schema, p).hidden && model.property(a.schema, p).type !== 'entity' && !['bodyText', 'indexText'].includes(p));
  const show = (vs) => (vs || []).map((v) => (typeof v === 'object' ? caption(v) : String(v))).join('; ') || '–';
  return h('table', { class: 'data props' }, h('tbody', null, names.map((p) => h('tr', null,
    h('th', { scope: 'row' }, model.property(a.schema, p).label || p), h('td', { dir: 'auto' }, show(pa[p])), h('td', { dir: 'auto' }, show(pb[p]))))));
}

function explanation(ex) {
  if (!ex || !Array.isArray(ex.features)) return null;
  return h('details', null, h('summary', null, 'Why this score'),
    h('table', { class: 'data' }, h('thead', null, h('tr', null, ['Evidence', 'Value', 'Effect', 'Detail'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', null, ex.features.map((f) => h('tr', null, h('td', null, f.name.replace(/_/g, ' ')),
        h('td', { class: 'num' }, Number(f.value).toFixed(2)),
        h('td', { class: `num ${f.contribution < 0 ? 'error' : 'ok'}` }, `${f.contribution >= 0 ? '+' : ''}${Number(f.contribution).toFixed(2)}`),
        h('td', null, f.detail || ''))))));
}

function pairCard(item, model) {
  let judgement = item.judgement || 'no_judgement';
  const buttons = DECISIONS.map(([value, label]) => h('button', {
    type: 'button', 'data-judgement': value, 'aria-pressed': String(judgement === value), disabled: !item.writeable,
    class: judgement === value ? 'primary' : '',
    async onclick() {
      const next = judgement === value ? 'no_judgement' : value;
      const before = judgement;
      judgement = next;
      paint();
      try {
        await api('profiles/_pairwise', { method: 'POST', json: { entity_id: item.entity.id, match_id: item.match.id, judgement: next, collection_id: item.collection_id, match_collection_id: item.match_collection_id } });
        announce(next === 'no_judgement' ? 'Decision cleared.' : `Recorded: ${label}.`);
      } catch (err) {
        judgement = before;
        paint();
        announce(err.message);
      }
    },
  }, label));
  function paint() {
    for (const b of buttons) {
      const on = b.dataset.judgement === judgement;
      b.setAttribute('aria-pressed', String(on));
      b.className = on ? 'primary' : '';
    }
    card.dataset.judgement = judgement;
  }
  const card = h('li', { class: 'card pair', tabindex: '0', 'aria-label': `${caption(item.entity)} and ${caption(item.match)}, score ${Math.round(item.score * 100)}%` },
    h('div', { class: 'resultline' }, h('strong', null, `Score ${Math.round(item.score * 100)}%`), h('div', { class: 'actions', role: 'group', 'aria-label': 'Decision' }, buttons)),
    h('div', { class: 'pair-sides' }, side(item.entity, model, 'This collection'), side(item.match, model, 'Match')),
    h('details', null, h('summary', null, 'Compare properties'), comparison(item.entity, item.match, model)),
    explanation(item.explanation));
  card.dataset.judgement = judgement;
  return card;
}
