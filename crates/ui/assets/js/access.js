// Who may read or write a collection (/api/2/collections/{id}/permissions): the roles
// that have access, the two system roles (all visitors, all logged-in users: read only),
// groups the user can see, and people added by their e-mail address.
import { api } from './api.js';
import { h, clear, announce } from './dom.js';

export function accessPanel(collection) {
  const box = h('section', { 'aria-labelledby': 'access-h' }, h('h2', { id: 'access-h' }, 'Access'), h('p', { class: 'muted' }, 'Loading…'));
  const rows = new Map(); // role id → { role, read, write }

  async function load() {
    const data = await api(`collections/${collection.id}/permissions`);
    rows.clear();
    for (const p of data.results) rows.set(String(p.role.id), { role: p.role, read: p.read, write: p.write });
    const groups = await api('groups').catch(() => ({ results: [] }));
    for (const g of groups.results || []) if (!rows.has(String(g.id))) rows.set(String(g.id), { role: g, read: false, write: false });
    render();
  }

  function render() {
    const message = h('p', { role: 'status', id: 'access-message' });
    const email = h('input', { type: 'email', id: 'access-email', placeholder: 'name@example.org', 'aria-label': 'E-mail address of a person to add' });
    const table = h('table', { class: 'data', id: 'access' },
      h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Who'), h('th', { scope: 'col' }, 'Read'), h('th', { scope: 'col' }, 'Write'))),
      h('tbody', null, [...rows.values()].map((r) => {
        const name = r.role.label || r.role.name || r.role.id;
        const read = h('input', { type: 'checkbox', checked: r.read, 'aria-label': `${name} can read`, onchange: (e) => { r.read = e.target.checked; if (!r.read) { r.write = false; write.checked = false; } } });
        const write = h('input', { type: 'checkbox', checked: r.write, disabled: r.role.type === 'system', 'aria-label': `${name} can write`, onchange: (e) => { r.write = e.target.checked; if (r.write) { r.read = true; read.checked = true; } } });
        return h('tr', null, h('td', null, name, ' ', h('span', { class: 'muted' }, r.role.type === 'system' ? 'everyone' : (r.role.type || ''))), h('td', null, read), h('td', null, write));
      })));
    clear(box, h('h2', { id: 'access-h' }, 'Access'), table,
      h('form', { class: 'actions', async onsubmit(e) {
        e.preventDefault();
        const address = email.value.trim().toLowerCase();
        if (!address) return;
        const found = await api('roles/_suggest', { query: { prefix: address } }).catch(() => ({ results: [] }));
        const role = found.results && found.results[0];
        if (!role) { message.textContent = `Nobody with the address ${address} has an account.`; return; }
        rows.set(String(role.id), { role, read: true, write: false, email: address });
        render();
        announce(`${role.label || address} added; save to grant access.`);
      } }, h('label', { for: 'access-email' }, 'Add a person'), email, h('button', { type: 'submit' }, 'Add')),
      h('div', { class: 'actions' }, h('button', { type: 'button', class: 'primary', id: 'access-save', async onclick() {
        const body = [...rows.values()].map((r) => ({ role_id: r.role.id, read: r.read, write: r.write, ...(r.email ? { email: r.email } : {}) }));
        try {
          await api(`collections/${collection.id}/permissions`, { method: 'PUT', json: body });
          await load();
          announce('Access saved.');
          const m = box.querySelector('#access-message'); if (m) m.textContent = 'Saved.';
        } catch (err) { message.textContent = err.message; }
      } }, 'Save access')),
      message);
  }

  load().catch((err) => clear(box, h('h2', { id: 'access-h' }, 'Access'), h('p', { class: 'error' }, err.message)));
  return box;
}
