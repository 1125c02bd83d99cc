//! Member administration and a member's own data, against SQLite.

mod common;

use common::{run, NOW};
use members::admin::{self, AdminError, NewMember};
use members::sqlite::Sqlite;
use members::{date, session, Policy};

fn policy() -> Policy {
    let mut p = Policy::new(b"pepper".to_vec());
    p.levels = vec!["member".into(), "pro".into()];
    p.free_level = Some("member".into());
    p
}

fn names() -> Vec<(String, String)> {
    vec![
        ("member".into(), "Member".into()),
        ("pro".into(), "Pro".into()),
    ]
}

fn add(db: &Sqlite, p: &Policy, email: &str, level: Option<&str>) {
    let new = NewMember {
        email,
        level,
        ..Default::default()
    };
    run(admin::add(db, p, &new, NOW)).unwrap();
}

#[test]
fn add_show_set_level_and_remove() {
    let (db, p) = (Sqlite::memory().unwrap(), policy());
    add(&db, &p, "Ada@X.io", Some("pro"));
    let d = run(admin::show(&db, "ada@x.io", NOW)).unwrap();
    assert_eq!(
        (
            d.member.email.as_str(),
            d.member.level.as_deref(),
            d.member.source.as_str()
        ),
        ("ada@x.io", Some("pro"), "admin")
    );
    let until = date::parse("2027-01-31").unwrap();
    let m = run(admin::set_level(
        &db,
        &p,
        "ada@x.io",
        Some("member"),
        Some(until),
        NOW + 5,
    ))
    .unwrap();
    assert_eq!(
        (m.level.as_deref(), m.level_until, m.updated_at),
        (Some("member"), Some(until), NOW + 5)
    );
    run(admin::remove(&db, "ada@x.io")).unwrap();
    assert!(matches!(
        run(admin::show(&db, "ada@x.io", NOW)),
        Err(AdminError::NoSuchMember)
    ));
    assert!(matches!(
        run(admin::remove(&db, "ada@x.io")),
        Err(AdminError::NoSuchMember)
    ));
}

#[test]
fn an_unknown_level_is_refused_and_names_the_valid_ones() {
    let (db, p) = (Sqlite::memory().unwrap(), policy());
    let new = NewMember {
        email: "a@x.io",
        level: Some("gold"),
        ..Default::default()
    };
    let e = run(admin::add(&db, &p, &new, NOW)).unwrap_err();
    assert_eq!(
        e.to_string(),
        "unknown level `gold`; valid levels: `member`, `pro`"
    );
    assert!(run(admin::list(&db, None)).unwrap().is_empty());
}

#[test]
fn adding_an_existing_address_changes_nothing() {
    let (db, p) = (Sqlite::memory().unwrap(), policy());
    add(&db, &p, "a@x.io", Some("pro"));
    let again = NewMember {
        email: "A@x.io",
        level: Some("member"),
        ..Default::default()
    };
    assert!(matches!(
        run(admin::add(&db, &p, &again, NOW)),
        Err(AdminError::Exists)
    ));
    assert_eq!(
        run(admin::show(&db, "a@x.io", NOW))
            .unwrap()
            .member
            .level
            .as_deref(),
        Some("pro")
    );
}

#[test]
fn revoke_sessions_counts_the_live_ones() {
    let (db, p) = (Sqlite::memory().unwrap(), policy());
    add(&db, &p, "a@x.io", None);
    let id = run(admin::show(&db, "a@x.io", NOW)).unwrap().member.id;
    let s = run(session::create(&db, &p, &id, NOW)).unwrap().unwrap();
    run(session::create(&db, &p, &id, NOW)).unwrap().unwrap();
    assert_eq!(
        run(admin::show(&db, "a@x.io", NOW)).unwrap().live_sessions,
        2
    );
    assert_eq!(
        run(admin::revoke_sessions(&db, "a@x.io", NOW + 1)).unwrap(),
        2
    );
    assert_eq!(
        run(session::renew(&db, &p, &s.secret, NOW + 2)).unwrap(),
        None
    );
    assert_eq!(
        run(admin::revoke_sessions(&db, "a@x.io", NOW + 3)).unwrap(),
        0
    );
}

#[test]
fn export_then_import_into_a_fresh_database_gives_the_same_members() {
    let (db, p) = (Sqlite::memory().unwrap(), policy());
    add(&db, &p, "a@x.io", Some("pro"));
    let tricky = NewMember {
        email: "b@x.io",
        name: Some("Bo, \"the\" Builder"),
        note: Some("line one\nline two'); DROP TABLE members; --"),
        level: Some("member"),
        level_until: Some(NOW + 86_400),
    };
    run(admin::add(&db, &p, &tricky, NOW)).unwrap();
    let csv = run(admin::export_csv(&db)).unwrap();
    let fresh = Sqlite::memory().unwrap();
    let report = run(admin::import_csv(&fresh, &p, &names(), None, &csv, NOW + 9)).unwrap();
    assert_eq!(
        (report.created, report.updated, report.skipped.len()),
        (2, 0, 0)
    );
    let (a, b) = (
        run(admin::list(&db, None)).unwrap(),
        run(admin::list(&fresh, None)).unwrap(),
    );
    let key = |m: &admin::Member| {
        (
            m.email.clone(),
            m.name.clone(),
            m.note.clone(),
            m.level.clone(),
            m.level_until,
            m.created_at,
        )
    };
    assert_eq!(
        a.iter().map(key).collect::<Vec<_>>(),
        b.iter().map(key).collect::<Vec<_>>()
    );
    // Running it again updates and creates nothing new.
    let again = run(admin::import_csv(
        &fresh,
        &p,
        &names(),
        None,
        &csv,
        NOW + 10,
    ))
    .unwrap();
    assert_eq!((again.created, again.updated), (0, 2));
}

#[test]
fn a_ghost_members_export_imports_with_tiers_and_comped_members() {
    let (db, p) = (Sqlite::memory().unwrap(), policy());
    // Ghost's members CSV columns, as its admin exports them.
    let csv = "id,email,name,note,subscribed_to_emails,complimentary_plan,stripe_customer_id,created_at,deleted_at,labels,tiers\r\n\
        6123a,paid@x.io,Paid Person,,true,false,cus_123,2021-03-09T12:00:00.000Z,,vip,Pro\r\n\
        6123b,comp@x.io,,,true,true,,2022-01-01T00:00:00.000Z,,,\r\n\
        6123c,free@x.io,Free One,likes rust,false,false,,2023-05-05T05:05:05.000Z,,,\r\n\
        6123d,not-an-address,,,true,false,,,,,\r\n";
    let r = run(admin::import_csv(&db, &p, &names(), Some("pro"), csv, NOW)).unwrap();
    assert_eq!((r.created, r.updated), (3, 0));
    assert_eq!(
        r.skipped,
        vec![(
            5,
            "that does not look like an email address (name@example.org)".to_string()
        )]
    );
    let level = |e| run(admin::show(&db, e, NOW)).unwrap().member.level;
    assert_eq!(
        level("paid@x.io").as_deref(),
        Some("pro"),
        "tier name → level"
    );
    assert_eq!(
        level("comp@x.io").as_deref(),
        Some("pro"),
        "complimentary → comp level"
    );
    assert_eq!(level("free@x.io").as_deref(), Some("member"), "free level");
    let paid = run(admin::show(&db, "paid@x.io", NOW)).unwrap().member;
    assert_eq!(
        (paid.name.as_deref(), paid.created_at, paid.source.as_str()),
        (
            Some("Paid Person"),
            date::parse("2021-03-09T12:00:00Z").unwrap(),
            "import"
        )
    );
}

#[test]
fn an_import_with_an_unknown_level_skips_that_row_only() {
    let (db, p) = (Sqlite::memory().unwrap(), policy());
    let csv = "email,level\na@x.io,pro\nb@x.io,platinum\n";
    let r = run(admin::import_csv(&db, &p, &names(), None, csv, NOW)).unwrap();
    assert_eq!(r.created, 1);
    assert_eq!(r.skipped.len(), 1);
    assert_eq!(r.skipped[0].0, 3);
    assert!(
        r.skipped[0].1.contains("unknown level `platinum`"),
        "{:?}",
        r.skipped
    );
}

#[test]
fn exported_cells_cannot_run_as_spreadsheet_formulas() {
    let (db, p) = (Sqlite::memory().unwrap(), policy());
    let new = NewMember {
        email: "a@x.io",
        name: Some("=HYPERLINK(\"http://evil\")"),
        ..Default::default()
    };
    run(admin::add(&db, &p, &new, NOW)).unwrap();
    let csv = run(admin::export_csv(&db)).unwrap();
    assert!(csv.contains("\"'=HYPERLINK("), "{csv}");
}

#[test]
fn a_member_downloads_and_deletes_their_own_data() {
    let (db, p) = (Sqlite::memory().unwrap(), policy());
    add(&db, &p, "me@x.io", Some("pro"));
    add(&db, &p, "other@x.io", Some("pro"));
    let id = run(admin::show(&db, "me@x.io", NOW)).unwrap().member.id;
    let s = run(session::create(&db, &p, &id, NOW)).unwrap().unwrap();
    let data = run(admin::account_data(&db, &id)).unwrap();
    assert_eq!(data["member"]["email"], "me@x.io");
    assert_eq!(data["sessions"].as_array().unwrap().len(), 1);
    let text = data.to_string();
    assert!(
        !text.contains(&s.secret) && !text.contains("secret_hash"),
        "{text}"
    );
    run(admin::delete_account(&db, &id)).unwrap();
    assert!(matches!(
        run(admin::show(&db, "me@x.io", NOW)),
        Err(AdminError::NoSuchMember)
    ));
    assert_eq!(run(session::renew(&db, &p, &s.secret, NOW)).unwrap(), None);
    assert!(
        run(admin::show(&db, "other@x.io", NOW)).is_ok(),
        "only their own account"
    );
}

/// Issue 12, item 4: a course given away by the admin, for good or until a date, and
/// taken back; the membership a renewal signs carries it while it lasts.
#[test]
fn granted_products_last_until_their_date_and_can_be_revoked() {
    let (db, p) = (Sqlite::memory().unwrap(), policy());
    add(&db, &p, "gift@x.io", None);
    let id = run(admin::show(&db, "gift@x.io", NOW)).unwrap().member.id;
    let products = |now| {
        run(session::membership(&db, &p, &id, now))
            .unwrap()
            .unwrap()
            .products
    };
    let sold = ["rust-course".to_string(), "go-course".to_string()];
    run(admin::grant(
        &db,
        &sold,
        "gift@x.io",
        "rust-course",
        None,
        NOW,
    ))
    .unwrap();
    let until = date::parse("2027-01-31").unwrap();
    run(admin::grant(
        &db,
        &sold,
        "Gift@X.io",
        "go-course",
        Some(until),
        NOW,
    ))
    .unwrap();
    assert_eq!(
        run(admin::show(&db, "gift@x.io", NOW)).unwrap().products,
        ["go-course", "rust-course"]
    );
    assert_eq!(products(until - 1), ["go-course", "rust-course"]);
    assert_eq!(
        products(until),
        ["rust-course"],
        "the dated grant has ended"
    );
    assert!(run(admin::revoke(&db, "gift@x.io", "rust-course")).unwrap());
    assert!(!run(admin::revoke(&db, "gift@x.io", "rust-course")).unwrap());
    assert!(products(NOW).iter().all(|p| p != "rust-course"));
    for bad in ["", "a b", "x'; DROP TABLE entitlements; --"] {
        assert!(matches!(
            run(admin::grant(&db, &sold, "gift@x.io", bad, None, NOW)),
            Err(AdminError::BadProduct(_))
        ));
    }
    // A product the site does not sell would open nothing: refused, naming the valid ones.
    let e = run(admin::grant(
        &db,
        &sold,
        "gift@x.io",
        "rust-cours",
        None,
        NOW,
    ))
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "unknown product `rust-cours`; valid products: rust-course, go-course"
    );
    assert!(matches!(
        run(admin::grant(
            &db,
            &sold,
            "nobody@x.io",
            "rust-course",
            None,
            NOW
        )),
        Err(AdminError::NoSuchMember)
    ));
}
