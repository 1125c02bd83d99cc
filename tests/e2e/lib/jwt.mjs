// Test keys and JWT signing with node:crypto — an implementation independent of the
// gate's Rust code, so a shared misunderstanding of JWT cannot hide in both.
import crypto from 'node:crypto';

const b64u = (buf) => Buffer.from(buf).toString('base64url');
const json64 = (obj) => b64u(JSON.stringify(obj));

/** Fresh keys for one test run: HS256 secret, and Ed25519 (two, for rotation), P-256, RSA. */
export function makeKeys() {
  const secret = crypto.randomBytes(32).toString('base64url'); // 43 chars ≥ 32 bytes
  const ed1 = crypto.generateKeyPairSync('ed25519');
  const ed2 = crypto.generateKeyPairSync('ed25519');
  const ec = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const rsa = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  // Not in the JWKS: signs the "wrong key" tokens.
  const rogueEd = crypto.generateKeyPairSync('ed25519');
  const rogueEc = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const rogueRsa = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });

  const jwk = (pair, kid, alg) => ({ ...pair.publicKey.export({ format: 'jwk' }), kid, alg, use: 'sig' });
  const jwks = {
    keys: [jwk(ed1, 'ed-2024', 'EdDSA'), jwk(ed2, 'ed-2025', 'EdDSA'), jwk(ec, 'ec-1', 'ES256'), jwk(rsa, 'rsa-1', 'RS256')],
  };
  return {
    secret,
    jwks: JSON.stringify(jwks),
    private: { ed1, ed2, ec, rsa, rogueEd, rogueEc, rogueRsa },
  };
}

/**
 * Sign `claims` as a compact JWT.
 * alg: 'HS256' | 'EdDSA' | 'ES256' | 'RS256' | 'none'; key: a secret string or a key pair.
 */
export function sign(alg, claims, key, { kid, header = {} } = {}) {
  const h = { alg, typ: 'JWT', ...(kid ? { kid } : {}), ...header };
  const input = `${json64(h)}.${json64(claims)}`;
  const data = Buffer.from(input);
  let sig;
  switch (alg) {
    case 'HS256': sig = crypto.createHmac('sha256', key).update(data).digest(); break;
    case 'EdDSA': sig = crypto.sign(null, data, key.privateKey); break;
    case 'ES256': sig = crypto.sign('sha256', data, { key: key.privateKey, dsaEncoding: 'ieee-p1363' }); break;
    case 'RS256': sig = crypto.sign('sha256', data, key.privateKey); break;
    case 'none': sig = Buffer.alloc(0); break;
    default: throw new Error(`unsupported alg ${alg}`);
  }
  return `${input}.${b64u(sig)}`;
}

/** Seconds since the epoch. */
export const now = () => Math.floor(Date.now() / 1000);
