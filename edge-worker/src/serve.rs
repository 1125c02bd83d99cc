//! One request, as a chain of synchronous steps: [`gate::route`] decides everything;
//! this module reads the request, starts the assets fetches an outcome needs, and
//! turns what they return into the response. The JS entry only awaits the promise a
//! [`Step`] holds and hands its value back to [`Step::resume`].

use gate::route::{route, Outcome, Reply};
use gate::session::GATED_HEADERS;
use gate::Manifest;
use worker::js_sys::Promise;
use worker::wasm_bindgen::prelude::wasm_bindgen;
use worker::wasm_bindgen::{JsCast, JsValue};
use worker::web_sys::{Request, Response};
use worker::{console_error, console_log, Env};

use crate::http::{fetch_asset, forward, header, now_secs, rewrap, send, JsResult};
use crate::state;

/// A path that never exists in a bundle: fetching it makes the assets binding
/// answer with the site's 404 page (`not_found_handling = "404-page"`).
const NOT_FOUND_PROBE: &str = "/.lyceum-not-found";

/// One request in progress: its response, or a promise whose value [`Step::resume`] needs.
#[wasm_bindgen]
pub struct Step {
    req: Request,
    env: Env,
    state: State,
}

enum State {
    Done(Response),
    Wait(Promise, Then),
}

/// What the awaited value is, and what to do with it.
enum Then {
    /// The manifest's response, then its text; then the request is routed with it.
    ManifestResponse,
    ManifestText,
    /// A public file: served as is, unless it redirects into the private tree.
    Public,
    /// A full page or teaser: served with the gated headers only with an `ok` status.
    Gated { file: String, ok: &'static [u16] },
    /// The site's 404 page.
    NotFound,
}

/// The first step of a request. An error (thrown) is answered by [`internal_error`].
#[wasm_bindgen]
pub fn begin(req: Request, env: Env) -> JsResult<Step> {
    let state = routed(&req, &env, None)?;
    Ok(Step { req, env, state })
}

// One `Step` per request, advanced in place and consumed by `finish`: every
// wasm-bindgen object that JS leaves to the GC costs a finalization callback.
#[wasm_bindgen]
impl Step {
    /// The promise (an assets fetch or a body read) to await and pass to `resume`;
    /// `undefined` once the response is ready.
    #[wasm_bindgen(getter)]
    pub fn wait(&self) -> Option<Promise> {
        match &self.state {
            State::Wait(promise, _) => Some(promise.clone()),
            State::Done(_) => None,
        }
    }

    /// Advance with the awaited value of `wait`.
    pub fn resume(&mut self, value: JsValue) -> JsResult<()> {
        if let State::Wait(_, then) = &self.state {
            self.state = next(&self.req, &self.env, then, value)?;
        }
        Ok(())
    }

    /// The response, once `wait` is `undefined`.
    pub fn finish(self) -> Option<Response> {
        match self.state {
            State::Done(resp) => Some(resp),
            State::Wait(..) => None,
        }
    }
}

/// The answer to a request whose step threw or whose promise rejected: a plain 500.
#[wasm_bindgen]
pub fn internal_error() -> JsResult<Response> {
    // The JS error may quote request data; log only that it happened.
    console_error!("lyceum: internal error while handling a request");
    send(&Reply::plain(500, "Internal Server Error\n"), false)
}

/// Route the request. `loaded` is a manifest that just loaded; without it, the
/// isolate's manifest is used, and loaded first if there is none yet.
fn routed(req: &Request, env: &Env, loaded: Option<&Manifest>) -> JsResult<State> {
    let (method, url, headers) = (req.method(), req.url(), req.headers());
    let (authorization, cookie) = (
        header(&headers, "Authorization"),
        header(&headers, "Cookie"),
    );
    let request = gate::route::Request {
        method: &method,
        url: &url,
        authorization: authorization.as_deref(),
        cookie: cookie.as_deref(),
    };
    let head = request.is_head();
    let cached = loaded.is_none().then(state::loaded_manifest).flatten();
    // Built (and a missing key logged) on first use, by the requests that need it.
    let keys = || state::verifier(env);
    let routed = route(&request, loaded.or(cached.as_deref()), keys, None, now_secs());
    if let Some(log) = &routed.log {
        console_log!("lyceum: {log}");
    }

    Ok(match routed.outcome {
        Outcome::Reply(reply) => State::Done(send(&reply, head)?),
        // Not loaded yet (or unusable last time): load it, then route again with it.
        Outcome::NoManifest if loaded.is_none() => {
            let url = gate::path::asset_url(gate::manifest::MANIFEST_FILE);
            State::Wait(fetch_asset(env, &url, "GET", &[])?, Then::ManifestResponse)
        }
        // Without the manifest nothing tells a teaser URL from a public one.
        Outcome::NoManifest => State::Done(send(&Reply::unavailable(), head)?),
        Outcome::Public { .. } => State::Wait(forward(env, req)?, Then::Public),
        Outcome::NotFound => not_found(env, head)?,
        Outcome::File { file, range: true } => {
            // Only a member's Range is honoured, and only on the full file.
            let range = header(&headers, "Range");
            let extra: Vec<(&str, &str)> =
                range.as_deref().map(|r| ("Range", r)).into_iter().collect();
            gated(env, file, &method, &extra, &[200, 206, 416])?
        }
        Outcome::File { file, range: false } => gated(env, file, &method, &[], &[200])?,
    })
}

/// What to do with the awaited `value` of a step.
fn next(req: &Request, env: &Env, then: &Then, value: JsValue) -> JsResult<State> {
    let unavailable = || Ok(State::Done(send(&Reply::unavailable(), is_head(req))?));
    match then {
        Then::ManifestResponse => {
            let resp: Response = value.dyn_into()?;
            if resp.status() == 200 {
                return Ok(State::Wait(resp.text()?, Then::ManifestText));
            }
            state::manifest_unusable(&format!("HTTP {}", resp.status()));
            unavailable()
        }
        Then::ManifestText => match state::keep_manifest(&value.as_string().unwrap_or_default()) {
            Some(manifest) => routed(req, env, Some(&manifest)),
            None => unavailable(),
        },
        Then::Public => {
            let resp: Response = value.dyn_into()?;
            if (300..400).contains(&resp.status()) {
                // Assets' pretty-URL redirects are fine, unless one points into the private tree.
                let location = header(&resp.headers(), "Location")
                    .unwrap_or_default()
                    .to_ascii_lowercase();
                if location.contains("_gated") || location.contains("%5fgated") {
                    return not_found(env, is_head(req));
                }
            }
            Ok(State::Done(resp))
        }
        Then::Gated { file, ok } => {
            let resp: Response = value.dyn_into()?;
            let status = resp.status();
            // Nothing from a gated fetch is forwarded unless its status is one of `ok`.
            if !ok.contains(&status) {
                console_log!("lyceum: bundle file {file} answered HTTP {status}");
                return not_found(env, is_head(req));
            }
            Ok(State::Done(rewrap(&resp, status, &GATED_HEADERS)?))
        }
        Then::NotFound => {
            let resp: Response = value.dyn_into()?;
            if resp.status() != 404 {
                return Ok(State::Done(send(&Reply::plain(404, "Not Found\n"), is_head(req))?));
            }
            Ok(State::Done(rewrap(&resp, 404, &GATED_HEADERS)?))
        }
    }
}

/// A `HEAD` request (read again on the rare steps that need it after routing).
fn is_head(req: &Request) -> bool {
    let method = req.method();
    gate::route::Request {
        method: &method,
        ..Default::default()
    }
    .is_head()
}

/// A full page or teaser, fetched at its canonical asset URL.
fn gated(
    env: &Env,
    file: String,
    method: &str,
    extra: &[(&str, &str)],
    ok: &'static [u16],
) -> JsResult<State> {
    let promise = fetch_asset(env, &gate::path::asset_url(&file), method, extra)?;
    Ok(State::Wait(promise, Then::Gated { file, ok }))
}

/// The site's 404 page (from the assets binding), never cached publicly.
fn not_found(env: &Env, head: bool) -> JsResult<State> {
    let method = if head { "HEAD" } else { "GET" };
    Ok(State::Wait(
        fetch_asset(env, NOT_FOUND_PROBE, method, &[])?,
        Then::NotFound,
    ))
}
