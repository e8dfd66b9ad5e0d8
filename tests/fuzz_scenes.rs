//! A seeded, replayable, structure-aware fuzzer over scene and lesson files: the shipped
//! scenes and the built-in lessons, parsed as JSON trees, get one to four edits each (a number
//! pushed to 0, negative or huge, or to NaN or infinity; a value of the wrong type; an unknown
//! variant; deep nesting; non-ASCII text; a long array; a path to a device, a folder or a
//! missing file; a member removed), and each mutant is read and replayed as a person would:
//! a scene with `Scene::read` and `replay` (what `kanerva scene replay` does), a lesson parsed
//! and then played step by step in the explorer (headless). Every case must end in a value
//! or a one-line error: never a panic, a crashed worker, or a step that takes past the limit.
//!
//! `KANERVA_FUZZ_CASES` sets the scene cases, `KANERVA_FUZZ_LESSON_CASES` the lesson cases
//! (by default a quarter of the scene cases, at least two: a lesson case plays a whole lesson),
//! `KANERVA_FUZZ_SEED` the seed, `KANERVA_FUZZ_STEP_SECONDS` the limit on one replay or one
//! lesson step (30 s in a release build; a debug build is ~10x slower). A failure is saved by
//! proptest under `tests/fuzz_scenes.proptest-regressions` and replayed first next time.
//! docs/files.md has the campaign's command.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::time::{Duration, Instant};

use egui_kittest::Harness;
use kanerva::app::{ExplorerApp, Settings};
use kanerva::catalog::MemorySpec;
use kanerva::egui;
use kanerva::memory::hopfield::HopfieldConfig;
use kanerva::scene::lesson::{FoundLesson, Lesson};
use kanerva::scene::{Scene, replay};
use proptest::prelude::*;
use serde_json::Value;

fn env_number<T: std::str::FromStr>(name: &str) -> Option<T> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

fn scene_cases() -> u32 {
    env_number("KANERVA_FUZZ_CASES").unwrap_or(12)
}

fn lesson_cases() -> u32 {
    env_number("KANERVA_FUZZ_LESSON_CASES").unwrap_or((scene_cases() / 4).max(2))
}

fn config(cases: u32, file: &'static str) -> ProptestConfig {
    use proptest::test_runner::{FileFailurePersistence, RngSeed};
    ProptestConfig {
        cases,
        rng_seed: RngSeed::Fixed(env_number("KANERVA_FUZZ_SEED").unwrap_or(0x5CE7_E5F0)),
        max_shrink_iters: 32,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(file))),
        ..ProptestConfig::default()
    }
}

/// The longest one replay or one lesson step may take.
fn step_limit() -> Duration {
    let default = if cfg!(debug_assertions) { 300 } else { 30 };
    Duration::from_secs(env_number("KANERVA_FUZZ_STEP_SECONDS").unwrap_or(default))
}

/// One edit of a JSON tree; `at` picks the node among those the edit applies to.
#[derive(Debug, Clone)]
enum Edit {
    Number { at: u32, which: u8 },
    /// NaN, Infinity or -Infinity where a number was (not JSON: the parser must say so).
    NotANumber { at: u32, which: u8 },
    WrongType { at: u32, which: u8 },
    UnknownVariant { at: u32 },
    DeepNesting { at: u32, depth: u16 },
    NonAscii { at: u32, which: u8, repeat: u16 },
    LongArray { at: u32, times: u16 },
    Path { at: u32, which: u8 },
    Remove { at: u32 },
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        3 => (any::<u32>(), any::<u8>()).prop_map(|(at, which)| Edit::Number { at, which }),
        1 => (any::<u32>(), any::<u8>()).prop_map(|(at, which)| Edit::NotANumber { at, which }),
        2 => (any::<u32>(), any::<u8>()).prop_map(|(at, which)| Edit::WrongType { at, which }),
        1 => any::<u32>().prop_map(|at| Edit::UnknownVariant { at }),
        1 => (any::<u32>(), any::<u16>()).prop_map(|(at, depth)| Edit::DeepNesting { at, depth }),
        2 => (any::<u32>(), any::<u8>(), any::<u16>()).prop_map(|(at, which, repeat)| Edit::NonAscii { at, which, repeat }),
        1 => (any::<u32>(), any::<u16>()).prop_map(|(at, times)| Edit::LongArray { at, times }),
        2 => (any::<u32>(), any::<u8>()).prop_map(|(at, which)| Edit::Path { at, which }),
        1 => any::<u32>().prop_map(|at| Edit::Remove { at }),
    ]
}

/// Numbers that break sizes, counts, indices, probabilities and seeds.
const NUMBERS: [&str; 14] = ["0", "-1", "1", "0.5", "-0.0", "1e-300", "1e300", "-1e300", "255", "4294967296", "18446744073709551615", "18446744073709551616", "1000000000", "9007199254740993"];
const NOT_NUMBERS: [&str; 3] = ["NaN", "Infinity", "-Infinity"];
const NON_ASCII: [&str; 6] = ["😀", "é", "\u{301}", "\u{202e}", "\u{0}", "日本"];
/// Paths a file can name: devices (one that never ends, one that blocks), folders, missing
/// files, an embedded name that does not exist, a path through a file.
const PATHS: [&str; 10] = ["/dev/zero", "/dev/stdin", "/dev/urandom", "/", "/proc/self", ".", "screenshots", "no/such/file.ckpt", "embedded:nothing", "Cargo.toml/inside"];

/// Every node of `value` as a JSON pointer, in document order.
fn pointers(value: &Value, at: String, out: &mut Vec<String>) {
    out.push(at.clone());
    match value {
        Value::Array(items) => items.iter().enumerate().for_each(|(i, v)| pointers(v, format!("{at}/{i}"), out)),
        Value::Object(members) => members.iter().for_each(|(k, v)| pointers(v, format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")), out)),
        _ => {}
    }
}

/// The `at`-th node (cyclically) among those `keep` accepts.
fn pick(root: &Value, at: u32, keep: impl Fn(&Value) -> bool) -> Option<String> {
    let mut all = Vec::new();
    pointers(root, String::new(), &mut all);
    let chosen: Vec<String> = all.into_iter().filter(|p| root.pointer(p).is_some_and(&keep)).collect();
    (!chosen.is_empty()).then(|| chosen[at as usize % chosen.len()].clone())
}

/// Replaces the node at `pointer` by `with` (the whole document when `pointer` is empty).
fn replace(root: &mut Value, pointer: &str, with: Value) {
    if let Some(node) = root.pointer_mut(pointer) {
        *node = with;
    }
}

/// Applies the edits to `root`; edits that are not JSON (NaN, deep nesting) become a marker
/// string here and raw text in the returned substitutions.
fn apply(root: &mut Value, edits: &[Edit]) -> Vec<(String, String)> {
    let mut raw = Vec::new();
    let mut marker = |text: String| {
        let name = format!("@@FUZZ{}@@", raw.len());
        raw.push((format!("\"{name}\""), text));
        Value::String(name)
    };
    for edit in edits {
        match *edit {
            Edit::Number { at, which } => {
                if let Some(p) = pick(root, at, Value::is_number) {
                    replace(root, &p, marker(NUMBERS[which as usize % NUMBERS.len()].to_string()));
                }
            }
            Edit::NotANumber { at, which } => {
                if let Some(p) = pick(root, at, Value::is_number) {
                    replace(root, &p, marker(NOT_NUMBERS[which as usize % NOT_NUMBERS.len()].to_string()));
                }
            }
            Edit::WrongType { at, which } => {
                if let Some(p) = pick(root, at, |_| true) {
                    let with = [Value::Null, Value::Bool(true), Value::from(7), Value::from("text"), Value::Array(vec![]), Value::Object(Default::default())];
                    replace(root, &p, with[which as usize % with.len()].clone());
                }
            }
            Edit::UnknownVariant { at } => {
                if let Some(p) = pick(root, at, |v| v.as_object().is_some_and(|o| o.len() == 1)) {
                    let node = root.pointer_mut(&p).and_then(Value::as_object_mut).expect("an object");
                    let (_, inner) = node.iter().next().map(|(k, v)| (k.clone(), v.clone())).expect("one member");
                    node.clear();
                    node.insert("bogus_variant".into(), inner);
                } else if let Some(p) = pick(root, at, Value::is_string) {
                    replace(root, &p, Value::from("bogus_variant"));
                }
            }
            Edit::DeepNesting { at, depth } => {
                if let Some(p) = pick(root, at, |_| true) {
                    let depth = 1 + depth as usize % 4000;
                    let inner = root.pointer(&p).map(|v| v.to_string()).unwrap_or_default();
                    replace(root, &p, marker(format!("{}{inner}{}", "[".repeat(depth), "]".repeat(depth))));
                }
            }
            Edit::NonAscii { at, which, repeat } => {
                if let Some(p) = pick(root, at, Value::is_string) {
                    let text = NON_ASCII[which as usize % NON_ASCII.len()].repeat(1 + repeat as usize % 3000);
                    replace(root, &p, Value::String(text));
                }
            }
            Edit::LongArray { at, times } => {
                if let Some(p) = pick(root, at, |v| v.as_array().is_some_and(|a| !a.is_empty())) {
                    let items = root.pointer_mut(&p).and_then(Value::as_array_mut).expect("an array");
                    let first = items[0].clone();
                    let extra = 1 + times as usize % 2000;
                    items.extend(std::iter::repeat_n(first, extra));
                }
            }
            Edit::Path { at, which } => {
                if let Some(p) = pick(root, at, Value::is_string) {
                    replace(root, &p, Value::from(PATHS[which as usize % PATHS.len()]));
                }
            }
            Edit::Remove { at } => {
                if let Some(p) = pick(root, at, |_| true).filter(|p| !p.is_empty()) {
                    let (parent, last) = p.rsplit_once('/').expect("a pointer below the root");
                    match root.pointer_mut(parent) {
                        Some(Value::Object(members)) => drop(members.remove(&last.replace("~1", "/").replace("~0", "~"))),
                        Some(Value::Array(items)) => {
                            if let Ok(i) = last.parse::<usize>() {
                                items.remove(i);
                            }
                        }
                        _ => {}
                    }
                }
            }
        }
    }
    raw
}

/// The mutant's text: the edited tree with the raw substitutions in place.
fn mutant(original: &str, edits: &[Edit]) -> String {
    let mut root: Value = serde_json::from_str(original).expect("the seed is JSON");
    let raw = apply(&mut root, edits);
    let mut text = serde_json::to_string_pretty(&root).expect("a tree serialises");
    for (marker, with) in raw {
        text = text.replacen(&marker, &with, 1);
    }
    text
}

/// Runs `f`, failing the case (with `what`) if it panics.
fn no_panic<T>(what: &str, f: impl FnOnce() -> T) -> Result<T, TestCaseError> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|e| {
        let message = e.downcast_ref::<String>().cloned().or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string())).unwrap_or_default();
        TestCaseError::fail(format!("{what} panicked: {message}"))
    })
}

/// The JSON files of an assets folder (`scenes`, `lessons`), in name order.
fn json_files(folder: &str) -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets").join(folder);
    let mut paths: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|e| e == "json")).collect();
    paths.sort();
    paths.iter().map(|p| std::fs::read_to_string(p).unwrap()).collect()
}

/// Plays every step of `found` in a headless explorer, each within `limit`; a crashed worker
/// or a step past the limit fails. Refusals (the app's error list) are fine.
fn play_lesson(found: FoundLesson, limit: Duration) -> Result<(), String> {
    let settings = Settings { model: Some(MemorySpec::Hopfield(HopfieldConfig::default())), show_help: false, ..Settings::default() };
    let app = ExplorerApp::new(&egui::Context::default(), settings);
    // A glyph the fonts lack is drawn as a box by the real app (egui's default); the test
    // harness would panic on it instead, which is not what a person sees.
    let mut h = Harness::builder().with_size([1500.0, 1000.0]).allow_missing_glyphs().build_ui_state(|ui, app: &mut ExplorerApp| app.show(ui), app);
    let steps = found.lesson.steps.len();
    h.state_mut().lessons.start(found, false);
    for step in 0..steps {
        if step > 0 {
            h.state_mut().lessons.enter_step(step);
        }
        let started = Instant::now();
        loop {
            h.step();
            if h.state().lesson_idle() {
                break;
            }
            if started.elapsed() > limit {
                return Err(format!("step {} still busy after {:?}", step + 1, limit));
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        if let Some(crash) = h.state().messages.errors.iter().find(|e| e.contains("crashed")) {
            return Err(format!("step {}: {crash}", step + 1));
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(scene_cases(), "tests/fuzz_scenes.proptest-regressions"))]

    #[test]
    fn mutated_scenes_replay_or_are_refused_never_a_panic_or_a_hang(seed in 0..4usize, edits in prop::collection::vec(edit(), 1..5)) {
        let scenes = json_files("scenes");
        let text = mutant(&scenes[seed % scenes.len()], &edits);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mutant.json");
        std::fs::write(&path, &text).unwrap();
        let started = Instant::now();
        let scene = no_panic("Scene::read", || Scene::read(&path))?;
        if let Ok(scene) = scene {
            let report = no_panic("replay", || replay(&scene, &path))?;
            if let Err(e) = &report {
                // One line, naming the problem.
                prop_assert!(!e.to_string().contains('\n'), "a multi-line error: {e}");
            }
        }
        prop_assert!(started.elapsed() < step_limit(), "the replay took {:?}", started.elapsed());
    }
}

proptest! {
    #![proptest_config(config(lesson_cases(), "tests/fuzz_scenes.proptest-regressions"))]

    #[test]
    fn mutated_lessons_play_or_are_refused_never_a_panic_or_a_hang(seed in 0..3usize, edits in prop::collection::vec(edit(), 1..4)) {
        let lessons = json_files("lessons");
        let text = mutant(&lessons[seed % lessons.len()], &edits);
        let lesson = no_panic("Lesson::parse", || Lesson::parse(&text, "mutant lesson"))?;
        if let Ok(lesson) = lesson {
            let played = no_panic("playing the lesson", || play_lesson(FoundLesson { lesson, dir: None }, step_limit()))?;
            prop_assert!(played.is_ok(), "{} (the lesson: {})", played.unwrap_err(), text.chars().take(2000).collect::<String>());
        }
    }
}
