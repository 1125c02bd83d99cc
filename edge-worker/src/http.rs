//! Small HTTP helpers over raw `web_sys` types: send a gate reply, copy a fetched
//! response with extra headers, start fetches from the assets binding (the caller
//! hands their promise to the JS entry to await).
//!
//! Every call across the JS boundary costs CPU on each request, so these helpers make
//! as few as they can: constant strings are interned (sent as a cached JS string, not
//! decoded from UTF-8 again), the plain `RequestInit`s are built once per isolate, and a
//! fetched response is re-wrapped with the platform's own copy (`new Response(body, resp)`).

use std::cell::OnceCell;

use gate::route::Reply;
use worker::js_sys::{self, Promise};
use worker::wasm_bindgen::{intern, JsCast, JsValue};
use worker::web_sys::{Headers, Request, RequestInit, RequestRedirect, Response, ResponseInit};
use worker::worker_sys::Fetcher;
use worker::Env;

pub(crate) type JsResult<T> = Result<T, JsValue>;

thread_local! {
    /// `{method, redirect: "manual"}` for GET and HEAD: read by `fetch` when it is
    /// called and never changed after, so one object serves every fetch.
    static PLAIN_INIT: [OnceCell<RequestInit>; 2] = const { [OnceCell::new(), OnceCell::new()] };
    /// The name of the assets binding in `env`, as a JS string.
    static ASSETS: JsValue = JsValue::from_str("ASSETS");
}

/// A header, if present and readable. Callers read the request's `Headers` once
/// (`req.headers()` is a call across the JS boundary) and ask it for each name.
/// `name` is a constant: it is interned.
pub(crate) fn header(headers: &Headers, name: &'static str) -> Option<String> {
    headers.get(intern(name)).ok().flatten()
}

/// Send one of the gate's replies: no body for HEAD, and a null body (not an empty
/// string, which would get a default `Content-Type`) when the reply has none.
pub(crate) fn send(reply: &Reply, head: bool) -> JsResult<Response> {
    let h = Headers::new()?;
    for (k, v) in &reply.headers {
        h.append(intern(k), v)?;
    }
    let init = ResponseInit::new();
    init.set_status(reply.status);
    init.set_headers_headers(&h);
    let body = (!head && !reply.body.is_empty()).then_some(reply.body.as_str());
    Response::new_with_opt_str_and_init(body, &init)
}

/// Re-wrap a fetched response (same status, headers and body stream) with constant
/// headers set, replacing any of the same name. A fetched response's headers are
/// immutable; the copy the platform makes from `new Response(body, resp)` is not.
pub(crate) fn rewrap(resp: &Response, set: &[(&'static str, &'static str)]) -> JsResult<Response> {
    let out = Response::new_with_opt_readable_stream_and_init(
        resp.body().as_ref(),
        resp.unchecked_ref::<ResponseInit>(),
    )?;
    let h = out.headers();
    for (k, v) in set {
        h.set(intern(k), intern(v))?;
    }
    Ok(out)
}

/// The static-assets binding.
fn assets(env: &Env) -> JsResult<Fetcher> {
    let binding = ASSETS.with(|name| js_sys::Reflect::get(env, name))?;
    if binding.is_undefined() {
        return Err("ASSETS binding missing".into());
    }
    Ok(binding.unchecked_into())
}

/// A `RequestInit` with `method`, no automatic redirects and `headers` (if any).
fn request_init(method: &str, headers: &[(&str, &str)]) -> JsResult<RequestInit> {
    let init = RequestInit::new();
    init.set_method(intern(if method == "HEAD" { "HEAD" } else { "GET" }));
    init.set_redirect(RequestRedirect::Manual);
    if !headers.is_empty() {
        let h = Headers::new()?;
        for (k, v) in headers {
            h.set(k, v)?;
        }
        init.set_headers_headers(&h);
    }
    Ok(init)
}

/// Start fetching `path` from the static-assets binding with `method` (GET, or HEAD)
/// and optional extra request headers. Redirects are returned, never followed.
///
/// `path` is interned: it must be a constant or come from the manifest (a bounded set),
/// never from the request. It is already percent-encoded (gate::path::asset_url).
pub(crate) fn fetch_asset(
    env: &Env,
    path: &str,
    method: &str,
    headers: &[(&str, &str)],
) -> JsResult<Promise> {
    // The host is irrelevant to an assets binding; only the path is used.
    let url = format!("https://assets.invalid{path}");
    let url = intern(&url);
    let fetcher = assets(env)?;
    if !headers.is_empty() {
        return fetcher.fetch_with_str_and_init(url, &request_init(method, headers)?);
    }
    PLAIN_INIT.with(|inits| {
        let cell = &inits[usize::from(method == "HEAD")];
        if let Some(init) = cell.get() {
            return fetcher.fetch_with_str_and_init(url, init);
        }
        let init = request_init(method, &[])?;
        let promise = fetcher.fetch_with_str_and_init(url, &init);
        let _ = cell.set(init);
        promise
    })
}

/// Start forwarding the incoming request unchanged to the assets binding.
pub(crate) fn forward(env: &Env, req: &Request) -> JsResult<Promise> {
    assets(env)?.fetch(req)
}
