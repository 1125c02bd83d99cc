//! Member administration (`lyceum members …` through `/_lyceum/admin/…`) and a member's
//! own data (export and deletion of their account).
//!
//! Members are named by email address. Levels are checked against the site's levels
//! ([`Policy::levels`]); an unknown level is an error, never a silent free member.

use serde::Serialize;
use serde_json::json;
use thiserror::Error;

use crate::email;
use crate::secret;
use crate::session;
use crate::stmt;
use crate::store::{Row, RowExt, Store};
use crate::{csv, date, Policy};

/// Why an admin operation was refused. Its text is for the admin.
#[derive(Debug, Error)]
pub enum AdminError {
    #[error("{0}")]
    Email(#[from] email::EmailError),
    #[error("unknown level `{level}`; valid levels: {valid}")]
    UnknownLevel { level: String, valid: String },
    #[error("no member with that email address")]
    NoSuchMember,
    #[error("a member with that email address exists already")]
    Exists,
    #[error("`{0}` is not a product id (letters, digits, `-` and `_`)")]
    BadProduct(String),
    #[error("unknown product `{product}`; valid products: {valid}")]
    UnknownProduct { product: String, valid: String },
    #[error(transparent)]
    Flow(#[from] crate::Error),
}

impl From<crate::StoreError> for AdminError {
    fn from(e: crate::StoreError) -> Self {
        AdminError::Flow(e.into())
    }
}

/// A member as the admin sees them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Member {
    pub id: String,
    pub email: String,
    pub name: Option<String>,
    pub level: Option<String>,
    pub level_until: Option<u64>,
    pub status: String,
    pub source: String,
    pub note: Option<String>,
    pub created_at: u64,
    pub updated_at: u64,
}

/// `members show`: the member, what they own and how many live sessions they have.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Detail {
    #[serde(flatten)]
    pub member: Member,
    pub products: Vec<String>,
    pub live_sessions: u64,
}

/// `members add`.
#[derive(Debug, Clone, Default)]
pub struct NewMember<'a> {
    pub email: &'a str,
    pub name: Option<&'a str>,
    pub level: Option<&'a str>,
    pub level_until: Option<u64>,
    pub note: Option<&'a str>,
}

/// The columns [`member`] reads, as a literal for `concat!`.
macro_rules! member_columns {
    () => {
        "id, email, name, level, level_until, status, source, note, created_at, updated_at"
    };
}

fn member(row: &Row) -> Member {
    let text = |c| row.text(c).map(str::to_string);
    Member {
        id: text("id").unwrap_or_default(),
        email: text("email").unwrap_or_default(),
        name: text("name"),
        level: text("level"),
        level_until: row.time("level_until"),
        status: text("status").unwrap_or_default(),
        source: text("source").unwrap_or_default(),
        note: text("note"),
        created_at: row.time("created_at").unwrap_or_default(),
        updated_at: row.time("updated_at").unwrap_or_default(),
    }
}

fn check_level(policy: &Policy, level: Option<&str>) -> Result<(), AdminError> {
    match level {
        Some(l) if !policy.levels.iter().any(|v| v == l) => Err(AdminError::UnknownLevel {
            level: l.to_string(),
            valid: policy
                .levels
                .iter()
                .map(|v| format!("`{v}`"))
                .collect::<Vec<_>>()
                .join(", "),
        }),
        _ => Ok(()),
    }
}

/// Every member, oldest first; only those of `level` when given.
pub async fn list(store: &impl Store, level: Option<&str>) -> Result<Vec<Member>, AdminError> {
    let rows = match level {
        Some(l) => {
            store
                .query(stmt!(
                    concat!(
                        "SELECT ",
                        member_columns!(),
                        " FROM members WHERE level = ?1 ORDER BY created_at, email"
                    ),
                    l
                ))
                .await?
        }
        None => {
            store
                .query(stmt!(concat!(
                    "SELECT ",
                    member_columns!(),
                    " FROM members ORDER BY created_at, email"
                )))
                .await?
        }
    };
    Ok(rows.iter().map(member).collect())
}

/// One member by address.
pub async fn show(store: &impl Store, address: &str, now: u64) -> Result<Detail, AdminError> {
    let address = email::normalize(address)?;
    let mut results = store
        .batch(&[
            stmt!(
                concat!(
                    "SELECT ",
                    member_columns!(),
                    " FROM members WHERE email = ?1"
                ),
                address.as_str()
            ),
            stmt!(
                "SELECT e.product FROM entitlements e JOIN members m ON m.id = e.member_id
                 WHERE m.email = ?1 AND (e.until IS NULL OR e.until > ?2) ORDER BY e.product",
                address.as_str(),
                now
            ),
            stmt!(
                "SELECT count(*) AS n FROM sessions s JOIN members m ON m.id = s.member_id
                 WHERE m.email = ?1 AND s.revoked_at IS NULL AND s.expires_at > ?2",
                address.as_str(),
                now
            ),
        ])
        .await?
        .into_iter();
    let (rows, products, sessions) = (
        results.next().unwrap_or_default(),
        results.next().unwrap_or_default(),
        results.next().unwrap_or_default(),
    );
    let row = rows.first().ok_or(AdminError::NoSuchMember)?;
    Ok(Detail {
        member: member(row),
        products: products
            .iter()
            .filter_map(|r| r.text("product").map(str::to_string))
            .collect(),
        live_sessions: sessions.first().and_then(|r| r.time("n")).unwrap_or(0),
    })
}

/// Add a member (source `admin`). An existing address is an error, never overwritten.
pub async fn add(
    store: &impl Store,
    policy: &Policy,
    new: &NewMember<'_>,
    now: u64,
) -> Result<Member, AdminError> {
    let address = email::normalize(new.email)?;
    check_level(policy, new.level)?;
    let row = store
        .first(stmt!(
            concat!("INSERT INTO members (id, email, name, level, level_until, source, note, created_at,
                                  updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, 'admin', ?6, ?7, ?7)
             ON CONFLICT (email) DO NOTHING
             RETURNING ", member_columns!()),
            secret::id().map_err(crate::Error::from)?,
            address.as_str(),
            new.name,
            new.level,
            new.level_until,
            new.note,
            now
        ))
        .await?;
    row.as_ref().map(member).ok_or(AdminError::Exists)
}

/// Set a member's level (and when it ends; `None` = open-ended). Their sessions pick it
/// up at the next renewal.
pub async fn set_level(
    store: &impl Store,
    policy: &Policy,
    address: &str,
    level: Option<&str>,
    until: Option<u64>,
    now: u64,
) -> Result<Member, AdminError> {
    let address = email::normalize(address)?;
    check_level(policy, level)?;
    let row = store
        .first(stmt!(
            concat!(
                "UPDATE members SET level = ?2, level_until = ?3, updated_at = ?4 WHERE email = ?1
             RETURNING ",
                member_columns!()
            ),
            address.as_str(),
            level,
            until,
            now
        ))
        .await?;
    row.as_ref().map(member).ok_or(AdminError::NoSuchMember)
}

/// Give a member a product (a course) of the site's `products`, for good or until
/// `until`; an earlier grant of the same product is replaced. Source `admin`: a gift or a
/// comp, whatever Stripe says.
pub async fn grant(
    store: &impl Store,
    products: &[String],
    address: &str,
    product: &str,
    until: Option<u64>,
    now: u64,
) -> Result<(), AdminError> {
    check_product(product)?;
    if !products.iter().any(|p| p == product) {
        return Err(AdminError::UnknownProduct {
            product: product.to_string(),
            valid: if products.is_empty() {
                "none (the site sells no products)".into()
            } else {
                products.join(", ")
            },
        });
    }
    let id = member_id(store, address).await?;
    store
        .query(stmt!(
            "INSERT INTO entitlements (member_id, product, source, granted_at, until)
             VALUES (?1, ?2, 'admin', ?3, ?4)
             ON CONFLICT (member_id, product) DO UPDATE SET
               source = 'admin', granted_at = excluded.granted_at, until = excluded.until,
               payment_ref = NULL",
            id.as_str(),
            product,
            now,
            until
        ))
        .await?;
    Ok(())
}

/// Take a product away (however it was granted); whether the member had it.
pub async fn revoke(store: &impl Store, address: &str, product: &str) -> Result<bool, AdminError> {
    check_product(product)?;
    let id = member_id(store, address).await?;
    let rows = store
        .query(stmt!(
            "DELETE FROM entitlements WHERE member_id = ?1 AND product = ?2 RETURNING product",
            id.as_str(),
            product
        ))
        .await?;
    Ok(!rows.is_empty())
}

fn check_product(product: &str) -> Result<(), AdminError> {
    let ok = !product.is_empty()
        && product.len() <= 64
        && product
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    ok.then_some(())
        .ok_or_else(|| AdminError::BadProduct(product.chars().take(64).collect()))
}

/// End every session of a member; how many were live.
pub async fn revoke_sessions(
    store: &impl Store,
    address: &str,
    now: u64,
) -> Result<u64, AdminError> {
    let id = member_id(store, address).await?;
    Ok(session::end_member(store, &id, now).await?)
}

/// Delete a member and everything that refers to them (sessions, entitlements,
/// pending sign-in requests).
pub async fn remove(store: &impl Store, address: &str) -> Result<(), AdminError> {
    let address = email::normalize(address)?;
    let results = store
        .batch(&[
            stmt!(
                "DELETE FROM signin_tokens WHERE email = ?1",
                address.as_str()
            ),
            stmt!(
                "DELETE FROM members WHERE email = ?1 RETURNING id",
                address.as_str()
            ),
        ])
        .await?;
    match results.get(1) {
        Some(rows) if !rows.is_empty() => Ok(()),
        _ => Err(AdminError::NoSuchMember),
    }
}

async fn member_id(store: &impl Store, address: &str) -> Result<String, AdminError> {
    let address = email::normalize(address)?;
    store
        .first(stmt!(
            "SELECT id FROM members WHERE email = ?1",
            address.as_str()
        ))
        .await?
        .and_then(|r| r.text("id").map(str::to_string))
        .ok_or(AdminError::NoSuchMember)
}

/// The CSV header of [`export_csv`]; [`import_csv`] reads it back.
pub const CSV_HEADER: [&str; 9] = [
    "id",
    "email",
    "name",
    "note",
    "level",
    "level_until",
    "status",
    "source",
    "created_at",
];

/// Every member as CSV (times in RFC 3339).
pub async fn export_csv(store: &impl Store) -> Result<String, AdminError> {
    let mut out = csv::row(CSV_HEADER);
    for m in list(store, None).await? {
        let until = m.level_until.map(date::format).unwrap_or_default();
        let created = date::format(m.created_at);
        out.push_str(&csv::row([
            m.id.as_str(),
            &m.email,
            m.name.as_deref().unwrap_or_default(),
            m.note.as_deref().unwrap_or_default(),
            m.level.as_deref().unwrap_or_default(),
            &until,
            &m.status,
            &m.source,
            &created,
        ]));
    }
    Ok(out)
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    pub created: u64,
    pub updated: u64,
    /// `(line, why)` of every row left out.
    pub skipped: Vec<(usize, String)>,
}

/// Import members from CSV: lyceum's own export, or Ghost's members export (`email`,
/// `name`, `note`, `created_at`, `complimentary_plan`, `labels`, `tiers`, …). Columns
/// are found by header name; unknown ones are ignored. The level is the `level` column;
/// else the highest site level whose id or name is among `tiers`; else `comp_level`
/// for a `complimentary_plan` member; else the free level. An existing address is
/// updated (name, note, level), so an import can run again.
pub async fn import_csv(
    store: &impl Store,
    policy: &Policy,
    level_names: &[(String, String)],
    comp_level: Option<&str>,
    text: &str,
    now: u64,
) -> Result<ImportReport, AdminError> {
    let rows = csv::parse(text);
    let mut report = ImportReport::default();
    let Some((header, body)) = rows.split_first() else {
        return Ok(report);
    };
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(name))
    };
    let Some(email_col) = col("email") else {
        report.skipped.push((1, "no `email` column".into()));
        return Ok(report);
    };
    let [name_col, note_col, level_col, until_col, created_col, comp_col, tiers_col] = [
        "name",
        "note",
        "level",
        "level_until",
        "created_at",
        "complimentary_plan",
        "tiers",
    ]
    .map(col);
    for (i, row) in body.iter().enumerate() {
        let line = i + 2;
        let get = |c: Option<usize>| {
            c.and_then(|c| row.get(c))
                .map(|s| s.trim())
                .filter(|s| !s.is_empty())
        };
        let address = match email::normalize(get(Some(email_col)).unwrap_or_default()) {
            Ok(a) => a,
            Err(e) => {
                report.skipped.push((line, e.to_string()));
                continue;
            }
        };
        let level = match get(level_col) {
            Some(l) => Some(l.to_string()),
            None => tier_level(policy, level_names, get(tiers_col))
                .or_else(|| {
                    get(comp_col)
                        .filter(|v| v.eq_ignore_ascii_case("true"))
                        .and(comp_level.map(str::to_string))
                })
                .or_else(|| policy.free_level.clone()),
        };
        if let Err(e) = check_level(policy, level.as_deref()) {
            report.skipped.push((line, e.to_string()));
            continue;
        }
        let until = match get(until_col).map(date::parse) {
            Some(None) => {
                report
                    .skipped
                    .push((line, "`level_until` is not a date (YYYY-MM-DD)".into()));
                continue;
            }
            other => other.flatten(),
        };
        let created = get(created_col).and_then(date::parse).unwrap_or(now);
        // Whether it existed, and the upsert, in one atomic batch.
        let results = store
            .batch(&[
                stmt!(
                    "SELECT count(*) AS n FROM members WHERE email = ?1",
                    address.as_str()
                ),
                stmt!(
                    "INSERT INTO members (id, email, name, level, level_until, source, note,
                                          created_at, updated_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, 'import', ?6, ?7, ?8)
                     ON CONFLICT (email) DO UPDATE SET
                       name = coalesce(excluded.name, name), note = coalesce(excluded.note, note),
                       level = excluded.level, level_until = excluded.level_until,
                       updated_at = excluded.updated_at",
                    secret::id().map_err(crate::Error::from)?,
                    address.as_str(),
                    get(name_col),
                    level.as_deref(),
                    until,
                    get(note_col),
                    created,
                    now
                ),
            ])
            .await?;
        match results
            .first()
            .and_then(|r| r.first())
            .and_then(|r| r.int("n"))
        {
            Some(0) => report.created += 1,
            _ => report.updated += 1,
        }
    }
    Ok(report)
}

/// The highest site level named (by id or name, any case) in a Ghost `tiers` cell.
fn tier_level(
    policy: &Policy,
    level_names: &[(String, String)],
    tiers: Option<&str>,
) -> Option<String> {
    let tiers: Vec<String> = tiers?.split(',').map(|t| t.trim().to_lowercase()).collect();
    policy
        .levels
        .iter()
        .rev()
        .find(|id| {
            let name = level_names
                .iter()
                .find(|(i, _)| i == *id)
                .map(|(_, n)| n.to_lowercase());
            tiers
                .iter()
                .any(|t| *t == id.to_lowercase() || Some(t) == name.as_ref())
        })
        .cloned()
}

/// A member's own data (GDPR access): their record, products and sessions (no secrets).
pub async fn account_data(
    store: &impl Store,
    member_id: &str,
) -> Result<serde_json::Value, AdminError> {
    let mut results = store
        .batch(&[
            stmt!(
                concat!("SELECT ", member_columns!(), " FROM members WHERE id = ?1"),
                member_id
            ),
            stmt!(
                "SELECT product, source, granted_at, until FROM entitlements WHERE member_id = ?1",
                member_id
            ),
            stmt!(
                "SELECT id, created_at, renewed_at, expires_at, revoked_at FROM sessions
                 WHERE member_id = ?1 ORDER BY created_at",
                member_id
            ),
        ])
        .await?
        .into_iter();
    let (rows, products, sessions) = (
        results.next().unwrap_or_default(),
        results.next().unwrap_or_default(),
        results.next().unwrap_or_default(),
    );
    let row = rows.first().ok_or(AdminError::NoSuchMember)?;
    Ok(json!({
        "member": member(row),
        "products": products,
        "sessions": sessions,
    }))
}

/// A member deletes their account: the record and everything that refers to it.
pub async fn delete_account(store: &impl Store, member_id: &str) -> Result<(), AdminError> {
    let results = store
        .batch(&[
            stmt!(
                "DELETE FROM signin_tokens WHERE email = (SELECT email FROM members WHERE id = ?1)",
                member_id
            ),
            stmt!("DELETE FROM members WHERE id = ?1 RETURNING id", member_id),
        ])
        .await?;
    match results.get(1) {
        Some(rows) if !rows.is_empty() => Ok(()),
        _ => Err(AdminError::NoSuchMember),
    }
}
