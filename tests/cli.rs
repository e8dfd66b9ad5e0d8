//! The `kanerva` binary as a user runs it.

use std::process::Command;

fn kanerva() -> Command {
    Command::new(env!("CARGO_BIN_EXE_kanerva"))
}

#[test]
#[ignore = "reads ../shared/datasets, absent on a plain clone; .ci/run runs it where the data is laid beside the clone"]
fn data_info_prints_count_shape_labels_and_mean_for_shared_and_embedded_data() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/datasets/");
    let out = kanerva()
        .args(["data", "info", "--json", "embedded:mnist-test"])
        .arg(format!("{dir}binarized_mnist_test.img1"))
        .arg(format!("{dir}omniglot28_background.img1.gz"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["count"], 10_000);
    assert_eq!(lines[0]["label_count"], 10);
    assert_eq!(lines[1]["rows"], 28);
    assert_eq!(lines[2]["count"], 19_280);
    assert_eq!(lines[2]["label_count"], 964);
    assert!((lines[1]["mean_pixel"].as_f64().unwrap() - 0.132512).abs() < 1e-6);
}

#[test]
fn data_info_on_a_bad_file_fails_with_a_message_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("bad.img1");
    std::fs::write(&p, b"IMG1 not really").unwrap();
    let out = kanerva().args(["data", "info"]).arg(&p).output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.img1") && err.contains("truncated IMG1 header"), "{err}");
}

fn shipped() -> String {
    concat!(env!("CARGO_MANIFEST_DIR"), "/assets/dkm_mnist.ckpt").to_string()
}

fn json_of(args: &[&str]) -> serde_json::Value {
    let out = kanerva().args(args).output().unwrap();
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    serde_json::from_str(text.lines().last().expect("a JSON line")).unwrap()
}

#[test]
fn eval_denoise_and_sample_keep_their_documented_output() {
    let test = "embedded:mnist-test";
    let ckpt = shipped();
    let eval = json_of(&["eval", "--checkpoint", &ckpt, "--data", test, "--episodes", "2", "--json"]);
    for key in ["nats_per_image", "recon_nats", "kl_addressing_nats", "kl_memory_nats"] {
        assert!(eval[key].as_f64().unwrap() > 0.0, "{key}: {eval}");
    }
    assert_eq!((eval["episodes"].as_u64(), eval["episode_size"].as_u64()), (Some(2), Some(32)));
    let sum = ["recon_nats", "kl_addressing_nats", "kl_memory_nats"].iter().map(|k| eval[*k].as_f64().unwrap()).sum::<f64>();
    assert!((sum - eval["nats_per_image"].as_f64().unwrap()).abs() < 1e-3, "the terms add up to the bound");
    let dn = json_of(&["denoise", "--checkpoint", &ckpt, "--data", test, "--noise", "salt-pepper:0.15", "--iterations", "3", "--episodes", "1", "--json"]);
    let steps = dn["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 4, "steps[0] is the corrupted query");
    assert!(steps[0]["pixel_error"].as_f64().unwrap() > steps[3]["pixel_error"].as_f64().unwrap(), "reading should denoise: {dn}");
    let m = dn["monotone_fraction"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&m));
    let dir = tempfile::tempdir().unwrap();
    let grid = dir.path().join("grid.png");
    let out = kanerva().args(["sample", "--checkpoint", &ckpt, "--n", "9", "--out"]).arg(&grid).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let image = image::open(&grid).unwrap();
    assert_eq!((image.width(), image.height()), (3 * 29 + 1, 3 * 29 + 1));
}

#[test]
fn commands_refuse_bad_checkpoints_and_arguments_with_clear_messages() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.ckpt");
    std::fs::write(&bad, b"not a checkpoint").unwrap();
    let out = kanerva().args(["eval", "--data", "embedded:mnist-test", "--checkpoint"]).arg(&bad).output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.ckpt") && err.contains("not a Kanerva Explorer checkpoint"), "{err}");
    let out = kanerva().args(["denoise", "--checkpoint", &shipped(), "--data", "embedded:mnist-test", "--noise", "blur:3"]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown kind"));
    let out = kanerva().args(["sweep", "--model", "dkm"]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("needs --checkpoint"));
    // Launches are counted on the GPU build only; the CPU build says so before any work.
    let out = kanerva().args(["bench", "--count-launches"]).output().unwrap();
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("needs the GPU build"));
}

#[test]
fn a_kanerva_machine_trains_evaluates_and_sweeps_from_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let ckpt = dir.path().join("km.ckpt");
    let ckpt = ckpt.to_str().unwrap();
    let train = kanerva()
        .args(["train", "--model", "km", "--data", "embedded:mnist-train", "--limit", "64", "--steps", "2", "--batch", "2", "--episode-size", "8"])
        .args(["--slots", "8", "--code-size", "10", "--address-size", "4", "--out", ckpt, "--json"])
        .output()
        .unwrap();
    assert!(train.status.success(), "{}", String::from_utf8_lossy(&train.stderr));
    let card: serde_json::Value = serde_json::from_slice(&std::fs::read(format!("{ckpt}.card.json")).unwrap()).unwrap();
    assert_eq!((card["model_kind"].as_str(), card["config"]["address_size"].as_u64()), (Some("km"), Some(4)));
    let eval = json_of(&["eval", "--checkpoint", ckpt, "--data", "embedded:mnist-test", "--episodes", "2", "--episode-size", "8", "--json"]);
    assert_eq!(eval["model"], "km");
    let sum = ["recon_nats", "kl_addressing_nats", "kl_code_nats", "kl_memory_nats"].iter().map(|k| eval[*k].as_f64().unwrap()).sum::<f64>();
    assert!((sum - eval["nats_per_image"].as_f64().unwrap()).abs() < 1e-3, "the terms add up to the bound: {eval}");
    assert!(eval.get("ae_nats").is_none(), "the KM has no autoencoder term: {eval}");
    // A corruption sweep: one stored count, three levels of salt-and-pepper.
    let sweep = json_of(&["sweep", "--model", "km", "--checkpoint", ckpt, "--patterns", "embedded:mnist-test", "--stored", "8", "--noise", "salt-pepper:0.1", "--noise-levels", "0,0.2,0.4", "--iterations", "2", "--json"]);
    assert_eq!((sweep["axis"].as_str(), sweep["noise"].as_str()), (Some("NoiseLevel"), Some("salt-pepper")));
    let points = sweep["points"].as_array().unwrap();
    let levels: Vec<f64> = points.iter().map(|p| p["noise_level"].as_f64().unwrap()).collect();
    assert_eq!(levels.len(), 3);
    assert!((levels[1] - 0.2).abs() < 1e-6 && points.iter().all(|p| p["stored"] == 8));
    let query: Vec<f64> = points.iter().map(|p| p["query_error"].as_f64().unwrap()).collect();
    assert!(query[0] == 0.0 && query[0] < query[1] && query[1] < query[2], "{query:?}");
    // The kinds are checked: a KM checkpoint is not a DKM, and --noise-levels needs one count.
    let out = kanerva().args(["sweep", "--model", "dkm", "--checkpoint", ckpt]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("holds a \"km\" model"), "{}", String::from_utf8_lossy(&out.stderr));
    let out = kanerva().args(["sweep", "--model", "hopfield", "--stored", "5,10", "--noise-levels", "0,0.1"]).output().unwrap();
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("exactly one"));
}

/// `--fine-tune-from` continues a checkpoint under new loss weights into another file: the
/// source stays as it was, the card records the weight, and a later `--resume` must repeat it.
#[test]
fn fine_tuning_continues_a_checkpoint_under_new_loss_weights_without_touching_it() {
    let dir = tempfile::tempdir().unwrap();
    let (source, tuned) = (dir.path().join("src.ckpt"), dir.path().join("tuned.ckpt"));
    let small = ["--data", "embedded:mnist-train", "--limit", "64", "--batch", "2", "--episode-size", "8", "--slots", "8", "--code-size", "10", "--out"];
    let train = |steps: &str, out: &std::path::Path, extra: &[&str]| kanerva().args(["train", "--model", "dkm", "--steps", steps]).args(small).arg(out).args(extra).output().unwrap();
    let out = train("2", &source, &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let before = std::fs::read(&source).unwrap();
    let out = train("4", &tuned, &["--fine-tune-from", source.to_str().unwrap(), "--kl-addressing-weight", "2.5", "--obs-noise-std", "0.5"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(std::fs::read(&source).unwrap(), before, "the source checkpoint is untouched");
    let card: serde_json::Value = serde_json::from_slice(&std::fs::read(format!("{}.card.json", tuned.display())).unwrap()).unwrap();
    assert_eq!((card["steps"].as_u64(), card["config"]["kl_addressing_weight"].as_f64()), (Some(4), Some(2.5)));
    assert_eq!(card["config"]["memory"]["slots"].as_u64(), Some(8), "the architecture is the source's");
    assert_eq!(card["config"]["memory"]["obs_noise_std"].as_f64(), Some(0.5), "σξ is the command line's");
    let out = train("5", &tuned, &["--resume", "--obs-noise-std", "0.5"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("kl_addressing_weight"), "resuming without the weight is refused: {err}");
    let out = train("5", &tuned, &["--resume", "--kl-addressing-weight", "2.5", "--obs-noise-std", "0.5"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = train("1", &dir.path().join("bad.ckpt"), &["--obs-noise-std=-1"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("obs_noise_std"), "a negative σξ is refused: {err}");
    for flag in ["--obs-noise-std", "--kl-addressing-weight", "--query-noise"] {
        let out = kanerva().args(["train", "--model", "km", "--steps", "1"]).args(small).arg(dir.path().join("km.ckpt")).args([flag, "0.5"]).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success() && err.contains(flag), "only the DKM takes {flag}: {err}");
    }
}

/// Two SIGINTs at once (what `timeout -s INT` sends: one to the command, one to its process
/// group) stop training after the step and save, instead of killing it.
#[cfg(unix)]
#[test]
fn a_doubled_interrupt_still_saves_the_checkpoint() {
    use std::io::{BufRead, BufReader};
    let dir = tempfile::tempdir().unwrap();
    let ckpt = dir.path().join("int.ckpt");
    let mut child = kanerva()
        .args(["train", "--model", "dkm", "--data", "embedded:mnist-train", "--limit", "64", "--steps", "1000000", "--batch", "2", "--episode-size", "8"])
        .args(["--slots", "8", "--code-size", "10", "--log-every", "1", "--json", "--out"])
        .arg(&ckpt)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    // Wait for a finished step, so the run is inside its loop.
    while let Some(Ok(line)) = lines.next() {
        if line.contains("\"metrics\"") {
            break;
        }
    }
    let pid = child.id();
    let status = std::process::Command::new("sh").arg("-c").arg(format!("kill -INT {pid}; kill -INT {pid}")).status().unwrap();
    assert!(status.success());
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "exit {:?}: {err}", out.status.code());
    assert!(err.contains("cancelled at step"), "{err}");
    assert!(rest.iter().any(|l| l.contains("\"checkpoint\"")), "{rest:?}");
    assert!(ckpt.exists());
}

/// `kanerva sample` and the explorer draw samples with one function: the CLI's grid holds
/// exactly the images `eval::sample_and_clean_up` gives for the same memory and seed.
#[test]
fn sample_draws_what_the_shared_sampling_function_draws() {
    use kanerva::backend::inference_device;
    use kanerva::data::{Embedded, Image, test_episodes};
    use kanerva::memory::{ReadPlan, ReadUpdate};
    let dir = tempfile::tempdir().unwrap();
    let grid = dir.path().join("grid.png");
    let out = kanerva().args(["sample", "--checkpoint", &shipped(), "--n", "4", "--seed", "3", "--episode-size", "16", "--out"]).arg(&grid).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let device = inference_device();
    let loaded = kanerva::catalog::load_checkpoint(std::path::Path::new(&shipped()), &device).unwrap();
    let mut memory = loaded.model.into_attractor("dkm", device);
    let set = Embedded::MnistTest.load().unwrap();
    let episode: Vec<Image> = test_episodes(set.len(), 16, 1, 3).into_iter().flatten().map(|i| set.image(i)).collect();
    memory.write(&episode).unwrap();
    let samples = kanerva::eval::sample_and_clean_up(memory.as_ref(), 4, &ReadPlan { iterations: 3, update: ReadUpdate::Mean, seed: 3, ..ReadPlan::default() }).unwrap();
    let png = image::open(&grid).unwrap().to_luma8();
    for (i, s) in samples.iter().enumerate() {
        let (r0, c0) = (1 + 29 * (i / 2), 1 + 29 * (i % 2));
        for r in 0..28 {
            for c in 0..28 {
                let want = (s.get(r, c).clamp(0.0, 1.0) * 255.0) as u8;
                assert_eq!(png.get_pixel((c0 + c) as u32, (r0 + r) as u32).0[0], want, "sample {i} pixel ({r}, {c})");
            }
        }
    }
}

/// The DKM weights built into the binary read exactly like the shipped file, with no folder of
/// weights anywhere (`KANERVA_ASSETS` pointing at an empty folder is the only place searched).
#[test]
fn the_built_in_dkm_weights_equal_the_shipped_file_with_no_assets_folder() {
    let empty = tempfile::tempdir().unwrap();
    let run = |ckpt: &str| {
        let out = kanerva()
            .env("KANERVA_ASSETS", empty.path())
            .args(["denoise", "--checkpoint", ckpt, "--data", "embedded:mnist-test", "--noise", "flip:0.1", "--episodes", "1", "--iterations", "2", "--json"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    assert_eq!(run(kanerva::catalog::EMBEDDED_DKM), run(&shipped()));
}

/// `gui --checkpoint`, `--data` or `--scene` with a path that cannot be used fails before any
/// window opens, naming the file (a missing checkpoint used to open silently on the built-in DKM).
#[test]
fn gui_refuses_paths_that_cannot_be_used() {
    let dir = tempfile::tempdir().unwrap();
    let damaged = dir.path().join("damaged.ckpt");
    std::fs::write(&damaged, b"not a checkpoint").unwrap();
    let bad_scene = dir.path().join("bad-scene.json");
    std::fs::write(&bad_scene, b"{ not json").unwrap();
    let cases = [
        ("--checkpoint", dir.path().join("missing.ckpt")),
        ("--checkpoint", damaged),
        ("--data", dir.path().join("missing.img1")),
        ("--scene", dir.path().join("missing-scene.json")),
        ("--scene", bad_scene),
    ];
    for (flag, path) in cases {
        let out = kanerva().arg("gui").arg(flag).arg(&path).env_remove("DISPLAY").env_remove("WAYLAND_DISPLAY").output().unwrap();
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(path.file_name().unwrap().to_str().unwrap()), "{err}");
    }
}

#[test]
fn every_help_that_lists_memories_names_every_memory_and_every_kind() {
    use kanerva::catalog::{MemoryName, ModelKind};
    for command in [&["sweep", "--help"][..], &["scene", "save", "--help"], &["train", "--help"]] {
        let out = kanerva().args(command).output().unwrap();
        assert!(out.status.success(), "{command:?}");
        let help = String::from_utf8(out.stdout).unwrap();
        for kind in ModelKind::ALL {
            assert!(help.contains(kind.name()), "{command:?} does not name {kind}:\n{help}");
        }
        if command[0] != "train" {
            for name in MemoryName::all() {
                assert!(help.contains(name.name()), "{command:?} does not name {}:\n{help}", name.name());
            }
        }
    }
}

#[test]
fn oversized_samples_and_windows_larger_than_the_memory_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = kanerva().args(["sample", "--checkpoint", "embedded:dkm_mnist.ckpt", "--n", "100000", "--out"]).arg(dir.path().join("grid.png")).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && stderr.contains("--n") && stderr.contains("at most"), "{stderr}");
    let ckpt = dir.path().join("kpp.ckpt");
    let out = kanerva()
        .args(["train", "--model", "kpp", "--data", "embedded:mnist-test", "--steps", "1", "--memory-side", "4", "--window", "6", "--out"])
        .arg(&ckpt)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && stderr.contains("window") && stderr.contains("larger than the memory"), "{stderr}");
    assert!(!ckpt.exists());
    for bad in ["erase:30,30,5,5", "occlude:0"] {
        let out = kanerva().args(["denoise", "--checkpoint", "embedded:dkm_mnist.ckpt", "--data", "embedded:mnist-test", "--noise", bad]).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success() && stderr.contains(bad), "{bad}: {stderr}");
    }
}

/// A binary copied without its weights refuses a lesson that needs them before any window
/// opens, naming the file and the step (the built-in DKM lesson used to stop at step 5), and
/// still starts one that needs none.
#[test]
fn gui_refuses_a_lesson_whose_weights_are_not_here() {
    let empty = tempfile::tempdir().unwrap();
    let out = kanerva()
        .current_dir(empty.path())
        .env("KANERVA_ASSETS", empty.path())
        .args(["gui", "--lesson", "dkm-denoising"])
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("km_mnist.ckpt") && err.contains("step"), "{err}");
}

/// `experiment list --json` names the six experiments; `experiment run --quick --json` writes
/// the record, CSV and plots and prints the record; an unknown name is refused with the list.
#[test]
fn experiments_are_listed_run_and_refused_by_name() {
    let out = kanerva().args(["experiment", "list", "--json"]).output().unwrap();
    assert!(out.status.success());
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let names: Vec<&str> = list.as_array().unwrap().iter().map(|e| e["name"].as_str().unwrap()).collect();
    for name in ["iterative-reading", "capacity-bound", "distortion-rate", "classical-capacity", "product-machines", "conditional-likelihood"] {
        assert!(names.contains(&name), "{names:?}");
    }
    let dir = tempfile::tempdir().unwrap();
    let out = kanerva().args(["experiment", "run", "capacity-bound", "--quick", "--json", "--out"]).arg(dir.path()).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let record: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(record["experiment"], "capacity-bound");
    assert!(record["checkpoints"].as_object().unwrap().len() >= 4, "{}", record["checkpoints"]);
    for file in ["capacity-bound.json", "capacity-bound.csv", "capacity-bound-joint.png", "capacity-bound-conditional.png"] {
        assert!(dir.path().join(file).is_file(), "{file}");
    }
    let table = kanerva().args(["experiment", "table"]).arg(dir.path().join("capacity-bound.json")).output().unwrap();
    assert!(String::from_utf8_lossy(&table.stdout).contains("| dkm |"));
    let out = kanerva().args(["experiment", "run", "no-such"]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("classical-capacity"), "{}", String::from_utf8_lossy(&out.stderr));
}
