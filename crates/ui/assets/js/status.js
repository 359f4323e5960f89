// A collection's processing status from /api/2/collections/{id}/processing: progress by
// stage, live while work is queued, an estimate of the time left, failed files with their
// reasons, and "retry failed" for writers.
import { api, session } from './api.js';
import { h, clear, fmt, announce } from './dom.js';

// The system status page: every collection with work in progress, refreshed every 3 s.
export async function systemStatusView(ctx) {
  ctx.title('Processing status');
  const box = h('div', { 'aria-live': 'polite' }, h('p', { class: 'muted' }, 'Loading…'));
  clear(ctx.main, h('h1', null, 'Processing status'), box);
  let timer = null;
  const refresh = async () => {
    const data = await api('status');
    if (!ctx.alive()) return;
    clear(box, data.results.length ? h('table', { class: 'data' },
      h('thead', null, h('tr', null, ['Collection', 'Progress', 'Finished', 'Running', 'Pending'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', null, data.results.map((r) => {
        const ix = r.index_rebuild;
        if (ix) {
          const counts = ix.total !== undefined ? `: ${fmt.n(ix.indexed)} of ${fmt.n(ix.total)} entities` : '';
          return h('tr', { id: 'index-rebuild' },
            h('td', null, `Search index rebuilding${counts}`, h('div', { class: 'muted' }, 'searches see only what is indexed so far')),
            h('td', null, h('progress', { max: 100, value: ix.percent, 'aria-label': 'Index rebuild progress' })),
            h('td', { class: 'num' }, `${ix.percent}%`), h('td', { class: 'num' }, '–'), h('td', { class: 'num' }, '–'));
        }
        const total = r.finished + r.running + r.pending;
        return h('tr', null,
          h('td', null, r.collection ? h('a', { href: `/collections/${r.collection.id}` }, r.collection.label) : 'Other tasks',
            h('div', { class: 'muted' }, `started ${fmt.date(r.start_time)} · last update ${fmt.date(r.last_update)}`)),
          h('td', null, h('progress', { max: total || 1, value: r.finished, 'aria-label': 'Progress' })),
          h('td', { class: 'num' }, fmt.n(r.finished)), h('td', { class: 'num' }, fmt.n(r.running)), h('td', { class: 'num' }, fmt.n(r.pending)));
      }))) : h('p', null, 'There are no ongoing tasks.'));
    timer = setTimeout(refresh, 3000);
  };
  await refresh();
  return () => clearTimeout(timer);
}

const STATES = ['queued', 'running', 'succeeded', 'failed', 'dead', 'cancelled'];

export function statusPanel(collection, { onIdle } = {}) {
  const box = h('section', { class: 'status-box', 'aria-labelledby': 'status-h' },
    h('h2', { id: 'status-h', style: { marginTop: 0 } }, 'Processing'), h('p', { class: 'muted' }, 'Loading…'));
  const live = h('p', { 'aria-live': 'polite', id: 'status-line' });
  let timer = null;
  let stopped = false;
  let wasActive = false;

  async function refresh() {
    timer = null;
    let data;
    try {
      data = await api(`collections/${collection.id}/processing`, { query: { limit: '50' } });
    } catch (err) {
      if (!stopped) clear(box, h('h2', { id: 'status-h' }, 'Processing'), h('p', { class: 'error' }, err.message));
      return;
    }
    if (stopped) return;
    render(data);
    const active = Boolean(data.summary && data.summary.active);
    if (wasActive && !active && onIdle) onIdle();
    wasActive = active;
    if (active) timer = setTimeout(refresh, 1500);
  }

  function render(data) {
    const s = data.summary || { stages: [] };
    let total = 0; let done = 0; let failed = 0;
    const rows = s.stages.map((st) => {
      const c = st.counts || {};
      const all = STATES.reduce((n, k) => n + (c[k] || 0), 0);
      total += all; done += (c.succeeded || 0) + (c.cancelled || 0); failed += (c.failed || 0) + (c.dead || 0);
      return h('tr', null, h('th', { scope: 'row' }, st.stage),
        h('td', { class: 'num' }, fmt.n(c.queued || 0)), h('td', { class: 'num' }, fmt.n(c.running || 0)),
        h('td', { class: 'num' }, fmt.n(c.succeeded || 0)), h('td', { class: 'num' }, fmt.n((c.failed || 0) + (c.dead || 0))),
        h('td', null, h('progress', { max: all || 1, value: (c.succeeded || 0) + (c.failed || 0) + (c.dead || 0) + (c.cancelled || 0), 'aria-label': `${st.stage} progress` })));
    });
    const finished = done + failed;
    const line = s.active
      ? `Processing: ${fmt.n(finished)} of ${fmt.n(total)} steps done${failed ? `, ${fmt.n(failed)} failed` : ''} · about ${fmt.duration(s.eta_seconds)} left`
      : total ? `Done: ${fmt.n(done)} steps succeeded${failed ? `, ${fmt.n(failed)} failed` : ''}.` : 'Nothing has been processed yet.';
    if (live.textContent !== line) { live.textContent = line; if (!s.active) announce(line); }
    box.className = `status-box ${s.active ? '' : failed ? 'failed' : 'done'}`;
    box.dataset.state = s.active ? 'active' : 'idle';
    const failures = data.results || [];
    const writeable = collection.writeable && session.get();
    clear(box,
      h('h2', { id: 'status-h', style: { marginTop: 0 } }, 'Processing'),
      live,
      s.active ? h('progress', { max: total || 1, value: finished, 'aria-label': 'Overall progress' }) : null,
      rows.length ? h('div', { style: { overflowX: 'auto' }, tabindex: '0' }, h('table', { class: 'data stages' },
        h('thead', null, h('tr', null, ['Stage', 'Queued', 'Running', 'Done', 'Failed', 'Progress'].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', null, rows))) : null,
      s.active && s.jobs_per_minute ? h('p', { class: 'muted' }, `${s.jobs_per_minute} steps per minute over the last ten minutes.`) : null,
      failures.length ? [
        h('h3', null, `Failed files (${fmt.n(data.total)})`),
        h('div', { class: 'actions' },
          writeable ? h('button', { type: 'button', id: 'retry-failed', async onclick(e) {
            e.target.disabled = true;
            try {
              const res = await api(`collections/${collection.id}/retry`, { method: 'POST' });
              announce(`${fmt.n(res && res.queued)} files queued again.`);
            } catch (err) { announce(err.message); }
            refresh();
          } }, 'Retry failed') : null,
          h('button', { type: 'button', onclick: () => downloadCsv(collection) }, 'Download the list (CSV)')),
        h('div', { class: 'scroll', tabindex: '0' }, h('table', { class: 'data', id: 'failures' },
          h('thead', null, h('tr', null, ['File', 'Stage', 'Reason'].map((t) => h('th', { scope: 'col' }, t)))),
          h('tbody', null, failures.map((j) => h('tr', null,
            h('td', { class: 'mono' }, j.entity_id ? h('a', { href: `/entities/${encodeURIComponent(j.entity_id)}` }, j.path || j.entity_id) : (j.path || '–')),
            h('td', null, j.stage),
            h('td', null, j.error_class ? h('strong', null, `${j.error_class}: `) : null, j.error_message || '–')))))),
      ] : null);
  }

  async function downloadCsv() {
    const resp = await fetch(`/api/2/collections/${collection.id}/processing?format=csv`, { headers: session.headers() });
    const blob = await resp.blob();
    const a = h('a', { href: URL.createObjectURL(blob), download: `${collection.foreign_id || collection.id}-failures.csv` });
    document.body.append(a); a.click(); a.remove();
  }

  refresh();
  return {
    el: box,
    // New work was queued: whatever the next answer says, the listing must follow it, even
    // if the work is already done by then.
    kick() { wasActive = true; if (!timer && !stopped) refresh(); },
    stop() { stopped = true; if (timer) clearTimeout(timer); },
  };
}
