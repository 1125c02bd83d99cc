//! The async path: a request whose answer needs awaited platform calls beyond one
//! assets fetch: loading the manifest (once per isolate), and the member layer's
//! routes and session renewals (D1, mail: `member`). It is one Rust future, so a flow reads as
//! straight-line code with `.await` — at ~10 µs more CPU per request than the
//! synchronous path (README "Request plumbing"), which is why gated GETs stay there.
//!
//! [`respond_async`] takes the request out of its slot before its first `.await`: the
//! slot table only ever holds requests on the synchronous path.

use std::rc::Rc;

use gate::route::Reply;
use gate::Manifest;
use worker::js_sys::{self, Promise};
use worker::wasm_bindgen::prelude::wasm_bindgen;
use worker::wasm_bindgen::{JsCast, JsValue};
use worker::wasm_bindgen_futures::JsFuture;
use worker::web_sys::Response;
use worker::Env;

use crate::http::{fetch_asset, send, JsResult};
use crate::serve::{self, is_head, next, routed, Job, State, Step};
use crate::state;

/// Answer request `id`, which the synchronous path handed over ([`serve::finish`] gave
/// `undefined`). Frees its slot at once. A rejection is answered by
/// [`serve::internal_error`].
#[wasm_bindgen(wasm_bindgen_futures = worker::wasm_bindgen_futures)]
pub async fn respond_async(id: u32, ctx: JsValue) -> JsResult<Response> {
    let mut step = serve::take(id).ok_or("lyceum: no such request")?;
    if !matches!(step.state, State::Async(_)) {
        return Err("lyceum: request is not on the async path".into());
    }
    let now_ms = js_sys::Date::now();
    // One loop, so the steps after a job share one `drive`: the isolate's first gated
    // request may load the manifest, then fetch the JWKS (once: `fetched`), then serve.
    let mut fetched = false;
    loop {
        // The placeholder is never read: `state` is put back or the request answered.
        let state = std::mem::replace(&mut step.state, State::Async(Job::Member));
        let State::Async(job) = state else {
            return drive(&step, state).await;
        };
        step.state = match job {
            Job::Member => return crate::member::route(&step, &ctx, now_ms).await,
            Job::Renew => return crate::member::renew(&step, now_ms).await,
            Job::LoadManifest => {
                let Some(manifest) = load_manifest(&step.env).await? else {
                    return send(&Reply::unavailable(), is_head(&step.method));
                };
                let (req, env, method) = (&step.req, &step.env, &step.method);
                routed(req, env, method, Some(&manifest), now_ms, None, fetched)?
            }
            Job::Keys(url) => {
                crate::keys::fetch_and_keep(&step.env, &url).await;
                fetched = true;
                routed(&step.req, &step.env, &step.method, None, now_ms, None, true)?
            }
        };
    }
}

/// One platform call: await `promise` (a fetch, `resp.text()`, a D1 statement…).
pub(crate) async fn call(promise: Promise) -> JsResult<JsValue> {
    JsFuture::from(promise).await
}

/// `/_gated/manifest.json` from the assets binding, parsed and kept for the isolate;
/// `None` (logged once) when it is missing or invalid: the caller answers 503.
async fn load_manifest(env: &Env) -> JsResult<Option<Rc<Manifest>>> {
    match load_text(env, gate::manifest::MANIFEST_FILE).await? {
        Some(text) => Ok(state::keep_manifest(&text)),
        None => {
            state::manifest_unusable("missing");
            Ok(None)
        }
    }
}

/// A bundle file's text from the assets binding; `None` unless it answers 200.
pub(crate) async fn load_text(env: &Env, file: &str) -> JsResult<Option<String>> {
    let resp: Response = call(fetch_asset(env, file, false, &[])?)
        .await?
        .dyn_into()?;
    if resp.status() != 200 {
        return Ok(None);
    }
    Ok(call(resp.text()?).await?.as_string())
}

/// Run the synchronous path's steps from `state` to the response, awaiting here what
/// the entry would await there.
pub(crate) async fn drive(step: &Step, mut state: State) -> JsResult<Response> {
    loop {
        state = match state {
            State::Done(resp) => return Ok(resp),
            State::Wait(promise, then) => {
                let value = call(promise).await?;
                next(&step.req, &step.env, &step.method, &then, value)?
            }
            State::Async(_) => return Err("lyceum: async path re-entered".into()),
        };
    }
}
