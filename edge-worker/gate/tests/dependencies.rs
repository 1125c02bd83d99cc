//! What the gate links into the edge worker's wasm.

/// The names in the `[dependencies]` table of the gate's manifest.
fn normal_dependencies() -> Vec<String> {
    let manifest = include_str!("../Cargo.toml");
    let mut in_table = false;
    let mut names = Vec::new();
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            in_table = line == "[dependencies]";
        } else if in_table && !line.is_empty() && !line.starts_with('#') {
            if let Some((name, _)) = line.split_once('=') {
                names.push(name.trim().to_string());
            }
        }
    }
    names
}

/// A JWT library verifies through one function that dispatches over every JWT
/// algorithm, so all of them (P-384 alone ~100 KB) end up in the wasm although the gate
/// accepts four. The gate verifies each with its primitive crate instead; a JWT library
/// is for tests only.
#[test]
fn the_gate_links_no_jwt_library_into_the_worker() {
    let deps = normal_dependencies();
    assert!(
        deps.iter().any(|d| d == "serde"),
        "the manifest was not read: {deps:?}"
    );
    for lib in ["jsonwebtoken", "jwt-simple", "josekit", "biscuit"] {
        assert!(!deps.iter().any(|d| d == lib), "gate depends on {lib}");
    }
}
