// A JavaScript twin of lyceum's edge worker, for benchmarking only (NOT deployed,
// NOT a reference for security): the same manifest lookup, HS256 cookie/bearer
// verification with WebCrypto, and full/teaser/404 serving from the ASSETS binding.
const GATED_HEADERS = { 'Cache-Control': 'private, no-store', Vary: 'Cookie, Authorization' };
let manifestPromise;
let keyPromise;

const te = new TextEncoder();
const td = new TextDecoder();
const b64u = (s) => Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));

function normalize(raw) {
  let p;
  try { p = decodeURIComponent(raw); } catch { return null; }
  if (/%2f|%5c/i.test(raw) || p.includes('\0')) return null;
  const segs = [];
  for (const s of p.split('/')) {
    if (s === '' || s === '.') continue;
    if (s === '..') return null;
    segs.push(s);
  }
  let out = '/' + segs.join('/');
  if (p.endsWith('/') && out !== '/') out += '/';
  return out.replace(/\/index(\.html)?$/, '/');
}

function assetUrl(file) {
  const f = file.replace(/(^|\/)index\.html$/, '$1');
  return 'https://assets.invalid/' + f.split('/').map(encodeURIComponent).join('/');
}

async function verify(token, secret) {
  if (!token || token.length > 8192) return null;
  const parts = token.split('.');
  if (parts.length !== 3) return null;
  try {
    const header = JSON.parse(td.decode(b64u(parts[0])));
    if (header.alg !== 'HS256') return null;
    keyPromise ??= crypto.subtle.importKey('raw', te.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
    const ok = await crypto.subtle.verify('HMAC', await keyPromise, b64u(parts[2]), te.encode(`${parts[0]}.${parts[1]}`));
    if (!ok) return null;
    const claims = JSON.parse(td.decode(b64u(parts[1])));
    const now = Date.now() / 1000;
    if (typeof claims.exp !== 'number' || claims.exp + 60 < now) return null;
    if (typeof claims.nbf === 'number' && claims.nbf - 60 > now) return null;
    if (typeof claims.sub !== 'string' || typeof claims.level !== 'string') return null;
    return claims;
  } catch { return null; }
}

function tokenOf(req) {
  const auth = req.headers.get('Authorization');
  if (auth?.startsWith('Bearer ')) return auth.slice(7).trim();
  for (const part of (req.headers.get('Cookie') ?? '').split(';')) {
    const [k, ...v] = part.split('=');
    if (k.trim() === '__Host-lyceum_session') return v.join('=').trim();
  }
  return null;
}

async function gated(env, file, method) {
  const r = await env.ASSETS.fetch(assetUrl(file), { method, redirect: 'manual' });
  if (r.status !== 200) return new Response('Not Found\n', { status: 404 });
  const h = new Headers(r.headers);
  for (const [k, v] of Object.entries(GATED_HEADERS)) h.set(k, v);
  return new Response(r.body, { status: 200, headers: h });
}

export default {
  async fetch(req, env) {
    if (req.method !== 'GET' && req.method !== 'HEAD') return new Response(null, { status: 405, headers: { Allow: 'GET, HEAD' } });
    const raw = req.url.replace(/^[a-z]+:\/\/[^/]*/i, '').replace(/[?#].*$/, '') || '/';
    const path = normalize(raw);
    if (path === null || /^\/_gated(\/|$)/i.test(path)) return new Response('Not Found\n', { status: 404 });
    manifestPromise ??= env.ASSETS.fetch('https://assets.invalid/_gated/manifest.json').then((r) => r.json());
    const manifest = await manifestPromise;
    const entry = manifest.entries[path] ?? (path.endsWith('/') ? undefined : manifest.entries[path + '/']);
    if (!entry) return env.ASSETS.fetch(req);
    const claims = await verify(tokenOf(req), env.LYCEUM_JWT_SECRET ?? '');
    const have = claims ? manifest.levels.indexOf(claims.level) : -1;
    if (have >= 0 && have >= manifest.levels.indexOf(entry.level)) return gated(env, entry.file, req.method);
    if (entry.teaser) return gated(env, entry.teaser, req.method);
    return new Response('Not Found\n', { status: 404 });
  },
};
