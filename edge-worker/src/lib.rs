//! lyceum's Cloudflare Worker: thin glue between HTTP and the [`gate`] crate.
//!
//! Every request that may touch gated bytes passes here first (the `run_worker_first`
//! list `lyceum build` writes to `_gated/worker-routes.json`: `/_gated/*`, `/_lyceum/*`
//! and every gated URL; public files are served by the assets without the worker):
//! `gate::route` answers it or decides public / full / teaser / not found (the same
//! function `lyceum serve` calls), and this crate only turns that into fetches from
//! the `ASSETS` binding and a response. No access rule lives here; any doubt (no key,
//! no manifest, an error) ends in a teaser, a 404, a 503 or a plain 500 — never in
//! gated bytes.
//!
//! The entry is `entry.mjs`, not a `#[event(fetch)]` future. Requests that only read
//! the assets binding run on a synchronous path ([`begin`], [`pending`], [`resume`],
//! [`finish`]: `serve`), with JS awaiting the promises it hands out; anything that
//! needs other awaited platform calls runs as one Rust future ([`respond_async`]:
//! `awaited`). Why, the invariants, and what a new platform call must do: the
//! "Request plumbing" section of edge-worker/README.md, the one place they are written.
//!
//! To keep the wasm small the worker talks to `web_sys` types directly: no router,
//! no `worker::Request` conversion, and never `Request::url()` / `Response::redirect`
//! (they pull in the `url` crate with its IDNA tables). Calls across the JS boundary
//! are the cost per request that remains, so `http` and `js` make as few as they can.

mod awaited;
mod d1;
mod http;
mod js;
mod keys;
mod mailer;
mod member;
mod serve;
mod slots;
mod state;

pub use awaited::respond_async;
pub use serve::{begin, finish, internal_error, pending, resume};
