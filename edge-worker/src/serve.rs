//! The synchronous path: one request as a chain of synchronous steps (the rules are in
//! the README's "Request plumbing"). [`gate::route`] decides everything; this module
//! reads the request, starts the assets fetches an outcome needs, and turns what they
//! return into the response. The JS entry only awaits the promise a step is waiting on
//! and hands its value back to [`resume`]. A request that needs more than the assets
//! binding (today: loading the manifest) is handed to the async path
//! ([`crate::awaited`]) by ending in [`State::Async`].
//!
//! A request in progress lives in a per-isolate slot table and JS holds only its number:
//! a wasm-bindgen object per request would cost a `FinalizationRegistry` registration
//! and an instance check on every call, on every request.

use std::cell::{OnceCell, RefCell};

use gate::route::{route, Outcome, Reply};
use gate::Manifest;
use worker::js_sys::{self, Promise};
use worker::wasm_bindgen::prelude::wasm_bindgen;
use worker::wasm_bindgen::{JsCast, JsValue};
use worker::web_sys::{Request, Response};
use worker::{console_error, console_log, Env};

use crate::http::{fetch_as, fetch_asset, forward, header, rewrap_gated, send, JsResult};
use crate::slots::Slots;
use crate::{keys, state};

/// One request in progress.
pub(crate) struct Step {
    pub(crate) req: Request,
    pub(crate) env: Env,
    /// As sent; read once.
    pub(crate) method: String,
    pub(crate) state: State,
}

pub(crate) enum State {
    Done(Response),
    /// Waiting on one assets fetch, then a synchronous step ([`next`]).
    Wait(Promise, Then),
    /// Needs awaited platform calls: the entry passes the request to [`crate::awaited`].
    Async(Job),
}

/// What the async path does with a request.
pub(crate) enum Job {
    /// Load the manifest (two awaits, once per isolate), then serve the request with it.
    LoadManifest,
    /// A member-layer route (`crate::member::route`).
    Member,
    /// Renew the session, then serve the request with the new token.
    Renew,
    /// Fetch the JWKS from this URL (`keys`), then route the request again.
    Keys(String),
}

/// What the awaited value is, and what to do with it.
pub(crate) enum Then {
    /// A public file: served as is, unless it redirects into the private tree.
    Public,
    /// A full page or teaser: served with the gated headers only with an `ok` status.
    Gated { file: String, ok: &'static [u16] },
    /// The assets' answer for a missing path (the site's 404 page), passed on as it is.
    NotFound,
}

thread_local! {
    /// The requests in progress.
    static STEPS: RefCell<Slots<Step>> = const { RefCell::new(Slots::new()) };
}

impl Step {
    /// The promise this step waits on, if it waits.
    fn waiting(&self) -> Option<Promise> {
        match &self.state {
            State::Wait(promise, _) => Some(promise.clone()),
            State::Done(_) | State::Async(_) => None,
        }
    }
}

/// Start a request: route it and keep it in a slot. An error (thrown) leaves no
/// slot and is answered by [`internal_error`].
#[wasm_bindgen]
pub fn begin(req: Request, env: Env) -> JsResult<u32> {
    let method = req.method();
    let now_ms = js_sys::Date::now();
    let state = routed(&req, &env, &method, None, now_ms, None, false)?;
    let step = Step {
        req,
        env,
        method,
        state,
    };
    STEPS
        .with(|steps| steps.borrow_mut().insert(step, now_ms))
        .ok_or_else(|| "lyceum: too many requests in progress".into())
}

/// The promise request `id` waits on, to await and pass to [`resume`]; `undefined`
/// once its response is ready.
#[wasm_bindgen]
pub fn pending(id: u32) -> Option<Promise> {
    STEPS.with(|steps| steps.borrow().get(id)?.waiting())
}

/// Advance request `id` with the awaited value of its promise; returns the next
/// promise to await, or `undefined` once the response is ready.
#[wasm_bindgen]
pub fn resume(id: u32, value: JsValue) -> JsResult<Option<Promise>> {
    let mut step = take(id).ok_or("lyceum: no such request")?;
    if let State::Wait(_, then) = &step.state {
        // On an error the slot stays free: the entry answers with `internal_error`.
        step.state = next(&step.req, &step.env, &step.method, then, value)?;
    }
    let wait = step.waiting();
    STEPS.with(|steps| steps.borrow_mut().put_back(id, step));
    Ok(wait)
}

/// The response of request `id`, once [`pending`] is `undefined`; frees its slot.
/// `undefined` when the request needs the async path: the entry then awaits
/// [`crate::awaited::respond_async`] with the same number (the slot is kept for it).
#[wasm_bindgen]
pub fn finish(id: u32) -> Option<Response> {
    let step = take(id)?;
    match step.state {
        State::Done(resp) => Some(resp),
        State::Async(_) => {
            STEPS.with(|steps| steps.borrow_mut().put_back(id, step));
            None
        }
        State::Wait(..) => None,
    }
}

/// The answer to a request whose step threw or whose promise rejected: a plain 500.
/// Frees the request's slot, if it has one.
#[wasm_bindgen]
pub fn internal_error(id: Option<u32>) -> JsResult<Response> {
    if let Some(id) = id {
        drop(take(id));
    }
    // The JS error may quote request data; log only that it happened.
    console_error!("lyceum: internal error while handling a request");
    send(&Reply::plain(500, "Internal Server Error\n"), false)
}

/// A `HEAD` request (the gate's own test of the method).
pub(crate) fn is_head(method: &str) -> bool {
    gate::route::Request {
        method,
        ..Default::default()
    }
    .is_head()
}

/// Take request `id` out of its slot (freeing it), if it is still there.
pub(crate) fn take(id: u32) -> Option<Step> {
    STEPS.with(|steps| steps.borrow_mut().take(id))
}

/// Route the request at `now_ms` (the runtime's clock). `loaded` is a manifest that
/// just loaded; without it, the isolate's manifest is used, and loaded first (on the
/// async path) if there is none yet. `renewed` replaces the request's `Cookie` header
/// after a session renewal. A request whose token needs the JWKS fetched first
/// (`keys`) ends in [`Job::Keys`], unless `fetched`: it already fetched once.
pub(crate) fn routed(
    req: &Request,
    env: &Env,
    method: &str,
    loaded: Option<&Manifest>,
    now_ms: f64,
    renewed: Option<&str>,
    fetched: bool,
) -> JsResult<State> {
    let (url, headers) = (req.url(), req.headers());
    let (authorization, cookie) = (
        header(&headers, |s| &s.authorization),
        match renewed {
            Some(cookie) => Some(cookie.to_string()),
            None => header(&headers, |s| &s.cookie),
        },
    );
    let request = gate::route::Request {
        method,
        url: &url,
        authorization: authorization.as_deref(),
        cookie: cookie.as_deref(),
    };
    let head = request.is_head();
    let cached = loaded.is_none().then(state::loaded_manifest).flatten();
    // Built (and a missing key logged) on first use, by the requests that need it.
    let verifier = OnceCell::new();
    let keys = || verifier.get_or_init(|| keys::verifier(env)).as_deref();
    let now = (now_ms / 1000.0) as u64;
    let routed = route(&request, loaded.or(cached.as_deref()), keys, None, now);
    // The token was checked: if its key may come with a JWKS fetch, fetch and route
    // again (this answer, made without the key, is dropped unlogged).
    if verifier.get().is_some() && !fetched {
        if let Some(url) = keys::fetch_for(env, authorization.as_deref(), now) {
            return Ok(State::Async(Job::Keys(url)));
        }
    }
    if let Some(log) = &routed.log {
        console_log!("lyceum: {log}");
    }

    Ok(match routed.outcome {
        Outcome::Reply(reply) => State::Done(send(&reply, head)?),
        // Not loaded yet (or unusable last time): load it, then route again with it.
        Outcome::NoManifest if loaded.is_none() => State::Async(Job::LoadManifest),
        // Without the manifest nothing tells a teaser URL from a public one.
        Outcome::NoManifest => State::Done(send(&Reply::unavailable(), head)?),
        Outcome::Public { .. } => State::Wait(forward(env, req)?, Then::Public),
        Outcome::Member => State::Async(Job::Member),
        // Renewed once at most: the new Cookie header carries no renewal secret.
        Outcome::Renew if renewed.is_none() => State::Async(Job::Renew),
        Outcome::NotFound | Outcome::Renew => not_found(env, req)?,
        Outcome::File { file, range: true } => {
            // Only a member's Range is honoured, and only on the full file.
            let range = header(&headers, |s| &s.range);
            let extra: Vec<(&str, &str)> =
                range.as_deref().map(|r| ("Range", r)).into_iter().collect();
            gated(env, file, head, &extra, &[200, 206, 416])?
        }
        Outcome::File { file, range: false } => gated(env, file, head, &[], &[200])?,
    })
}

/// What to do with the awaited `value` of a step: the `Response` of a fetch this
/// module started.
pub(crate) fn next(
    req: &Request,
    env: &Env,
    method: &str,
    then: &Then,
    value: JsValue,
) -> JsResult<State> {
    let head = is_head(method);
    match then {
        Then::Public => {
            let resp: Response = value.unchecked_into();
            if (300..400).contains(&resp.status()) {
                // Assets' pretty-URL redirects are fine, unless one points into the private tree.
                let location = header(&resp.headers(), |s| &s.location)
                    .unwrap_or_default()
                    .to_ascii_lowercase();
                if location.contains("_gated") || location.contains("%5fgated") {
                    return not_found(env, req);
                }
            }
            Ok(State::Done(resp))
        }
        Then::Gated { file, ok } => {
            let resp: Response = value.unchecked_into();
            let status = resp.status();
            // Nothing from a gated fetch is forwarded unless its status is one of `ok`.
            if !ok.contains(&status) {
                console_log!("lyceum: bundle file {file} answered HTTP {status}");
                return not_found(env, req);
            }
            Ok(State::Done(rewrap_gated(&resp)))
        }
        Then::NotFound => {
            let resp: Response = value.unchecked_into();
            // 304 and 412: the request's own conditions, as for any missing path.
            if !matches!(resp.status(), 404 | 304 | 412) {
                console_error!(
                    "lyceum: {} answered HTTP {}, not 404: 404s are plain text until it is removed",
                    gate::route::NOT_FOUND_PROBE,
                    resp.status()
                );
                return Ok(State::Done(send(&Reply::plain(404, "Not Found\n"), head)?));
            }
            Ok(State::Done(resp))
        }
    }
}

/// A full page or teaser, fetched at its canonical asset URL.
fn gated(
    env: &Env,
    file: String,
    head: bool,
    extra: &[(&str, &str)],
    ok: &'static [u16],
) -> JsResult<State> {
    let promise = fetch_asset(env, &file, head, extra)?;
    Ok(State::Wait(promise, Then::Gated { file, ok }))
}

/// Not found, whatever the reason: the assets' own answer to this request (its method
/// and headers) at a path that does not exist, unchanged, so it is byte for byte the
/// 404 of any missing public file ([`gate::route::NOT_FOUND_PROBE`]).
fn not_found(env: &Env, req: &Request) -> JsResult<State> {
    Ok(State::Wait(
        fetch_as(env, gate::route::NOT_FOUND_PROBE, req)?,
        Then::NotFound,
    ))
}
