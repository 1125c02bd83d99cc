//! The member layer's [`Store`] on Cloudflare D1 (binding `DB`).
//!
//! Statements run through `db.batch()`, D1's one atomic primitive (it refuses
//! `BEGIN`/`COMMIT`), so a batch of the member flows applies whole or not at all. Rows
//! cross the boundary once, as JSON text: one `JSON.stringify` and one `serde_json`
//! parse, instead of a call per column. Every call here may throw or reject, so each
//! is a `catch` import (README "Request plumbing", invariant 4); a failure becomes a
//! [`StoreError`] whose text is for the log only.

use std::cell::Cell;

use members::store::{Row, Stmt, Store, StoreError, Value};
use serde::Deserialize;
use worker::js_sys::{self, Array, Promise};
use worker::wasm_bindgen::prelude::wasm_bindgen;
use worker::wasm_bindgen::JsValue;
use worker::wasm_bindgen_futures::JsFuture;
use worker::Env;

#[wasm_bindgen]
extern "C" {
    type D1Database;
    #[wasm_bindgen(method, catch)]
    fn prepare(this: &D1Database, sql: &str) -> Result<D1Statement, JsValue>;
    #[wasm_bindgen(method, catch)]
    fn batch(this: &D1Database, stmts: &Array) -> Result<Promise, JsValue>;

    type D1Statement;
    #[wasm_bindgen(method, catch, variadic)]
    fn bind(this: &D1Statement, params: &Array) -> Result<D1Statement, JsValue>;
}

/// One statement's result, as D1 reports it.
#[derive(Deserialize)]
struct D1Result {
    #[serde(default)]
    results: Vec<Row>,
    #[serde(default)]
    meta: Meta,
}

#[derive(Deserialize, Default)]
struct Meta {
    #[serde(default)]
    rows_read: u64,
    #[serde(default)]
    rows_written: u64,
}

/// The `DB` binding, with what it did for this request (for `LYCEUM_LOG_D1`).
pub(crate) struct D1 {
    db: D1Database,
    pub(crate) statements: Cell<u32>,
    pub(crate) rows_read: Cell<u64>,
    pub(crate) rows_written: Cell<u64>,
}

impl D1 {
    /// `None` when the worker has no `DB` binding.
    pub(crate) fn from_env(env: &Env) -> Option<D1> {
        let db = js_sys::Reflect::get(env, &JsValue::from_str("DB")).ok()?;
        if db.is_undefined() || db.is_null() {
            return None;
        }
        Some(D1 {
            db: worker::wasm_bindgen::JsCast::unchecked_into(db),
            statements: Cell::new(0),
            rows_read: Cell::new(0),
            rows_written: Cell::new(0),
        })
    }

    /// `statements=… rows_read=… rows_written=…` so far.
    pub(crate) fn summary(&self) -> String {
        format!(
            "statements={} rows_read={} rows_written={}",
            self.statements.get(),
            self.rows_read.get(),
            self.rows_written.get()
        )
    }

    fn prepared(&self, stmt: &Stmt) -> Result<D1Statement, JsValue> {
        let params = Array::new();
        for p in &stmt.params {
            params.push(&match p {
                Value::Null => JsValue::NULL,
                // Times and counts: far inside f64's exact integers.
                Value::Int(n) => JsValue::from_f64(*n as f64),
                Value::Text(s) => JsValue::from_str(s),
            });
        }
        self.db.prepare(stmt.sql)?.bind(&params)
    }

    async fn run(&self, stmts: &[Stmt]) -> Result<Vec<D1Result>, JsValue> {
        let list = Array::new();
        for stmt in stmts {
            list.push(&JsValue::from(self.prepared(stmt)?));
        }
        let value = JsFuture::from(self.db.batch(&list)?).await?;
        let text = String::from(js_sys::JSON::stringify(&value)?);
        serde_json::from_str(&text).map_err(|_| JsValue::from_str("unexpected D1 result"))
    }
}

impl Store for D1 {
    async fn batch(&self, stmts: &[Stmt]) -> Result<Vec<Vec<Row>>, StoreError> {
        if stmts.is_empty() {
            return Ok(Vec::new());
        }
        // D1's messages name the SQL, never a bound value.
        let results = self
            .run(stmts)
            .await
            .map_err(|e| StoreError(crate::js::error_text(&e, "D1 call failed")))?;
        self.statements
            .set(self.statements.get() + stmts.len() as u32);
        for r in &results {
            self.rows_read.set(self.rows_read.get() + r.meta.rows_read);
            self.rows_written
                .set(self.rows_written.get() + r.meta.rows_written);
        }
        Ok(results.into_iter().map(|r| r.results).collect())
    }
}
