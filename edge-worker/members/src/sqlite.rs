//! The SQLite adapter, for `lyceum serve` and the native tests: the same statements as
//! on D1, on a local file (or in memory).

use std::sync::Mutex;

use rusqlite::types::ValueRef;
use rusqlite::{params_from_iter, Connection};
use serde_json::Value as Json;

use crate::store::{Row, Stmt, Store, StoreError, Value};
use crate::MIGRATIONS;

/// A SQLite database with the members schema applied.
pub struct Sqlite {
    conn: Mutex<Connection>,
}

impl Sqlite {
    /// Open (creating if need be) the database at `path` and apply pending migrations.
    pub fn open(path: &std::path::Path) -> Result<Sqlite, StoreError> {
        Sqlite::with(Connection::open(path).map_err(err)?)
    }

    /// A fresh in-memory database.
    pub fn memory() -> Result<Sqlite, StoreError> {
        Sqlite::with(Connection::open_in_memory().map_err(err)?)
    }

    fn with(conn: Connection) -> Result<Sqlite, StoreError> {
        conn.execute_batch(
            "PRAGMA foreign_keys = ON;
             CREATE TABLE IF NOT EXISTS d1_migrations (
               id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE,
               applied_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP);",
        )
        .map_err(err)?;
        for (name, sql) in MIGRATIONS {
            let done: bool = conn
                .query_row(
                    "SELECT EXISTS (SELECT 1 FROM d1_migrations WHERE name = ?1)",
                    [name],
                    |r| r.get(0),
                )
                .map_err(err)?;
            if !done {
                let tx = conn.unchecked_transaction().map_err(err)?;
                tx.execute_batch(sql).map_err(err)?;
                tx.execute("INSERT INTO d1_migrations (name) VALUES (?1)", [name])
                    .map_err(err)?;
                tx.commit().map_err(err)?;
            }
        }
        Ok(Sqlite {
            conn: Mutex::new(conn),
        })
    }
}

impl Store for Sqlite {
    async fn batch(&self, stmts: &[Stmt]) -> Result<Vec<Vec<Row>>, StoreError> {
        let mut conn = self
            .conn
            .lock()
            .map_err(|_| StoreError("poisoned".into()))?;
        let tx = conn.transaction().map_err(err)?;
        let mut out = Vec::with_capacity(stmts.len());
        for stmt in stmts {
            let mut prepared = tx.prepare(stmt.sql).map_err(err)?;
            let names: Vec<String> = prepared
                .column_names()
                .iter()
                .map(|s| s.to_string())
                .collect();
            let params = params_from_iter(stmt.params.iter().map(|v| match v {
                Value::Null => rusqlite::types::Value::Null,
                Value::Int(n) => rusqlite::types::Value::Integer(*n),
                Value::Text(s) => rusqlite::types::Value::Text(s.clone()),
            }));
            let mut rows = prepared.query(params).map_err(err)?;
            let mut result = Vec::new();
            while let Some(row) = rows.next().map_err(err)? {
                let mut map = Row::new();
                for (i, name) in names.iter().enumerate() {
                    let value = match row.get_ref(i).map_err(err)? {
                        ValueRef::Null => Json::Null,
                        ValueRef::Integer(n) => Json::from(n),
                        ValueRef::Real(f) => Json::from(f),
                        ValueRef::Text(t) => Json::from(String::from_utf8_lossy(t).into_owned()),
                        ValueRef::Blob(_) => Json::Null,
                    };
                    map.insert(name.clone(), value);
                }
                result.push(map);
            }
            out.push(result);
        }
        tx.commit().map_err(err)?;
        Ok(out)
    }
}

fn err(e: rusqlite::Error) -> StoreError {
    StoreError(e.to_string())
}
