//! Small HTTP helpers over raw `web_sys` types: send a gate reply, re-wrap a fetched
//! response with the gated headers, start fetches from the assets binding (the caller
//! hands their promise to the JS entry to await).
//!
//! They make as few calls across the JS boundary as they can (see `js`): constant
//! strings and asset URLs are JS strings made once per isolate, the plain
//! `RequestInit`s are built once per isolate, and a fetched response is re-wrapped with
//! the platform's own copy (`new Response(body, resp)`).

use std::cell::OnceCell;

use gate::route::Reply;
use worker::js_sys::Promise;
use worker::wasm_bindgen::{JsCast, JsValue};
use worker::web_sys::{Headers, Request, RequestInit, RequestRedirect, Response, ResponseInit};
use worker::Env;

use crate::js::{self, FetcherJs, HeadersJs, ResponseJs, Strings};

pub(crate) type JsResult<T> = Result<T, JsValue>;

thread_local! {
    /// `{method, redirect: "manual"}` for GET and HEAD: read by `fetch` when it is
    /// called and never changed after, so one object serves every fetch.
    static PLAIN_INIT: [OnceCell<RequestInit>; 2] = const { [OnceCell::new(), OnceCell::new()] };
}

/// A header, if present. Callers read the request's `Headers` once (`req.headers()` is
/// a call across the JS boundary) and ask it for each name.
pub(crate) fn header(headers: &Headers, name: impl FnOnce(&Strings) -> &JsValue) -> Option<String> {
    js::strings(|s| headers.unchecked_ref::<HeadersJs>().get(name(s)))
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

/// Re-wrap a fetched response (same status, headers and body stream) with the gated
/// headers set, replacing any of the same name. A fetched response's headers are
/// immutable; the copy the platform makes from `new Response(body, resp)` is not.
pub(crate) fn rewrap_gated(resp: &Response) -> Response {
    let body = resp.body().map_or(JsValue::NULL, JsValue::from);
    let out: Response = ResponseJs::new(&body, resp).unchecked_into();
    let h = out.headers();
    let h = h.unchecked_ref::<HeadersJs>();
    js::strings(|s| {
        for (k, v) in &s.gated_headers {
            h.set(k, v);
        }
    });
    out
}

/// The static-assets binding.
fn assets(env: &Env) -> JsResult<FetcherJs> {
    let binding = js::strings(|s| js::property(env, &s.assets));
    if binding.is_undefined() {
        return Err("ASSETS binding missing".into());
    }
    Ok(binding.unchecked_into())
}

/// A `RequestInit` with `method`, no automatic redirects and `headers` (if any).
fn request_init(method: &str, headers: &[(&str, &str)]) -> JsResult<RequestInit> {
    let init = RequestInit::new();
    init.set_method(method);
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

/// Start fetching bundle file `file` (as the manifest names it, e.g.
/// `_gated/x/index.html`, or a constant) from the static-assets binding at its pretty
/// URL, with a `HEAD` or `GET` and optional extra request headers. Redirects are
/// returned, never followed.
pub(crate) fn fetch_asset(
    env: &Env,
    file: &str,
    head: bool,
    headers: &[(&str, &str)],
) -> JsResult<Promise> {
    // The host is irrelevant to an assets binding; only the path is used.
    let url = js::url(file, |f| {
        format!("https://assets.invalid{}", gate::path::asset_url(f))
    });
    let fetcher = assets(env)?;
    let method = if head { "HEAD" } else { "GET" };
    if !headers.is_empty() {
        return Ok(fetcher.fetch(&url, &request_init(method, headers)?));
    }
    PLAIN_INIT.with(|inits| {
        let cell = &inits[usize::from(head)];
        if let Some(init) = cell.get() {
            return Ok(fetcher.fetch(&url, init));
        }
        let init = request_init(method, &[])?;
        let promise = fetcher.fetch(&url, &init);
        let _ = cell.set(init);
        Ok(promise)
    })
}

/// Start fetching `path` (a URL path) from the assets binding with the method and
/// headers of `req`, as if `req` had asked for it; redirects are returned, never followed.
pub(crate) fn fetch_as(env: &Env, path: &str, req: &Request) -> JsResult<Promise> {
    let url = js::url(path, |p| format!("https://assets.invalid{p}"));
    let init = RequestInit::new();
    init.set_method(&req.method());
    init.set_redirect(RequestRedirect::Manual);
    init.set_headers(&req.headers());
    Ok(assets(env)?.fetch(&url, &init))
}

/// Start forwarding the incoming request unchanged to the assets binding.
pub(crate) fn forward(env: &Env, req: &Request) -> JsResult<Promise> {
    Ok(assets(env)?.forward(req))
}
