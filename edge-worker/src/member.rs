//! The member layer on the async path: the `/_lyceum/…` routes (sign-in, sign-out,
//! account, admin) and session renewal, over D1 and the mail service. The flows and
//! every rule are in the `members` crate; this module reads the request, runs the
//! flow, sends its answer, and hands its mail to `waitUntil`, so the answer goes out
//! before (and whatever) the send does: an address that gets a mail and one that does
//! not are answered alike.

use std::rc::Rc;

use gate::route::Reply;
use members::http::{self, Renewal};
use worker::js_sys::{self, Uint8Array};
use worker::wasm_bindgen::{JsCast, JsValue};
use worker::wasm_bindgen_futures::future_to_promise;
use worker::web_sys::{Headers, Response};
use worker::{console_error, console_log, Env};

use crate::awaited::{call, drive, load_text};
use crate::d1::D1;
use crate::http::send;
use crate::js::ResponseJs;
use crate::mailer::Mailer;
use crate::serve::{is_head, routed, Step};
use crate::state::{self, Members};

type JsResult<T> = Result<T, JsValue>;

/// Answer a member route.
pub(crate) async fn route(step: &Step, ctx: &JsValue, now_ms: f64) -> JsResult<Response> {
    let head = is_head(&step.method);
    let url = step.req.url();
    let (path, query) = gate::route::split_url(&url);
    let Some((members, db)) = ready(&step.env).await? else {
        return send(&http::unavailable(path), head);
    };
    let headers = step.req.headers();
    let get = |name: &str| headers.get(name).ok().flatten();
    let body = match body(step, &headers, http::body_limit(path)).await? {
        Some(body) => body,
        None => return send(&Reply::plain(413, "Payload Too Large\n"), head),
    };
    let mailer = Mailer::from_env(&step.env);
    if path == http::SIGNIN_PATH && mailer.is_none() {
        // Said alike to every address: a sign-in that can send no mail is "try later".
        console_error!("lyceum: sign-in needs a mail service: an EMAIL binding or LYCEUM_EMAIL_API_URL and _KEY");
        return send(&http::unavailable(path), head);
    }
    let (host, origin, fetch_site, cookie, authorization, signature, ip) = (
        get("Host"),
        get("Origin"),
        get("Sec-Fetch-Site"),
        get("Cookie"),
        get("Authorization"),
        get("Stripe-Signature"),
        get("CF-Connecting-IP").unwrap_or_else(|| "unknown".into()),
    );
    let req = http::Request {
        method: &step.method,
        path,
        query,
        host: host.as_deref(),
        origin: origin.as_deref(),
        sec_fetch_site: fetch_site.as_deref(),
        stripe_signature: signature.as_deref(),
        cookie: cookie.as_deref(),
        authorization: authorization.as_deref(),
        ip: &ip,
        body: &body,
    };
    let now = (now_ms / 1000.0) as u64;
    let outcome = http::handle(&db, &members.settings, &req, now).await;
    if let Some(log) = &outcome.log {
        console_log!("lyceum: {log}");
    }
    log_d1(&step.env, path, &db);
    if let (Some(mail), Some(mailer)) = (outcome.mail, mailer) {
        let message = members::mail::compose(&members.site, &mail, &site_origin(&url));
        let from = state::setting(&step.env, "LYCEUM_EMAIL_FROM")
            .unwrap_or_else(|| format!("noreply@{}", host_name(host.as_deref())));
        let send = async move {
            if let Err(e) = mailer.send(&message, &from).await {
                console_error!("lyceum: sign-in mail not sent: {e}");
            }
            Ok(JsValue::UNDEFINED)
        };
        wait_until(ctx, &future_to_promise(send));
    }
    match outcome.answer {
        http::Answer::Reply(reply) => send(&reply, head),
        http::Answer::Page { template, secret } => match load_text(&step.env, template).await? {
            Some(html) => send(&http::confirm_page(&html, &secret), head),
            None => {
                console_error!("lyceum: bundle file {template} missing");
                send(&http::unavailable(path), head)
            }
        },
    }
}

/// Renew the request's session (the gate answered `Renew`), then serve it with the
/// new token and add the renewal's cookies.
pub(crate) async fn renew(step: &Step, now_ms: f64) -> JsResult<Response> {
    let cookie = step.req.headers().get("Cookie").ok().flatten();
    let now = (now_ms / 1000.0) as u64;
    let renewal = match ready(&step.env).await? {
        Some((members, db)) => {
            let r = http::renew(&db, &members.settings, cookie.as_deref(), now).await;
            log_d1(&step.env, "renewal", &db);
            r
        }
        // Any doubt denies: without the member layer the request is anonymous.
        None => Renewal {
            cookie: String::new(),
            set_cookies: Vec::new(),
            log: None,
        },
    };
    if let Some(log) = &renewal.log {
        console_log!("lyceum: {log}");
    }
    let state = routed(
        &step.req,
        &step.env,
        &step.method,
        None,
        now_ms,
        Some(&renewal.cookie),
        false,
    )?;
    let resp = drive(step, state).await?;
    if renewal.set_cookies.is_empty() {
        return Ok(resp);
    }
    // A fetched response's headers are immutable; the platform's copy is not.
    let body = resp.body().map_or(JsValue::NULL, JsValue::from);
    let out: Response = ResponseJs::new(&body, &resp).unchecked_into();
    let headers: Headers = out.headers();
    for c in &renewal.set_cookies {
        headers.append("Set-Cookie", c)?;
    }
    Ok(out)
}

/// The member settings and the database, loading the settings on first use; `None`
/// (logged) when either is missing.
async fn ready(env: &Env) -> JsResult<Option<(Rc<Members>, D1)>> {
    let members = match state::loaded_members() {
        Some(m) => Some(m),
        None => {
            let text = load_text(env, members::site::MEMBERS_FILE).await?;
            state::keep_members(env, text.as_deref())
        }
    };
    let Some(members) = members else {
        return Ok(None);
    };
    let Some(db) = D1::from_env(env) else {
        console_error!("lyceum: member routes need the D1 binding DB");
        return Ok(None);
    };
    Ok(Some((members, db)))
}

/// The body of a POST, if within `limit` bytes (`None`: too large; the declared
/// length is checked before anything is read).
async fn body(step: &Step, headers: &Headers, limit: usize) -> JsResult<Option<Vec<u8>>> {
    if step.method != "POST" {
        return Ok(Some(Vec::new()));
    }
    let declared = headers
        .get("Content-Length")
        .ok()
        .flatten()
        .and_then(|n| n.trim().parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Ok(None);
    }
    let buffer = call(step.req.array_buffer()?).await?;
    let bytes = Uint8Array::new(&buffer).to_vec();
    Ok((bytes.len() <= limit).then_some(bytes))
}

/// `https://host` of the request's URL (as the platform routed it): where the mail's
/// link points.
fn site_origin(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
            format!("{scheme}://{authority}")
        }
        None => String::new(),
    }
}

/// The host name of a `Host` header, without the port.
fn host_name(host: Option<&str>) -> &str {
    let host = host.unwrap_or("localhost");
    host.rsplit_once(':')
        .filter(|(_, port)| port.bytes().all(|b| b.is_ascii_digit()))
        .map_or(host, |(name, _)| name)
}

/// `LYCEUM_LOG_D1=1`: one log line per member request with the D1 work it did (the
/// figures of the README's "queries per flow").
fn log_d1(env: &Env, what: &str, db: &D1) {
    if state::setting(env, "LYCEUM_LOG_D1").is_some() {
        console_log!("lyceum: d1 {what} {}", db.summary());
    }
}

/// `ctx.waitUntil(promise)`: keep the isolate alive for it after the answer.
fn wait_until(ctx: &JsValue, promise: &js_sys::Promise) {
    let f = js_sys::Reflect::get(ctx, &JsValue::from_str("waitUntil"))
        .ok()
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok());
    match f {
        Some(f) => {
            if f.call1(ctx, promise).is_err() {
                console_error!("lyceum: waitUntil refused the mail");
            }
        }
        None => console_error!("lyceum: no waitUntil: the mail may not be sent"),
    }
}
