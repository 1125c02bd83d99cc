//! `lyceum token`: issue, verify and make keys for member tokens. The pure parts are in
//! `lyceum::token`; verification is the gate's, the same code the Worker runs.
//!
//! Exit codes: 0 success, 1 the token is invalid (`verify`), 2 a usage or configuration error.

use anyhow::Context as _;
use lyceum::token::{self as tok, IssueRequest, SigningKey};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub(crate) struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand, Debug)]
enum Command {
    /// Sign a member token and print it. HS256 with $LYCEUM_JWT_SECRET, or EdDSA with `--key`.
    Issue(IssueArgs),
    /// Verify a token as the Worker would ($LYCEUM_JWT_SECRET / _JWKS / _ISSUER / _AUDIENCE)
    /// and print its claims, or why it is refused.
    Verify(VerifyArgs),
    /// Write a new Ed25519 key pair and the JWKS to give the Worker as LYCEUM_JWT_JWKS.
    Keygen(KeygenArgs),
}

#[derive(clap::Args, Debug)]
struct IssueArgs {
    /// Member id (the `sub` claim).
    #[arg(long)]
    sub: String,
    /// Membership level id, one of site.yaml's `levels`.
    #[arg(long)]
    level: String,
    /// Lifetime: a number with s, m, h or d (90s, 15m, 12h, 30d).
    #[arg(long, default_value = "30d")]
    ttl: String,
    /// Ed25519 private key (PKCS#8 PEM, from `lyceum token keygen`); signs with EdDSA
    /// instead of the HS256 secret.
    #[arg(long, value_name = "FILE")]
    key: Option<PathBuf>,
    /// Key id for the token header. Default for `--key`: the key's JWK thumbprint, which
    /// is also keygen's default. (A thumbprint is base64url: it may begin with `-`.)
    #[arg(long, allow_hyphen_values = true)]
    kid: Option<String>,
    /// `iss` claim (default: $LYCEUM_JWT_ISSUER if set).
    #[arg(long)]
    iss: Option<String>,
    /// `aud` claim (default: $LYCEUM_JWT_AUDIENCE if set).
    #[arg(long)]
    aud: Option<String>,
    /// Site root whose site.yaml declares the levels.
    #[arg(long, default_value = ".")]
    root: PathBuf,
}

#[derive(clap::Args, Debug)]
struct VerifyArgs {
    /// The token (a JWT).
    token: String,
}

#[derive(clap::Args, Debug)]
struct KeygenArgs {
    /// Directory for lyceum-ed25519.pem, lyceum-ed25519.pub.pem and jwks.json.
    #[arg(long, default_value = ".")]
    out: PathBuf,
    /// Key id published in the JWKS (default: the key's JWK thumbprint).
    #[arg(long, allow_hyphen_values = true)]
    kid: Option<String>,
}

const USAGE_ERROR: u8 = 2;
const INVALID_TOKEN: u8 = 1;

pub(crate) fn run(args: Args, globals: &super::Globals) -> anyhow::Result<ExitCode> {
    let result = match args.command {
        Command::Issue(a) => issue(a),
        Command::Verify(a) => return verify(a, globals),
        Command::Keygen(a) => keygen(a, globals),
    };
    match result {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(err) => {
            super::report_error(&err, globals);
            Ok(ExitCode::from(USAGE_ERROR))
        }
    }
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

fn issue(a: IssueArgs) -> anyhow::Result<()> {
    let ttl_secs = tok::parse_ttl(&a.ttl)?;
    // Without a site.yaml here, any level id is the caller's business.
    if let Some(levels) = tok::site_levels(&a.root)? {
        tok::check_level(&a.level, &levels)
            .with_context(|| format!("in `{}`", a.root.join("site.yaml").display()))?;
    }
    let key = match &a.key {
        Some(path) => {
            let pem = std::fs::read_to_string(path)
                .with_context(|| format!("could not read `{}`", path.display()))?;
            SigningKey::ed25519_pem(&pem).with_context(|| format!("in `{}`", path.display()))?
        }
        None => {
            let secret = env(tok::ENV_SECRET).with_context(|| {
                format!(
                    "no signing key: set {} (HS256) or pass --key FILE (EdDSA)",
                    tok::ENV_SECRET
                )
            })?;
            SigningKey::hs256(&secret)?
        }
    };
    let req = IssueRequest {
        sub: a.sub,
        level: a.level,
        ttl_secs,
        kid: a.kid,
        issuer: a.iss.or_else(|| env(tok::ENV_ISSUER)),
        audience: a.aud.or_else(|| env(tok::ENV_AUDIENCE)),
    };
    println!("{}", tok::issue(&key, &req, tok::now())?);
    Ok(())
}

fn verify(a: VerifyArgs, globals: &super::Globals) -> anyhow::Result<ExitCode> {
    let settings = gate::Settings::from_env(env);
    let verifier = match gate::Verifier::from_settings(&settings) {
        Ok(v) => v,
        Err(e) => {
            super::report_error(&anyhow::Error::new(e), globals);
            return Ok(ExitCode::from(USAGE_ERROR));
        }
    };
    let now = tok::now();
    match verifier.verify(a.token.trim(), now) {
        Ok(claims) => {
            println!("valid");
            println!("sub:   {}", claims.sub);
            println!("level: {}", claims.level.as_deref().unwrap_or("(none)"));
            println!(
                "exp:   {} ({} left)",
                tok::format_utc(claims.exp),
                tok::format_remaining(claims.exp, now)
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(reason) => {
            // The reason text never contains the token.
            eprintln!("invalid: {reason}");
            Ok(ExitCode::from(INVALID_TOKEN))
        }
    }
}

fn keygen(a: KeygenArgs, globals: &super::Globals) -> anyhow::Result<()> {
    let mut seed = [0u8; 32];
    getrandom::getrandom(&mut seed).context("could not get random bytes from the OS")?;
    let pair = tok::KeyPair::from_seed(seed, a.kid);
    let [private, public, jwks] = pair.write_to(&a.out)?;
    if !globals.quiet {
        println!("wrote {} (private key, keep it secret)", private.display());
        println!("wrote {} (public key)", public.display());
        println!("wrote {} (kid {})", jwks.display(), pair.kid);
        println!();
        println!(
            "Give the Worker the public keys:   wrangler secret put LYCEUM_JWT_JWKS < {}",
            jwks.display()
        );
        println!(
            "Issue a token:                     lyceum token issue --key {} --sub ID --level LEVEL",
            private.display()
        );
    }
    Ok(())
}
