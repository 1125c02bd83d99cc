//! lyceum's Cloudflare Worker: thin glue between HTTP and the [`gate`] crate.
//!
//! Every request passes here first (`run_worker_first = true` in wrangler.toml):
//! `gate::route` answers it or decides public / full / teaser / not found (the same
//! function `lyceum serve` calls), and this crate only turns that into fetches from
//! the `ASSETS` binding and a response. No access rule lives here; any doubt (no key,
//! no manifest, an error) ends in a teaser, a 404, a 503 or a plain 500 — never in
//! gated bytes.
//!
//! The entry is `entry.mjs`, not a `#[event(fetch)]` future: it calls the synchronous
//! exports [`begin`], [`pending`], [`resume`] and [`finish`] with a request's slot
//! number and only awaits the promises they hand it. On workerd a Rust future costs far
//! more per request than an `await` in JS (wasm-bindgen-futures' closures, microtask
//! queue and promise wrappers, and the panic-recovery proxy `worker-build` puts around a
//! `#[event]` entry), while every decision stays here.
//!
//! To keep the wasm small the worker talks to `web_sys` types directly: no router,
//! no `worker::Request` conversion, and never `Request::url()` / `Response::redirect`
//! (they pull in the `url` crate with its IDNA tables). Calls across the JS boundary
//! are the cost per request that remains, so `http` and `js` make as few as they can.

mod awaited;
mod http;
mod js;
mod serve;
mod slots;
mod state;

pub use awaited::respond_async;
pub use serve::{begin, finish, internal_error, pending, resume};
