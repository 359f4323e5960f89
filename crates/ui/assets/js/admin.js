// Administration (admins only): users with their flags, groups with their members. A
// group's members are added by picking a user and removed with one button.
import { api } from './api.js';
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
  const data = await api('roles', { query: { 'filter:type': 'user', limit: String(PAGE), offset: String(offset) } });
  if (!ctx.alive()) return;
  const flag = (v) => (v ? 'yes' : '–');
  clear(ctx.main, h('h1', null, 'Users'), tabs('/admin/users'),
    h('p', { class: 'muted' }, `${fmt.n(data.total)} users.`),
    h('div', { class: 'scroll', tabindex: '0', role: 'region', 'aria-label': 'Users' }, h('table', { class: 'data', id: 'users' },
      h('thead', null, h('tr', null, ['Name', 'E-mail', 'Admin', 'Blocked', 'API key', 'Created'].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', null, data.results.map((u) => h('tr', { 'data-id': u.id },
        h('td', null, u.name), h('td', null, u.email || '–'), h('td', null, flag(u.is_admin)), h('td', null, flag(u.is_blocked)),
        h('td', null, flag(u.has_api_key)), h('td', null, fmt.date(u.created_at))))))),
    h('nav', { class: 'pager', 'aria-label': 'Pages' },
      offset > 0 ? h('a', { href: `/admin/users?offset=${Math.max(0, offset - PAGE)}`, rel: 'prev' }, '← Previous') : null,
      data.total > offset + PAGE ? h('a', { href: `/admin/users?offset=${offset + PAGE}`, rel: 'next' }, 'Next →') : null));
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
