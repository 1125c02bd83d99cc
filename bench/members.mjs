// Benchmark (not a test): the member layer on local `wrangler dev` (workerd, a local D1,
// the local Email Service binding). Prints, for each flow, the D1 work the worker did
// (statements, rows read and written, from its `LYCEUM_LOG_D1` lines) and, for a gated
// page, the user workerd's CPU per request (/proc schedstat, around blocks of sequential
// keep-alive requests, the scenarios taking turns so machine load hits all alike):
// anonymous (teaser), a live session (no database), and a renewal (the token expired:
// the sessions table is read and the session stamped). Local figures: D1 here is SQLite
// inside workerd, so a renewal's CPU includes the database's own work.
//
//   LYCEUM_WORKER_PREBUILT=1 node bench/members.mjs [--blocks 60] [--block 10]
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { buildFixture, ensureWorker, startWrangler, tempDir, waitFor, writeDevVars } from '../tests/e2e/lib/harness.mjs';
import { cpuNs, workerdPids } from './cpu.mjs';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const BLOCKS = arg('blocks', 60);
const BLOCK = arg('block', 10);

ensureWorker();
const dir = tempDir('lyceum-bench-members-');
const dist = buildFixture(dir, { siteYaml: 'members:\n  signup: open\n  free_level: member' });
const manifest = JSON.parse(fs.readFileSync(path.join(dist, '_gated/manifest.json'), 'utf8'));
const page = encodeURI(Object.entries(manifest.entries).find(([, e]) => e.teaser && e.level === 'member')[0]);
const vars = path.join(dir, '.dev.vars');
writeDevVars(vars, { LYCEUM_JWT_SECRET: 'bench-secret-'.padEnd(48, 'x'), LYCEUM_ADMIN_SECRET: 'bench-admin-'.padEnd(40, 'y'), LYCEUM_LOG_D1: '1' });
const server = await startWrangler({ dist, envFile: vars, stateDir: path.join(dir, 'state'), mail: true, devtools: false });
process.on('SIGINT', async () => { await server.stop(); process.exit(130); });

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
function send(p, { method = 'GET', headers = {}, body } = {}) {
  const u = new URL(server.base);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, path: p, method, agent, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res));
    });
    req.on('error', reject);
    req.end(body);
  });
}
const form = (p, fields, cookie) => send(p, {
  method: 'POST',
  body: new URLSearchParams(fields).toString(),
  headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: server.base, 'Sec-Fetch-Site': 'same-origin',
    'CF-Connecting-IP': '192.0.2.1', ...(cookie ? { Cookie: cookie } : {}) },
});
const cookies = (res) => Object.fromEntries((res.headers['set-cookie'] ?? []).map((c) => {
  const pair = c.split(';')[0];
  return [pair.split('=')[0], pair];
}));

/** The D1 line the worker logs for the next request to `what`, after `fn` runs it. */
async function d1Of(what, fn) {
  const count = () => server.output().split('\n').filter((l) => l.includes(`lyceum: d1 ${what} `)).length;
  const before = count();
  const out = await fn();
  await waitFor(() => count() > before, { what: `the D1 line of ${what}` });
  const line = server.output().split('\n').filter((l) => l.includes(`lyceum: d1 ${what} `)).at(-1);
  return { out, work: line.slice(line.indexOf('statements=')) };
}

// ---- D1 work per flow ----
const rows = [];
const mailCount = () => server.mails().length;
let seen = mailCount();
const ask = async (email) => {
  const r = await d1Of('/_lyceum/signin', () => form('/_lyceum/signin', { email, next: '/' }));
  await waitFor(() => mailCount() > seen, { what: 'the mail' });
  seen = mailCount();
  return r;
};
rows.push(['sign-in request, new address (sign-up mail)', (await ask('new@bench.example')).work]);
const link = server.mails().at(-1).text.match(/confirm\?t=([A-Za-z0-9_-]{43})/)[1];
const confirmed = await d1Of('/_lyceum/confirm', () => form('/_lyceum/confirm', { t: link }));
rows.push(['confirm by link (creates the member and the session)', confirmed.work]);
rows.push(['sign-in request, a member', (await ask('new@bench.example')).work]);
const code = server.mails().at(-1).text.match(/\b(\d{6})\b/)[1];
rows.push(['confirm by code', (await d1Of('/_lyceum/code', () => form('/_lyceum/code', { email: 'new@bench.example', code }))).work]);
const jar = cookies(confirmed.out);
const live = jar['__Host-lyceum_session'];
const renew = jar['__Host-lyceum_renew'];
rows.push(['gated page, session expired: renewal', (await d1Of('renewal', () => send(page, { headers: { Cookie: renew } }))).work]);
const wrong = await d1Of('/_lyceum/code', () => form('/_lyceum/code', { email: 'new@bench.example', code: '000000' }));
rows.push(['a wrong code', wrong.work]);
const admin = await d1Of('/_lyceum/admin/members', () => send('/_lyceum/admin/members', { headers: { Authorization: `Bearer ${'bench-admin-'.padEnd(40, 'y')}` } }));
rows.push(['admin: list members', admin.work]);
rows.push(['sign out', (await d1Of('/_lyceum/signout', () => form('/_lyceum/signout', {}, `${live}; ${renew}`))).work]);

// ---- CPU per gated request ----
const { user } = workerdPids(server);
// A fresh session to renew from (the one above was signed out).
await ask('cpu@bench.example');
const t2 = server.mails().at(-1).text.match(/confirm\?t=([A-Za-z0-9_-]{43})/)[1];
const j2 = cookies(await form('/_lyceum/confirm', { t: t2 }));
const scenarios = [
  ['anonymous (teaser)', {}],
  ['live session (no database)', { Cookie: j2['__Host-lyceum_session'] }],
  ['renewal (token expired)', { Cookie: j2['__Host-lyceum_renew'] }],
];
for (const [, headers] of scenarios) for (let i = 0; i < 50; i++) await send(page, { headers });
const ns = scenarios.map(() => []);
for (let round = 0; round < BLOCKS; round++) {
  for (let j = 0; j < scenarios.length; j++) {
    const k = (round + j) % scenarios.length;
    const before = cpuNs(user);
    for (let i = 0; i < BLOCK; i++) {
      const r = await send(page, { headers: scenarios[k][1] });
      if (r.statusCode !== 200) throw new Error(`${scenarios[k][0]}: HTTP ${r.statusCode}`);
    }
    ns[k].push((cpuNs(user) - before) / BLOCK);
  }
}
const median = (a) => { const s = [...a].sort((x, y) => x - y); return s[Math.floor(s.length / 2)]; };

console.log(`\nD1 work per flow (local D1, wrangler dev):`);
for (const [what, work] of rows) console.log(`  ${what.padEnd(54)} ${work}`);
console.log(`\nuser workerd CPU per gated request (median of ${BLOCKS} blocks of ${BLOCK}; load ${fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}):`);
for (const [k, [what]] of scenarios.entries()) console.log(`  ${what.padEnd(30)} ${(median(ns[k]) / 1000).toFixed(0)} µs`);
agent.destroy();
await server.stop();
