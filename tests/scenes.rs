//! Scenes replay exactly: `scene save` then `scene replay` matches for the DKM, the KM and a
//! Hopfield network; an edited energy or a changed checkpoint is reported as not matching
//! (exit status 1); bad scene files get clear errors.

use std::path::{Path, PathBuf};
use std::process::Command;

fn kanerva() -> Command {
    Command::new(env!("CARGO_BIN_EXE_kanerva"))
}

fn asset(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("assets").join(name).display().to_string()
}

/// `kanerva scene save` with these memory arguments; returns the scene's path.
fn save(dir: &Path, name: &str, memory: &[&str]) -> PathBuf {
    let out = dir.join(name);
    let status = kanerva()
        .args(["scene", "save"])
        .args(memory)
        .args(["--data", "embedded:mnist-test", "--episode", "0..12", "--query", "5", "--noise", "flip:0.1", "--seed", "3", "--iterations", "6"])
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(status.status.success(), "{}", String::from_utf8_lossy(&status.stderr));
    out
}

fn replay(scene: &Path) -> (bool, serde_json::Value, String) {
    let out = kanerva().args(["scene", "replay", "--json"]).arg(scene).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    let report = serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null);
    (out.status.success(), report, stderr)
}

#[test]
fn saved_scenes_replay_exactly_for_the_dkm_the_km_and_a_hopfield_network() {
    let dir = tempfile::tempdir().unwrap();
    for (name, memory) in [
        ("dkm.json", vec!["--model", "dkm", "--checkpoint", &asset("dkm_mnist.ckpt")]),
        ("km.json", vec!["--model", "km", "--checkpoint", &asset("km_mnist.ckpt")]),
        ("hopfield.json", vec!["--model", "hopfield"]),
    ] {
        let scene = save(dir.path(), name, &memory);
        let (ok, report, stderr) = replay(&scene);
        assert!(ok && report["matches"] == true, "{name}: {report} {stderr}");
        assert_eq!(report["steps"].as_array().unwrap().len(), 7);
        assert_eq!(report["max_energy_diff"].as_f64().unwrap(), 0.0, "{name}: the same build recomputes the same numbers");
    }
}

#[test]
fn an_edited_energy_or_another_checkpoint_does_not_match() {
    let dir = tempfile::tempdir().unwrap();
    // A checkpoint of our own, so it can be swapped for another.
    let ckpt = dir.path().join("mine.ckpt");
    std::fs::copy(asset("dkm_mnist.ckpt"), &ckpt).unwrap();
    let scene = save(dir.path(), "scene.json", &["--model", "dkm", "--checkpoint", ckpt.to_str().unwrap()]);

    let mut edited: serde_json::Value = serde_json::from_slice(&std::fs::read(&scene).unwrap()).unwrap();
    let energy = edited["recorded"][3]["energy"].as_f64().unwrap();
    edited["recorded"][3]["energy"] = (energy * (1.0 + 1e-4)).into();
    let edited_path = dir.path().join("edited.json");
    std::fs::write(&edited_path, serde_json::to_vec(&edited).unwrap()).unwrap();
    let (ok, report, _) = replay(&edited_path);
    assert!(!ok && report["matches"] == false, "{report}");
    assert!(report["problems"][0].as_str().unwrap().contains("iteration 3"), "{report}");

    // Same kind, other weights: the hash says so (and the energies differ too).
    std::fs::copy(asset("dkm_omniglot.ckpt"), &ckpt).unwrap();
    let (ok, report, _) = replay(&scene);
    assert!(!ok, "{report}");
    assert!(report["problems"].as_array().unwrap().iter().any(|p| p.as_str().unwrap().contains("SHA-256")), "{report}");
}

#[test]
fn a_scene_finds_its_checkpoint_beside_it_or_among_the_shipped_weights() {
    let dir = tempfile::tempdir().unwrap();
    let scene = save(dir.path(), "shipped.json", &["--model", "dkm", "--checkpoint", &asset("dkm_mnist.ckpt")]);
    // Rewrite the recorded path to one that exists nowhere: found by its file name.
    let mut value: serde_json::Value = serde_json::from_slice(&std::fs::read(&scene).unwrap()).unwrap();
    value["memory"]["trained"]["checkpoint"] = "/nowhere/dkm_mnist.ckpt".into();
    std::fs::write(&scene, serde_json::to_vec(&value).unwrap()).unwrap();
    let (ok, report, stderr) = replay(&scene);
    assert!(ok, "{report} {stderr}");
    // A name found nowhere is a clear error.
    value["memory"]["trained"]["checkpoint"] = "/nowhere/gone.ckpt".into();
    std::fs::write(&scene, serde_json::to_vec(&value).unwrap()).unwrap();
    let (ok, _, stderr) = replay(&scene);
    assert!(!ok && stderr.contains("gone.ckpt") && stderr.contains("not there"), "{stderr}");
}

#[test]
fn bad_scene_files_get_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let scene = save(dir.path(), "h.json", &["--model", "hopfield"]);
    let text = std::fs::read_to_string(&scene).unwrap();
    let cases = [
        ("truncated.json", text[..text.len() / 2].to_string(), "not a scene file"),
        ("newer.json", text.replacen(&format!("\"version\": {}", kanerva::scene::SCENE_VERSION), "\"version\": 7", 1), "newer version"),
        ("other.json", "{\"format\": \"something-else\", \"version\": 1}".to_string(), "not \"kanerva-scene\""),
        ("empty-episode.json", {
            let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
            v["episode"] = serde_json::json!([]);
            v.to_string()
        }, "episode: 0 (1 to 1024)"),
        ("bad-index.json", text.replacen("\"index\": 5", "\"index\": 99999", 1), "the scene asks for #99999"),
    ];
    for (name, body, expected) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, body).unwrap();
        let (ok, _, stderr) = replay(&path);
        assert!(!ok, "{name} replayed");
        assert!(stderr.contains(expected) && !stderr.contains("panicked"), "{name}: {stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "{name}: one line: {stderr}");
    }
}

/// The scenes the README links replay as recorded.
#[test]
fn the_shipped_scenes_replay_as_recorded() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/scenes");
    let scenes: Vec<PathBuf> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|e| e == "json")).collect();
    assert!(scenes.len() >= 3, "{scenes:?}");
    for scene in scenes {
        let (ok, report, stderr) = replay(&scene);
        assert!(ok, "{}: {report} {stderr}", scene.display());
    }
}

/// The reproducers of the untrusted-scenes issue, each a panic, an abort or hours of work
/// before: now refused by `Scene::read` in one line naming the field, before any work.
#[test]
fn scenes_that_panicked_aborted_or_ran_for_ever_are_refused_with_the_field_named() {
    let dir = tempfile::tempdir().unwrap();
    let shipped: serde_json::Value = serde_json::from_slice(&std::fs::read(asset("scenes/dkm-denoise.json")).unwrap()).unwrap();
    let pixels = |rows: u64, cols: u64, bits: &str| serde_json::json!({ "pixels": { "rows": rows, "cols": cols, "bits": bits } });
    let sdm = |locations: u64| serde_json::json!({ "classical": { "Sdm": { "locations": locations, "activation": 0.01, "seed": 0 } } });
    let cases: Vec<(&str, &str, serde_json::Value, &str)> = vec![
        // 4-byte characters where hex digits belong: sliced by bytes, it panicked.
        ("/query", "emoji", pixels(28, 28, &"😀".repeat(49)), "not hex digits"),
        // rows x cols wraps to 0: matched an empty string, then indexed past it.
        ("/query", "wrapping size", pixels(1 << 32, 1 << 32, ""), "a packed 4294967296x4294967296 image"),
        ("/query", "zero size", pixels(0, 28, ""), "a packed 0x28 image"),
        ("/episode/0", "size and bits disagree", pixels(28, 28, "ff"), "it needs 196"),
        // 103 GB of counters: the process aborted.
        ("/memory", "SDM of 2^32 locations", sdm(1 << 32), "memory.locations: 4294967296 (1 to 100000)"),
        // Hours of reading.
        ("/memory", "SDM of 10^6 locations", sdm(1_000_000), "memory.locations"),
        ("/read/search_steps", "10^9 search steps", serde_json::json!(1_000_000_000u64), "read.search_steps: 1000000000"),
        ("/read/iterations", "10^6 iterations", serde_json::json!(1_000_000u64), "read.iterations"),
    ];
    for (at, name, with, expected) in cases {
        let mut scene = shipped.clone();
        *scene.pointer_mut(at).unwrap() = with;
        if name == "10^9 search steps" {
            scene["read"]["addressing"] = "optimised".into();
        }
        let path = dir.path().join("mutant.json");
        std::fs::write(&path, scene.to_string()).unwrap();
        let err = kanerva::scene::Scene::read(&path).err().unwrap_or_else(|| panic!("{name}: read")).to_string();
        assert!(err.contains(expected), "{name}: {err}");
        assert_eq!(err.lines().count(), 1, "{name}: {err}");
    }
    // Fewer steps of the optimised read are fine, however many iterations the amortised one takes.
    let mut scene = shipped.clone();
    scene["read"]["iterations"] = 1000.into();
    let path = dir.path().join("long.json");
    std::fs::write(&path, scene.to_string()).unwrap();
    assert!(kanerva::scene::Scene::read(&path).is_ok());
}

/// A lesson is checked whole when it is opened: counts, items, names and corruptions.
#[test]
fn lessons_with_impossible_actions_are_refused_when_opened() {
    let text = std::fs::read_to_string(asset("lessons/hopfield-capacity.json")).unwrap();
    let with_action = |action: serde_json::Value| {
        let mut lesson: serde_json::Value = serde_json::from_str(&text).unwrap();
        lesson["steps"][0]["actions"] = serde_json::json!([action]);
        lesson.to_string()
    };
    let cases = [
        (serde_json::json!({ "fill": { "with": "random", "count": 1_000_000_000u64 } }), "fill count: 1000000000 (1 to 64)"),
        (serde_json::json!({ "sweep": { "stored": [10, 1_000_000_000u64], "patterns": "random", "noise": "flip:0.1" } }), "sweep stored: 1000000000"),
        (serde_json::json!({ "sweep": { "stored": [10], "patterns": "random", "noise": "flip:7" } }), "noise:"),
        (serde_json::json!({ "landscape": { "items": [0] } }), "a landscape through 1 items"),
        (serde_json::json!({ "basin_map": { "a": 3, "b": 3 } }), "itself"),
        (serde_json::json!({ "query": { "stored": 4_000_000_000u64, "noise": null } }), "query: item 4000000000"),
        (serde_json::json!({ "memory": "dkm" }), "needs --checkpoint"),
        (serde_json::json!({ "memory": "nonesuch" }), "unknown memory"),
        (serde_json::json!({ "open": "cellar" }), "no panel \"cellar\""),
    ];
    for (action, expected) in cases {
        let err = kanerva::scene::lesson::Lesson::parse(&with_action(action.clone()), "test lesson").unwrap_err().to_string();
        assert!(err.contains("step 1") && err.contains(expected), "{action}: {err}");
    }
    assert!(kanerva::scene::lesson::Lesson::parse(&text, "test lesson").is_ok());
    // A step of a thousand actions (found by the fuzzer: 1,107 scene loads in one step).
    let mut lesson: serde_json::Value = serde_json::from_str(&text).unwrap();
    lesson["steps"][0]["actions"] = serde_json::Value::Array(vec![serde_json::json!("play"); 1107]);
    let err = kanerva::scene::lesson::Lesson::parse(&lesson.to_string(), "test lesson").unwrap_err().to_string();
    assert!(err.contains("step 1: actions: 1107 (at most 16)"), "{err}");
}

/// The command line takes the same limits as scenes (one validation of a memory's settings).
#[test]
fn the_command_line_refuses_settings_past_the_same_limits() {
    for (args, expected) in [
        (vec!["sweep", "--model", "sdm", "--locations", "1000000", "--stored", "4"], "locations: 1000000 (1 to 100000)"),
        (vec!["sweep", "--model", "modern-hopfield", "--beta", "1e300", "--stored", "4"], "beta: 1e300"),
        (vec!["sweep", "--model", "hopfield", "--stored", "4,100000"], "--stored: 100000 (1 to 1024)"),
        (vec!["sweep", "--model", "hopfield", "--stored", "4", "--iterations", "1000000"], "--iterations: 1000000 (at most 1000)"),
        (vec!["sweep", "--model", "hopfield", "--stored", "4", "--search-steps", "1000000000"], "--search-steps: 1000000000"),
    ] {
        let out = kanerva().args(&args).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success() && stderr.contains(expected), "{args:?}: {stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "{args:?}: {stderr}");
    }
}
