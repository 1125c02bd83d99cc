//! The storage seam: SQL statements in, rows out.
//!
//! Every query of the member layer is written once, in this crate; an adapter only runs
//! statements. The one primitive is [`Store::batch`], atomic as a whole, because that is
//! what D1 offers (it refuses `BEGIN`/`COMMIT`): a "consume once" step is a single
//! conditional `UPDATE … RETURNING`, and a change that must land with another goes in
//! the same batch.

use serde_json::{Map, Value as Json};
use thiserror::Error;

/// A bound parameter. D1 and SQLite both take these three kinds; times are integers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Null,
    Int(i64),
    Text(String),
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::Text(s.to_string())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::Text(s)
    }
}

impl From<u64> for Value {
    fn from(n: u64) -> Self {
        // Times and counts; nothing here comes near i64::MAX.
        Value::Int(i64::try_from(n).unwrap_or(i64::MAX))
    }
}

impl From<i64> for Value {
    fn from(n: i64) -> Self {
        Value::Int(n)
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}

/// One SQL statement with `?1`, `?2`, … parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stmt {
    pub sql: &'static str,
    pub params: Vec<Value>,
}

/// `stmt!(SQL, a, b, …)`: a [`Stmt`] with each argument converted into a [`Value`].
#[macro_export]
macro_rules! stmt {
    ($sql:expr $(, $p:expr)* $(,)?) => {
        $crate::store::Stmt { sql: $sql, params: vec![$($crate::store::Value::from($p)),*] }
    };
}

/// A result row: column name → value, as D1 returns it (JSON) and the SQLite adapter
/// builds it.
pub type Row = Map<String, Json>;

/// The store failed (unreachable, constraint, bad SQL). The text is for the log only,
/// never for a response.
#[derive(Debug, Error)]
#[error("store: {0}")]
pub struct StoreError(pub String);

/// A database the flows run on.
///
/// Futures need not be `Send`: the worker is single-threaded and the SQLite adapter
/// answers at once.
#[allow(async_fn_in_trait)]
pub trait Store {
    /// Run `stmts` in order, atomically: all apply or none. One `Vec<Row>` per statement.
    async fn batch(&self, stmts: &[Stmt]) -> Result<Vec<Vec<Row>>, StoreError>;

    /// One statement's rows.
    async fn query(&self, stmt: Stmt) -> Result<Vec<Row>, StoreError> {
        let mut out = self.batch(std::slice::from_ref(&stmt)).await?;
        Ok(out.pop().unwrap_or_default())
    }

    /// The first row of one statement, if any.
    async fn first(&self, stmt: Stmt) -> Result<Option<Row>, StoreError> {
        Ok(self.query(stmt).await?.into_iter().next())
    }
}

/// Typed reads of a [`Row`]. A missing column or a value of the wrong type reads as
/// `None`: the flows treat that as "no such record", which denies.
pub trait RowExt {
    fn text(&self, col: &str) -> Option<&str>;
    fn int(&self, col: &str) -> Option<i64>;
    /// A time column as seconds since the epoch; negative values read as `None`.
    fn time(&self, col: &str) -> Option<u64> {
        self.int(col).and_then(|n| u64::try_from(n).ok())
    }
}

impl RowExt for Row {
    fn text(&self, col: &str) -> Option<&str> {
        self.get(col)?.as_str()
    }

    fn int(&self, col: &str) -> Option<i64> {
        match self.get(col)? {
            // D1 hands integers to JS as numbers; whole ones come back as i64 or f64.
            Json::Number(n) => n
                .as_i64()
                .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64)),
            _ => None,
        }
    }
}
