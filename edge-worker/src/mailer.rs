//! Delivering a sign-in mail: through the `EMAIL` binding (Cloudflare Email Service,
//! `[[send_email]] name = "EMAIL"`), else an HTTP email API
//! (`LYCEUM_EMAIL_API_URL`, Resend-style JSON with `LYCEUM_EMAIL_API_KEY` as a bearer
//! key). `wrangler dev` runs the binding locally: it sends nothing and logs the paths
//! of the `.txt`/`.html` files it writes, which the end-to-end tests read.
//!
//! The sender is `LYCEUM_EMAIL_FROM`, else `noreply@<host>`. Errors are for the log:
//! they never reach a response (the answer went out before the send).

use members::mail::Message;
use serde_json::json;
use worker::js_sys::{self, Promise};
use worker::wasm_bindgen::prelude::wasm_bindgen;
use worker::wasm_bindgen::{JsCast, JsValue};
use worker::wasm_bindgen_futures::JsFuture;
use worker::web_sys::{Headers, RequestInit, Response};
use worker::Env;

use crate::state::setting;

#[wasm_bindgen]
extern "C" {
    pub(crate) type SendEmail;
    #[wasm_bindgen(method, catch)]
    fn send(this: &SendEmail, message: &JsValue) -> Result<Promise, JsValue>;

    /// The global `fetch` (also the JWKS fetch of `keys`).
    #[wasm_bindgen(catch, js_name = fetch)]
    pub(crate) fn global_fetch(url: &str, init: &RequestInit) -> Result<Promise, JsValue>;
}

/// How this worker sends mail.
pub(crate) enum Mailer {
    Binding(SendEmail),
    Api { url: String, key: String },
}

impl Mailer {
    /// `None`: no mail service is configured (sign-in then answers "try later").
    pub(crate) fn from_env(env: &Env) -> Option<Mailer> {
        let binding = js_sys::Reflect::get(env, &JsValue::from_str("EMAIL")).ok()?;
        if binding.is_object() {
            return Some(Mailer::Binding(binding.unchecked_into()));
        }
        Some(Mailer::Api {
            url: setting(env, "LYCEUM_EMAIL_API_URL")?,
            key: setting(env, "LYCEUM_EMAIL_API_KEY")?,
        })
    }

    /// Send `msg` from `from`.
    pub(crate) async fn send(&self, msg: &Message, from: &str) -> Result<(), String> {
        match self {
            Mailer::Binding(binding) => {
                let message = json!({
                    "from": { "name": msg.from_name, "email": from },
                    "to": msg.to,
                    "subject": msg.subject,
                    "text": msg.text,
                    "html": msg.html,
                });
                let value = js_value(&message)?;
                let promise = binding.send(&value).map_err(describe)?;
                JsFuture::from(promise).await.map_err(describe)?;
                Ok(())
            }
            Mailer::Api { url, key } => {
                let body = json!({
                    "from": format!("{} <{from}>", msg.from_name.replace(['<', '>', '"'], "")),
                    "to": [msg.to],
                    "subject": msg.subject,
                    "text": msg.text,
                    "html": msg.html,
                });
                let headers = Headers::new().map_err(describe)?;
                headers
                    .set("Authorization", &format!("Bearer {key}"))
                    .map_err(describe)?;
                headers
                    .set("Content-Type", "application/json")
                    .map_err(describe)?;
                let init = RequestInit::new();
                init.set_method("POST");
                init.set_headers_headers(&headers);
                init.set_body(&JsValue::from_str(&body.to_string()));
                let resp: Response = JsFuture::from(global_fetch(url, &init).map_err(describe)?)
                    .await
                    .map_err(describe)?
                    .unchecked_into();
                match resp.status() {
                    200..=299 => Ok(()),
                    status => Err(format!("email API answered HTTP {status}")),
                }
            }
        }
    }
}

/// A JSON value as a JS object (through `JSON.parse`: one crossing).
fn js_value(value: &serde_json::Value) -> Result<JsValue, String> {
    js_sys::JSON::parse(&value.to_string()).map_err(describe)
}

/// A JS error's message, for the log.
fn describe(e: JsValue) -> String {
    crate::js::error_text(&e, "mail service failed")
}
