// Administration (admins only): users with their flags, found by name and blocked or
// unblocked; groups with their members, added by picking a user and removed with one button.
import { api, session } from './api.js';
import { h, clear, fmt, announce } from './dom.js';

const PAGE = 50;

function tabs(current) {
  return h('nav', { class: 'actions', 'aria-label': 'Administration' },
    [['/admin/users', 'Users'], ['/admin/groups', 'Groups'], ['/status', 'System status']].map(([href, label]) =>
      h('a', { href, class: 'button', 'aria-current': href === current ? 'page' : null }, label)));
}

export async function adminUsersView(ctx) {
  ctx.title('Users');
  const offset = Number(ctx.query.get('offset')) || 0;
  const prefix = (ctx.query.get('prefix') || '').trim();
  const query = { 'filter:type': 'user', limit: String(PAGE), offset: String(offset) };
  if (prefix) query.prefix = prefix;
  const data = await api('roles', { query });
  if (!ctx.alive()) return;
  const me = (session.get() || {}).email;
  const flag = (v) => (v ? 'yes' : '–');
  const message = h('p', { role: 'status', class: 'muted', id: 'admin-message' });
  const pageUrl = (o) => `/admin/users?${new URLSearchParams({ ...(prefix ? { prefix } : {}), offset: String(o) })}`;
  const search = h('form', { class: 'actions', role: 'search', 'aria-label': 'Find users' },
    h('label', { for: 'users-prefix' }, 'Name starts with'),
    h('input', { id: 'users-prefix', name: 'prefix', type: 'search', value: prefix }),
    h('button', { type: 'submit' }, 'Find'));
  search.addEventListener('submit', (e) => {
    e.preventDefault();
    const v = search.elements.prefix.value.trim();
    ctx.navigate(v ? `/admin/users?prefix=${encodeURIComponent(v)}` : '/admin/users');
  });
  // Blocking ends the user's sessions and stops their API key; nobody blocks themselves.
  const blockButton = (u, cell) => {
    if (u.email && u.email === me) return h('span', { class: 'muted' }, 'You');
    const label = u.is_blocked ? 'Unblock' : 'Block';
    return h('button', { type: 'button', class: u.is_blocked ? null : 'danger', 'aria-label': `${label} ${u.name}`, onclick: async () => {
      const blocking = !u.is_blocked;
      if (blocking && !window.confirm(`Block ${u.name}? They are signed out and can no longer sign in or use their API key.`)) return;
      try {
        const updated = await api(`roles/${u.id}`, { method: 'PUT', json: { is_blocked: blocking } });
        Object.assign(u, updated);
        cell.blocked.textContent = flag(u.is_blocked);
        clear(cell.action, blockButton(u, cell));
        cell.action.querySelector('button')?.focus();
        announce(`${u.name} ${u.is_blocked ? 'blocked' : 'unblocked'}.`);
        message.textContent = '';
      } catch (err) { message.textContent = err.message; }
    } }, label);
  };
  const rows = data.results.map((u) => {
    const cell = { blocked: h('td', { class: 'blocked' }, flag(u.is_blocked)), action: h('td') };
    cell.action.append(blockButton(u, cell));
    return h('tr', { 'data-id': u.id },
      h('td', null, u.name), h('td', null, u.email || '–'), h('td', null, flag(u.is_admin)), cell.blocked,
      h('td', null, flag(u.has_api_key)), h('td', null, fmt.date(u.created_at)), cell.action);
  });
  const headers = ['Name', 'E-mail', 'Admin', 'Blocked', 'API key', 'Created'].map((c) => h('th', { scope: 'col' }, c));
  headers.push(h('th', { scope: 'col' }, h('span', { class: 'sr-only' }, 'Actions')));
  clear(ctx.main, h('h1', null, 'Users'), tabs('/admin/users'), search,
    h('p', { class: 'muted' }, `${fmt.n(data.total)} ${data.total === 1 ? 'user' : 'users'}${prefix ? ` whose name starts with “${prefix}”` : ''}.`),
    message,
    h('div', { class: 'scroll', tabindex: '0', role: 'region', 'aria-label': 'Users' }, h('table', { class: 'data', id: 'users' },
      h('thead', null, h('tr', null, headers)),
      h('tbody', null, rows.length ? rows : h('tr', null, h('td', { colspan: 7, class: 'muted' }, 'No users found.'))))),
    h('nav', { class: 'pager', 'aria-label': 'Pages' },
      offset > 0 ? h('a', { href: pageUrl(Math.max(0, offset - PAGE)), rel: 'prev' }, '← Previous') : null,
      data.total > offset + PAGE ? h('a', { href: pageUrl(offset + PAGE), rel: 'next' }, 'Next →') : null));
}

export async function adminGroupsView(ctx) {
  ctx.title('Groups');
  const [groups, users] = await Promise.all([
    api('roles', { query: { 'filter:type': 'group', limit: '200' } }),
    api('roles', { query: { 'filter:type': 'user', limit: '1000' } }),
  ]);
  if (!ctx.alive()) return;
  const message = h('p', { role: 'status', class: 'muted', id: 'admin-message' });
  const name = h('input', { id: 'group-name', type: 'text', required: true });
  const create = h('form', { class: 'actions', 'aria-label': 'New group' }, h('label', { for: 'group-name' }, 'New group'), name, h('button', { type: 'submit', class: 'primary' }, 'Create'));
  create.addEventListener('submit', async (e) => {
    e.preventDefault();
    try { await api('groups', { method: 'POST', json: { name: name.value.trim() } }); ctx.navigate('/admin/groups', { replace: true }); } catch (err) { message.textContent = err.message; }
  });
  const cards = groups.results.map((g) => {
    const body = h('tbody');
    const picker = h('select', { 'aria-label': `User to add to ${g.name}`, id: `group-${g.id}-user` }, users.results.map((u) => h('option', { value: u.id }, `${u.name} (${u.email || 'no e-mail'})`)));
    const load = async () => {
      const members = await api(`groups/${g.id}/members`);
      clear(body, members.results.length ? members.results.map((m) => h('tr', null, h('td', null, m.name), h('td', null, m.email || '–'),
        h('td', null, h('button', { type: 'button', onclick: async () => {
          await api(`groups/${g.id}/members/${m.id}`, { method: 'DELETE' });
          announce(`${m.name} removed from ${g.name}.`); load();
        } }, 'Remove')))) : h('tr', null, h('td', { colspan: 3, class: 'muted' }, 'No members.')));
    };
    load().catch((err) => { message.textContent = err.message; });
    return h('section', { class: 'card group', 'data-id': g.id, 'aria-labelledby': `group-${g.id}-h` },
      h('h2', { id: `group-${g.id}-h`, style: { marginTop: 0 } }, g.name),
      h('table', { class: 'data' }, h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Member'), h('th', { scope: 'col' }, 'E-mail'), h('th', { scope: 'col' }, h('span', { class: 'sr-only' }, 'Actions')))), body),
      h('div', { class: 'actions' }, picker, h('button', { type: 'button', onclick: async () => {
        try { await api(`groups/${g.id}/members`, { method: 'POST', json: { role_id: picker.value } }); announce('Member added.'); load(); } catch (err) { message.textContent = err.message; }
      } }, 'Add member')));
  });
  clear(ctx.main, h('h1', null, 'Groups'), tabs('/admin/groups'), create, message,
    cards.length ? cards : h('p', { class: 'muted' }, 'No groups yet.'));
}
