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
        ("newer.json", text.replacen("\"version\": 1", "\"version\": 7", 1), "newer version"),
        ("other.json", "{\"format\": \"something-else\", \"version\": 1}".to_string(), "not \"kanerva-scene\""),
        ("empty-episode.json", {
            let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
            v["episode"] = serde_json::json!([]);
            v.to_string()
        }, "an episode of 0 images"),
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
