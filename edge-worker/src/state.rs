//! Per-isolate state: the token verifier (from vars/secrets) and the gated-content
//! manifest (from the assets binding), each built once and reused by later requests.

use std::cell::{Cell, OnceCell, RefCell};
use std::rc::Rc;

use gate::{Manifest, Settings, Verifier};
use worker::wasm_bindgen::JsValue;
use worker::{console_error, js_sys, Env};

thread_local! {
    /// `None` when no usable key is configured: every gated URL then gets its teaser.
    /// Built once and kept for the isolate's life (hence `'static`).
    static VERIFIER: OnceCell<Option<&'static Verifier>> = const { OnceCell::new() };
    /// Cached only once it loaded and validated; a failure is retried on the next request.
    static MANIFEST: RefCell<Option<Rc<Manifest>>> = const { RefCell::new(None) };
    static MANIFEST_ERROR_LOGGED: Cell<bool> = const { Cell::new(false) };
}

/// A string var or secret, if set and non-empty.
fn setting(env: &Env, name: &str) -> Option<String> {
    let value = js_sys::Reflect::get(env, &JsValue::from_str(name)).ok()?;
    value.as_string().filter(|s| !s.trim().is_empty())
}

/// The isolate's verifier, built from `LYCEUM_JWT_*` on first use.
pub(crate) fn verifier(env: &Env) -> Option<&'static Verifier> {
    VERIFIER.with(|cell| {
        *cell.get_or_init(|| {
            let settings = Settings::from_env(|name| setting(env, name));
            match Verifier::from_settings(&settings) {
                Ok(v) => Some(&*Box::leak(Box::new(v))),
                Err(e) => {
                    // ConfigError never contains key material.
                    console_error!("lyceum: gated content is denied to everyone: {e}");
                    None
                }
            }
        })
    })
}

/// The manifest, if it is already loaded (no I/O).
pub(crate) fn loaded_manifest() -> Option<Rc<Manifest>> {
    MANIFEST.with(|c| c.borrow().clone())
}

/// Parse `/_gated/manifest.json` (as read from the assets binding) and keep it for
/// the isolate's life; `None` (logged) when it is invalid: the caller fails closed.
pub(crate) fn keep_manifest(text: &str) -> Option<Rc<Manifest>> {
    match Manifest::from_json(text) {
        Ok(m) => {
            let m = Rc::new(m);
            MANIFEST.with(|c| *c.borrow_mut() = Some(m.clone()));
            Some(m)
        }
        Err(e) => {
            manifest_unusable(&e.to_string());
            None
        }
    }
}

/// Say once per isolate why the manifest could not be used; it is retried on the next request.
pub(crate) fn manifest_unusable(problem: &str) {
    if !MANIFEST_ERROR_LOGGED.with(|l| l.replace(true)) {
        let url = gate::path::asset_url(gate::manifest::MANIFEST_FILE);
        console_error!("lyceum: manifest {url} unusable ({problem}); answering 503 until it loads");
    }
}
