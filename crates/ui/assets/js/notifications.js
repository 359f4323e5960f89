// Notifications: the unread count as a badge in the header (refreshed on every page
// change and every minute), and `/notifications`, the list, newest first, with
// "Mark all as read" (Aleph's mark_read) and each item's own "Mark read".
import { api, session } from './api.js';
import { h, clear, fmt, announce } from './dom.js';
import { caption } from './model.js';

// The badge element in the nav; `refreshBadge` fills it.
export function badge() {
  return h('a', { href: '/notifications', id: 'nav-notifications', class: 'notifications' }, 'Notifications',
    h('span', { class: 'badge', id: 'unread-badge', hidden: true }));
}

export async function refreshBadge() {
  const el = document.getElementById('unread-badge');
  if (!el || !session.get()) return;
  try {
    const data = await api('notifications', { query: { limit: '0' } });
    const n = Number(data.unread || 0);
    el.hidden = n === 0;
    el.textContent = n ? String(n) : '';
    el.setAttribute('aria-label', `${n} unread`);
    el.title = `${n} unread`;
  } catch { el.hidden = true; }
}

// The template's {{name}} slots, filled with links to the objects they name.
function sentence(n) {
  const template = (n.event && n.event.template) || (n.event && n.event.name) || 'Notification';
  const params = n.params || {};
  const out = [];
  let last = 0;
  for (const m of template.matchAll(/\{\{(\w+)\}\}/g)) {
    out.push(template.slice(last, m.index));
    out.push(slot(m[1], params[m[1]]));
    last = m.index + m[0].length;
  }
  out.push(template.slice(last));
  return out;
}

function slot(name, value) {
  if (value === undefined || value === null) return name === 'actor' ? 'Someone' : '–';
  if (typeof value !== 'object') return String(value);
  if (value.schema) return h('a', { href: `/entities/${encodeURIComponent(value.id)}` }, caption(value));
  if (name === 'collection' || value.category || value.foreign_id) return h('a', { href: `/collections/${value.id}` }, value.label || value.id);
  if (name === 'alert') return h('a', { href: `/search?q=${encodeURIComponent(value.query || '')}` }, `“${value.query || ''}”`);
  return h('strong', null, value.label || value.name || value.id);
}

export async function notificationsView(ctx) {
  ctx.title('Notifications');
  const offset = Number(ctx.query.get('offset')) || 0;
  const data = await api('notifications', { query: { limit: '30', offset: String(offset) } });
  if (!ctx.alive()) return;
  const list = h('ol', { class: 'notifications-list', id: 'notifications' }, data.results.map((n) => {
    const mark = h('button', { type: 'button', class: 'mark-read', onclick: async () => {
      await api('notifications/mark_read', { method: 'POST', json: { ids: [n.id] } });
      item.classList.remove('unread'); mark.remove(); refreshBadge();
    } }, 'Mark read');
    const item = h('li', { class: `notification${n.read ? '' : ' unread'}`, 'data-event': n.event && n.event.name },
      h('div', null, n.read ? null : h('span', { class: 'sr-only' }, 'Unread: '), sentence(n)),
      h('div', { class: 'muted' }, fmt.date(n.created_at), n.read ? null : [' · ', mark]));
    return item;
  }));
  const all = h('button', { type: 'button', id: 'mark-all-read', disabled: !data.unread, onclick: async () => {
    await api('notifications/mark_read', { method: 'POST', json: {} });
    for (const li of list.querySelectorAll('.unread')) li.classList.remove('unread');
    for (const b of list.querySelectorAll('.mark-read')) b.remove();
    all.disabled = true; summary.textContent = 'No unread notifications.';
    announce('All notifications marked as read.');
    refreshBadge();
  } }, 'Mark all as read');
  const summary = h('p', { class: 'muted', role: 'status' }, data.unread ? `${fmt.n(data.unread)} unread of ${fmt.n(data.total)}.` : 'No unread notifications.');
  clear(ctx.main, h('h1', null, 'Notifications'), h('div', { class: 'actions' }, summary, all),
    data.results.length ? list : h('p', { class: 'muted' }, 'Nothing has happened in your collections yet.'),
    data.total > offset + data.results.length ? h('p', null, h('a', { href: `/notifications?offset=${offset + 30}`, rel: 'next' }, 'Older →')) : null);
}
