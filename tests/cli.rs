//! The `kanerva` binary as a user runs it.

use std::process::Command;

fn kanerva() -> Command {
    Command::new(env!("CARGO_BIN_EXE_kanerva"))
}

#[test]
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
