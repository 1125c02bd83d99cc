//! One request: [`gate::route`] decides everything; this module only reads the
//! request, loads the manifest when it is needed, and turns the outcome into a
//! response from the assets binding.

use gate::route::{route, Outcome, Reply};
use gate::session::GATED_HEADERS;
use worker::wasm_bindgen::JsCast;
use worker::web_sys::{Request, Response};
use worker::{console_log, js_sys, Env};

use crate::http::{fetch_asset, forward, header, now_secs, rewrap, send, JsResult};
use crate::state;

/// A path that never exists in a bundle: fetching it makes the assets binding
/// answer with the site's 404 page (`not_found_handling = "404-page"`).
const NOT_FOUND_PROBE: &str = "/.lyceum-not-found";

pub(crate) async fn handle(req: &Request, env: &Env) -> JsResult<Response> {
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
    // Built (and a missing key logged) on first use, by the requests that need it.
    let keys = || state::verifier(env);
    let now = now_secs();

    let mut routed = route(
        &request,
        state::loaded_manifest().as_deref(),
        keys,
        None,
        now,
    );
    if routed.outcome == Outcome::NoManifest {
        // Not loaded yet (or unusable last time): load it, then route again with it.
        match state::manifest(&assets(env)?).await? {
            Some(manifest) => routed = route(&request, Some(&manifest), keys, None, now),
            None => return send(&Reply::unavailable(), head),
        }
    }
    if let Some(log) = &routed.log {
        console_log!("lyceum: {log}");
    }

    match routed.outcome {
        Outcome::Reply(reply) => send(&reply, head),
        // Without the manifest nothing tells a teaser URL from a public one.
        Outcome::NoManifest => send(&Reply::unavailable(), head),
        Outcome::Public { .. } => public(&assets(env)?, req, head).await,
        Outcome::NotFound => not_found(&assets(env)?, head).await,
        Outcome::File { file, range: true } => {
            // Only a member's Range is honoured, and only on the full file.
            let range = header(&headers, "Range");
            let extra: Vec<(&str, &str)> =
                range.as_deref().map(|r| ("Range", r)).into_iter().collect();
            gated(
                &assets(env)?,
                &file,
                &method,
                &extra,
                &[200, 206, 416],
                head,
            )
            .await
        }
        Outcome::File { file, range: false } => {
            gated(&assets(env)?, &file, &method, &[], &[200], head).await
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
        return send(&Reply::plain(404, "Not Found\n"), head);
    }
    rewrap(&resp, 404, &GATED_HEADERS)
}
