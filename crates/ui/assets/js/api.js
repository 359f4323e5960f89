// The only way pages talk to the server: /api/2 with the session token kept in
// localStorage (a session token, never the password).

const KEY = 'aleph.session';

export const session = {
  get() {
    try { return JSON.parse(localStorage.getItem(KEY) || 'null'); } catch { return null; }
  },
  set(token, email) { localStorage.setItem(KEY, JSON.stringify({ token, email })); },
  clear() { localStorage.removeItem(KEY); },
  headers() {
    const s = this.get();
    return s ? { Authorization: `Token ${s.token}` } : {};
  },
};

export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.message) || `The server answered ${status}.`);
    this.status = status;
    this.body = body;
  }
}

// `path` is relative to /api/2/ (or absolute if it starts with '/').
export function apiUrl(path, query) {
  const url = path.startsWith('/') ? path : `/api/2/${path}`;
  if (!query) return url;
  const qs = query instanceof URLSearchParams ? query : new URLSearchParams(query);
  const s = qs.toString();
  return s ? `${url}?${s}` : url;
}

export async function api(path, { method = 'GET', query, json, form, signal } = {}) {
  const headers = { Accept: 'application/json', ...session.headers() };
  let body;
  if (json !== undefined) { headers['Content-Type'] = 'application/json'; body = JSON.stringify(json); }
  if (form !== undefined) body = form;
  const resp = await fetch(apiUrl(path, query), { method, headers, body, signal });
  if (resp.status === 401) {
    // The session expired or was revoked: forget it and ask again.
    session.clear();
    document.dispatchEvent(new CustomEvent('aleph:session'));
  }
  if (resp.status === 204 || resp.status === 202 && resp.headers.get('content-length') === '0') return null;
  const type = resp.headers.get('content-type') || '';
  const data = type.includes('json') ? await resp.json().catch(() => null) : await resp.text();
  if (!resp.ok) throw new ApiError(resp.status, typeof data === 'object' ? data : { message: data });
  return data;
}

// Links in API answers are absolute on the configured UI URL, which may name another
// host or port than the one the browser used: keep only the path and query.
export function local(url) {
  if (!url) return url;
  try {
    const u = new URL(url, location.origin);
    return u.pathname + u.search;
  } catch { return url; }
}

// Upload one multipart form with progress (fetch has no upload progress).
export function upload(path, form, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', apiUrl(path));
    for (const [k, v] of Object.entries(session.headers())) xhr.setRequestHeader(k, v);
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.upload.onprogress = (e) => { if (e.lengthComputable) onProgress(e.loaded / e.total); };
    xhr.onload = () => {
      let data = null;
      try { data = JSON.parse(xhr.responseText); } catch { /* not JSON */ }
      if (xhr.status >= 200 && xhr.status < 300) resolve(data);
      else reject(new ApiError(xhr.status, data || { message: xhr.statusText || 'Upload failed.' }));
    };
    xhr.onerror = () => reject(new ApiError(0, { message: 'The connection failed.' }));
    xhr.onabort = () => reject(new ApiError(0, { message: 'Cancelled.' }));
    xhr.send(form);
  });
}
