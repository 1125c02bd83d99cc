//! Per-isolate state: the gated-content manifest and the member settings (from the
//! assets binding), each built once and reused by later requests. The token verifier
//! is `keys`'s.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use gate::Manifest;
use members::site::SiteMembers;
use worker::wasm_bindgen::JsValue;
use worker::{console_error, js_sys, Env};

thread_local! {
    /// Cached only once it loaded and validated; a failure is retried on the next request.
    static MANIFEST: RefCell<Option<Rc<Manifest>>> = const { RefCell::new(None) };
    static MANIFEST_ERROR_LOGGED: Cell<bool> = const { Cell::new(false) };
    /// The member layer's settings, once `members.json` loaded and a secret is set.
    static MEMBERS: RefCell<Option<Rc<Members>>> = const { RefCell::new(None) };
    static MEMBERS_ERROR_LOGGED: Cell<bool> = const { Cell::new(false) };
}

/// What the member routes need: the site's settings (`members.json`) and the flows'
/// settings made from them and the secrets.
pub(crate) struct Members {
    pub(crate) site: SiteMembers,
    pub(crate) settings: members::http::Settings,
}

/// The member settings, if already loaded (no I/O).
pub(crate) fn loaded_members() -> Option<Rc<Members>> {
    MEMBERS.with(|c| c.borrow().clone())
}

/// Parse `members.json` (as read from the assets binding) and, with
/// `LYCEUM_JWT_SECRET` and `LYCEUM_ADMIN_SECRET`, keep the member settings for the
/// isolate; `None` (logged once) when either is unusable: the routes answer "try later".
pub(crate) fn keep_members(env: &Env, text: Option<&str>) -> Option<Rc<Members>> {
    let site = match text.map(SiteMembers::from_json) {
        Some(Ok(site)) => site,
        Some(Err(e)) => return members_unusable(&format!("{} {e}", members::site::MEMBERS_FILE)),
        None => return members_unusable(&format!("{} missing", members::site::MEMBERS_FILE)),
    };
    let Some(secret) = setting(env, gate::token::ENV_SECRET) else {
        return members_unusable("LYCEUM_JWT_SECRET is not set (it signs sessions)");
    };
    let mut settings = site.settings(secret.as_bytes(), setting(env, "LYCEUM_ADMIN_SECRET"));
    settings.stripe_webhook_secret = setting(env, members::http::ENV_STRIPE_WEBHOOK_SECRET);
    let m = Rc::new(Members { site, settings });
    MEMBERS.with(|c| *c.borrow_mut() = Some(m.clone()));
    Some(m)
}

fn members_unusable(problem: &str) -> Option<Rc<Members>> {
    if !MEMBERS_ERROR_LOGGED.with(|l| l.replace(true)) {
        console_error!("lyceum: member routes unavailable: {problem}");
    }
    None
}

/// A string var or secret, if set and non-empty.
pub(crate) fn setting(env: &Env, name: &str) -> Option<String> {
    let value = js_sys::Reflect::get(env, &JsValue::from_str(name)).ok()?;
    value.as_string().filter(|s| !s.trim().is_empty())
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
