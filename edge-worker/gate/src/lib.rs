//! The gate: lyceum's one source of truth for who may read what.
//!
//! Pure functions over values, no I/O, no `worker` dependency, so the same code
//! runs natively (tests, `lyceum serve`) and in the wasm32 edge worker:
//!
//! - [`manifest`]: the JSON the generator writes to `dist/_gated/manifest.json`.
//! - [`path`]: request-path normalisation (percent-decoding, `..`, `//`, index forms).
//! - [`token`]: member-token (JWT) verification against configured keys.
//! - [`provider`], [`jwks`]: an external membership provider's claims and plan map,
//!   and when to fetch its JWKS.
//! - [`decide`]: the access decision for one request.
//! - [`session`]: the HTTP-facing pieces both adapters share (cookie, headers, `next`).
//! - [`rules`]: the `run_worker_first` list a bundle needs (which paths run the Worker).
//! - [`route`]: one request routed end to end (methods, `/_lyceum/*`, decision); the
//!   adapters only do the I/O around it.

pub mod date;
pub mod decide;
pub mod jwks;
pub mod manifest;
pub mod path;
pub mod provider;
pub mod route;
pub mod rules;
pub mod session;
pub mod sign;
pub mod token;

pub use decide::{decide, Access};
pub use manifest::{GatedEntry, Manifest};
pub use token::{Claims, Settings, TokenError, Verifier};
