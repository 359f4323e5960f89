// Sign in with email and password (POST /api/2/sessions/login) and sign out.
import { api, session } from './api.js';
import { h, clear } from './dom.js';

export async function loginView(ctx) {
  ctx.title('Sign in');
  const next = ctx.query.get('next');
  const safeNext = next && next.startsWith('/') && !next.startsWith('//') ? next : '/';
  const message = h('p', { class: 'error', role: 'alert' });
  const email = h('input', { id: 'login-email', name: 'email', type: 'email', required: true, autocomplete: 'username' });
  const password = h('input', { id: 'login-password', name: 'password', type: 'password', required: true, autocomplete: 'current-password' });
  const button = h('button', { class: 'primary', type: 'submit' }, 'Sign in');
  const form = h('form', {
    method: 'post',
    async onsubmit(e) {
      e.preventDefault();
      button.disabled = true;
      message.textContent = '';
      try {
        const res = await api('sessions/login', { method: 'POST', json: { email: email.value, password: password.value } });
        session.set(res.token, email.value.trim());
        ctx.navigate(safeNext, { replace: true });
      } catch (err) {
        message.textContent = err.message || 'Sign-in failed.';
        button.disabled = false;
        password.focus();
      }
    },
  },
  h('div', { class: 'field' }, h('label', { for: 'login-email' }, 'Email'), email),
  h('div', { class: 'field' }, h('label', { for: 'login-password' }, 'Password'), password),
  message, button);
  clear(ctx.main, h('div', { class: 'narrow' }, h('h1', null, 'Sign in'), form,
    h('p', { class: 'muted' }, 'An administrator creates accounts with ', h('code', null, 'aleph createuser'), '.')));
  ctx.keepFocus = true;
  email.focus();
}

export async function logoutView(ctx) {
  ctx.title('Signing out');
  if (session.get()) {
    // Ending the session on the server matters more than the answer.
    await api('sessions/logout', { method: 'POST' }).catch(() => null);
  }
  session.clear();
  ctx.navigate('/login', { replace: true });
}
