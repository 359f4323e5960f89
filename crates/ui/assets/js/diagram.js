// The network diagram editor (`/diagrams/:id`): the set's entities as nodes, its
// relationship entities (Ownership, Directorship…) as edges. Writers add existing
// entities from a search, create new ones and relationships between two nodes, move
// nodes by dragging or with the arrow keys, select a node or an edge and take it off the
// diagram (button or Delete key), and save; the positions are kept in the
// entity set's `layout` ({vertices: [{id, entityId, position: {x, y}}]}, as Aleph keeps them).
import { api } from './api.js';
import { h, clear, announce } from './dom.js';
import { getModel, caption } from './model.js';
import { loadSet, setHeader } from './sets.js';

const NS = 'http://www.w3.org/2000/svg';
const W = 900; const H = 520;
const NEW_SCHEMATA = ['Person', 'Company', 'Organization'];
const LINK_SCHEMATA = ['Ownership', 'Directorship', 'Family', 'Associate', 'Employment', 'Membership', 'UnknownLink'];

function svg(tag, attrs, ...children) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) if (v !== undefined && v !== null) el.setAttribute(k, String(v));
  for (const c of children) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

const refId = (v) => (v && typeof v === 'object' ? v.id : v);

export async function diagramView(ctx) {
  const [{ set, entities }, model] = await Promise.all([loadSet(ctx.params[0]), getModel()]);
  if (!ctx.alive()) return undefined;
  ctx.title(set.label);
  const nodes = new Map(); // entity id → { entity, x, y }
  const edges = new Map(); // relationship entity id → { entity, source, target }
  const saved = new Map(((set.layout && set.layout.vertices) || []).map((v) => [v.entityId || v.id, v.position || {}]));
  let dirty = false;
  let selected = null; // a node's entity id
  let selectedEdge = null; // or an edge's relationship entity id

  const picture = svg('svg', { viewBox: `0 0 ${W} ${H}`, width: '100%', role: 'group', 'aria-label': `Diagram ${set.label}`, id: 'diagram-svg', class: 'network diagram' });
  const status = h('span', { id: 'diagram-status', role: 'status', class: 'muted' }, 'Saved.');
  const message = h('p', { class: 'muted', 'aria-live': 'polite', id: 'diagram-message' });

  function place(entity) {
    if (nodes.has(entity.id)) return;
    const pos = saved.get(entity.id);
    const n = nodes.size;
    const angle = (n * 2.4) % (Math.PI * 2);
    nodes.set(entity.id, {
      entity,
      x: pos && Number.isFinite(pos.x) ? pos.x : W / 2 + Math.cos(angle) * (80 + 25 * n),
      y: pos && Number.isFinite(pos.y) ? pos.y : H / 2 + Math.sin(angle) * (60 + 15 * n),
    });
  }

  // A relationship is an edge when both of its ends are on the diagram; otherwise a node.
  function addEntity(entity) {
    const schema = model.schemata[entity.schema] || {};
    if (schema.edge) {
      const props = entity.properties || {};
      const source = refId((props[schema.edge.source] || [])[0]);
      const target = refId((props[schema.edge.target] || [])[0]);
      if (source && target) { edges.set(entity.id, { entity, source, target }); return; }
    }
    place(entity);
  }

  function markDirty() { dirty = true; status.textContent = 'Unsaved changes.'; }

  function draw() {
    const lines = [...edges.values()].map((e) => {
      const a = nodes.get(e.source); const b = nodes.get(e.target);
      if (!a || !b) return null;
      const id = e.entity.id;
      const on = selectedEdge === id;
      const g = svg('g', { class: `edge${on ? ' selected' : ''}`, 'data-id': id, tabindex: 0, role: 'button', 'aria-pressed': String(on),
        'aria-label': `${model.label(e.entity.schema)} from ${caption(a.entity)} to ${caption(b.entity)}${set.writeable ? '. Delete removes it.' : ''}` },
      // A wide transparent line under the visible one, so that a thin edge is easy to click.
      svg('line', { x1: a.x, y1: a.y, x2: b.x, y2: b.y, stroke: 'transparent', 'stroke-width': 14 }),
      svg('line', { x1: a.x, y1: a.y, x2: b.x, y2: b.y, stroke: on ? '#1c2127' : '#8a94a0', 'stroke-width': on ? 4 : 2 }),
      svg('text', { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 - 4, 'font-size': 11, fill: '#55606e', 'text-anchor': 'middle' }, model.label(e.entity.schema)));
      g.addEventListener('click', () => { selectedEdge = id; selected = null; draw(); });
      g.addEventListener('keydown', (ev) => {
        if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); selectedEdge = id; selected = null; draw(); }
        if (set.writeable && (ev.key === 'Delete' || ev.key === 'Backspace')) { ev.preventDefault(); selectedEdge = id; selected = null; removeSelected({ byKey: true }); }
      });
      return g;
    }).filter(Boolean);
    const circles = [...nodes.entries()].map(([id, n]) => {
      const label = caption(n.entity);
      const g = svg('g', { tabindex: 0, role: 'button', class: `node${selected === id ? ' selected' : ''}`, 'data-id': id,
        'aria-label': `${label} (${model.label(n.entity.schema)}). Arrow keys move it.`, 'aria-pressed': String(selected === id) },
      svg('circle', { cx: n.x, cy: n.y, r: 12, fill: colourOf(n.entity.schema), stroke: selected === id ? '#1c2127' : '#fff', 'stroke-width': 3 }),
      svg('text', { x: n.x, y: n.y + 26, 'font-size': 12, 'text-anchor': 'middle', fill: '#1c2127' }, label.length > 30 ? `${label.slice(0, 29)}…` : label));
      if (set.writeable) {
        g.addEventListener('pointerdown', (ev) => startDrag(ev, id));
        g.addEventListener('keydown', (ev) => nudge(ev, id));
      }
      g.addEventListener('click', () => { selected = id; selectedEdge = null; draw(); refreshSelects(); });
      return g;
    });
    // Redrawing replaces the focused element: give the focus to its successor.
    const hadFocus = picture.contains(document.activeElement);
    picture.replaceChildren(svg('rect', { x: 0, y: 0, width: W, height: H, fill: '#ffffff' }), ...lines, ...circles);
    const focus = (selected && picture.querySelector(`.node[data-id="${CSS.escape(selected)}"]`))
      || (selectedEdge && picture.querySelector(`.edge[data-id="${CSS.escape(selectedEdge)}"]`));
    if (focus && hadFocus) focus.focus();
  }

  function toSvg(ev) {
    const pt = picture.createSVGPoint();
    pt.x = ev.clientX; pt.y = ev.clientY;
    return pt.matrixTransform(picture.getScreenCTM().inverse());
  }

  function startDrag(ev, id) {
    ev.preventDefault();
    const node = nodes.get(id);
    const start = toSvg(ev);
    const origin = { x: node.x, y: node.y };
    let moved = false;
    const move = (e) => {
      const p = toSvg(e);
      node.x = clamp(origin.x + p.x - start.x, 15, W - 15);
      node.y = clamp(origin.y + p.y - start.y, 15, H - 30);
      moved = true;
      draw();
    };
    const up = () => {
      window.removeEventListener('pointermove', move);
      window.removeEventListener('pointerup', up);
      if (moved) { markDirty(); announce(`${caption(node.entity)} moved.`); }
      selected = id; selectedEdge = null; draw(); refreshSelects();
    };
    window.addEventListener('pointermove', move);
    window.addEventListener('pointerup', up);
  }

  function nudge(ev, id) {
    const steps = { ArrowLeft: [-10, 0], ArrowRight: [10, 0], ArrowUp: [0, -10], ArrowDown: [0, 10] };
    if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); selected = id; selectedEdge = null; draw(); refreshSelects(); return; }
    if (ev.key === 'Delete' || ev.key === 'Backspace') { ev.preventDefault(); selected = id; selectedEdge = null; removeSelected({ byKey: true }); return; }
    const d = steps[ev.key];
    if (!d) return;
    ev.preventDefault();
    const node = nodes.get(id);
    node.x = clamp(node.x + d[0], 15, W - 15); node.y = clamp(node.y + d[1], 15, H - 30);
    selected = id; selectedEdge = null; markDirty(); draw();
  }

  function colourOf(schema) {
    const fam = model.colour(schema).match(/--[a-z]+/);
    const colours = { '--people': '#1a5fb4', '--orgs': '#1e7b34', '--docs': '#4a5563', '--rel': '#8a5a00', '--money': '#b05a00', '--assets': '#6b3fa0', '--places': '#0f6b6b' };
    return colours[fam && fam[0]] || '#4a5563';
  }

  async function save() {
    const vertices = [...nodes.entries()].map(([id, n]) => ({ id, type: 'entity', entityId: id, label: caption(n.entity), position: { x: Math.round(n.x), y: Math.round(n.y) } }));
    const layout = { ...(set.layout || {}), vertices, edges: [...edges.values()].map((e) => ({ id: e.entity.id, type: 'entity', entityId: e.entity.id, sourceId: e.source, targetId: e.target })) };
    status.textContent = 'Saving…';
    try {
      const updated = await api(`entitysets/${encodeURIComponent(set.id)}`, { method: 'POST', json: { label: set.label, layout } });
      set.layout = updated.layout || layout;
      dirty = false; status.textContent = 'Saved.';
      announce('Diagram saved.');
    } catch (err) { status.textContent = `Not saved: ${err.message}`; }
  }

  // --- tools --------------------------------------------------------------------------
  const results = h('ul', { class: 'diagram-results', id: 'diagram-results' });
  const searchBox = h('input', { id: 'diagram-q', type: 'search', placeholder: 'Name of a person, company…' });
  const searchForm = h('form', { class: 'actions', role: 'search', 'aria-label': 'Find entities to add' },
    h('label', { for: 'diagram-q' }, 'Add an existing entity'), searchBox, h('button', { type: 'submit' }, 'Find'));
  searchForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    const q = searchBox.value.trim();
    if (!q) return;
    const query = new URLSearchParams({ q, limit: '10' });
    query.append('filter:schemata', 'Thing');
    try {
      const data = await api('entities', { query });
      clear(results, data.results.length ? data.results.map((r) => h('li', null,
        h('button', { type: 'button', 'data-add-id': r.id, disabled: nodes.has(r.id), onclick: async (ev) => {
          ev.target.disabled = true;
          await addExisting(r);
        } }, 'Add'), ' ', caption(r), ' ', h('span', { class: 'muted' }, [model.label(r.schema), r.collection ? r.collection.label : null].filter(Boolean).join(' · '))))
        : h('li', { class: 'muted' }, 'Nothing found.'));
    } catch (err) { clear(results, h('li', { class: 'error' }, err.message)); }
  });

  async function addExisting(entity) {
    try {
      await api(`entitysets/${encodeURIComponent(set.id)}/items`, { method: 'POST', json: { entity_id: entity.id, judgement: 'positive' } });
      addEntity(entity); markDirty(); draw(); refreshSelects();
      message.textContent = `${caption(entity)} added.`;
    } catch (err) { message.textContent = err.message; }
  }

  const newSchema = h('select', { id: 'diagram-new-schema', 'aria-label': 'Type of the new entity' }, NEW_SCHEMATA.map((s) => h('option', { value: s }, model.label(s))));
  const newName = h('input', { id: 'diagram-new-name', type: 'text', 'aria-label': 'Name of the new entity', placeholder: 'Name' });
  const newForm = h('form', { class: 'actions', 'aria-label': 'New entity' },
    h('span', null, 'New entity'), newSchema, newName, h('button', { type: 'submit' }, 'Create'));
  newForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    const name = newName.value.trim();
    if (!name) return;
    try {
      const entity = await api(`entitysets/${encodeURIComponent(set.id)}/entities`, { method: 'POST', json: { schema: newSchema.value, properties: { name: [name] } } });
      addEntity(entity); newName.value = ''; markDirty(); draw(); refreshSelects();
      message.textContent = `${name} created.`;
    } catch (err) { message.textContent = err.message; }
  });

  const linkType = h('select', { id: 'diagram-link-type', 'aria-label': 'Kind of relationship' }, LINK_SCHEMATA.filter((s) => model.schemata[s]).map((s) => h('option', { value: s }, model.label(s))));
  const linkFrom = h('select', { id: 'diagram-link-from', 'aria-label': 'From' });
  const linkTo = h('select', { id: 'diagram-link-to', 'aria-label': 'To' });
  const linkForm = h('form', { class: 'actions', 'aria-label': 'New relationship' },
    h('span', null, 'New relationship'), linkType, h('span', null, 'from'), linkFrom, h('span', null, 'to'), linkTo, h('button', { type: 'submit', id: 'diagram-link' }, 'Link'));
  linkForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    const schema = model.schemata[linkType.value];
    if (!schema || !schema.edge || !linkFrom.value || !linkTo.value || linkFrom.value === linkTo.value) { message.textContent = 'Pick two different entities.'; return; }
    const properties = { [schema.edge.source]: [linkFrom.value], [schema.edge.target]: [linkTo.value] };
    try {
      const entity = await api(`entitysets/${encodeURIComponent(set.id)}/entities`, { method: 'POST', json: { schema: linkType.value, properties } });
      // The answer names the ends by their (signed) ids; the nodes already hold them.
      edges.set(entity.id, { entity, source: linkFrom.value, target: linkTo.value });
      markDirty(); draw();
      message.textContent = `${model.label(linkType.value)} added.`;
      announce(message.textContent);
    } catch (err) { message.textContent = err.message; }
  });

  // "Discover links": what the selected node is connected to (the expand endpoint), with
  // the relationships between them, joins the diagram.
  const expandButton = h('button', { type: 'button', id: 'diagram-expand' }, 'Add connections of selected');
  expandButton.addEventListener('click', async () => {
    if (!selected) { message.textContent = 'Select a node first.'; return; }
    const id = selected;
    expandButton.disabled = true;
    try {
      const data = await api(`entities/${encodeURIComponent(id)}/expand`, { query: { limit: '20' } });
      const add = new Map();
      for (const group of data.results) {
        if (['parent', 'children', 'ancestors'].includes(group.property)) continue;
        for (const e of group.entities) {
          const schema = model.schemata[e.schema] || {};
          if (schema.edge) {
            for (const p of [schema.edge.source, schema.edge.target]) {
              const end = ((e.properties || {})[p] || []).find((v) => typeof v === 'object');
              if (end && !nodes.has(end.id)) add.set(end.id, end);
            }
          }
          if (!nodes.has(e.id) && !edges.has(e.id)) add.set(e.id, e);
        }
      }
      for (const e of add.values()) {
        await api(`entitysets/${encodeURIComponent(set.id)}/items`, { method: 'POST', json: { entity_id: e.id, judgement: 'positive' } });
      }
      // Nodes first, so that the relationships find both of their ends.
      for (const e of add.values()) if (!(model.schemata[e.schema] || {}).edge) addEntity(e);
      for (const e of add.values()) if ((model.schemata[e.schema] || {}).edge) addEntity(e);
      message.textContent = add.size ? `${add.size} connected ${add.size === 1 ? 'entity' : 'entities'} added.` : 'Nothing more is connected to it.';
      announce(message.textContent);
      if (add.size) markDirty();
      draw(); refreshSelects();
    } catch (err) { message.textContent = err.message; } finally { expandButton.disabled = false; }
  });

  // Taking a node or an edge off the diagram takes it out of the set (the entity itself
  // stays in its collection); a node's edges go with it. Save keeps the layout without them.
  const removeButton = h('button', { type: 'button', id: 'diagram-remove', class: 'danger' }, 'Remove selected');
  const unlist = (id) => api(`entitysets/${encodeURIComponent(set.id)}/items`, { method: 'POST', json: { entity_id: id, judgement: 'no_judgement' } });
  // After a removal by key the focused element is gone: keep the keyboard in the diagram.
  function refocus(byKey) {
    const next = byKey && picture.querySelector('.node, .edge');
    if (next) next.focus();
  }
  async function removeSelected({ byKey = false } = {}) {
    if (selectedEdge) {
      const edge = edges.get(selectedEdge);
      try {
        await unlist(selectedEdge);
        edges.delete(selectedEdge);
        selectedEdge = null;
        message.textContent = `${model.label(edge.entity.schema)} removed.`;
        announce(message.textContent);
        markDirty(); draw(); refocus(byKey);
      } catch (err) { message.textContent = err.message; }
      return;
    }
    if (!selected) { message.textContent = 'Select a node or an edge first.'; return; }
    const node = nodes.get(selected);
    try {
      await unlist(selected);
      nodes.delete(selected);
      for (const [id, e] of [...edges]) {
        if (e.source === selected || e.target === selected) {
          edges.delete(id);
          await unlist(id).catch(() => null);
        }
      }
      message.textContent = `${caption(node.entity)} removed.`;
      announce(message.textContent);
      selected = null; markDirty(); draw(); refreshSelects(); refocus(byKey);
    } catch (err) { message.textContent = err.message; }
  }
  removeButton.addEventListener('click', () => removeSelected());

  function refreshSelects() {
    const options = [...nodes.entries()].map(([id, n]) => [id, caption(n.entity)]).sort((a, b) => a[1].localeCompare(b[1]));
    for (const [sel, preferSelected] of [[linkFrom, true], [linkTo, false]]) {
      const keep = sel.value;
      clear(sel, options.map(([id, label]) => h('option', { value: id }, label)));
      if (preferSelected && selected) sel.value = selected;
      else if (keep && nodes.has(keep)) sel.value = keep;
    }
    // A relationship needs two different ends: start "to" on another node than "from".
    if (linkTo.value === linkFrom.value) {
      const other = options.find(([id]) => id !== linkFrom.value);
      if (other) linkTo.value = other[0];
    }
  }

  const saveButton = h('button', { type: 'button', class: 'primary', id: 'diagram-save', onclick: save }, 'Save');
  const onLeave = (e) => { if (dirty) { e.preventDefault(); e.returnValue = ''; } };
  window.addEventListener('beforeunload', onLeave);

  for (const e of entities) if (!(model.schemata[e.schema] || {}).edge) addEntity(e);
  for (const e of entities) if ((model.schemata[e.schema] || {}).edge) addEntity(e);
  clear(ctx.main, setHeader(ctx, set, 'diagram'),
    set.writeable ? h('div', { class: 'card diagram-tools' }, searchForm, results, newForm, linkForm,
      h('div', { class: 'actions' }, expandButton, removeButton, saveButton, status)) : null,
    message,
    h('div', { class: 'scroll', tabindex: '-1' }, picture),
    set.writeable ? h('p', { class: 'muted' }, 'Drag a node to move it, or focus it and use the arrow keys. Click a node or an edge to select it; Delete removes it from the diagram. Save keeps the changes.') : null);
  draw(); refreshSelects();
  return () => window.removeEventListener('beforeunload', onLeave);
}

function clamp(v, lo, hi) { return Math.min(hi, Math.max(lo, v)); }
