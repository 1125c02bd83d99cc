// The end-to-end harness: build the fixture site with the real `lyceum` binary,
// start the real worker on a local workerd through `wrangler dev`, speak raw HTTP
// to it, and stop it cleanly.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderConfig } from '../../../scripts/worker-config.mjs';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const WRANGLER_TOML = path.join(ROOT, 'edge-worker/wrangler.toml');
export const FIXTURE = path.join(ROOT, 'tests/fixtures/site');

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'], ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status ?? r.signal})`);
}

/** The `lyceum` binary: $LYCEUM_BIN, else built here (release, like CI). */
export function lyceumBin() {
  if (process.env.LYCEUM_BIN) return path.resolve(process.env.LYCEUM_BIN);
  run('cargo', ['build', '--release', '-p', 'generator', '--quiet']);
  return path.join(ROOT, 'target/release/lyceum');
}

/** Newest modification time of the worker's sources (its crate, the gate, the lockfile). */
function newestWorkerSource() {
  let newest = 0;
  const visit = (p) => {
    const st = fs.statSync(p, { throwIfNoEntry: false });
    if (!st) return;
    if (st.isDirectory()) for (const e of fs.readdirSync(p)) visit(path.join(p, e));
    else newest = Math.max(newest, st.mtimeMs);
  };
  for (const p of ['edge-worker/src', 'edge-worker/Cargo.toml', 'edge-worker/gate/src', 'edge-worker/gate/Cargo.toml', 'Cargo.lock']) {
    visit(path.join(ROOT, p));
  }
  return newest;
}

/**
 * The worker bundle: taken as is when $LYCEUM_WORKER_PREBUILT=1 (scripts/test.sh),
 * else (re)built by scripts/build-worker.sh unless it is newer than every source.
 */
export function ensureWorker() {
  const wasm = fs.statSync(path.join(ROOT, 'edge-worker/build/worker/index.wasm'), { throwIfNoEntry: false });
  const fresh = wasm && wasm.mtimeMs > newestWorkerSource();
  if (process.env.LYCEUM_WORKER_PREBUILT !== '1' && !fresh) run(path.join(ROOT, 'scripts/build-worker.sh'), []);
  const main = path.join(ROOT, 'edge-worker/build/index.js');
  if (!fs.existsSync(main)) throw new Error(`${main} is missing: run scripts/build-worker.sh`);
}

/** A fresh temp dir removed at exit. */
export function tempDir(prefix) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * Build the fixture site into `<dir>/dist` with the real CLI. `siteYaml` (text) is
 * appended to a copy of its site.yaml first (e.g. a `members:` section), after `edit`
 * (text → text) has changed it.
 */
export function buildFixture(dir, { siteYaml, edit } = {}) {
  fs.mkdirSync(dir, { recursive: true });
  const dist = path.join(dir, 'dist');
  let root = FIXTURE;
  if (siteYaml || edit) {
    root = path.join(dir, 'site');
    fs.cpSync(FIXTURE, root, { recursive: true });
    const file = path.join(root, 'site.yaml');
    const text = fs.readFileSync(file, 'utf8');
    const edited = edit ? edit(text) : text;
    if (edit && edited === text) throw new Error('buildFixture: the edit changed nothing in site.yaml');
    fs.writeFileSync(file, siteYaml ? `${edited}\n${siteYaml}\n` : edited);
  }
  run(lyceumBin(), ['--quiet', 'build', '--root', root, '--out', dist]);
  return dist;
}

/** Every `CANARY-…` string in the fixture's sources (gated bodies, drafts, reviews). */
export function fixtureCanaries() {
  const found = new Set();
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else for (const m of fs.readFileSync(p, 'utf8').matchAll(/CANARY-[A-Za-z0-9-]*[A-Za-z0-9]/g)) found.add(m[0]);
    }
  };
  walk(path.join(FIXTURE, 'content'));
  return [...found];
}

/** All files of a bundle, as bundle-relative paths with `/`. */
export function listFiles(dist) {
  const out = [];
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(path.relative(dist, p).split(path.sep).join('/'));
    }
  };
  walk(dist);
  return out.sort();
}

export async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Write a dotenv file of `vars` (values single-quoted; none may contain a quote). */
export function writeDevVars(file, vars) {
  const lines = Object.entries(vars).map(([k, v]) => {
    if (String(v).includes("'") || String(v).includes('\n')) throw new Error(`bad value for ${k}`);
    return `${k}='${v}'`;
  });
  fs.writeFileSync(file, lines.join('\n') + '\n', { mode: 0o600 });
}

let configs = 0;

/**
 * Start `wrangler dev` on the real edge-worker/wrangler.toml with the [assets] section and
 * `run_worker_first` list that scripts/worker-config.mjs generates from `dist` (exactly what
 * a deploy uses), with vars from `envFile`. Resolves once it answers. Another `config`
 * (the benchmarks') is used as it is, its assets overridden with `--assets`.
 * `devtools: false` keeps wrangler's DevTools proxy off the worker's inspector (as in
 * production, where none is attached): the benchmark's setting. `count: true` runs the
 * test-only entry (lib/counting-entry.mjs) that logs each Worker run: see `invocations()`.
 * `mail: true` keeps wrangler's info lines, where the local email binding names its files:
 * see `mails()`. The members database gets its migrations before dev starts.
 */
export async function startWrangler({ dist, envFile, stateDir, config = WRANGLER_TOML, log = false, devtools = true, count = false, mail = false }) {
  const port = await freePort();
  const inspector = await freePort();
  let generated;
  if (config === WRANGLER_TOML) {
    if (!dist) throw new Error('startWrangler: the worker config needs a built dist');
    // Beside the template, so its relative paths (main, migrations) still hold.
    generated = path.join(ROOT, `edge-worker/wrangler.e2e-${process.pid}-${configs++}.generated.toml`);
    const main = count ? '../tests/e2e/lib/counting-entry.mjs' : undefined;
    fs.writeFileSync(generated, renderConfig({ dist, configDir: path.dirname(generated), main }));
    process.on('exit', () => fs.rmSync(generated, { force: true }));
  }
  const args = [
    'dev', '--config', generated ?? config, ...(dist && !generated ? ['--assets', dist] : []), '--env-file', envFile,
    '--ip', '127.0.0.1', '--port', String(port), '--inspector-port', String(inspector),
    '--persist-to', stateDir, '--local', '--show-interactive-dev-session=false', '--log-level', log || count || mail ? 'log' : 'warn',
  ];
  const quiet = { CI: 'true', WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false', NO_COLOR: '1' };
  if (generated) {
    // The members database's schema, as a deploy applies it (`--remote` there).
    run(path.join(ROOT, 'node_modules/.bin/wrangler'),
      ['d1', 'migrations', 'apply', 'DB', '--local', '--config', generated, '--persist-to', stateDir],
      { cwd: path.dirname(config), env: { ...process.env, ...quiet }, stdio: ['ignore', 'ignore', 'inherit'] });
  }
  const child = spawn(path.join(ROOT, 'node_modules/.bin/wrangler'), args, {
    cwd: path.dirname(config),
    env: {
      ...process.env, ...quiet,
      // wrangler dev has no flag for it: inside a VS Code debug terminal it leaves the
      // inspector to VS Code and attaches none of its own.
      ...(devtools ? {} : { VSCODE_INSPECTOR_OPTIONS: '{}' }),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // its own process group, so workerd can be found and stopped
  });
  let output = '';
  // Worker runs logged by the counting entry, kept apart from `output` (which is trimmed).
  const runs = [];
  let partial = '';
  const keep = (chunk) => {
    output += chunk;
    const lines = (partial + chunk).split('\n');
    partial = lines.pop();
    for (const line of lines) {
      const m = line.match(/lyceum-invocation (\S+)/);
      if (m) runs.push(m[1]);
    }
    if (output.length > 200_000) output = output.slice(-100_000);
    if (log) process.stderr.write(chunk);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));

  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited early:\n${output}`);
    try {
      const r = await request(base, '/', { timeout: 2000 });
      if (r.status > 0) break;
    } catch { /* not yet */ }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`wrangler dev did not answer within 90 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }

  async function stop() {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGINT');
      const t = setTimeout(() => groupKill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(t);
    }
    // workerd must not outlive wrangler: anything left in the group is stopped.
    for (let i = 0; i < 20 && groupAlive(); i++) await new Promise((r) => setTimeout(r, 100));
    if (groupAlive()) groupKill('SIGKILL');
    if (generated) fs.rmSync(generated, { force: true });
  }
  const groupAlive = () => {
    try { process.kill(-child.pid, 0); return true; } catch { return false; }
  };
  const groupKill = (sig) => {
    try { process.kill(-child.pid, sig); } catch { /* gone */ }
  };
  /** Wait (bounded) until wrangler's output matches `re`; fails with the output seen. */
  const waitForOutput = (re, { timeout = 10_000 } = {}) =>
    waitFor(() => re.test(output), { timeout, what: () => `${re} in wrangler's output:\n${output}` });
  /** Pathnames of every Worker run so far (with `count: true`), in order. */
  const invocations = () => runs.slice();
  /**
   * Every mail the local `send_email` binding took so far: wrangler logs From/To/Subject
   * and the paths of the files it wrote (deleted when dev stops: read them before).
   */
  const mails = () => [...output.matchAll(/send_email binding called with MessageBuilder:\s*From: (.*)\s*To: (.*)\s*Subject: (.*)\s*(?:Text: (\S+))?\s*(?:HTML: (\S+))?/g)]
    .map(([, from, to, subject, text, html]) => ({
      from: from.trim(), to: to.trim(), subject: subject.trim(),
      text: text && fs.readFileSync(text, 'utf8'), html: html && fs.readFileSync(html, 'utf8'),
    }));
  /** Wait (bounded) for mail number `n` (1-based) and return it. */
  const waitForMail = (n, opts) => waitFor(() => mails()[n - 1], { what: () => `mail #${n} in wrangler's output:\n${output}`, ...opts });
  return { base, port, inspector, stop, output: () => output, waitForOutput, invocations, mails, waitForMail, pid: child.pid, config: generated ?? config };
}

/**
 * Poll `probe` until it returns something truthy (which is returned), failing after
 * `timeout` ms: for an event nothing announces (a line another process prints), instead
 * of sleeping a fixed time and hoping. `what` (a string, or a function for a message
 * built at failure time) says what was awaited.
 */
export async function waitFor(probe, { timeout = 10_000, interval = 25, what = 'a condition' } = {}) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const got = await probe();
    if (got) return got;
    if (Date.now() >= deadline) {
      throw new Error(`timed out after ${timeout} ms waiting for ${typeof what === 'function' ? what() : what}`);
    }
    await new Promise((r) => setTimeout(r, interval));
  }
}

/**
 * One raw HTTP/1.1 request: the path is sent exactly as given (no client-side URL
 * normalisation, so `/%2e%2e/` or `//x/` reach the server as written).
 */
export function request(base, rawPath, { method = 'GET', headers = {}, body, timeout = 10_000 } = {}) {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: u.hostname, port: u.port, method, path: rawPath, headers, agent: false, timeout },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const body = Buffer.concat(chunks);
          resolve({ status: res.statusCode, headers: res.headers, rawHeaders: res.rawHeaders, body: body.toString('utf8'), bytes: body });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timeout: ${method} ${rawPath}`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** Parse the few wrangler.toml keys the tests pin (a tiny TOML subset: sections and scalars). */
export function parseToml(text) {
  const out = {};
  let section = out;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*$/, '').trim();
    if (!line) continue;
    const sec = line.match(/^\[([A-Za-z0-9_.-]+)\]$/);
    if (sec) { section = out[sec[1]] = out[sec[1]] ?? {}; continue; }
    const kv = line.match(/^([A-Za-z0-9_-]+)\s*=\s*(.+)$/);
    if (!kv) continue;
    const v = kv[2].trim();
    section[kv[1]] = v === 'true' ? true : v === 'false' ? false : v.startsWith('"') ? JSON.parse(v) : Number(v);
  }
  return out;
}
