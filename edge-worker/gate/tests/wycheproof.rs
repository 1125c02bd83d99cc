//! Project Wycheproof's JOSE vectors (and the raw-primitive vectors for the four
//! algorithms the gate verifies) run through the gate's own key loading
//! ([`Verifier::from_settings`]) and signature check ([`Verifier::verify_signature`],
//! or [`Verifier::verify_raw_signature`] for vectors over raw messages).
//!
//! Every case marked `invalid` must be refused (at key loading or at the signature).
//! Every `valid` case must be accepted, unless it is not applicable to the gate, for a
//! reason named in [`not_applicable`] (an algorithm the gate does not support, a JSON
//! serialization, …): nothing is skipped silently. Run with `--nocapture` for counts.
//!
//! The vectors are byte-for-byte copies of the files in `shared/external/` (Apache-2.0
//! and public domain; see each folder's SOURCE.md) kept in `tests/vectors/`, so the test
//! runs wherever the repository does; `scripts/test.sh` checks they still equal shared's.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use gate::{Settings, Verifier};
use serde_json::{json, Value};

/// The algorithms the gate verifies (`token::SUPPORTED`).
const GATE_ALGS: [&str; 4] = ["HS256", "EdDSA", "ES256", "RS256"];

fn shared_external() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/vectors")
}

fn vectors_dir() -> PathBuf {
    let dir = shared_external().join("wycheproof-jose");
    assert!(
        dir.join("testvectors_v1").is_dir(),
        "Wycheproof vectors missing: {}",
        dir.display()
    );
    dir
}

fn load(file: &str) -> Value {
    let path = vectors_dir().join("testvectors_v1").join(file);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

fn unhex(hex: &str) -> Vec<u8> {
    assert!(hex.len().is_multiple_of(2), "odd hex {hex}");
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect()
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// What the gate did with one case.
#[derive(Debug)]
enum Verdict {
    Accepted,
    /// The key (set) was refused when loaded, with the gate's reason.
    RefusedAtLoad(String),
    /// The key loaded; the token or signature was refused.
    Refused(String),
}

impl Verdict {
    fn describe(&self) -> String {
        match self {
            Verdict::Accepted => "accepted".into(),
            Verdict::RefusedAtLoad(why) => format!("key refused: {why}"),
            Verdict::Refused(why) => format!("refused: {why}"),
        }
    }
}

/// One case and what the gate did.
struct Case {
    file: &'static str,
    id: String,
    what: String,
    expected: String,
    /// Why a valid case does not apply to the gate, if it does not.
    not_applicable: Option<&'static str>,
    /// An invalid case whose input is byte for byte a valid case's (its id): no
    /// verifier can pass both labels.
    same_as_valid: Option<String>,
    verdict: Verdict,
}

/// The HS256 secret a deployer would configure for a symmetric JWK: only a key fit for
/// HS256 signatures (`alg` absent or HS256, `use` absent or `sig`, `key_ops` with
/// `verify` if present). Any other key is handed to the gate as a JWKS, which refuses
/// symmetric keys.
fn hs256_secret(jwk: &Value) -> Option<Vec<u8>> {
    let fits = jwk["kty"] == "oct"
        && (jwk.get("alg").is_none() || jwk["alg"] == "HS256")
        && (jwk.get("use").is_none() || jwk["use"] == "sig")
        && jwk.get("key_ops").is_none_or(|ops| {
            ops.as_array()
                .is_some_and(|ops| ops.iter().any(|o| o == "verify"))
        });
    fits.then(|| URL_SAFE_NO_PAD.decode(jwk["k"].as_str()?).ok())
        .flatten()
}

/// Configure the gate with a key set as a deployer would: one HS256 key as
/// `LYCEUM_JWT_SECRET`, anything else as `LYCEUM_JWT_JWKS`.
fn configure(keys: &[Value]) -> Result<Verifier, String> {
    let result = match keys {
        [only] if hs256_secret(only).is_some() => {
            Verifier::from_settings_with_secret(&hs256_secret(only).unwrap(), &Settings::default())
        }
        _ => Verifier::from_settings(&Settings {
            jwks: Some(json!({ "keys": keys }).to_string()),
            ..Settings::default()
        }),
    };
    result.map_err(|e| e.to_string())
}

/// The key set of a JOSE group: its `public` part when it has one (a JWK or a JWKS),
/// else its `private` part (symmetric keys have no public part).
fn group_keys(group: &Value) -> Vec<Value> {
    let keys = group.get("public").unwrap_or(&group["private"]);
    match keys.get("keys") {
        Some(Value::Array(keys)) => keys.clone(),
        _ => vec![keys.clone()],
    }
}

/// The `alg` of a compact JWS header, if it can be read.
fn jws_alg(jws: &str) -> Option<String> {
    let header = URL_SAFE_NO_PAD.decode(jws.split('.').next()?).ok()?;
    let header: Value = serde_json::from_slice(&header).ok()?;
    Some(header["alg"].as_str()?.to_string())
}

/// Why a JOSE case cannot be accepted by the gate, whatever its label.
fn jose_not_applicable(jws: &Value, keys: &[Value]) -> Option<&'static str> {
    let Some(jws) = jws.as_str() else {
        return Some("JSON serialization: the gate reads compact tokens only");
    };
    if let Some(alg) = jws_alg(jws) {
        if !GATE_ALGS.contains(&alg.as_str()) {
            return Some(
                "an algorithm the gate does not support (it verifies HS256, EdDSA, ES256, RS256)",
            );
        }
    }
    if keys.iter().filter(|k| k["kty"] == "oct").count() > 1 {
        return Some(
            "several symmetric keys: the gate has one HS256 secret, and a JWKS may not hold symmetric keys",
        );
    }
    if !jws
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    {
        // Wycheproof labels a character inserted into the base64url as valid (a
        // decoder may skip it); RFC 7515 §2 allows only the base64url alphabet, and the
        // gate refuses anything else before decoding.
        return Some(
            "a character outside base64url in the compact form (RFC 7515 §2): refused by the gate's strict parser",
        );
    }
    None
}

/// Run the JOSE test file `file` (JWS or JWK vectors: key sets and compact tokens).
fn run_jose(file: &'static str, out: &mut Vec<Case>) {
    let doc = load(file);
    for group in doc["testGroups"].as_array().unwrap() {
        let keys = group_keys(group);
        let verifier = configure(&keys);
        let tests = group["tests"].as_array().unwrap();
        for test in tests {
            let same_as_valid = (test["result"] == "invalid")
                .then(|| {
                    tests
                        .iter()
                        .find(|t| t["result"] == "valid" && t["jws"] == test["jws"])
                })
                .flatten()
                .map(|t| t["tcId"].to_string());
            let verdict = match (&verifier, test["jws"].as_str()) {
                (Err(e), _) => Verdict::RefusedAtLoad(e.clone()),
                (Ok(_), None) => Verdict::Refused("not a compact token".into()),
                (Ok(v), Some(jws)) => match v.verify_signature(jws) {
                    Ok(_) => Verdict::Accepted,
                    Err(e) => Verdict::Refused(e.to_string()),
                },
            };
            out.push(Case {
                file,
                id: test["tcId"].to_string().trim_matches('"').to_string(),
                what: format!(
                    "{} / {}",
                    group["comment"].as_str().unwrap_or(""),
                    test["comment"].as_str().unwrap_or("")
                ),
                expected: test["result"].as_str().unwrap().to_string(),
                not_applicable: jose_not_applicable(&test["jws"], &keys),
                same_as_valid,
                verdict,
            });
        }
    }
}

/// The public JWK of a raw-primitive group; the few EC groups without one give the
/// uncompressed SEC1 point.
fn raw_group_jwk(group: &Value) -> Value {
    if let Some(jwk) = group.get("publicKeyJwk").or_else(|| group.get("keyJwk")) {
        return jwk.clone();
    }
    let point = unhex(
        group["publicKey"]["uncompressed"]
            .as_str()
            .expect("no public key"),
    );
    assert_eq!(
        (point.len(), point[0]),
        (65, 4),
        "not an uncompressed P-256 point"
    );
    json!({ "kty": "EC", "crv": "P-256", "x": b64(&point[1..33]), "y": b64(&point[33..]) })
}

/// Run a raw-primitive file: `key` gives the public JWK (or the HMAC key) of a group,
/// each test signs `msg` with `sig` (hex).
fn run_raw(
    file: &'static str,
    alg: &'static str,
    not_applicable: impl Fn(&Value, &Value) -> Option<&'static str>,
    out: &mut Vec<Case>,
) {
    let doc = load(file);
    for group in doc["testGroups"].as_array().unwrap() {
        // A MAC key is per test (configured as the secret); a public key per group.
        let group_verifier = (alg != "HS256").then(|| configure(&[raw_group_jwk(group)]));
        for test in group["tests"].as_array().unwrap() {
            let test_verifier;
            let (verifier, sig) = match &group_verifier {
                Some(v) => (v, &test["sig"]),
                None => {
                    test_verifier = Verifier::from_settings_with_secret(
                        &unhex(test["key"].as_str().unwrap()),
                        &Settings::default(),
                    )
                    .map_err(|e| e.to_string());
                    (&test_verifier, &test["tag"])
                }
            };
            let verdict = match verifier {
                Err(e) => Verdict::RefusedAtLoad(e.clone()),
                Ok(v) => match v.verify_raw_signature(
                    alg,
                    None,
                    &unhex(test["msg"].as_str().unwrap()),
                    &b64(&unhex(sig.as_str().unwrap())),
                ) {
                    Ok(()) => Verdict::Accepted,
                    Err(e) => Verdict::Refused(e.to_string()),
                },
            };
            out.push(Case {
                file,
                id: test["tcId"].to_string().trim_matches('"').to_string(),
                what: test["comment"].as_str().unwrap_or("").to_string(),
                expected: test["result"].as_str().unwrap().to_string(),
                not_applicable: not_applicable(group, test),
                same_as_valid: None,
                verdict,
            });
        }
    }
}

/// RFC 8037 A.4, the Ed25519 JWS (Wycheproof's JWS file has no EdDSA group).
fn run_rfc8037(out: &mut Vec<Case>) {
    let path = shared_external().join("jose-cookbook-rfc7520/curve25519/jws.json");
    let doc: Value = serde_json::from_str(
        &std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display())),
    )
    .unwrap();
    let mut key = doc["input"]["key"].clone();
    key.as_object_mut().unwrap().remove("d");
    let verdict = match configure(&[key]) {
        Err(e) => Verdict::RefusedAtLoad(e),
        Ok(v) => match v.verify_signature(doc["output"]["compact"].as_str().unwrap()) {
            Ok(_) => Verdict::Accepted,
            Err(e) => Verdict::Refused(e.to_string()),
        },
    };
    out.push(Case {
        file: "rfc8037 A.4",
        id: "1".into(),
        what: "Ed25519 signing".into(),
        expected: "valid".into(),
        not_applicable: None,
        same_as_valid: None,
        verdict,
    });
}

#[test]
fn wycheproof_vectors_through_the_gate() {
    let mut cases = Vec::new();
    run_jose("json_web_signature_test.json", &mut cases);
    run_jose("json_web_key_test.json", &mut cases);
    run_rfc8037(&mut cases);
    run_raw("ed25519_test.json", "EdDSA", |_, _| None, &mut cases);
    run_raw(
        "ecdsa_secp256r1_sha256_p1363_test.json",
        "ES256",
        |_, _| None,
        &mut cases,
    );
    run_raw(
        "rsa_signature_2048_sha256_test.json",
        "RS256",
        |_, _| None,
        &mut cases,
    );
    run_raw(
        "hmac_sha256_test.json",
        "HS256",
        |group, test| {
            let key_bytes = test["key"].as_str().unwrap().len() / 2;
            if group["tagSize"] != "256" {
                Some("a truncated MAC: the gate accepts only the full HS256 tag")
            } else if key_bytes < 32 {
                Some("an HS256 secret under 32 bytes: refused by the gate's key policy")
            } else {
                None
            }
        },
        &mut cases,
    );

    // Per file: run, valid accepted, invalid refused (at load / at the check),
    // acceptable, not applicable by reason; and every case that breaks the rules.
    #[derive(Default)]
    struct Tally {
        run: usize,
        valid_accepted: usize,
        invalid_at_load: usize,
        invalid_at_check: usize,
        acceptable: usize,
        not_applicable: BTreeMap<&'static str, usize>,
        contradictory: Vec<String>,
    }
    let mut tallies: BTreeMap<&str, Tally> = BTreeMap::new();
    let mut failures = String::new();
    for case in &cases {
        let t = tallies.entry(case.file).or_default();
        t.run += 1;
        match (case.expected.as_str(), &case.verdict) {
            ("valid", Verdict::Accepted) => t.valid_accepted += 1,
            ("valid", refused) => match case.not_applicable {
                Some(reason) => *t.not_applicable.entry(reason).or_default() += 1,
                None => writeln!(
                    failures,
                    "{} #{} ({}): valid but {}",
                    case.file,
                    case.id,
                    case.what,
                    refused.describe()
                )
                .unwrap(),
            },
            ("invalid", Verdict::Accepted) if case.same_as_valid.is_some() => {
                t.contradictory.push(format!(
                    "#{} ({}) = #{}",
                    case.id,
                    case.what,
                    case.same_as_valid
                        .as_deref()
                        .unwrap_or_default()
                        .trim_matches('"')
                ))
            }
            ("invalid", Verdict::Accepted) => writeln!(
                failures,
                "{} #{} ({}): INVALID BUT ACCEPTED",
                case.file, case.id, case.what
            )
            .unwrap(),
            ("invalid", Verdict::RefusedAtLoad(_)) => t.invalid_at_load += 1,
            ("invalid", Verdict::Refused(_)) => t.invalid_at_check += 1,
            ("acceptable", _) => t.acceptable += 1,
            (other, _) => panic!("unknown result {other:?} in {} #{}", case.file, case.id),
        }
    }
    for (file, t) in &tallies {
        println!(
            "{file}: {} run, {} valid accepted, {} invalid refused ({} at key loading, {} at the signature check), {} acceptable",
            t.run,
            t.valid_accepted,
            t.invalid_at_load + t.invalid_at_check,
            t.invalid_at_load,
            t.invalid_at_check,
            t.acceptable
        );
        for (reason, n) in &t.not_applicable {
            println!("    {n} valid not applicable: {reason}");
        }
        for case in &t.contradictory {
            println!(
                "    labelled invalid, but byte-identical to a valid case (accepted as it): {case}"
            );
        }
    }
    assert!(failures.is_empty(), "cases the gate got wrong:\n{failures}");

    // The run must exercise acceptance for each algorithm, not only refusals.
    for (file, min) in [
        ("json_web_signature_test.json", 8),
        ("json_web_key_test.json", 2),
        ("rfc8037 A.4", 1),
        ("ed25519_test.json", 80),
        ("ecdsa_secp256r1_sha256_p1363_test.json", 100),
        ("rsa_signature_2048_sha256_test.json", 5),
        ("hmac_sha256_test.json", 10),
    ] {
        let got = tallies.get(file).map_or(0, |t| t.valid_accepted);
        assert!(got >= min, "{file}: only {got} valid cases accepted");
    }
}
