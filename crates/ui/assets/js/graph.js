// The network around an entity: the entity, the entities its relationships lead to, and
// the relationships as edges. A node expands on Enter or click; the picture exports as
// SVG or PNG and the entities as FtM JSON lines.
import { api } from './api.js';
import { h, clear, announce } from './dom.js';
import { caption } from './model.js';

const NS = 'http://www.w3.org/2000/svg';
const W = 720; const H = 440;

function svg(tag, attrs, ...children) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) if (v !== undefined && v !== null) el.setAttribute(k, String(v));
  for (const c of children) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

export function networkPanel(start, model) {
  const nodes = new Map(); // id → { entity, x, y, expanded }
  const edges = new Map(); // id → { entity, source, target, label }
  const picture = svg('svg', { viewBox: `0 0 ${W} ${H}`, width: '100%', role: 'group', 'aria-label': 'Network of related entities', id: 'network-svg', class: 'network' });
  const status = h('p', { class: 'muted', 'aria-live': 'polite' });
  const box = h('section', { 'aria-labelledby': 'network-h' },
    h('h2', { id: 'network-h' }, 'Network'),
    h('p', { class: 'muted' }, 'Select a node (Enter or click) to add what it is connected to.'),
    h('div', { class: 'scroll', tabindex: '0' }, picture), status,
    h('div', { class: 'actions' },
      h('button', { type: 'button', onclick: exportSvg }, 'Export SVG'),
      h('button', { type: 'button', onclick: exportPng }, 'Export PNG'),
      h('button', { type: 'button', id: 'network-json', onclick: exportJson }, 'Export FtM JSON')));

  function addNode(entity, near) {
    if (!entity || typeof entity !== 'object' || nodes.has(entity.id)) return;
    const angle = Math.random() * Math.PI * 2;
    const base = near ? nodes.get(near) : null;
    nodes.set(entity.id, {
      entity,
      x: base ? base.x + Math.cos(angle) * 80 : W / 2,
      y: base ? base.y + Math.sin(angle) * 80 : H / 2,
      expanded: false,
    });
  }

  async function expand(id) {
    const node = nodes.get(id);
    if (!node || node.expanded) return;
    node.expanded = true;
    status.textContent = `Loading the connections of ${caption(node.entity)}…`;
    const data = await api(`entities/${encodeURIComponent(id)}/expand`, { query: { limit: '50' } }).catch(() => ({ results: [] }));
    let added = 0;
    const before = nodes.size;
    for (const group of data.results) {
      if (['parent', 'children', 'ancestors'].includes(group.property)) continue;
      const prop = model.property(node.entity.schema, group.property);
      for (const e of group.entities) {
        if (e.id === id) continue;
        const schema = model.schemata[e.schema] || {};
        if (schema.edge) {
          // A relationship becomes an edge between its two ends.
          const end = (p) => ((e.properties || {})[p] || []).find((v) => typeof v === 'object');
          const src = end(schema.edge.source); const dst = end(schema.edge.target);
          if (src && dst) {
            addNode(src, id); addNode(dst, id);
            edges.set(e.id, { entity: e, source: src.id, target: dst.id, label: model.label(e.schema) });
            continue;
          }
        }
        addNode(e, id);
        // A stub property is the reverse of a reference held by the other entity.
        if (prop.stub) edges.set(`${e.id}:${group.property}:${id}`, { source: e.id, target: id, label: prop.label });
        else edges.set(`${id}:${group.property}:${e.id}`, { source: id, target: e.id, label: prop.label });
      }
    }
    added = nodes.size - before;
    status.textContent = `${caption(node.entity)}: ${added} new ${added === 1 ? 'entity' : 'entities'}. ${nodes.size} in all.`;
    announce(status.textContent);
    layout();
    draw();
  }

  // A few hundred steps of a plain force layout: repulsion between all nodes, springs on
  // edges, a pull to the centre. Fine for the few dozen nodes a reader expands by hand.
  function layout() {
    const list = [...nodes.values()];
    for (let step = 0; step < 300; step += 1) {
      const t = 1 - step / 300;
      for (const a of list) { a.dx = (W / 2 - a.x) * 0.01; a.dy = (H / 2 - a.y) * 0.01; }
      for (let i = 0; i < list.length; i += 1) {
        for (let j = i + 1; j < list.length; j += 1) {
          const a = list[i]; const b = list[j];
          let dx = a.x - b.x; let dy = a.y - b.y;
          const d2 = Math.max(dx * dx + dy * dy, 25);
          const f = 4000 / d2;
          const d = Math.sqrt(d2); dx /= d; dy /= d;
          a.dx += dx * f; a.dy += dy * f; b.dx -= dx * f; b.dy -= dy * f;
        }
      }
      for (const e of edges.values()) {
        const a = nodes.get(e.source); const b = nodes.get(e.target);
        if (!a || !b) continue;
        const dx = b.x - a.x; const dy = b.y - a.y;
        const d = Math.max(Math.sqrt(dx * dx + dy * dy), 1);
        const f = (d - 120) * 0.05;
        a.dx += (dx / d) * f; a.dy += (dy / d) * f; b.dx -= (dx / d) * f; b.dy -= (dy / d) * f;
      }
      for (const a of list) {
        a.x = Math.min(W - 40, Math.max(40, a.x + Math.max(-20, Math.min(20, a.dx)) * t));
        a.y = Math.min(H - 20, Math.max(20, a.y + Math.max(-20, Math.min(20, a.dy)) * t));
      }
    }
  }

  function draw() {
    const lines = [...edges.values()].map((e) => {
      const a = nodes.get(e.source); const b = nodes.get(e.target);
      if (!a || !b) return null;
      return svg('g', null,
        svg('line', { x1: a.x, y1: a.y, x2: b.x, y2: b.y, stroke: '#8a94a0', 'stroke-width': 1.5 }),
        e.label ? svg('text', { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 - 3, 'font-size': 10, fill: '#55606e', 'text-anchor': 'middle' }, e.label) : '');
    }).filter(Boolean);
    const circles = [...nodes.entries()].map(([id, n]) => {
      const label = caption(n.entity);
      const g = svg('g', { tabindex: 0, role: 'button', 'aria-label': `${label} (${model.label(n.entity.schema)})${n.expanded ? ', expanded' : ', select to expand'}`, class: 'node', 'data-id': id },
        svg('circle', { cx: n.x, cy: n.y, r: id === start.id ? 11 : 8, fill: colourOf(n.entity.schema), stroke: n.expanded ? '#1c2127' : '#fff', 'stroke-width': 2 }),
        svg('text', { x: n.x, y: n.y + 22, 'font-size': 11, 'text-anchor': 'middle', fill: '#1c2127' }, label.length > 28 ? `${label.slice(0, 27)}…` : label));
      g.addEventListener('click', () => expand(id));
      g.addEventListener('keydown', (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); expand(id); } });
      return g;
    });
    picture.replaceChildren(svg('rect', { x: 0, y: 0, width: W, height: H, fill: '#ffffff' }), ...lines, ...circles);
  }

  function colourOf(schema) {
    const fam = model.colour(schema).match(/--[a-z]+/);
    const colours = { '--people': '#1a5fb4', '--orgs': '#1e7b34', '--docs': '#4a5563', '--rel': '#8a5a00', '--money': '#b05a00', '--assets': '#6b3fa0', '--places': '#0f6b6b' };
    return colours[fam && fam[0]] || '#4a5563';
  }

  function save(blob, name) {
    const a = h('a', { href: URL.createObjectURL(blob), download: name });
    document.body.append(a); a.click(); a.remove();
  }
  function svgText() {
    const copy = picture.cloneNode(true);
    copy.setAttribute('xmlns', NS);
    copy.setAttribute('width', W); copy.setAttribute('height', H);
    return new XMLSerializer().serializeToString(copy);
  }
  function exportSvg() { save(new Blob([svgText()], { type: 'image/svg+xml' }), 'network.svg'); }
  function exportPng() {
    const img = new Image();
    const url = URL.createObjectURL(new Blob([svgText()], { type: 'image/svg+xml' }));
    img.onload = () => {
      const canvas = h('canvas', { width: W * 2, height: H * 2 });
      const c = canvas.getContext('2d');
      c.scale(2, 2); c.drawImage(img, 0, 0);
      canvas.toBlob((blob) => save(blob, 'network.png'), 'image/png');
      URL.revokeObjectURL(url);
    };
    img.src = url;
  }
  function exportJson() {
    const strip = (e) => ({ id: e.id, schema: e.schema, properties: Object.fromEntries(Object.entries(e.properties || {}).map(([k, vs]) => [k, vs.map((v) => (typeof v === 'object' ? v.id : v))])) });
    const all = [...[...nodes.values()].map((n) => n.entity), ...[...edges.values()].filter((e) => e.entity).map((e) => e.entity)];
    save(new Blob([all.map((e) => JSON.stringify(strip(e))).join('\n') + '\n'], { type: 'application/json' }), 'network.ftm.json');
  }

  addNode(start, null);
  expand(start.id).catch((err) => { clear(status, err.message); });
  return box;
}
