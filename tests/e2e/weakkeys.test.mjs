// Regression (issue 9, item 7): a small-order Ed25519 key in LYCEUM_JWT_JWKS (the
// identity, `x = AQAA…AA`) made the signature `0x01` + 63 zero bytes valid for any
// claims: anyone could read every gated page. The worker now refuses the JWKS when it
// loads it (everyone gets teasers: fail closed) and logs why, naming the key by its kid
// and never by its material.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { buildFixture, ensureWorker, request, startWrangler, tempDir, writeDevVars } from './lib/harness.mjs';
import { now } from './lib/jwt.mjs';

const dir = tempDir('lyceum-e2e-weak-');
ensureWorker();
const dist = buildFixture(dir);
const manifest = JSON.parse(fs.readFileSync(path.join(dist, '_gated/manifest.json'), 'utf8'));
const [pageUrl, page] = Object.entries(manifest.entries).find(([, e]) => e.teaser && e.level === manifest.levels.at(-1));

const b64u = (v) => Buffer.from(v).toString('base64url');
const identity = Buffer.alloc(32);
identity[0] = 1;
const X = b64u(identity); // AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
writeDevVars(path.join(dir, '.dev.vars'), {
  LYCEUM_JWT_JWKS: JSON.stringify({ keys: [{ kty: 'OKP', crv: 'Ed25519', x: X, kid: 'weak-1', alg: 'EdDSA' }] }),
});
const forgedSig = Buffer.alloc(64);
forgedSig[0] = 1;
const forged = [
  b64u(JSON.stringify({ alg: 'EdDSA', kid: 'weak-1', typ: 'JWT' })),
  b64u(JSON.stringify({ sub: 'attacker', level: page.level, exp: now() + 3600 })),
  b64u(forgedSig),
].join('.');

let server;
before(async () => {
  server = await startWrangler({ dist, envFile: path.join(dir, '.dev.vars'), stateDir: path.join(dir, 'state') });
});
after(async () => {
  await server?.stop();
});

test('a token forged for a small-order JWKS key gets the teaser, and the log says why', async () => {
  const r = await request(server.base, encodeURI(pageUrl), { headers: { Authorization: `Bearer ${forged}` } });
  assert.equal(r.status, 200);
  assert.equal(r.body, fs.readFileSync(path.join(dist, page.teaser), 'utf8'), 'the teaser, not the full page');
  const me = await request(server.base, '/_lyceum/me', { headers: { Authorization: `Bearer ${forged}` } });
  assert.equal(me.status, 401);
  // The worker logs once, when the keys are first needed: poll for it.
  const deadline = Date.now() + 10_000;
  while (!/small order/.test(server.output()) && Date.now() < deadline) await new Promise((res) => setTimeout(res, 50));
  const log = server.output();
  assert.match(log, /LYCEUM_JWT_JWKS is invalid: key #0 \(kid "weak-1"\): Ed25519 key is of small order/);
  assert.ok(!log.includes(X), 'the log repeats no key material');
});
