//! The access decision for one request: public, full, teaser or not found.
//!
//! Both adapters (the edge worker and `lyceum serve`) only translate [`Access`] into
//! HTTP, so this one function is the whole policy and is tested as a table.

use crate::manifest::{GatedEntry, Manifest};
use crate::token::Claims;

/// What to serve for one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access {
    /// Not gated: serve the bundle's public file at the request path as usual.
    Public,
    /// Gated and the member's level is high enough: serve this bundle file (under `_gated/`).
    Full { file: String },
    /// Gated and not allowed: serve this public teaser file.
    Teaser { file: String },
    /// Refused path, the private `/_gated/` tree, or a gated asset with no teaser.
    NotFound,
}

/// Decide for a raw request path (query already stripped) and the verified claims, if any.
/// A member reads a gated entry when their level ranks at or above the entry's level,
/// or when they own the entry's product. Claims with a level unknown to the manifest
/// count as no membership, and a claimed product the manifest does not list as none.
pub fn decide(manifest: &Manifest, raw_path: &str, claims: Option<&Claims>) -> Access {
    let Ok(path) = crate::path::normalize(raw_path) else {
        return Access::NotFound;
    };
    if crate::path::is_private(&path) {
        return Access::NotFound;
    }
    let Some(entry) = manifest.lookup(&path) else {
        return Access::Public;
    };
    if claims.is_some_and(|c| may_read(manifest, entry, c)) {
        return Access::Full {
            file: entry.file.clone(),
        };
    }
    match &entry.teaser {
        Some(teaser) => Access::Teaser {
            file: teaser.clone(),
        },
        None => Access::NotFound,
    }
}

/// Whether these claims open this entry. An entry level or product unknown to the
/// manifest (only possible when the manifest was not validated) opens nothing.
fn may_read(manifest: &Manifest, entry: &GatedEntry, claims: &Claims) -> bool {
    let by_level = match (&entry.level, &claims.level) {
        (Some(need), Some(have)) => matches!(
            (manifest.rank(have), manifest.rank(need)),
            (Some(have), Some(need)) if have >= need
        ),
        _ => false,
    };
    let by_product = entry.product.as_ref().is_some_and(|product| {
        manifest.products.contains(product) && claims.products.contains(product)
    });
    by_level || by_product
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::GatedEntry;

    fn manifest() -> Manifest {
        let entry = |level: &str, file: &str, teaser: Option<&str>| GatedEntry {
            level: Some(level.into()),
            product: None,
            file: file.into(),
            teaser: teaser.map(Into::into),
        };
        let course = |level: Option<&str>, file: &str, teaser: &str| GatedEntry {
            level: level.map(Into::into),
            product: Some("rust".into()),
            file: file.into(),
            teaser: Some(teaser.into()),
        };
        let m = Manifest {
            products: vec!["rust".into(), "go".into()],
            version: crate::manifest::VERSION,
            levels: vec!["member".into(), "pro".into()],
            entries: [
                (
                    "/essays/deep/".to_string(),
                    entry(
                        "member",
                        "_gated/essays/deep/index.html",
                        Some("essays/deep/index.html"),
                    ),
                ),
                (
                    "/courses/intro/".to_string(),
                    entry(
                        "pro",
                        "_gated/courses/intro/index.html",
                        Some("courses/intro/index.html"),
                    ),
                ),
                (
                    "/files/pro.pdf".to_string(),
                    entry("pro", "_gated/files/pro.pdf", None),
                ),
                (
                    // A course sold on its own and included in pro.
                    "/rust/ch1/".to_string(),
                    course(
                        Some("pro"),
                        "_gated/rust/ch1/index.html",
                        "rust/ch1/index.html",
                    ),
                ),
                (
                    // A course only its buyers read.
                    "/rust/bonus/".to_string(),
                    course(
                        None,
                        "_gated/rust/bonus/index.html",
                        "rust/bonus/index.html",
                    ),
                ),
            ]
            .into_iter()
            .collect(),
        };
        m.validate().expect("fixture manifest is valid");
        m
    }

    fn claims(level: &str) -> Claims {
        Claims {
            products: Vec::new(),
            sub: "user-1".into(),
            level: Some(level.into()),
            exp: 2_000_000_000,
            sid: None,
        }
    }

    /// What one viewer should get for one page, named so the table reads as a policy.
    #[derive(Debug, Clone, Copy, PartialEq)]
    enum Want {
        Public,
        Full,
        Teaser,
        NotFound,
    }

    fn kind(access: &Access) -> Want {
        match access {
            Access::Public => Want::Public,
            Access::Full { .. } => Want::Full,
            Access::Teaser { .. } => Want::Teaser,
            Access::NotFound => Want::NotFound,
        }
    }

    /// Viewers: anonymous, member, pro, a level the manifest does not know, an empty level.
    const VIEWERS: [Option<&str>; 5] = [None, Some("member"), Some("pro"), Some("gold"), Some("")];

    #[test]
    fn decision_matrix() {
        use Want::*;
        let m = manifest();
        // (spellings of one URL, expected access for each viewer in VIEWERS order)
        let table: &[(&[&str], [Want; 5])] = &[
            (
                &[
                    "/about/",
                    "/about",
                    "/about/index.html",
                    "/about/index",
                    "//about//",
                    "/%61bout/",
                    "/./about/.",
                ],
                [Public, Public, Public, Public, Public],
            ),
            (
                &[
                    "/essays/deep/",
                    "/essays/deep",
                    "/essays/deep/index.html",
                    "/essays/deep/index",
                    "//essays///deep",
                    "/essays/./deep/",
                    "/%65ssays/d%65ep/",
                    "/essays/deep//index.html",
                ],
                [Teaser, Full, Full, Teaser, Teaser],
            ),
            (
                &[
                    "/courses/intro/",
                    "/courses/intro",
                    "/courses/intro/index.html",
                    "/courses/intro/index",
                    "/courses//intro//index.html",
                    "/c%6Furses/intro/",
                ],
                [Teaser, Teaser, Full, Teaser, Teaser],
            ),
            (
                &[
                    "/files/pro.pdf",
                    "/files/pro.pdf/",
                    "//files/pro.pdf",
                    "/files/pro%2Epdf",
                ],
                [NotFound, NotFound, Full, NotFound, NotFound],
            ),
            (
                // The private tree, however it is spelled, is never served directly.
                &[
                    "/_gated/courses/intro/index.html",
                    "/_gated/courses/intro/",
                    "/_gated",
                    "/_gated/",
                    "/_GATED/courses/intro/index.html",
                    "/_Gated/files/pro.pdf",
                    "//_gated/files/pro.pdf",
                    "/%5Fgated/files/pro.pdf",
                    "/%5f%67%61%74%65%64/files/pro.pdf",
                    "/./_gated/manifest.json",
                    "/_gated/manifest.json",
                ],
                [NotFound, NotFound, NotFound, NotFound, NotFound],
            ),
            (
                // Refused spellings: `..`, NUL, encoded separators, bad escapes.
                &[
                    "/essays/x/../deep/",
                    "/essays/%2e%2e/essays/deep/",
                    "/courses/intro/%00",
                    "/courses/intro\0/",
                    "/courses%2Fintro/",
                    "/courses%5Cintro/",
                    "/courses\\intro/",
                    "/courses/intro/%",
                    "/courses/intro/%C3",
                    "/x/../_gated/files/pro.pdf",
                    "courses/intro/",
                    "",
                ],
                [NotFound, NotFound, NotFound, NotFound, NotFound],
            ),
        ];
        for (spellings, wants) in table {
            for path in *spellings {
                for (viewer, want) in VIEWERS.iter().zip(wants) {
                    let c = viewer.map(claims);
                    let got = decide(&m, path, c.as_ref());
                    assert_eq!(
                        kind(&got),
                        *want,
                        "path {path:?}, viewer {viewer:?}: got {got:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn full_and_teaser_name_the_right_files() {
        let m = manifest();
        assert_eq!(
            decide(&m, "/courses/intro", Some(&claims("pro"))),
            Access::Full {
                file: "_gated/courses/intro/index.html".into()
            }
        );
        assert_eq!(
            decide(&m, "/courses/intro/index.html", Some(&claims("member"))),
            Access::Teaser {
                file: "courses/intro/index.html".into(),
            }
        );
        assert_eq!(
            decide(&m, "/essays/deep/", None),
            Access::Teaser {
                file: "essays/deep/index.html".into(),
            }
        );
    }

    #[test]
    fn unvalidated_manifest_with_unknown_entry_level_never_gives_full() {
        let mut m = manifest();
        m.entries.get_mut("/courses/intro/").unwrap().level = Some("platinum".into());
        for viewer in VIEWERS {
            let c = viewer.map(claims);
            assert!(
                !matches!(
                    decide(&m, "/courses/intro/", c.as_ref()),
                    Access::Full { .. }
                ),
                "viewer {viewer:?}"
            );
        }
    }

    #[test]
    fn level_comparison_is_exact_not_case_folded() {
        let m = manifest();
        for level in ["PRO", "Pro", " pro", "pro "] {
            assert_eq!(
                kind(&decide(&m, "/courses/intro/", Some(&claims(level)))),
                Want::Teaser,
                "{level:?}"
            );
        }
    }

    #[test]
    fn a_product_opens_its_pages_whatever_the_level_and_nothing_else() {
        use Want::*;
        let m = manifest();
        let owner = |level: Option<&str>, products: &[&str]| Claims {
            level: level.map(Into::into),
            products: products.iter().map(|p| p.to_string()).collect(),
            ..claims("member")
        };
        let cases: &[(Claims, [Want; 4])] = &[
            // (viewer, [/rust/ch1/, /rust/bonus/, /courses/intro/, /essays/deep/])
            (owner(None, &[]), [Teaser, Teaser, Teaser, Teaser]),
            (owner(None, &["rust"]), [Full, Full, Teaser, Teaser]),
            (owner(Some("member"), &["rust"]), [Full, Full, Teaser, Full]),
            (
                owner(Some("member"), &["go"]),
                [Teaser, Teaser, Teaser, Full],
            ),
            // The level that includes the course opens it; buying is the only way to
            // the buyers-only page.
            (owner(Some("pro"), &[]), [Full, Teaser, Full, Full]),
            // Product ids are exact, and one the manifest does not list opens nothing.
            (
                owner(None, &["Rust", "rust ", "ru"]),
                [Teaser, Teaser, Teaser, Teaser],
            ),
        ];
        let paths = [
            "/rust/ch1/",
            "/rust/bonus",
            "/courses/intro/",
            "/essays/deep/",
        ];
        for (viewer, wants) in cases {
            for (path, want) in paths.iter().zip(wants) {
                let got = decide(&m, path, Some(viewer));
                assert_eq!(kind(&got), *want, "{path} for {viewer:?}: {got:?}");
            }
        }
        let mut unlisted = m.clone();
        unlisted.products.retain(|p| p != "rust");
        assert_eq!(
            kind(&decide(
                &unlisted,
                "/rust/bonus/",
                Some(&owner(None, &["rust"]))
            )),
            Teaser,
            "a product missing from the manifest's list opens nothing"
        );
    }
}
