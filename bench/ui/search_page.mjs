// Server time of the search page: the /api/2/entities requests the page makes (20
// results with highlights and 10 facets, the date histogram among them), timed end to end
// over HTTP against a running `aleph serve`, for a few queries of different breadth.
//
//   node bench/ui/search_page.mjs http://127.0.0.1:8080 <api-key> [runs] [server-pid]
//
// With the server's process id (same machine), the table also gives the server's CPU time
// per request (user + system from /proc, averaged over the timed runs), which a loaded
// machine does not inflate the way it inflates wall time.
//
// The page's own files are static and answered 304 after the first visit; its rendering
// happens in the browser, so this request is the whole server-side cost of a search page.
import { readFileSync } from 'node:fs';

const [base, key, runsArg, pidArg] = process.argv.slice(2);
const runs = Number(runsArg || 50);
// CPU seconds (user + system) the server has used so far; clock ticks are 1/100 s.
const cpuSeconds = () => {
  const stat = readFileSync(`/proc/${pidArg}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
};
// The page asks twice: the results with the cheap facets, then the facets that count
// over every matching document (date histogram, e-mails, phones) with limit=0.
const LIGHT = ['schema', 'collection_id', 'countries', 'languages', 'names',
  'properties.peopleMentioned', 'properties.companiesMentioned'];
const HEAVY = ['dates', 'emails', 'phones'];

function url(q, facets, limit, extra = {}) {
  const p = new URLSearchParams({ 'filter:schemata': 'Thing', limit: String(limit), highlight: 'true', highlight_count: '3' });
  if (q) p.set('q', q);
  for (const f of facets) { p.append('facet', f); p.set(`facet_size:${f}`, '10'); }
  if (facets.includes('dates')) p.set('facet_interval:dates', 'year');
  for (const [k, v] of Object.entries(extra)) p.append(k, v);
  return `${base}/api/2/entities?${p}`;
}

const queries = [
  ['everything (no query)', '', {}],
  ['one name', 'müller', {}],
  ['phrase', '"anna okafor"', {}],
  ['term + country filter', 'müller', { 'filter:countries': 'de' }],
];
const cases = queries.flatMap(([name, q, extra]) => [
  [`${name}: results + 7 facets`, url(q, LIGHT, 20, extra)],
  [`${name}: date histogram, e-mails, phones`, url(q, HEAVY, 0, extra)],
]);

const pct = (xs, p) => xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
console.log(`| query | results | p50 ms | p95 ms | max ms |${pidArg ? ' CPU ms/request |' : ''}`);
console.log(`|---|---|---|---|---|${pidArg ? '---|' : ''}`);
for (const [name, u] of cases) {
  const times = [];
  let total = 0;
  let cpuStart = 0;
  for (let i = 0; i < runs + 3; i += 1) {
    if (i === 3 && pidArg) cpuStart = cpuSeconds();
    const t0 = performance.now();
    const resp = await fetch(u, { headers: { Authorization: `ApiKey ${key}` } });
    const body = await resp.json();
    const ms = performance.now() - t0;
    if (!resp.ok) throw new Error(`${name}: ${resp.status} ${JSON.stringify(body).slice(0, 200)}`);
    total = body.total;
    if (i >= 3) times.push(ms); // the first runs warm the caches
  }
  times.sort((a, b) => a - b);
  const cpu = pidArg ? ` ${(((cpuSeconds() - cpuStart) * 1000) / runs).toFixed(1)} |` : '';
  console.log(`| ${name} | ${total.toLocaleString('en')} | ${pct(times, 50).toFixed(1)} | ${pct(times, 95).toFixed(1)} | ${times[times.length - 1].toFixed(1)} |${cpu}`);
}
