//! lyceum's Cloudflare Worker: thin glue between HTTP and the [`gate`] crate.
//!
//! Every request passes here first (`run_worker_first = true` in wrangler.toml):
//! `gate::route` answers it or decides public / full / teaser / not found (the same
//! function `lyceum serve` calls), and this crate only turns that into a fetch from
//! the `ASSETS` binding and a response. No access rule lives here; any doubt (no key, no manifest, an error)
//! ends in a teaser, a 404, a 503 or a plain 500 — never in gated bytes.
//!
//! To keep the wasm small the worker talks to `web_sys` types directly: no router,
//! no `worker::Request` conversion, and never `Request::url()` / `Response::redirect`
//! (they pull in the `url` crate with its IDNA tables).

mod http;
mod serve;
mod state;

use worker::{console_error, event, web_sys, Context, Env};

#[event(fetch)]
async fn fetch(
    req: web_sys::Request,
    env: Env,
    _ctx: Context,
) -> worker::Result<web_sys::Response> {
    match serve::handle(&req, &env).await {
        Ok(resp) => Ok(resp),
        Err(_) => {
            // The JS error may quote request data; log only that it happened.
            console_error!("lyceum: internal error while handling a request");
            Ok(http::send(
                &gate::route::Reply::plain(500, "Internal Server Error\n"),
                false,
            )?)
        }
    }
}
