// Upload of files and whole folders by drag and drop or by picking them: folders are made
// first (each a Folder document, its children get `parent_id`), then files go up four at
// a time, each with its own progress and error, and the failed ones can be sent again.
import { upload, api } from './api.js';
import { h, clear, announce } from './dom.js';

const PARALLEL = 4;

// Walk a dropped directory entry into [{file, path}].
async function walkEntry(entry, prefix, out) {
  if (entry.isFile) {
    const file = await new Promise((resolve, reject) => entry.file(resolve, reject));
    out.push({ file, path: prefix + file.name });
  } else if (entry.isDirectory) {
    const reader = entry.createReader();
    // readEntries returns the listing in batches until it returns an empty one.
    for (;;) {
      const batch = await new Promise((resolve, reject) => reader.readEntries(resolve, reject));
      if (!batch.length) break;
      for (const child of batch) await walkEntry(child, `${prefix}${entry.name}/`, out);
    }
  }
}

export async function filesFromDrop(dataTransfer) {
  const out = [];
  const entries = [...(dataTransfer.items || [])]
    .map((item) => (item.webkitGetAsEntry ? item.webkitGetAsEntry() : null)).filter(Boolean);
  if (entries.length) {
    for (const entry of entries) await walkEntry(entry, '', out);
  } else {
    for (const file of dataTransfer.files || []) out.push({ file, path: file.name });
  }
  return out;
}

export function uploader(collection, { parentId = null, onUploaded } = {}) {
  const list = h('ul', { class: 'uploads', 'aria-label': 'Files to upload' });
  const summary = h('p', { 'aria-live': 'polite', id: 'upload-summary' });
  const fileInput = h('input', { type: 'file', multiple: true, id: 'upload-files', class: 'sr-only' });
  const dirInput = h('input', { type: 'file', multiple: true, webkitdirectory: true, id: 'upload-folder', class: 'sr-only' });
  const retry = h('button', { type: 'button', hidden: true, onclick: () => run(items.filter((i) => i.state === 'failed')) }, 'Retry failed uploads');
  const zone = h('div', { class: 'dropzone', id: 'dropzone' },
    h('p', null, 'Drop files or folders here, or'),
    h('div', { class: 'actions', style: { justifyContent: 'center' } },
      h('label', { class: 'button', for: 'upload-files', tabindex: '0', onkeydown: keyClick }, 'Choose files…'),
      h('label', { class: 'button', for: 'upload-folder', tabindex: '0', onkeydown: keyClick }, 'Choose a folder…')),
    fileInput, dirInput,
    h('p', { class: 'muted' }, 'Folder structure is kept. For many thousands of files, ', h('code', null, 'aleph client crawldir'), ' resumes where it stopped.'));
  const box = h('section', { 'aria-labelledby': 'upload-h' }, h('h2', { id: 'upload-h' }, 'Upload documents'), zone, summary, retry, list);
  let items = [];
  const folders = new Map(); // relative folder path → document id

  function keyClick(e) { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); e.target.click(); } }

  for (const ev of ['dragenter', 'dragover']) zone.addEventListener(ev, (e) => { e.preventDefault(); zone.classList.add('over'); });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', async (e) => {
    e.preventDefault();
    zone.classList.remove('over');
    add(await filesFromDrop(e.dataTransfer));
  });
  fileInput.addEventListener('change', () => { add([...fileInput.files].map((file) => ({ file, path: file.name }))); fileInput.value = ''; });
  dirInput.addEventListener('change', () => { add([...dirInput.files].map((file) => ({ file, path: file.webkitRelativePath || file.name }))); dirInput.value = ''; });

  function add(found) {
    const fresh = found.map(({ file, path }) => {
      const bar = h('progress', { max: 1, value: 0, 'aria-label': `Upload of ${path}` });
      const state = h('span', { class: 'state' }, 'waiting');
      const row = h('li', null, h('span', { class: 'path', title: path }, path), bar, state);
      list.append(row);
      return { file, path, bar, stateEl: state, row, state: 'waiting' };
    });
    items = items.concat(fresh);
    run(fresh);
  }

  function folderId(dir) {
    if (!dir) return Promise.resolve(parentId);
    if (folders.has(dir)) return folders.get(dir);
    const cut = dir.lastIndexOf('/');
    // A promise in the map before anything is awaited, so that siblings uploading at once
    // make the folder once.
    const made = (async () => {
      const parent = await folderId(cut >= 0 ? dir.slice(0, cut) : '');
      const meta = { file_name: dir.slice(cut + 1), foreign_id: dir };
      if (parent) meta.parent_id = parent;
      const res = await api(`collections/${collection.id}/ingest`, { method: 'POST', form: new URLSearchParams({ meta: JSON.stringify(meta) }) });
      return res.id;
    })();
    folders.set(dir, made);
    made.catch(() => folders.delete(dir));
    return made;
  }

  async function send(item) {
    item.state = 'uploading';
    item.stateEl.textContent = 'uploading';
    item.row.className = '';
    try {
      const cut = item.path.lastIndexOf('/');
      const parent = await folderId(cut >= 0 ? item.path.slice(0, cut) : '');
      const meta = { file_name: item.file.name, foreign_id: item.path };
      if (parent) meta.parent_id = parent;
      const form = new FormData();
      form.append('meta', JSON.stringify(meta));
      form.append('file', item.file, item.file.name);
      await upload(`collections/${collection.id}/ingest`, form, (p) => { item.bar.value = p; });
      item.bar.value = 1;
      item.state = 'done';
      item.stateEl.textContent = 'uploaded';
      item.stateEl.className = 'state ok';
    } catch (err) {
      item.state = 'failed';
      item.stateEl.textContent = `failed: ${err.message}`;
      item.stateEl.className = 'state error';
    }
    update();
  }

  function update() {
    const done = items.filter((i) => i.state === 'done').length;
    const failed = items.filter((i) => i.state === 'failed').length;
    const busy = items.some((i) => i.state === 'uploading' || i.state === 'waiting');
    summary.textContent = `${done} of ${items.length} files uploaded${failed ? `, ${failed} failed` : ''}${busy ? '…' : '. Processing starts now; its progress shows above.'}`;
    retry.hidden = busy || !failed;
    box.dataset.state = busy ? 'uploading' : 'idle';
  }

  async function run(batch) {
    if (!batch.length) return;
    for (const item of batch) { item.state = 'waiting'; item.stateEl.textContent = 'waiting'; }
    update();
    const queue = [...batch];
    const workers = Array.from({ length: Math.min(PARALLEL, queue.length) }, async () => {
      while (queue.length) await send(queue.shift());
    });
    await Promise.all(workers);
    update();
    announce(summary.textContent);
    if (onUploaded) onUploaded();
  }

  return { el: box, reset() { items = []; clear(list); summary.textContent = ''; } };
}
