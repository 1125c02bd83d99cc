//! The async path: a request whose answer needs awaited platform calls beyond one
//! assets fetch (today: loading the manifest, once per isolate; next: the members
//! layer's D1 queries and email sends). It is one Rust future, so a flow reads as
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
pub async fn respond_async(id: u32) -> JsResult<Response> {
    let step = serve::take(id).ok_or("lyceum: no such request")?;
    let State::Async(job) = &step.state else {
        return Err("lyceum: request is not on the async path".into());
    };
    match job {
        Job::LoadManifest => {
            let Some(manifest) = load_manifest(&step.env).await? else {
                return send(&Reply::unavailable(), is_head(&step.method));
            };
            let state = routed(
                &step.req,
                &step.env,
                &step.method,
                Some(&manifest),
                js_sys::Date::now(),
            )?;
            drive(&step, state).await
        }
    }
}

/// One platform call: await `promise` (a fetch, `resp.text()`, a D1 statement…).
async fn call(promise: Promise) -> JsResult<JsValue> {
    JsFuture::from(promise).await
}

/// `/_gated/manifest.json` from the assets binding, parsed and kept for the isolate;
/// `None` (logged once) when it is missing or invalid: the caller answers 503.
async fn load_manifest(env: &Env) -> JsResult<Option<Rc<Manifest>>> {
    let file = gate::manifest::MANIFEST_FILE;
    let resp: Response = call(fetch_asset(env, file, false, &[])?)
        .await?
        .dyn_into()?;
    if resp.status() != 200 {
        state::manifest_unusable(&format!("HTTP {}", resp.status()));
        return Ok(None);
    }
    let text = call(resp.text()?).await?;
    Ok(state::keep_manifest(&text.as_string().unwrap_or_default()))
}

/// Run the synchronous path's steps from `state` to the response, awaiting here what
/// the entry would await there.
async fn drive(step: &Step, mut state: State) -> JsResult<Response> {
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
