// A tiny element builder: everything user-supplied goes in as text, never as HTML.

export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
      else if (k === 'class') el.className = v;
      else if (k === 'style' && typeof v === 'object') {
        // Custom properties (--c) only take effect through setProperty.
        for (const [name, value] of Object.entries(v)) {
          if (name.startsWith('--')) el.style.setProperty(name, value);
          else el.style[name] = value;
        }
      }
      else if (k === 'value' && 'value' in el) el.value = v;
      else if (v === true) el.setAttribute(k, '');
      else el.setAttribute(k, String(v));
    }
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export function clear(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

const numbers = new Intl.NumberFormat('en');
export const fmt = {
  n: (x) => (x === undefined || x === null ? '–' : numbers.format(Number(x))),
  bytes(x) {
    const n = Number(x);
    if (!Number.isFinite(n)) return '–';
    const units = ['B', 'KB', 'MB', 'GB', 'TB'];
    let i = 0; let v = n;
    while (v >= 1024 && i < units.length - 1) { v /= 1024; i += 1; }
    return `${i ? v.toFixed(1) : v} ${units[i]}`;
  },
  date: (s) => (s ? String(s).replace('T', ' ').slice(0, 16) : '–'),
  duration(seconds) {
    if (seconds === null || seconds === undefined) return 'unknown';
    const s = Math.round(seconds);
    if (s < 60) return `${s} s`;
    if (s < 3600) return `${Math.round(s / 60)} min`;
    return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;
  },
};

// Highlight fragments come as HTML with <em> around hits: keep the text and the hits,
// drop every other tag.
export function highlighted(html) {
  const doc = new DOMParser().parseFromString(`<div>${html}</div>`, 'text/html');
  const out = document.createDocumentFragment();
  const walk = (node, into) => {
    for (const child of node.childNodes) {
      if (child.nodeType === Node.TEXT_NODE) into.append(child.textContent);
      else if (child.nodeType === Node.ELEMENT_NODE) {
        if (child.tagName === 'EM' || child.tagName === 'MARK') into.append(h('mark', null, child.textContent));
        else walk(child, into);
      }
    }
  };
  walk(doc.body.firstChild, out);
  return out;
}

// Mark every occurrence of the words of `query` in `text` (case-insensitive).
export function markText(text, query) {
  const terms = (query || '').replace(/["()~*^]|\b(AND|OR|NOT)\b/g, ' ').split(/\s+/)
    .map((t) => t.replace(/^[+-]/, '').replace(/^[\w.]+:/, '')).filter((t) => t.length > 1);
  if (!terms.length) return document.createTextNode(text);
  const re = new RegExp(`(${terms.map((t) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})`, 'gi');
  const out = document.createDocumentFragment();
  let last = 0;
  for (const m of text.matchAll(re)) {
    out.append(text.slice(last, m.index), h('mark', null, m[0]));
    last = m.index + m[0].length;
  }
  out.append(text.slice(last));
  return out;
}

export function announce(text) {
  const live = document.getElementById('live');
  if (live) live.textContent = text;
}

export function errorBlock(err) {
  const status = err && err.status;
  const title = status === 403 ? 'You do not have access to this.'
    : status === 404 ? 'This could not be found.'
      : 'Something went wrong.';
  return h('div', { class: 'card', role: 'alert' },
    h('h1', null, title),
    h('p', { class: 'muted' }, err && err.message ? err.message : String(err)));
}

// The index may briefly hold two copies of an entity while it is being re-indexed; a
// listing shows each entity once.
export function uniqueById(items) {
  const seen = new Set();
  return items.filter((e) => (seen.has(e.id) ? false : (seen.add(e.id), true)));
}
