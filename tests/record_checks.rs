//! A checkpoint whose checksum is valid (anyone can recompute it) but whose tensors do not fit
//! the card's model is refused as a mismatch before anything is loaded: a parameter of another
//! dtype or shape, optimizer state of another rank or for a parameter the model lacks. Each
//! case here once panicked `eval`, `denoise` or `train --resume`.

mod common;

use std::path::{Path, PathBuf};

use burn::tensor::Bytes;
use burn_pack::{DType, Reader, Tensor, Writer};
use common::checkpoint_bytes::{encode, sections};
use common::training::{small_train, train, train_images};
use kanerva::model::{Dkm, DkmConfig};
use kanerva::train::{CheckpointError, CheckpointFile, TrainError};

fn small_config() -> DkmConfig {
    let mut c = DkmConfig::new().with_seed(1);
    c.memory.slots = 4;
    c.memory.code_size = 6;
    c
}

/// A checkpoint with optimizer state: two training steps.
fn trained_checkpoint(dir: &Path) -> PathBuf {
    let out = dir.join("small.ckpt");
    train::<Dkm>(&small_config(), &small_train(2, 1e-3), &train_images(64), false, &out).unwrap();
    out
}

/// The record `bytes` with `edit` applied to each of its tensors (scalars and metadata kept).
fn edit_record(bytes: &[u8], mut edit: impl FnMut(Tensor) -> Tensor) -> Vec<u8> {
    let reader = Reader::from_bytes(Bytes::from_bytes_vec(bytes.to_vec())).unwrap();
    let (scalars, metadata) = (reader.scalars().clone(), reader.metadata().clone());
    let tensors: Vec<Tensor> = reader.into_tensors().unwrap().into_iter().map(&mut edit).collect();
    let mut writer = Writer::new(tensors);
    for (k, v) in &scalars {
        writer = writer.with_scalar(k, *v);
    }
    for (k, v) in &metadata {
        writer = writer.with_metadata(k, v);
    }
    writer.into_bytes().unwrap().to_vec()
}

/// Writes `path` with section `index` replaced by `edit` of it.
fn rewrite(path: &Path, index: usize, edit: impl FnMut(Tensor) -> Tensor) {
    let mut parts = sections(&std::fs::read(path).unwrap());
    parts[index] = edit_record(&parts[index], edit);
    std::fs::write(path, encode(&parts)).unwrap();
}

fn load_error(path: &Path) -> CheckpointError {
    kanerva::catalog::load_checkpoint(path, &kanerva::backend::inference_device()).err().expect("a mismatched record is refused")
}

fn resume_error(path: &Path) -> String {
    match train::<Dkm>(&small_config(), &small_train(4, 1e-3), &train_images(64), true, path) {
        Err(TrainError::Checkpoint(e)) => e.to_string(),
        other => panic!("resume was not refused: {other:?}"),
    }
}

fn assert_one_line_mismatch(message: &str, path: &Path, names: &str) {
    assert!(message.contains("do not match the model the card describes") && message.contains(names), "{message}");
    assert!(!message.contains('\n') && message.matches(&path.display().to_string()).count() == 1, "one line, the path once: {message}");
}

#[test]
fn an_i32_parameter_is_a_mismatch_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let path = trained_checkpoint(dir.path());
    let mut target = None;
    rewrite(&path, 1, |t| {
        if target.is_some() || t.dtype != DType::F32 {
            return t;
        }
        let (name, _, shape, id, bytes) = t.into_parts().unwrap();
        target = Some(name.clone());
        let ints: Vec<u8> = bytes.chunks(4).flat_map(|c| (f32::from_le_bytes(c.try_into().unwrap()) as i32).to_le_bytes()).collect();
        Tensor::new(name, DType::I32, shape, id, Bytes::from_bytes_vec(ints))
    });
    let name = target.unwrap();
    let err = load_error(&path);
    assert!(matches!(err, CheckpointError::RecordMismatch { .. }), "{err}");
    assert_one_line_mismatch(&err.to_string(), &path, &name);
    assert!(resume_error(&path).contains(&name));
    // The CLI says the same in one line and exits with an error.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_kanerva")).args(["eval", "--data", "embedded:mnist-test", "--episodes", "1", "--checkpoint"]).arg(&path).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && stderr.contains("do not match") && !stderr.contains("panicked"), "{stderr}");
}

#[test]
fn a_parameter_of_another_shape_is_a_mismatch() {
    let dir = tempfile::tempdir().unwrap();
    let path = trained_checkpoint(dir.path());
    let mut done = false;
    rewrite(&path, 1, |t| {
        if done || t.shape.len() != 2 {
            return t;
        }
        done = true;
        let (name, dtype, shape, id, bytes) = t.into_parts().unwrap();
        let flat = shape.iter().product::<usize>();
        Tensor::new(name, dtype, vec![flat], id, bytes)
    });
    assert!(matches!(load_error(&path), CheckpointError::RecordMismatch { .. }));
}

#[test]
fn optimizer_state_of_another_rank_is_refused_before_resuming() {
    let dir = tempfile::tempdir().unwrap();
    let path = trained_checkpoint(dir.path());
    assert!(!sections(&std::fs::read(&path).unwrap())[2].is_empty(), "training saved optimizer state");
    let mut target = None;
    rewrite(&path, 2, |t| {
        if target.is_some() || t.shape.len() < 2 {
            return t;
        }
        let (name, dtype, shape, id, bytes) = t.into_parts().unwrap();
        target = Some(name.clone());
        Tensor::new(name, dtype, vec![shape.iter().product::<usize>()], id, bytes)
    });
    let message = resume_error(&path);
    assert_one_line_mismatch(&message, &path, &target.unwrap());
    // The parameters alone still load (eval and the explorer do not need the optimizer).
    assert!(kanerva::catalog::load_checkpoint(&path, &kanerva::backend::inference_device()).is_ok());
}

#[test]
fn optimizer_state_for_a_parameter_the_model_lacks_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = trained_checkpoint(dir.path());
    let mut done = false;
    rewrite(&path, 2, |mut t| {
        if !done {
            done = true;
            t.param_id = Some(0xDEAD_BEEF);
        }
        t
    });
    assert!(resume_error(&path).contains("which the model does not have"));
    // And state that names no parameter at all.
    let path = trained_checkpoint(dir.path());
    rewrite(&path, 2, |mut t| {
        t.param_id = None;
        t
    });
    assert!(resume_error(&path).contains("names no parameter"));
}

#[test]
fn an_untouched_checkpoint_still_loads_and_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let path = trained_checkpoint(dir.path());
    assert!(CheckpointFile::read(&path).is_ok());
    train::<Dkm>(&small_config(), &small_train(4, 1e-3), &train_images(64), true, &path).unwrap();
}
