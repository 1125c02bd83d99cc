//! Embeds the default theme (`themes/default/{templates,static}`) in the binary, so a site
//! without a theme folder of its own still builds. Generates `$OUT_DIR/default_theme.rs`
//! listing every file, so files the theme gains later are picked up without code changes.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn files(dir: &Path) -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path
                    .strip_prefix(dir)
                    .unwrap()
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect::<Vec<_>>()
                    .join("/");
                out.push((rel, path.canonicalize().unwrap()));
            }
        }
    }
    out.sort();
    out
}

fn main() {
    let theme = Path::new(env!("CARGO_MANIFEST_DIR")).join("../themes/default");
    println!("cargo:rerun-if-changed={}", theme.display());
    let mut code = String::from("/// The embedded default theme's templates: (name, source).\n");
    code += "pub(crate) static TEMPLATES: &[(&str, &str)] = &[\n";
    for (name, path) in files(&theme.join("templates")) {
        writeln!(
            code,
            "    ({name:?}, include_str!({:?})),",
            path.display().to_string()
        )
        .unwrap();
    }
    code += "];\n/// The embedded default theme's static files: (path, bytes).\n";
    code += "pub(crate) static STATIC: &[(&str, &[u8])] = &[\n";
    for (name, path) in files(&theme.join("static")) {
        writeln!(
            code,
            "    ({name:?}, include_bytes!({:?})),",
            path.display().to_string()
        )
        .unwrap();
    }
    code += "];\n";
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("default_theme.rs");
    std::fs::write(out, code).unwrap();
}
