//! The isolate's token verifier, built from `LYCEUM_JWT_*` on first use, and the JWKS
//! of an external membership provider fetched from `LYCEUM_JWT_JWKS_URL`.
//!
//! `gate::jwks::Refresh` decides when to fetch (a token signed by a key the set lacks,
//! or keys past their `max-age`; at most once per interval, whatever asks); this
//! module only fetches and swaps the verifier. The request that started a fetch waits
//! for it (on the async path, `Job::Keys`); the others go on with the keys in hand
//! meanwhile (none before the first fetch: a provider's token then gets the teaser),
//! so a request never waits on another request's I/O. A failed fetch or a bad
//! document keeps the last good keys; why is logged, never answered.

use std::cell::RefCell;
use std::rc::Rc;

use gate::jwks::{Refresh, MAX_JWKS_BYTES};
use gate::session::Credential;
use gate::{Settings, Verifier};
use worker::js_sys;
use worker::wasm_bindgen::{JsCast, JsValue};
use worker::wasm_bindgen_futures::JsFuture;
use worker::web_sys::{AbortSignal, RequestInit, RequestRedirect, Response};
use worker::{console_error, console_log, Env};

use crate::state::setting;

/// A JWKS fetch that takes longer than this is abandoned (the old keys stay).
const FETCH_TIMEOUT_MS: u32 = 5_000;

/// The verifier and, with a JWKS URL, its fetch schedule.
struct Keys {
    settings: Settings,
    /// `None` when no usable key is configured: every gated URL then gets its teaser.
    verifier: Option<Rc<Verifier>>,
    /// `(url, schedule)`, with `LYCEUM_JWT_JWKS_URL`.
    fetch: Option<(String, Refresh)>,
}

thread_local! {
    static KEYS: RefCell<Option<Keys>> = const { RefCell::new(None) };
}

/// Run `f` on the isolate's keys, made from `env` on first use. `f` must not call
/// into JS while it holds the borrow (README "Request plumbing", invariant 3).
fn with_keys<R>(env: &Env, f: impl FnOnce(&mut Keys) -> R) -> R {
    KEYS.with(|cell| f(cell.borrow_mut().get_or_insert_with(|| load(env))))
}

fn load(env: &Env) -> Keys {
    let settings = Settings::from_env(|name| setting(env, name));
    let verifier = match Verifier::from_settings(&settings) {
        Ok(v) => Some(Rc::new(v)),
        Err(e) => {
            // ConfigError never contains key material.
            console_error!("lyceum: gated content is denied to everyone: {e}");
            None
        }
    };
    let fetch = match (&verifier, settings.jwks_url()) {
        (Some(_), Some(url)) => {
            // Checked by `from_settings` already.
            let interval = gate::jwks::refetch_secs(settings.jwks_refetch_secs.as_deref())
                .unwrap_or(gate::jwks::DEFAULT_REFETCH_SECS);
            Some((url.to_string(), Refresh::new(interval)))
        }
        _ => None,
    };
    Keys {
        settings,
        verifier,
        fetch,
    }
}

/// The isolate's verifier as it is now.
pub(crate) fn verifier(env: &Env) -> Option<Rc<Verifier>> {
    with_keys(env, |k| k.verifier.clone())
}

/// The JWKS URL to fetch before this request's token is verified, if the schedule
/// starts a fetch for it: with a JWKS URL, when its bearer token is signed by a key
/// the set lacks, or the keys are stale.
pub(crate) fn fetch_for(env: &Env, authorization: Option<&str>, now: u64) -> Option<String> {
    let Credential::Bearer(token) = Credential::of(authorization, None) else {
        return None;
    };
    with_keys(env, |k| {
        let lacks = k.verifier.as_ref()?.lacks_key(token);
        let (url, refresh) = k.fetch.as_mut()?;
        refresh.begin(now, lacks).then(|| url.clone())
    })
}

/// Fetch the JWKS at `url` and, if it is a usable one, make it the isolate's keys.
/// A failure is logged and keeps the old keys.
pub(crate) async fn fetch_and_keep(env: &Env, url: &str) {
    let fetched = fetch_jwks(url).await;
    let now = (js_sys::Date::now() / 1000.0) as u64;
    let kept: Result<(), String> = with_keys(env, |k| {
        let (text, cache_control) = fetched?;
        let v = Verifier::with_jwks(&k.settings, &text).map_err(|e| e.to_string())?;
        if let Some((_, refresh)) = k.fetch.as_mut() {
            refresh.loaded(now, gate::jwks::ttl_secs(cache_control.as_deref()));
        }
        k.verifier = Some(Rc::new(v));
        Ok(())
    });
    match kept {
        Ok(()) => console_log!("lyceum: JWKS loaded from LYCEUM_JWT_JWKS_URL"),
        // The reason goes to the log only; requests just see the old keys.
        Err(e) => console_error!("lyceum: JWKS fetch failed, keeping the last keys: {e}"),
    }
}

/// The document at `url` and its `Cache-Control`, if it answered 200 with at most
/// [`MAX_JWKS_BYTES`]. Redirects are not followed.
async fn fetch_jwks(url: &str) -> Result<(String, Option<String>), String> {
    let failed = |e: JsValue| crate::js::error_text(&e, "fetch failed");
    let init = RequestInit::new();
    init.set_method("GET");
    init.set_redirect(RequestRedirect::Manual);
    init.set_signal(Some(&AbortSignal::timeout_with_u32(FETCH_TIMEOUT_MS)));
    let resp: Response = JsFuture::from(crate::mailer::global_fetch(url, &init).map_err(failed)?)
        .await
        .map_err(failed)?
        .unchecked_into();
    if resp.status() != 200 {
        return Err(format!("HTTP {}", resp.status()));
    }
    let cache_control = resp.headers().get("Cache-Control").ok().flatten();
    let text = JsFuture::from(resp.text().map_err(failed)?)
        .await
        .map_err(failed)?
        .as_string()
        .unwrap_or_default();
    if text.len() > MAX_JWKS_BYTES {
        return Err("document too large".into());
    }
    Ok((text, cache_control))
}
