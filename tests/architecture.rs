//! The layering rules of docs/architecture.md, checked on the source tree: `unsafe` only in
//! `src/kernels/` (and the allocator setup in `main.rs`), the lower layers never import the
//! upper ones, no file grows past 700 lines, no comment points outside the repository.

use std::path::{Path, PathBuf};

fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(sources(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out.sort();
    out
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn relative(path: &Path) -> String {
    path.strip_prefix(src()).unwrap().display().to_string()
}

#[test]
fn unsafe_code_lives_in_the_kernels() {
    let offenders: Vec<String> = sources(&src())
        .into_iter()
        .filter(|p| {
            let rel = relative(p);
            !rel.starts_with("kernels/") && rel != "main.rs" && std::fs::read_to_string(p).unwrap().lines().any(|l| l.contains("unsafe ") && !l.trim_start().starts_with("//"))
        })
        .map(|p| relative(&p))
        .collect();
    assert!(offenders.is_empty(), "unsafe outside src/kernels: {offenders:?}");
}

#[test]
fn lower_layers_do_not_import_upper_ones() {
    // (folder, what it must not name)
    let rules: &[(&str, &[&str])] = &[
        ("data/", &["crate::memory", "crate::model", "crate::train", "crate::eval", "crate::catalog", "crate::app", "crate::kernels"]),
        ("kernels/", &["crate::data", "crate::memory", "crate::model", "crate::train", "crate::eval", "crate::catalog", "crate::app"]),
        ("memory/", &["crate::model", "crate::train", "crate::eval", "crate::catalog", "crate::app"]),
        ("model/", &["crate::train", "crate::eval", "crate::catalog", "crate::app"]),
        ("train/", &["crate::eval", "crate::catalog", "crate::app"]),
        ("eval/", &["crate::catalog", "crate::app"]),
        ("catalog/", &["crate::app", "crate::scene", "egui"]),
        ("scene/", &["crate::app", "egui"]),
    ];
    let mut offenders = Vec::new();
    for path in sources(&src()) {
        let rel = relative(&path);
        // Code only: a comment may name an upper layer to explain where something is used.
        let text: String = std::fs::read_to_string(&path).unwrap().lines().filter(|l| !l.trim_start().starts_with("//")).collect::<Vec<_>>().join("\n");
        for (folder, banned) in rules {
            if rel.starts_with(folder) {
                for b in *banned {
                    if text.contains(b) {
                        offenders.push(format!("{rel} names {b}"));
                    }
                }
            }
        }
    }
    assert!(offenders.is_empty(), "{offenders:?}");
}

#[test]
fn no_source_file_is_over_700_lines_or_points_outside_the_repository() {
    for path in sources(&src()) {
        let text = std::fs::read_to_string(&path).unwrap();
        let lines = text.lines().count();
        assert!(lines <= 700, "{} has {lines} lines", relative(&path));
        assert!(!text.contains("../shared"), "{} points into ../shared", relative(&path));
    }
}
