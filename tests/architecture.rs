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
        ("experiment/", &["crate::app", "egui"]),
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

/// The body of the item that starts at the line `header` (up to its closing brace at the
/// start of a line).
fn item_body<'a>(text: &'a str, header: &str) -> &'a str {
    let start = text.find(header).unwrap_or_else(|| panic!("no {header:?}"));
    let rest = &text[start..];
    &rest[..rest.find("\n}").expect("the item closes")]
}

/// The name of the type an `impl` line implements for: `impl Foo`, `impl<T> Foo<T>`,
/// `impl Trait for Foo`, `impl<M: X> Trait for Foo<M>`.
fn implemented_type(line: &str) -> Option<String> {
    let rest = line.strip_prefix("impl")?;
    // Skip the generics of the impl itself.
    let rest = if let Some(generic) = rest.strip_prefix('<') {
        let mut depth = 1;
        let end = generic.char_indices().find(|&(_, c)| {
            depth += match c { '<' => 1, '>' => -1, _ => 0 };
            depth == 0
        })?.0;
        &generic[end + 1..]
    } else {
        rest
    };
    let target = rest.split(" for ").last()?.trim();
    let name: String = target.trim_start_matches("dyn ").chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
    (!name.is_empty()).then_some(name)
}

#[test]
fn the_explorers_types_are_implemented_in_their_own_files_and_its_files_are_short() {
    let app = src().join("app");
    let files = sources(&app);
    let mut defined_in = std::collections::HashMap::new();
    for path in &files {
        for line in std::fs::read_to_string(path).unwrap().lines() {
            for keyword in ["pub struct ", "struct ", "pub enum ", "enum ", "pub(super) struct ", "pub(crate) struct "] {
                if let Some(rest) = line.strip_prefix(keyword) {
                    let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                    defined_in.insert(name, path.clone());
                }
            }
        }
    }
    let mut offenders = Vec::new();
    for path in &files {
        let text = std::fs::read_to_string(path).unwrap();
        let lines = text.lines().count();
        if lines > 500 {
            offenders.push(format!("{} has {lines} lines (at most 500 in src/app)", relative(path)));
        }
        for line in text.lines().filter(|l| l.starts_with("impl")) {
            if let Some(name) = implemented_type(line)
                && let Some(home) = defined_in.get(&name)
                && home != path
            {
                offenders.push(format!("{} implements {name}, defined in {}", relative(path), relative(home)));
            }
        }
    }
    assert!(offenders.is_empty(), "{offenders:#?}");
}

#[test]
fn the_explorer_app_is_wiring_with_at_most_15_fields() {
    let text = std::fs::read_to_string(src().join("app/app.rs")).unwrap();
    let body = item_body(&text, "pub struct ExplorerApp {");
    let fields = body.lines().skip(1).filter(|l| {
        let l = l.trim_start();
        !l.starts_with("//") && l.contains(':') && !l.is_empty()
    });
    let count = fields.count();
    assert!(count <= 15, "ExplorerApp has {count} fields");
}

#[test]
fn attractor_memory_has_at_most_8_methods_besides_its_facets() {
    let text = std::fs::read_to_string(src().join("memory/attractor.rs")).unwrap();
    let body = item_body(&text, "pub trait AttractorMemory");
    let methods: Vec<&str> = body.lines().map(str::trim_start).filter(|l| l.starts_with("fn ")).collect();
    // A facet hands out an optional ability: `fn landscape(&self) -> Option<&dyn ...>`.
    let (facets, core): (Vec<&str>, Vec<&str>) = methods.into_iter().partition(|l| l.contains("-> Option<&dyn "));
    assert!(core.len() <= 8, "AttractorMemory has {} methods besides its facets: {core:#?}", core.len());
    assert!(facets.len() >= 3, "the facets: {facets:?}");
}

#[test]
fn the_impl_parser_finds_the_implemented_type() {
    assert_eq!(implemented_type("impl ExplorerApp {").as_deref(), Some("ExplorerApp"));
    assert_eq!(implemented_type("impl eframe::App for ExplorerApp {").as_deref(), Some("ExplorerApp"));
    assert_eq!(implemented_type("impl<M: TrainedAttractor> AttractorMemory for Explorable<M> {").as_deref(), Some("Explorable"));
    assert_eq!(implemented_type("impl Default for LandscapeView {").as_deref(), Some("LandscapeView"));
}

#[test]
fn the_readme_is_a_users_page_under_15000_bytes() {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    assert!(readme.len() <= 15_000, "README.md is {} bytes", readme.len());
    assert!(!readme.contains('§'), "the README points at spec sections that are not in the repository");
}
