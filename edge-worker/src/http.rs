//! Small HTTP helpers over raw `web_sys` types: send a gate reply, copy a fetched
//! response with extra headers, start fetches from the assets binding (the caller
//! hands their promise to the JS entry to await).

use gate::route::Reply;
use worker::js_sys::{self, Promise};
use worker::wasm_bindgen::{JsCast, JsValue};
use worker::web_sys::{Headers, Request, RequestInit, RequestRedirect, Response, ResponseInit};
use worker::worker_sys::Fetcher;
use worker::Env;

pub(crate) type JsResult<T> = Result<T, JsValue>;

/// A header, if present and readable. Callers read the request's `Headers` once
/// (`req.headers()` is a call across the JS boundary) and ask it for each name.
pub(crate) fn header(headers: &Headers, name: &str) -> Option<String> {
    headers.get(name).ok().flatten()
}

/// Send one of the gate's replies: no body for HEAD, and a null body (not an empty
/// string, which would get a default `Content-Type`) when the reply has none.
pub(crate) fn send(reply: &Reply, head: bool) -> JsResult<Response> {
    let h = Headers::new()?;
    for (k, v) in &reply.headers {
        h.append(k, v)?;
    }
    let init = ResponseInit::new();
    init.set_status(reply.status);
    init.set_headers_headers(&h);
    let body = (!head && !reply.body.is_empty()).then_some(reply.body.as_str());
    Response::new_with_opt_str_and_init(body, &init)
}

/// Re-wrap a fetched response with a new status and extra headers (set, replacing
/// any of the same name). Fetched responses have immutable headers, hence the copy.
pub(crate) fn rewrap(resp: &Response, status: u16, set: &[(&str, &str)]) -> JsResult<Response> {
    let h = Headers::new_with_headers(&resp.headers())?;
    for (k, v) in set {
        h.set(k, v)?;
    }
    let init = ResponseInit::new();
    init.set_status(status);
    init.set_headers_headers(&h);
    Response::new_with_opt_readable_stream_and_init(resp.body().as_ref(), &init)
}

/// The static-assets binding.
fn assets(env: &Env) -> JsResult<Fetcher> {
    let binding = js_sys::Reflect::get(env, &"ASSETS".into())?;
    if binding.is_undefined() {
        return Err("ASSETS binding missing".into());
    }
    Ok(binding.unchecked_into())
}

/// Start fetching `path` from the static-assets binding with `method` and optional
/// extra request headers. Redirects are returned, never followed.
pub(crate) fn fetch_asset(
    env: &Env,
    path: &str,
    method: &str,
    headers: &[(&str, &str)],
) -> JsResult<Promise> {
    let init = RequestInit::new();
    init.set_method(method);
    init.set_redirect(RequestRedirect::Manual);
    // Most fetches send no extra header: then no `Headers` object is built at all.
    if !headers.is_empty() {
        let h = Headers::new()?;
        for (k, v) in headers {
            h.set(k, v)?;
        }
        init.set_headers_headers(&h);
    }
    // The host is irrelevant to an assets binding; only the path is used. `path` is
    // already percent-encoded (gate::path::asset_url or a constant).
    let url = format!("https://assets.invalid{path}");
    assets(env)?.fetch_with_str_and_init(&url, &init)
}

/// Start forwarding the incoming request unchanged to the assets binding.
pub(crate) fn forward(env: &Env, req: &Request) -> JsResult<Promise> {
    assets(env)?.fetch(req)
}

/// Seconds since the Unix epoch, from the runtime's clock.
pub(crate) fn now_secs() -> u64 {
    (js_sys::Date::now() / 1000.0) as u64
}
