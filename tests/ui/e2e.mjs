// End-to-end test of the web interface in a real browser (Debian's Chromium driven by
// playwright-core): a real `aleph serve` on loopback, a login, a collection, an upload of
// a mixed folder, processing to the end, search, facets, the viewers, an entity (expand,
// similar), a diagram, a timeline and a list, a real xref review, the admin pages, logout,
// and a second user who sees none of it, then gets access and a notification. Every page
// is saved as a screenshot, and axe-core checks the main pages for serious or critical
// accessibility violations.
//
// Environment: ALEPH_BIN (the binary), UI_NPM (where playwright-core and axe-core are
// installed), UI_SCREENSHOTS (output folder), CHROMIUM (the browser).
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { writeFixtures, PHRASE, ENTITIES } from './fixtures.mjs';

const npm = process.env.UI_NPM || '/var/tmp/aleph-ui-npm';
const require = createRequire(join(npm, 'package.json'));
const { chromium } = require('playwright-core');
const axePath = require.resolve('axe-core/axe.min.js');

const bin = process.env.ALEPH_BIN || join(process.env.CARGO_TARGET_DIR || 'target', 'debug', 'aleph');
const shots = resolve(process.env.UI_SCREENSHOTS || join(process.env.CARGO_TARGET_DIR || 'target', 'ui-screenshots'));
mkdirSync(shots, { recursive: true });

const work = mkdtempSync(join(tmpdir(), 'aleph-ui-'));
const dataDir = join(work, 'data');

function freePort() {
  return new Promise((ok) => {
    const srv = createServer().listen(0, '127.0.0.1', () => { const { port } = srv.address(); srv.close(() => ok(port)); });
  });
}

function cleanEnv(extra = {}) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('ALEPH_') && k !== 'ARCHIVE_PATH') env[k] = v;
  return { ...env, RUST_LOG: 'warn', ...extra };
}

async function startServer() {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const proc = spawn(bin, ['serve', '--data-dir', dataDir, '--bind', `127.0.0.1:${port}`, '--workers', '2'],
    { env: cleanEnv({ ALEPH_UI_URL: `${url}/` }), stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  const creds = await new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`aleph serve did not start:\n${out}`)), 120000);
    proc.stdout.on('data', (chunk) => {
      out += chunk;
      const email = out.match(/email:\s+(\S+)/); const password = out.match(/password:\s+(\S+)/); const key = out.match(/API key:\s+(\S+)/);
      if (email && password && key && /listening/.test(out)) { clearTimeout(timer); ok({ email: email[1], password: password[1], apiKey: key[1] }); }
    });
    proc.on('exit', (code) => fail(new Error(`aleph serve exited with ${code}:\n${out}`)));
  });
  for (let i = 0; i < 100; i += 1) {
    try { if ((await fetch(`${url}/healthz`)).ok) break; } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { url, proc, ...creds };
}

const server = await startServer();
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
const failures = [];
const a11y = [];

async function shot(page, name) {
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
}

// axe-core in the page: no serious or critical violation.
async function checkA11y(page, name) {
  await page.addScriptTag({ path: axePath });
  const result = await page.evaluate(async () => window.axe.run(document, { resultTypes: ['violations'] }));
  const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  a11y.push(`${name}: ${result.violations.length} violations (${result.violations.map((v) => `${v.id}/${v.impact}`).join(', ') || 'none'}), ${bad.length} serious or critical`);
  assert.deepEqual(bad.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join('; ')}`), [], `accessibility of ${name}`);
}

async function step(name, fn) {
  const started = Date.now();
  try {
    await fn();
    console.log(`ok   ${name} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  } catch (err) {
    console.log(`FAIL ${name}: ${err.stack || err}`);
    failures.push(name);
    // What the page showed when the step failed, for whoever reads the CI log.
    if (currentPage) await shot(currentPage, 'failed-step').catch(() => {});
    throw err;
  }
}

let collectionId;
let currentPage = null;
try {
  // bypassCSP: the pages' policy forbids inline scripts, and axe-core is injected as one.
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, bypassCSP: true });
  if (process.env.UI_ASSETS_DIR) {
    // Development: serve the interface's files from disk, so that a change to them needs
    // no rebuild of the binary to be tried.
    const { readFileSync } = await import('node:fs');
    await context.route('**/static/**', (route) => {
      const path = new URL(route.request().url()).pathname.replace(/^\/static\//, '');
      const type = path.endsWith('.css') ? 'text/css' : 'text/javascript';
      route.fulfill({ body: readFileSync(join(process.env.UI_ASSETS_DIR, path)), contentType: type });
    });
  }
  const page = await context.newPage();
  currentPage = page;
  page.setDefaultTimeout(20000);
  const consoleErrors = [];
  page.on('pageerror', (err) => consoleErrors.push(String(err)));
  const base = server.url;

  await step('login page, then sign in', async () => {
    await page.goto(`${base}/collections`);
    await page.click('#nav a:has-text("Sign in")');
    await page.waitForURL(/\/login\?next=%2Fcollections/);
    await page.fill('#login-email', server.email);
    await page.fill('#login-password', 'wrong password');
    await page.click('form button[type=submit]');
    await page.locator('[role=alert]', { hasText: /invalid/i }).waitFor();
    await shot(page, '01-login');
    await checkA11y(page, 'login');
    await page.fill('#login-password', server.password);
    await page.click('form button[type=submit]');
    await page.waitForURL(`${base}/collections`);
    await page.locator('#logout').waitFor();
  });

  await step('the start page and the syntax help', async () => {
    await page.goto(`${base}/`);
    await page.click('text=Search syntax and keyboard shortcuts');
    await page.waitForURL(/\/help\/search$/);
    await page.locator('h2', { hasText: 'Keyboard shortcuts' }).waitFor();
    await checkA11y(page, 'help');
    // `/` jumps to the search box from anywhere.
    await page.locator('body').press('/');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'bar-q');
    await page.goto(`${base}/collections`);
  });

  await step('create a collection', async () => {
    await page.click('text=New collection');
    await page.waitForURL(/\/collections\/new$/);
    await page.fill('#c-label', 'Harbour investigation');
    await page.fill('#c-summary', 'Documents about the harbour.');
    await shot(page, '02-collection-new');
    await page.click('button:has-text("Create")');
    await page.waitForURL(/\/collections\/\d+$/);
    collectionId = page.url().match(/collections\/(\d+)$/)[1];
    await page.locator('h1', { hasText: 'Harbour investigation' }).waitFor();
  });

  await step('upload a folder of mixed files and watch processing end', async () => {
    const folder = writeFixtures(work);
    await page.setInputFiles('#upload-folder', folder);
    await page.locator('#upload-summary', { hasText: /7 of 7 files uploaded\./ }).waitFor({ timeout: 60000 });
    // Processing runs in the server's workers; the status panel polls until it is idle.
    await page.locator('.status-box[data-state=idle]', { hasText: 'Done' }).waitFor({ timeout: 120000 });
    await page.locator('#documents a', { hasText: 'evidence' }).waitFor({ timeout: 30000 });
    assert.equal(await page.locator('button:has-text("Retry failed uploads")').isVisible(), false, 'no upload failed, so no upload retry');
    const failed = await page.locator('#failures tbody tr').count();
    assert.equal(failed, 0, 'no file failed');
    await shot(page, '03-collection-processed');
    await checkA11y(page, 'collection');
    // The folder tree keeps the uploaded structure.
    await page.click('#documents button[aria-label="Open evidence"]');
    await page.locator('#documents a', { hasText: 'reports' }).waitFor();
    await page.locator('#documents a', { hasText: 'vessels.csv' }).waitFor();
    // Sibling files went up four at a time, each needing its folders: one folder per path.
    const folders = await (await fetch(`${base}/api/2/entities?filter:collection_id=${collectionId}&filter:schema=Folder&limit=20`,
      { headers: { Authorization: `ApiKey ${server.apiKey}` } })).json();
    assert.deepEqual(folders.results.map((e) => e.properties.fileName[0]).sort(), ['evidence', 'mail', 'reports']);
  });

  await step('drop a file on the collection page', async () => {
    const transfer = await page.evaluateHandle(() => {
      const dt = new DataTransfer();
      dt.items.add(new File(['Dropped memo about the harbour crane.'], 'dropped-memo.txt', { type: 'text/plain' }));
      return dt;
    });
    await page.dispatchEvent('#dropzone', 'dragenter', { dataTransfer: transfer });
    await page.dispatchEvent('#dropzone', 'drop', { dataTransfer: transfer });
    await page.locator('#upload-summary', { hasText: /8 of 8 files uploaded\./ }).waitFor({ timeout: 60000 });
    await page.locator('#documents a', { hasText: 'dropped-memo.txt' }).waitFor({ timeout: 60000 });
  });

  await step('a file that cannot be processed is listed with its reason, and retried', async () => {
    const transfer = await page.evaluateHandle(() => {
      const dt = new DataTransfer();
      dt.items.add(new File(['%PDF-1.4\nthis is not really a PDF at all\n'], 'broken.pdf', { type: 'application/pdf' }));
      return dt;
    });
    await page.dispatchEvent('#dropzone', 'drop', { dataTransfer: transfer });
    await page.locator('#upload-summary', { hasText: /9 of 9 files uploaded\./ }).waitFor({ timeout: 60000 });
    const row = page.locator('#failures tbody tr', { hasText: 'broken.pdf' });
    await row.waitFor({ timeout: 60000 });
    const reason = (await row.locator('td').nth(2).textContent()).trim();
    assert.ok(reason.length > 3 && reason !== '–', `a reason is given: ${reason}`);
    await shot(page, '04-collection-failure');
    const [retry] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith(`/collections/${collectionId}/retry`)),
      page.click('#retry-failed'),
    ]);
    assert.equal(retry.status(), 202);
    assert.ok((await retry.json()).queued >= 1, 'the failed file was queued again');
  });

  await step('create, edit and delete a scratch collection', async () => {
    await page.goto(`${base}/collections/new`);
    await page.fill('#c-label', 'Scratch');
    await page.click('button:has-text("Create")');
    await page.waitForURL(/\/collections\/\d+$/);
    await page.click('a:has-text("Edit")');
    await page.waitForURL(/\/edit$/);
    await page.fill('#c-label', 'Scratch renamed');
    await page.click('button:has-text("Save")');
    await page.locator('h1', { hasText: 'Scratch renamed' }).waitFor();
    page.once('dialog', (dialog) => dialog.accept());
    await page.click('button:has-text("Delete")');
    await page.waitForURL(`${base}/collections`);
    await page.locator('.card a', { hasText: 'Harbour investigation' }).waitFor();
    assert.equal(await page.locator('.card a', { hasText: 'Scratch' }).count(), 0);
  });

  await step('load entities through the API', async () => {
    const resp = await fetch(`${base}/api/2/collections/${collectionId}/_bulk`, {
      method: 'POST', headers: { Authorization: `ApiKey ${server.apiKey}`, 'Content-Type': 'application/json' }, body: JSON.stringify(ENTITIES),
    });
    assert.ok(resp.ok, `bulk load: ${resp.status}`);
  });

  await step('search a phrase from the PDF and open the hit on its page', async () => {
    await page.goto(`${base}/search?q=${encodeURIComponent(`"${PHRASE}"`)}`);
    await page.locator('.result').first().waitFor();
    await page.locator('.result mark').first().waitFor();
    await shot(page, '05-search-phrase');
    await checkA11y(page, 'search');
    await page.locator('.result .title a', { hasText: 'annual-report.pdf' }).click();
    await page.waitForURL(/\/entities\/.+\?q=/);
    await page.locator('#page-text mark', { hasText: /zanzibar/i }).first().waitFor();
    assert.equal(await page.inputValue('#page-number'), '2', 'the hit is on page 2');
    // The browser's own PDF viewer, on the same page, from a copy of the archived file.
    await page.click('#show-pdf');
    await page.waitForFunction(() => /^blob:.*#page=2$/.test(document.querySelector('iframe.doc')?.getAttribute('src') || ''));
    await page.keyboard.press('ArrowLeft');
    await page.waitForFunction(() => document.querySelector('#page-number').value === '1');
    await page.locator('#page-text', { hasText: 'Annual report of the Harbour Trading Company' }).waitFor();
    await page.keyboard.press('ArrowRight');
    await page.locator('#page-text mark', { hasText: /zanzibar/i }).first().waitFor();
    await shot(page, '06-pdf-page');
    await checkA11y(page, 'pdf viewer');
  });

  await step('apply a facet, see the chip, remove it', async () => {
    await page.goto(`${base}/search?filter:collection_id=${collectionId}&facet_size:schema=2`);
    await page.locator('#result-count').waitFor();
    // Two types shown, the rest behind "Show more", which keeps its size in the URL.
    assert.equal(await page.locator('button[data-facet=schema]').count(), 2);
    await page.click('a[data-more=schema]');
    await page.waitForURL(/facet_size%3Aschema=22|facet_size:schema=22/);
    await page.locator('button[data-facet=schema][data-value=Email]').waitFor();
    const before = await page.textContent('#result-count');
    const facet = page.locator('button[data-facet=schema][data-value=Email]');
    await facet.click();
    await page.waitForURL(/filter%3Aschema=Email|filter:schema=Email/);
    await page.locator('.chip', { hasText: 'Type' }).waitFor();
    await page.locator('.result .title a', { hasText: /^Quarterly shipment figures$/ }).waitFor();
    assert.notEqual(await page.textContent('#result-count'), before);
    await shot(page, '07-search-facet');
    await page.locator('.chip', { hasText: 'Type' }).locator('button').click();
    await page.locator('.chip', { hasText: 'Type' }).waitFor({ state: 'detached' });
    await page.locator('.chip', { hasText: 'Collection' }).waitFor();
    await page.waitForFunction((b) => document.querySelector('#result-count')?.textContent === b, before);
  });

  await step('open an e-mail and its attachment', async () => {
    await page.goto(`${base}/search?filter:collection_id=${collectionId}&filter:schema=Email`);
    await page.locator('.result .title a', { hasText: /^Quarterly shipment figures$/ }).click();
    await page.locator('.email-head', { hasText: 'Quarterly shipment figures' }).waitFor();
    await page.locator('#children a', { hasText: 'figures.txt' }).waitFor();
    await page.locator('#thread a', { hasText: 'Re: Quarterly shipment figures' }).waitFor();
    // Its neighbour in the folder is one link away.
    await page.locator('#doc-nav a[rel=next]', { hasText: 'Re: Quarterly shipment figures' }).waitFor();
    await shot(page, '08-email');
    await checkA11y(page, 'email');
    await page.locator('#children a', { hasText: 'figures.txt' }).click();
    await page.locator('#doc-text', { hasText: '12 containers of cloves' }).waitFor();
    await shot(page, '09-attachment');
  });

  await step('open a table and page it', async () => {
    await page.goto(`${base}/search?filter:collection_id=${collectionId}&filter:schema=Table`);
    await page.locator('.result .title a', { hasText: 'vessels.csv' }).click();
    await page.locator('#table-grid tbody tr').first().waitFor();
    // Rows come a page at a time from the server, which also applies the filters.
    assert.match(await page.textContent('#table-line'), /Rows 1–50 of 120/);
    await page.click('#table-next');
    await page.locator('#table-line', { hasText: /Rows 51–100 of 120/ }).waitFor();
    await page.fill('input[aria-label="Filter column name"]', 'Vessel 11');
    await page.locator('#table-line', { hasText: /of 11 \(filtered from 120\)/ }).waitFor();
    await shot(page, '10-table');
    await checkA11y(page, 'table');
  });

  await step('open the other viewers: image, text, HTML', async () => {
    await page.goto(`${base}/search?filter:collection_id=${collectionId}&filter:schema=Image`);
    await page.locator('.result .title a', { hasText: 'pixel.png' }).click();
    await page.locator('img.doc').waitFor();
    await page.waitForFunction(() => document.querySelector('img.doc')?.naturalWidth === 1);
    await page.goto(`${base}/search?filter:collection_id=${collectionId}&q=cloves`);
    await page.locator('.result .title a', { hasText: 'notes.txt' }).click();
    await page.locator('#doc-text mark', { hasText: 'cloves' }).waitFor();
    await shot(page, '11-text');
    await page.goto(`${base}/search?filter:collection_id=${collectionId}&filter:schema=HyperText`);
    await page.locator('.result .title a').first().click();
    const frame = page.frameLocator('iframe.html');
    await frame.locator('h1', { hasText: 'Harbour news' }).waitFor();
    // The page's script is gone from the stored HTML (and the frame allows no scripts anyway).
    assert.equal(await frame.locator('script').count(), 0);
    await shot(page, '12-html');
  });

  // A second collection the administrator keeps: a copy of the person and the company
  // (for "similar" and the real cross-reference), and dated entities for a timeline.
  let registryId;
  const apiCall = async (path, { method = 'GET', json } = {}) => {
    const resp = await fetch(`${base}/api/2/${path}`, {
      method, headers: { Authorization: `ApiKey ${server.apiKey}`, 'Content-Type': 'application/json', Accept: 'application/json' },
      body: json === undefined ? undefined : JSON.stringify(json),
    });
    assert.ok(resp.ok, `${method} ${path}: ${resp.status} ${await resp.clone().text()}`);
    return resp.status === 204 ? null : resp.json();
  };
  const findId = async (q, collection, schema) => {
    const found = await apiCall(`entities?q=${encodeURIComponent(q)}&filter:collection_id=${collection}&filter:schema=${schema}`);
    assert.ok(found.results.length, `${q} in ${collection}`);
    return found.results[0].id;
  };

  await step('a second collection with a matching person and company (API)', async () => {
    registryId = (await apiCall('collections', { method: 'POST', json: { label: 'Port registry', foreign_id: 'port-registry' } })).id;
    await apiCall(`collections/${registryId}/_bulk`, { method: 'POST', json: [
      { id: 'reg-jane', schema: 'Person', properties: { name: ['Jane Harbourmaster'], nationality: ['gb'] } },
      { id: 'reg-co', schema: 'Company', properties: { name: ['Harbour Trading Company'], jurisdiction: ['gb'] } },
      { id: 'reg-meeting', schema: 'Event', properties: { name: ['Harbour board meeting'], date: ['2019-05-04'] } },
      { id: 'reg-pay', schema: 'Payment', properties: { purpose: ['Dock fees'], amount: ['1200'], date: ['2018-02-01'], payer: ['reg-co'], beneficiary: ['reg-jane'] } },
    ] });
    await findId('Harbour board meeting', registryId, 'Event');
  });

  await step('open an entity with its relationships', async () => {
    await page.goto(`${base}/search?q=${encodeURIComponent('Jane Harbourmaster')}`);
    await page.locator('.result', { hasText: 'Harbour investigation' }).locator('.title a', { hasText: 'Jane Harbourmaster' }).click();
    await page.locator('h1', { hasText: 'Jane Harbourmaster' }).waitFor();
    await page.locator('#rel-h').waitFor();
    // Relationships come from the expand endpoint, one group per property.
    await page.locator('.rel-group[data-property=ownershipOwner]').locator('a', { hasText: 'Harbour Trading Company' }).waitFor();
    // Similar: the copy in the other collection, scored by the matcher.
    await page.locator('#similar tr.similar', { hasText: 'Port registry' }).locator('a', { hasText: 'Jane Harbourmaster' }).waitFor();
    // The network: the person, the company through the ownership edge; expand the company.
    const company = page.locator('#network-svg .node', { hasText: 'Harbour Trading Company' });
    await company.waitFor();
    await company.focus();
    await page.keyboard.press('Enter');
    await page.locator('#network-svg .node[aria-label*="Harbour Trading Company"][aria-label*="expanded"]').waitFor();
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#network-json')]);
    const { readFileSync } = await import('node:fs');
    const lines = readFileSync(await download.path(), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(lines.map((e) => e.schema).sort(), ['Company', 'Ownership', 'Person']);
    await shot(page, '13-entity');
    await checkA11y(page, 'entity');
    // Narrow screens: the same page at phone width.
    await page.setViewportSize({ width: 390, height: 844 });
    // Nothing wider than the screen: wide parts (the network, tables) scroll inside.
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 390), 'no horizontal scrolling at 390 px');
    await shot(page, '14-entity-narrow');
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  await step('draw a network diagram: add, create, link, move, save, reload', async () => {
    await page.goto(`${base}/sets`);
    await page.fill('#set-label', 'Harbour network');
    await page.selectOption('#set-type', 'diagram');
    await page.selectOption('#set-collection', String(collectionId));
    await page.click('#set-new button[type=submit]');
    await page.waitForURL(/\/diagrams\/[^/]+$/);
    const diagramUrl = page.url();
    // An existing entity, found by a search.
    await page.fill('#diagram-q', 'Jane Harbourmaster');
    await page.click('form[aria-label="Find entities to add"] button[type=submit]');
    await page.locator('#diagram-results li', { hasText: 'Harbour investigation' }).locator('button[data-add-id]').click();
    await page.locator('#diagram-svg .node', { hasText: 'Jane Harbourmaster' }).waitFor();
    // A new entity, made in the diagram's collection.
    await page.selectOption('#diagram-new-schema', 'Company');
    await page.fill('#diagram-new-name', 'Dhow Shipping Ltd');
    await page.click('form[aria-label="New entity"] button[type=submit]');
    const dhow = page.locator('#diagram-svg .node', { hasText: 'Dhow Shipping Ltd' });
    await dhow.waitFor();
    // A relationship between the two: Jane owns Dhow Shipping.
    await page.selectOption('#diagram-link-type', 'Ownership');
    const ids = await page.$$eval('#diagram-svg .node', (els) => Object.fromEntries(els.map((g) => [g.textContent, g.dataset.id])));
    await page.selectOption('#diagram-link-from', ids['Jane Harbourmaster']);
    await page.selectOption('#diagram-link-to', ids['Dhow Shipping Ltd']);
    await page.click('#diagram-link');
    await page.locator('#diagram-svg .edge', { hasText: 'Ownership' }).waitFor();
    // Move a node by dragging, another with the keyboard.
    const box = await dhow.locator('circle').boundingBox();
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2 + 120, box.y + box.height / 2 + 60, { steps: 5 });
    await page.mouse.up();
    await page.locator('#diagram-status', { hasText: 'Unsaved' }).waitFor();
    await page.locator('#diagram-svg .node', { hasText: 'Jane Harbourmaster' }).focus();
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('ArrowLeft');
    const positions = () => page.$$eval('#diagram-svg .node', (els) => Object.fromEntries(els.map((g) => {
      const c = g.querySelector('circle');
      return [g.textContent, [Math.round(Number(c.getAttribute('cx'))), Math.round(Number(c.getAttribute('cy')))]];
    })));
    const before = await positions();
    await page.click('#diagram-save');
    await page.locator('#diagram-status', { hasText: 'Saved.' }).waitFor();
    await shot(page, '20-diagram');
    await checkA11y(page, 'diagram editor');
    await page.goto(diagramUrl);
    await page.locator('#diagram-svg .edge', { hasText: 'Ownership' }).waitFor();
    assert.deepEqual(await positions(), before, 'the layout is kept after a reload');
    assert.equal(await page.locator('#diagram-svg .node').count(), 2);
    // Discover links: what Jane is connected to (through the expand endpoint) joins in.
    await page.locator('#diagram-svg .node', { hasText: 'Jane Harbourmaster' }).click();
    await page.click('#diagram-expand');
    await page.locator('#diagram-svg .node', { hasText: 'Harbour Trading Company' }).waitFor();
    await page.locator('#diagram-status', { hasText: 'Unsaved' }).waitFor();
    assert.equal(await page.locator('#diagram-svg .edge').count(), 2);
    await page.click('#diagram-save');
    await page.locator('#diagram-status', { hasText: 'Saved.' }).waitFor();
    await shot(page, '26-diagram-expanded');
    // Take the Ownership edge off by keyboard, then Dhow Shipping by the button: saved,
    // and still gone after a reload.
    const nodeCount = await page.locator('#diagram-svg .node').count();
    const ownership = page.locator('#diagram-svg .edge[aria-label*="Dhow Shipping Ltd"]');
    await ownership.focus();
    await page.keyboard.press('Delete');
    await ownership.waitFor({ state: 'detached' });
    await page.locator('#diagram-message', { hasText: 'Ownership removed.' }).waitFor();
    assert.ok(await page.evaluate(() => Boolean(document.activeElement.closest('#diagram-svg'))), 'the keyboard stays in the diagram');
    assert.equal(await page.locator('#diagram-svg .edge').count(), 1);
    assert.equal(await page.locator('#diagram-svg .node').count(), nodeCount, 'removing an edge keeps its ends');
    await page.locator('#diagram-svg .node', { hasText: 'Dhow Shipping Ltd' }).click();
    await page.click('#diagram-remove');
    await page.locator('#diagram-svg .node', { hasText: 'Dhow Shipping Ltd' }).waitFor({ state: 'detached' });
    await page.click('#diagram-save');
    await page.locator('#diagram-status', { hasText: 'Saved.' }).waitFor();
    await page.goto(diagramUrl);
    await page.locator('#diagram-svg .node', { hasText: 'Harbour Trading Company' }).waitFor();
    assert.equal(await page.locator('#diagram-svg .node').count(), nodeCount - 1);
    assert.equal(await page.locator('#diagram-svg .node', { hasText: 'Dhow Shipping Ltd' }).count(), 0);
    assert.equal(await page.locator('#diagram-svg .edge').count(), 1, 'the removed edge stays removed');
    await page.locator('#diagram-svg .edge').first().click();
    await page.locator('#diagram-svg .edge[aria-pressed=true]').waitFor();
    await shot(page, '27-diagram-edited');
    // The collection page counts its sets and links to them.
    await page.goto(`${base}/collections/${collectionId}`);
    await page.locator('#sets-link a', { hasText: 'Lists, diagrams and timelines: 1' }).click();
    await page.locator('main a', { hasText: 'Harbour network' }).waitFor();
  });

  await step('a timeline filled from a search result and an entity page', async () => {
    await page.goto(`${base}/sets`);
    await page.fill('#set-label', 'Harbour timeline');
    await page.selectOption('#set-type', 'timeline');
    await page.selectOption('#set-collection', String(collectionId));
    await page.click('#set-new button[type=submit]');
    await page.waitForURL(/\/timelines\/[^/]+$/);
    const timelineUrl = page.url();
    const timelineId = timelineUrl.split('/').pop();
    // From a search result.
    await page.goto(`${base}/search?q=${encodeURIComponent('"Harbour board meeting"')}`);
    const result = page.locator('.result', { hasText: 'Harbour board meeting' }).first();
    await result.locator('.add-to summary').click();
    await result.locator(`.add-to option[value="${timelineId}"]`).waitFor({ state: 'attached' });
    await result.locator('.add-to select').selectOption(timelineId);
    await result.locator('.add-to button.add-to-set').click();
    await result.locator('.add-to [role=status]', { hasText: 'Added to Harbour timeline' }).waitFor();
    // From an entity page.
    await page.goto(`${base}/search?q=${encodeURIComponent('"Dock fees"')}&filter:schemata=Interval`);
    await page.locator('.result .title a').first().click();
    await page.locator('#entity-add-set').waitFor({ state: 'attached' });
    await page.locator('.add-to summary').first().click();
    await page.locator(`#entity-add-set option[value="${timelineId}"]`).waitFor({ state: 'attached' });
    await page.selectOption('#entity-add-set', timelineId);
    await page.locator('.add-to button.add-to-set').first().click();
    await page.locator('.add-to [role=status]', { hasText: 'Added to Harbour timeline' }).first().waitFor();
    await page.goto(timelineUrl);
    await page.locator('#timeline .event').nth(1).waitFor();
    // A new event, made on the timeline itself.
    await page.fill('#event-name', 'Vessel seized');
    await page.fill('#event-date', '2020-01-15');
    await page.click('#timeline-new button[type=submit]');
    await page.locator('#timeline .event', { hasText: 'Vessel seized' }).waitFor();
    const order = await page.$$eval('#timeline .event time', (els) => els.map((t) => t.textContent));
    assert.deepEqual(order, ['2018-02-01', '2019-05-04', '2020-01-15'], 'dated entities in order');
    await shot(page, '21-timeline');
    await checkA11y(page, 'timeline');
  });

  await step('a list of entities', async () => {
    const jane = await findId('Jane Harbourmaster', collectionId, 'Person');
    const company = await findId('Harbour Trading Company', collectionId, 'Company');
    const list = await apiCall('entitysets', { method: 'POST', json: { label: 'People of interest', type: 'list', collection_id: String(collectionId), entities: [jane, company] } });
    await page.goto(`${base}/lists/${list.id}`);
    await page.locator('#list-table tbody tr').nth(1).waitFor();
    await page.locator('#list-table tr', { hasText: 'Harbour Trading Company' }).locator('button', { hasText: 'Remove' }).click();
    await page.locator('#list-table tr', { hasText: 'Harbour Trading Company' }).waitFor({ state: 'detached' });
    // The list as FtM JSON lines: Jane is in it, the company no more.
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#set-export')]);
    const { readFileSync } = await import('node:fs');
    const exported = readFileSync(await download.path(), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(exported.map((e) => e.properties.name[0]), ['Jane Harbourmaster']);
    await shot(page, '22-list');
    await checkA11y(page, 'list');
    await page.goto(`${base}/sets`);
    await page.locator('a', { hasText: 'People of interest' }).waitFor();
  });

  await step('review real cross-reference pairs (xref run through the API)', async () => {
    await apiCall(`collections/${collectionId}/xref`, { method: 'POST', json: {} });
    // Pairs are written batch by batch: wait for the run to end, so that the page and this
    // count see the same set.
    let status;
    for (let i = 0; i < 300; i += 1) {
      status = await apiCall(`collections/${collectionId}/status`);
      if (status.pending === 0 && status.running === 0 && status.xref && status.xref.state === 'completed') break;
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(status.xref && status.xref.state, 'completed', `xref did not finish: ${JSON.stringify(status)}`);
    const pairs = await apiCall(`collections/${collectionId}/xref?limit=20`);
    assert.ok(pairs.total >= 2, `xref found ${pairs.total} pairs`);
    await page.goto(`${base}/collections/${collectionId}`);
    await page.click('#xref-link a');
    await page.waitForURL(/\/xref$/);
    await page.locator('.pair').first().waitFor();
    assert.equal(await page.locator('.pair').count(), Math.min(pairs.total, 20));
    // Jane's pair: her copy in the registry, reviewed by keyboard.
    const janePair = pairs.results.find((p) => String(p.match_collection_id) === String(registryId) && p.match.properties.name[0] === 'Jane Harbourmaster');
    assert.ok(janePair, JSON.stringify(pairs.results.map((p) => [p.match_collection_id, p.match.properties.name])));
    const first = page.locator('.pair', { hasText: 'Jane Harbourmaster' }).first();
    await first.locator('summary', { hasText: 'Compare properties' }).click();
    await first.locator('summary', { hasText: 'Why this score' }).click();
    await first.locator('.pair-sides', { hasText: 'Port registry' }).waitFor();
    await first.focus();
    await page.keyboard.press('y');
    await first.locator('button[data-judgement=positive][aria-pressed=true]').waitFor();
    // The next pair: judged different by key, then cleared by a click.
    await page.keyboard.press('j');
    const index = await page.evaluate(() => [...document.querySelectorAll('.pair')].indexOf(document.activeElement.closest('.pair')));
    assert.ok(index >= 0, 'j focuses a pair');
    const second = page.locator('.pair').nth(index);
    await page.keyboard.press('n');
    await second.locator('button[data-judgement=negative][aria-pressed=true]').waitFor();
    await second.locator('button[data-judgement=negative]').click();
    await second.locator('button[data-judgement=negative][aria-pressed=false]').waitFor();
    await shot(page, '15-xref');
    await checkA11y(page, 'xref review');
    // The server kept the decisions: Jane's pair is the same; the other, judged
    // different and then cleared, is not different.
    const after = await apiCall(`collections/${collectionId}/xref?limit=50`);
    const verdict = (id) => (after.results.find((r) => r.id === id) || {}).judgement;
    assert.equal(verdict(janePair.id), 'positive', JSON.stringify(after.results.map((r) => [r.id, r.judgement])));
    assert.equal(after.results.filter((r) => r.judgement === 'negative').length, 0);
  });

  await step('collections list and sign out', async () => {
    await page.goto(`${base}/collections`);
    await page.locator('.card a', { hasText: 'Harbour investigation' }).waitFor();
    await shot(page, '16-collections');
    await checkA11y(page, 'collections');
    await page.click('#nav a.user');
    await page.waitForURL(/\/settings$/);
    await page.fill('#settings-name', 'Chief Investigator');
    await page.click('button:has-text("Save name")');
    await page.locator('text=Name saved.').waitFor();
    page.once('dialog', (dialog) => dialog.accept());
    await page.click('#settings-key');
    const key = (await page.textContent('#api-key')).trim();
    const viaKey = await fetch(`${base}/api/2/collections/${collectionId}`, { headers: { Authorization: `ApiKey ${key}` } });
    assert.equal(viaKey.status, 200, 'the new API key works');
    server.apiKey = key;
    await shot(page, '17-settings');
    await checkA11y(page, 'settings');
    // Administration: users, then a group with a member.
    await page.locator('#nav-admin:not([hidden])').click();
    await page.waitForURL(/\/admin\/users$/);
    await page.locator('#users td', { hasText: server.email }).waitFor();
    await shot(page, '23-admin-users');
    await checkA11y(page, 'admin users');
    // Find a user by name, block them (they can no longer sign in), unblock them.
    execFileSync(bin, ['createuser', 'mallory@example.org', '--name', 'Mallory Moor', '--password', 'mallory-pass-1', '--data-dir', dataDir],
      { env: cleanEnv(), stdio: ['ignore', 'ignore', 'inherit'] });
    const signInStatus = async () => (await fetch(`${base}/api/2/sessions/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ email: 'mallory@example.org', password: 'mallory-pass-1' }) })).status;
    assert.equal(await signInStatus(), 200);
    await page.fill('#users-prefix', 'mal');
    await page.click('form[aria-label="Find users"] button[type=submit]');
    await page.waitForURL(/prefix=mal/);
    const mallory = page.locator('#users tr', { hasText: 'mallory@example.org' });
    await mallory.waitFor();
    assert.equal(await page.locator('#users tbody tr').count(), 1, 'only the users whose name starts with "mal"');
    page.once('dialog', (dialog) => dialog.accept());
    await mallory.locator('button', { hasText: 'Block' }).click();
    await mallory.locator('td.blocked', { hasText: 'yes' }).waitFor();
    assert.equal(await signInStatus(), 403, 'a blocked user cannot sign in');
    await shot(page, '28-admin-user-blocked');
    await checkA11y(page, 'admin users, blocked');
    await mallory.locator('button', { hasText: 'Unblock' }).click();
    await mallory.locator('td.blocked', { hasText: '–' }).waitFor();
    assert.equal(await signInStatus(), 200, 'unblocked, they can again');
    await page.click('nav[aria-label=Administration] a:has-text("Groups")');
    await page.fill('#group-name', 'Night desk');
    await page.click('form[aria-label="New group"] button[type=submit]');
    const group = page.locator('.group', { hasText: 'Night desk' });
    await group.locator('td', { hasText: 'No members.' }).waitFor();
    await group.locator('button', { hasText: 'Add member' }).click();
    await group.locator('td', { hasText: server.email }).waitFor();
    await shot(page, '24-admin-groups');
    await checkA11y(page, 'admin groups');
    await page.click('#nav a:has-text("Status")');
    await page.locator('main', { hasText: 'There are no ongoing tasks.' }).waitFor();
    await page.click('#logout');
    await page.waitForURL(/\/login$/);
    assert.equal(await page.evaluate(() => localStorage.getItem('aleph.session')), null);
  });

  await step('a user without access sees none of the collection', async () => {
    execFileSync(bin, ['createuser', 'outsider@example.org', '--password', 'outsider-pass-1', '--data-dir', dataDir],
      { env: cleanEnv(), stdio: ['ignore', 'ignore', 'inherit'] });
    await page.fill('#login-email', 'outsider@example.org');
    await page.fill('#login-password', 'outsider-pass-1');
    await page.click('form button[type=submit]');
    await page.locator('#logout').waitFor();
    await page.goto(`${base}/collections`);
    await page.locator('main p', { hasText: /collections?$/ }).first().waitFor();
    assert.equal(await page.locator('.card a', { hasText: 'Harbour investigation' }).count(), 0);
    await page.goto(`${base}/search?q=${encodeURIComponent(`"${PHRASE}"`)}`);
    await page.locator('h2', { hasText: 'No search results' }).waitFor();
    await page.goto(`${base}/search?q=harbour`);
    await page.locator('#result-count').waitFor();
    assert.equal(await page.locator('.result').count(), 0);
    await page.goto(`${base}/collections/${collectionId}`);
    await page.locator('[role=alert] h1', { hasText: /access|not be found/ }).waitFor();
    await shot(page, '18-outsider');
  });

  async function signIn(email, password) {
    await page.goto(`${base}/login`);
    await page.fill('#login-email', email);
    await page.fill('#login-password', password);
    await page.click('form button[type=submit]');
    await page.locator('#logout').waitFor();
  }

  await step('share the collection with that user, who then sees it', async () => {
    await page.click('#logout');
    await page.waitForURL(/\/login$/);
    await signIn(server.email, server.password);
    await page.goto(`${base}/collections/${collectionId}`);
    await page.fill('#access-email', 'outsider@example.org');
    await page.click('#access-email ~ button');
    await page.locator('#access td', { hasText: 'outsider' }).waitFor();
    await page.click('#access-save');
    await page.locator('#access-message', { hasText: 'Saved' }).waitFor();
    await shot(page, '19-access');
    await page.click('#logout');
    await page.waitForURL(/\/login$/);
    await signIn('outsider@example.org', 'outsider-pass-1');
    // Being given access is a notification: a badge in the header, a page listing it.
    await page.locator('#unread-badge:not([hidden])').waitFor();
    await page.click('#nav-notifications');
    await page.waitForURL(/\/notifications$/);
    await page.locator('#notifications .notification.unread', { hasText: 'Harbour investigation' }).waitFor();
    await shot(page, '25-notifications');
    await checkA11y(page, 'notifications');
    await page.click('#mark-all-read');
    await page.locator('#notifications .unread').first().waitFor({ state: 'detached' });
    await page.locator('#unread-badge').waitFor({ state: 'hidden' });
    await page.goto(`${base}/search?q=${encodeURIComponent(`"${PHRASE}"`)}`);
    await page.locator('.result .title a', { hasText: 'annual-report.pdf' }).waitFor();
    await page.goto(`${base}/collections/${collectionId}`);
    await page.locator('h1', { hasText: 'Harbour investigation' }).waitFor();
    // A reader gets no upload, no edit and no access management.
    assert.equal(await page.locator('#dropzone').count(), 0);
    assert.equal(await page.locator('#access').count(), 0);
  });

  assert.deepEqual(consoleErrors, [], 'no script errors in the pages');
} finally {
  await browser.close().catch(() => {});
  server.proc.kill('SIGTERM');
  rmSync(work, { recursive: true, force: true });
}
console.log(a11y.join('\n'));
console.log(`screenshots in ${shots}`);
if (failures.length) process.exit(1);
