//! Small HTTP helpers over raw `web_sys` types: split the serialized request URL,
//! build responses, copy a fetched response with extra headers.

use worker::js_sys;
use worker::wasm_bindgen::{JsCast, JsValue};
use worker::web_sys::{Headers, Request, RequestInit, RequestRedirect, Response, ResponseInit};

pub(crate) type JsResult<T> = Result<T, JsValue>;

/// Methods the worker answers; everything else gets 405.
pub(crate) const ALLOW: &str = "GET, HEAD";

/// `(path, query)` of a serialized WHATWG URL (`https://host/path?query#frag`),
/// both still percent-encoded, without parsing the URL again.
pub(crate) fn split_url(url: &str) -> (&str, &str) {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    let rest = match url[after_scheme..].find('/') {
        Some(i) => &url[after_scheme + i..],
        None => "/",
    };
    let rest = rest.split('#').next().unwrap_or("/");
    match rest.split_once('?') {
        Some((path, query)) => (path, query),
        None => (rest, ""),
    }
}

/// A request header, if present and readable.
pub(crate) fn header(req: &Request, name: &str) -> Option<String> {
    req.headers().get(name).ok().flatten()
}

/// Build a response with a string body (omitted for HEAD) and the given headers.
pub(crate) fn respond(
    status: u16,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> JsResult<Response> {
    let h = Headers::new()?;
    for (k, v) in headers {
        h.append(k, v)?;
    }
    let init = ResponseInit::new();
    init.set_status(status);
    init.set_headers_headers(&h);
    Response::new_with_opt_str_and_init(body, &init)
}

/// A plain-text response that is never cached.
pub(crate) fn plain(status: u16, text: &str, head: bool) -> JsResult<Response> {
    respond(
        status,
        &[
            ("Content-Type", "text/plain; charset=utf-8"),
            ("Cache-Control", "no-store"),
        ],
        (!head).then_some(text),
    )
}

/// 405 with `Allow`.
pub(crate) fn method_not_allowed() -> JsResult<Response> {
    respond(
        405,
        &[
            ("Allow", ALLOW),
            ("Content-Type", "text/plain; charset=utf-8"),
            ("Cache-Control", "no-store"),
        ],
        Some("Method Not Allowed\n"),
    )
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

/// Fetch `path` from the static-assets binding with `method` and optional extra
/// request headers. Redirects are returned, never followed.
pub(crate) async fn fetch_asset(
    assets: &worker::worker_sys::Fetcher,
    path: &str,
    method: &str,
    headers: &[(&str, &str)],
) -> JsResult<Response> {
    let init = RequestInit::new();
    init.set_method(method);
    init.set_redirect(RequestRedirect::Manual);
    let h = Headers::new()?;
    for (k, v) in headers {
        h.set(k, v)?;
    }
    init.set_headers_headers(&h);
    // The host is irrelevant to an assets binding; only the path is used. `path` is
    // already percent-encoded (gate::path::asset_url or a constant).
    let url = format!("https://assets.invalid{path}");
    let promise = assets.fetch_with_str_and_init(&url, &init)?;
    let value = js_sys::futures::JsFuture::from(promise).await?;
    value.dyn_into::<Response>()
}

/// Forward the incoming request unchanged to the assets binding.
pub(crate) async fn forward(
    assets: &worker::worker_sys::Fetcher,
    req: &Request,
) -> JsResult<Response> {
    let promise = assets.fetch(req)?;
    let value = js_sys::futures::JsFuture::from(promise).await?;
    value.dyn_into::<Response>()
}

/// Seconds since the Unix epoch, from the runtime's clock.
pub(crate) fn now_secs() -> u64 {
    (js_sys::Date::now() / 1000.0) as u64
}

#[cfg(test)]
mod tests {
    use super::split_url;

    #[test]
    fn splits_path_and_query() {
        assert_eq!(split_url("https://h/a/b?x=1&y#f"), ("/a/b", "x=1&y"));
        assert_eq!(split_url("https://h"), ("/", ""));
        assert_eq!(split_url("http://h:8787/%5Fgated/"), ("/%5Fgated/", ""));
        assert_eq!(split_url("https://h/p#f?x"), ("/p", ""));
    }
}
