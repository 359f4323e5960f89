// The router: one table from path patterns to views. A view is `async (ctx) => cleanup?`
// that fills `ctx.main`; links inside the page navigate without a reload.
import { session, api } from './api.js';
import { h, clear, errorBlock, fmt } from './dom.js';
import { loginView, logoutView } from './login.js';
import { searchView, helpView } from './search.js';
import { collectionsView, collectionFormView } from './collections.js';
import { collectionView } from './collection.js';
import { entityView } from './entity.js';
import { systemStatusView } from './status.js';
import { xrefView } from './xref.js';
import { settingsView } from './settings.js';
import { setsView, listView, timelineView } from './sets.js';
import { diagramView } from './diagram.js';
import { notificationsView, badge, refreshBadge } from './notifications.js';
import { adminUsersView, adminGroupsView } from './admin.js';

const routes = [
  [/^\/$/, homeView],
  [/^\/login$/, loginView],
  [/^\/logout$/, logoutView],
  [/^\/search$/, searchView],
  [/^\/help\/search$/, helpView],
  [/^\/collections$/, collectionsView],
  [/^\/collections\/new$/, collectionFormView],
  [/^\/collections\/(\d+)\/edit$/, collectionFormView],
  [/^\/collections\/(\d+)$/, collectionView],
  [/^\/collections\/(\d+)\/xref$/, xrefView],
  [/^\/entities\/([^/]+)$/, entityView],
  [/^\/status$/, systemStatusView],
  [/^\/settings$/, settingsView],
  [/^\/sets$/, setsView],
  [/^\/lists\/([^/]+)$/, listView],
  [/^\/timelines\/([^/]+)$/, timelineView],
  [/^\/diagrams\/([^/]+)$/, diagramView],
  [/^\/notifications$/, notificationsView],
  [/^\/admin\/users$/, adminUsersView],
  [/^\/admin\/groups$/, adminGroupsView],
];

const main = document.getElementById('main');
let generation = 0;
let cleanup = null;

export function navigate(url, { replace = false } = {}) {
  if (replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  render();
}

async function render() {
  generation += 1;
  const mine = generation;
  if (cleanup) { try { cleanup(); } catch { /* a view's own business */ } cleanup = null; }
  renderNav();
  const path = location.pathname;
  document.body.dataset.page = path.split('/')[1] || 'home';
  const query = new URLSearchParams(location.search);
  const barQ = document.getElementById('bar-q');
  if (barQ && document.activeElement !== barQ) barQ.value = path === '/search' ? (query.get('q') || '') : '';
  const ctx = {
    main, query, path, navigate,
    alive: () => mine === generation,
    title(t) { document.title = t ? `${t} · Aleph` : 'Aleph'; },
    params: [],
  };
  let view = notFound;
  for (const [re, v] of routes) {
    const m = path.match(re);
    if (m) { view = v; ctx.params = m.slice(1).map(decodeURIComponent); break; }
  }
  // Pages other than login need a session when the instance or the data require it;
  // the API's 403s say so, and the login link keeps the way back.
  try {
    const done = await view(ctx);
    if (mine === generation && typeof done === 'function') cleanup = done;
  } catch (err) {
    if (mine !== generation) return;
    if (err && (err.status === 401 || (err.status === 403 && !session.get()))) {
      navigate(`/login?next=${encodeURIComponent(location.pathname + location.search)}`, { replace: true });
      return;
    }
    ctx.title('Error');
    clear(main, errorBlock(err));
  }
  if (mine === generation && !ctx.keepFocus) {
    const h1 = main.querySelector('h1');
    if (h1 && document.activeElement === document.body) { h1.tabIndex = -1; h1.focus({ preventScroll: true }); }
  }
}

function renderNav() {
  const nav = document.getElementById('nav');
  const s = session.get();
  clear(nav,
    h('a', { href: '/search' }, 'Search'),
    h('a', { href: '/collections' }, 'Collections'),
    s ? [h('a', { href: '/sets' }, 'Lists & diagrams'), badge(), h('a', { href: '/status' }, 'Status'),
      h('a', { href: '/admin/users', id: 'nav-admin', hidden: true }, 'Admin'),
      h('a', { href: '/settings', class: 'user', title: 'Settings' }, s.email),
      h('button', { type: 'button', id: 'logout', onclick: () => navigate('/logout') }, 'Sign out')]
      : h('a', { href: `/login?next=${encodeURIComponent(location.pathname + location.search)}` }, 'Sign in'));
  if (s) { refreshBadge(); showAdmin(s); }
}

// Only administrators may list roles: the answer tells whether to show the admin link.
const adminCheck = new Map();
async function showAdmin(s) {
  if (!adminCheck.has(s.token)) adminCheck.set(s.token, api('roles', { query: { limit: '0' } }).then(() => true, () => false));
  const admin = await adminCheck.get(s.token);
  const link = document.getElementById('nav-admin');
  if (link) link.hidden = !admin;
}

async function homeView(ctx) {
  ctx.title('');
  const s = session.get();
  const box = h('form', { class: 'search-form', role: 'search', 'aria-label': 'Search', action: '/search', method: 'get' },
    h('label', { class: 'sr-only', for: 'home-q' }, 'Search'),
    h('input', { id: 'home-q', name: 'q', type: 'search', placeholder: 'Search companies, people and documents' }),
    h('button', { class: 'primary', type: 'submit' }, 'Search'));
  const stats = h('div', { class: 'grid-cards' });
  clear(ctx.main,
    h('h1', null, 'Search and read your documents'),
    h('p', { class: 'muted' }, 'Upload documents into a collection, watch them being processed, then search, read and cross-reference them.'),
    box, h('p', null, h('a', { href: '/help/search' }, 'Search syntax and keyboard shortcuts')),
    s ? h('p', { class: 'actions' }, h('a', { class: 'button primary', href: '/collections/new' }, 'New collection'),
      h('a', { class: 'button', href: '/collections' }, 'Your collections'))
      : h('p', null, h('a', { href: '/login' }, 'Sign in'), ' to see your collections.'),
    h('h2', null, 'What is here'), stats);
  const data = await api('statistics').catch(() => null);
  if (!ctx.alive() || !data) return;
  const col = (title, values, link) => h('div', { class: 'card' }, h('h3', null, title),
    h('ul', null, Object.entries(values || {}).slice(0, 8).map(([k, n]) =>
      h('li', null, h('a', { href: link(k) }, k), ' ', h('span', { class: 'muted' }, fmt.n(n))))));
  clear(stats,
    h('div', { class: 'card' }, h('h3', null, 'Collections'), h('p', null, h('a', { href: '/collections' }, `${fmt.n(data.collections)} collections`))),
    col('Types', data.schemata, (k) => `/search?filter:schema=${encodeURIComponent(k)}`),
    col('Countries', data.countries, (k) => `/search?filter:countries=${encodeURIComponent(k)}`));
}

async function notFound(ctx) {
  ctx.title('Not found');
  clear(ctx.main, h('h1', null, 'This page could not be found.'), h('p', null, h('a', { href: '/' }, 'Go to the start page')));
}

// Same-origin links navigate in place; modified clicks, downloads and API links do not.
document.addEventListener('click', (e) => {
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  const a = e.target.closest('a[href]');
  if (!a || a.target || a.hasAttribute('download')) return;
  const url = new URL(a.href, location.href);
  if (url.origin !== location.origin || url.pathname.startsWith('/api/') || url.pathname.startsWith('/static/')) return;
  e.preventDefault();
  if (url.pathname === location.pathname && url.search === location.search && url.hash) { location.hash = url.hash; return; }
  navigate(url.pathname + url.search);
});

// GET forms that point at a page (the search boxes) navigate in place too.
document.addEventListener('submit', (e) => {
  const form = e.target;
  if (e.defaultPrevented || (form.method || 'get').toLowerCase() !== 'get' || !form.getAttribute('action')) return;
  e.preventDefault();
  const params = new URLSearchParams(new FormData(form));
  for (const [k, v] of [...params]) if (v === '') params.delete(k);
  navigate(`${form.getAttribute('action')}?${params}`);
});

// `/` focuses the search box from anywhere outside a field; `?` shows the syntax help.
document.addEventListener('keydown', (e) => {
  if (e.ctrlKey || e.metaKey || e.altKey) return;
  const t = e.target;
  if (t && (t.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(t.tagName))) return;
  if (e.key === '/') {
    const box = document.getElementById('search-q') || document.getElementById('bar-q');
    if (box) { e.preventDefault(); box.focus(); box.select(); }
  }
});

document.addEventListener('aleph:session', renderNav);
window.addEventListener('popstate', render);
// New notifications arrive while a page stays open.
setInterval(refreshBadge, 60000);
render();
