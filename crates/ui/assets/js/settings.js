// The signed-in user's settings: display name, password and API key. The user's role is
// found from the e-mail address they signed in with (/api/2/roles/_suggest).
import { api, session } from './api.js';
import { h, clear } from './dom.js';

export async function settingsView(ctx) {
  ctx.title('Settings');
  const s = session.get();
  if (!s) { ctx.navigate('/login?next=/settings', { replace: true }); return; }
  const found = await api('roles/_suggest', { query: { prefix: s.email.toLowerCase() } });
  const me = found.results && found.results[0];
  if (!me) throw new Error('Your account could not be found.');
  const role = await api(`roles/${me.id}`);
  if (!ctx.alive()) return;
  const field = (id, label, input) => h('div', { class: 'field' }, h('label', { for: id }, label), input);
  const nameMsg = h('p', { role: 'status' });
  const name = h('input', { id: 'settings-name', type: 'text', value: role.name || '', required: true });
  const pwMsg = h('p', { role: 'status' });
  const current = h('input', { id: 'settings-current', type: 'password', autocomplete: 'current-password' });
  const next = h('input', { id: 'settings-new', type: 'password', autocomplete: 'new-password', minlength: 6 });
  const keyBox = h('div', { 'aria-live': 'polite' });
  clear(ctx.main, h('div', { class: 'narrow', style: { maxWidth: '560px' } },
    h('h1', null, 'Settings'),
    h('p', { class: 'muted' }, `Signed in as ${role.email || s.email}.`),
    h('form', { async onsubmit(e) {
      e.preventDefault();
      try { await api(`roles/${me.id}`, { method: 'POST', json: { name: name.value.trim() } }); nameMsg.textContent = 'Name saved.'; } catch (err) { nameMsg.textContent = err.message; }
    } }, h('h2', null, 'Name'), field('settings-name', 'Display name', name), h('button', { type: 'submit' }, 'Save name'), nameMsg),
    h('form', { async onsubmit(e) {
      e.preventDefault();
      try {
        await api(`roles/${me.id}`, { method: 'POST', json: { password: next.value, current_password: current.value } });
        pwMsg.textContent = 'Password changed.'; current.value = ''; next.value = '';
      } catch (err) { pwMsg.textContent = (err.body && err.body.errors && Object.values(err.body.errors)[0]) || err.message; }
    } }, h('h2', null, 'Password'), field('settings-current', 'Current password', current), field('settings-new', 'New password (at least 6 characters)', next),
    h('button', { type: 'submit' }, 'Change password'), pwMsg),
    h('section', null, h('h2', null, 'API key'),
      h('p', null, 'Scripts and ', h('code', null, 'alephclient'), ' use an API key. A new key replaces the old one, which stops working.'),
      h('button', { type: 'button', id: 'settings-key', async onclick() {
        if (!window.confirm('Replace your API key? Scripts using the old one will stop working.')) return;
        const res = await api(`roles/${me.id}/generate_api_key`, { method: 'POST' });
        clear(keyBox, h('p', null, 'Your new API key, shown only now:'), h('p', null, h('code', { id: 'api-key' }, res.api_key)));
      } }, 'Generate a new API key'), keyBox)));
}
