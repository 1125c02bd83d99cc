//! One request: method check, the worker's own routes, then the gate's decision
//! turned into a response from the assets binding.

use gate::session::{GATED_HEADERS, LOGIN_PATH, LOGOUT_PATH, ME_PATH};
use gate::{decide, Access, Claims};
use worker::wasm_bindgen::JsCast;
use worker::web_sys::{Request, Response};
use worker::{console_log, js_sys, Env};

use crate::http::{self, fetch_asset, forward, header, plain, respond, rewrap, JsResult};
use crate::{routes, state};

/// A path that never exists in a bundle: fetching it makes the assets binding
/// answer with the site's 404 page (`not_found_handling = "404-page"`).
const NOT_FOUND_PROBE: &str = "/.lyceum-not-found";

pub(crate) async fn handle(req: &Request, env: &Env) -> JsResult<Response> {
    let method = req.method();
    let head = match method.as_str() {
        "GET" => false,
        "HEAD" => true,
        _ => return http::method_not_allowed(),
    };
    let url = req.url();
    let (raw_path, query) = http::split_url(&url);

    match raw_path {
        LOGIN_PATH => return routes::login(env, query, head),
        LOGOUT_PATH => return routes::logout(head),
        ME_PATH => return routes::me(req, env, head),
        _ => {}
    }

    // The private tree never depends on the manifest loading.
    let assets = assets(env)?;
    let normalized = match gate::path::normalize(raw_path) {
        Ok(p) if !gate::path::is_private(&p) => p,
        _ => return not_found(&assets, head).await,
    };

    let Some(manifest) = state::manifest(&assets).await? else {
        // Without the manifest nothing tells a teaser URL from a public one.
        return respond(
            503,
            &[
                ("Content-Type", "text/plain; charset=utf-8"),
                ("Cache-Control", "no-store"),
                ("Retry-After", "60"),
            ],
            (!head).then_some("Service Unavailable\n"),
        );
    };

    // Only a gated URL is worth a token verification (public paths need no crypto).
    let claims = match manifest.lookup(&normalized) {
        Some(_) => member(req, env),
        None => None,
    };
    let access = decide(&manifest, raw_path, claims.as_ref());

    match access {
        Access::Public => public(&assets, req, head).await,
        Access::NotFound => not_found(&assets, head).await,
        Access::Full { file } => {
            // Only a member's Range is honoured, and only on the full file.
            let range = header(req, "Range");
            let extra: Vec<(&str, &str)> =
                range.as_deref().map(|r| ("Range", r)).into_iter().collect();
            gated(&assets, &file, &method, &extra, &[200, 206, 416], head).await
        }
        Access::Teaser { file, .. } => gated(&assets, &file, &method, &[], &[200], head).await,
    }
}

/// Verified claims of the request's token, or `None` (anonymous, invalid, or no key).
fn member(req: &Request, env: &Env) -> Option<Claims> {
    // Built (and a missing key logged) on the first gated request, token or not.
    let verifier = state::verifier(env)?;
    let authorization = header(req, "Authorization");
    let cookie = header(req, "Cookie");
    let token = gate::session::token_from_headers(authorization.as_deref(), cookie.as_deref())?;
    match verifier.verify(token, http::now_secs()) {
        Ok(claims) => Some(claims),
        Err(e) => {
            // TokenError's text never contains the token.
            console_log!("lyceum: token refused: {e}");
            None
        }
    }
}

/// The static-assets binding.
fn assets(env: &Env) -> JsResult<worker::worker_sys::Fetcher> {
    let binding = js_sys::Reflect::get(env, &"ASSETS".into())?;
    if binding.is_undefined() {
        return Err("ASSETS binding missing".into());
    }
    Ok(binding.unchecked_into())
}

/// A public file: the assets binding answers as usual (its own caching, ETags, Range).
async fn public(
    assets: &worker::worker_sys::Fetcher,
    req: &Request,
    head: bool,
) -> JsResult<Response> {
    let resp = forward(assets, req).await?;
    if (300..400).contains(&resp.status()) {
        // Assets' pretty-URL redirects are fine, unless one points into the private tree.
        let location = resp
            .headers()
            .get("Location")
            .ok()
            .flatten()
            .unwrap_or_default()
            .to_ascii_lowercase();
        if location.contains("_gated") || location.contains("%5fgated") {
            return not_found(assets, head).await;
        }
    }
    Ok(resp)
}

/// A full page or teaser, fetched at its canonical asset URL, with the gated headers.
/// Any unexpected status (a redirect, a missing file) becomes a 404: nothing from a
/// gated fetch is forwarded unless it is one of `ok` statuses.
async fn gated(
    assets: &worker::worker_sys::Fetcher,
    file: &str,
    method: &str,
    extra: &[(&str, &str)],
    ok: &[u16],
    head: bool,
) -> JsResult<Response> {
    let resp = fetch_asset(assets, &gate::path::asset_url(file), method, extra).await?;
    let status = resp.status();
    if !ok.contains(&status) {
        console_log!("lyceum: bundle file {file} answered HTTP {status}");
        return not_found(assets, head).await;
    }
    rewrap(&resp, status, &GATED_HEADERS)
}

/// The site's 404 page (from the assets binding), never cached publicly.
async fn not_found(assets: &worker::worker_sys::Fetcher, head: bool) -> JsResult<Response> {
    let method = if head { "HEAD" } else { "GET" };
    let resp = fetch_asset(assets, NOT_FOUND_PROBE, method, &[]).await?;
    if resp.status() != 404 {
        return not_found_fallback(head);
    }
    rewrap(&resp, 404, &GATED_HEADERS)
}

fn not_found_fallback(head: bool) -> JsResult<Response> {
    plain(404, "Not Found\n", head)
}
