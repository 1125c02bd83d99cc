//! The few JS calls and strings every request needs, made as cheap as the boundary allows.
//!
//! Measured in one isolate (bench/isolate), the worker's own CPU per request was mostly
//! the crossing, not the gate: each Rust `&str` sent to JS is decoded from UTF-8 again,
//! and each `catch` import runs inside a closure created per call. So the constant
//! strings live here as JS strings made once per isolate, and the calls that cannot
//! throw with them (header reads and writes with valid constant names and values, a
//! property read on the `env` object, fetches, re-wrapping a response) are imported
//! without `catch`. Should one throw after all, the exception unwinds through the wasm
//! frames (no destructors run: that request's temporaries leak) to the JS entry, which
//! answers 500; no borrow of per-isolate state is held across any of these calls. The
//! async path makes only calls that cannot throw or return `Result` (README "Request
//! plumbing", invariant 4).

use std::cell::RefCell;
use std::collections::HashMap;

use worker::js_sys::{self, Promise};
use worker::wasm_bindgen::prelude::wasm_bindgen;
use worker::wasm_bindgen::JsValue;
use worker::web_sys::{Request, RequestInit, Response};

#[wasm_bindgen]
extern "C" {
    /// A `Headers` object, seen through the calls below.
    pub(crate) type HeadersJs;
    /// `headers.get(name)`; never throws for a valid header name.
    #[wasm_bindgen(method, js_name = get)]
    pub(crate) fn get(this: &HeadersJs, name: &JsValue) -> Option<String>;
    /// `headers.set(name, value)`; never throws for a valid name and value.
    #[wasm_bindgen(method, js_name = set)]
    pub(crate) fn set(this: &HeadersJs, name: &JsValue, value: &JsValue);

    /// A service binding (`Fetcher`), seen through `fetch`; a fetch reports its
    /// failures through the promise.
    pub(crate) type FetcherJs;
    #[wasm_bindgen(method, js_name = fetch)]
    pub(crate) fn fetch(this: &FetcherJs, url: &JsValue, init: &RequestInit) -> Promise;
    #[wasm_bindgen(method, js_name = fetch)]
    pub(crate) fn forward(this: &FetcherJs, request: &Request) -> Promise;

    /// `new Response(body, init)`, with `init` a fetched `Response` (its status and a
    /// mutable copy of its headers); never throws for a fetched response's fresh body.
    #[wasm_bindgen(js_name = Response)]
    pub(crate) type ResponseJs;
    #[wasm_bindgen(constructor, js_class = "Response")]
    pub(crate) fn new(body: &JsValue, init: &Response) -> ResponseJs;

    /// `target[key]` of an object; never throws for an object.
    #[wasm_bindgen(js_namespace = Reflect, js_name = get)]
    pub(crate) fn property(target: &JsValue, key: &JsValue) -> JsValue;
}

/// The constant strings, as JS strings.
pub(crate) struct Strings {
    pub(crate) assets: JsValue,
    pub(crate) authorization: JsValue,
    pub(crate) cookie: JsValue,
    pub(crate) range: JsValue,
    pub(crate) location: JsValue,
    /// [`gate::session::GATED_HEADERS`], names and values.
    pub(crate) gated_headers: Vec<(JsValue, JsValue)>,
}

thread_local! {
    static STRINGS: Strings = Strings {
        assets: "ASSETS".into(),
        authorization: "Authorization".into(),
        cookie: "Cookie".into(),
        range: "Range".into(),
        location: "Location".into(),
        gated_headers: gate::session::GATED_HEADERS
            .iter()
            .map(|&(k, v)| (k.into(), v.into()))
            .collect(),
    };
    /// Asset URLs as JS strings, by bundle path. Only paths from the manifest and
    /// constants are kept (a bounded set), never anything taken from a request.
    static URLS: RefCell<HashMap<String, JsValue>> = RefCell::new(HashMap::new());
}

/// A JS error's text, for the log: a thrown string, else its `message`, else `fallback`.
/// (The platform's messages name the call that failed, never the data given to it.)
pub(crate) fn error_text(e: &JsValue, fallback: &str) -> String {
    e.as_string()
        .or_else(|| {
            js_sys::Reflect::get(e, &JsValue::from_str("message"))
                .ok()
                .and_then(|m| m.as_string())
        })
        .unwrap_or_else(|| fallback.into())
}

/// Run `f` with the isolate's constant strings.
pub(crate) fn strings<R>(f: impl FnOnce(&Strings) -> R) -> R {
    STRINGS.with(f)
}

/// The JS string of `make(path)`, made once per `path`. `path` must be a constant or
/// come from the manifest.
pub(crate) fn url(path: &str, make: impl FnOnce(&str) -> String) -> JsValue {
    if let Some(url) = URLS.with(|urls| urls.borrow().get(path).cloned()) {
        return url;
    }
    let url = JsValue::from_str(&make(path));
    URLS.with(|urls| urls.borrow_mut().insert(path.to_string(), url.clone()));
    url
}
