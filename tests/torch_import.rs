//! `kanerva import torch`: a DKM trained by the PyTorch reference (tests/fixtures/
//! torch_dkm_simple_300.pt, made by `python train.py --data binarized_mnist_train.img1
//! --steps 300 --batch 16 --episode 32 --lr 3e-4 --threads 1 --seed 0 --arch simple` in
//! ../shared/refs/torch_dkm) opens as our DKM and scores what the reference scores.

use std::path::Path;

use kanerva::backend::inference_device;
use kanerva::import::import_torch_dkm;

const FIXTURE: &str = "tests/fixtures/torch_dkm_simple_300.pt";

#[test]
fn the_references_checkpoint_imports_with_its_origin_on_the_card() {
    let imported = import_torch_dkm(Path::new(FIXTURE), &inference_device()).unwrap();
    assert_eq!(imported.info.steps, 300);
    assert_eq!(imported.info.arch, kanerva::model::networks::Arch::Simple);
    let origin = imported.card.origin.as_ref().unwrap();
    assert_eq!(origin["sha256"].as_str().unwrap().len(), 64);
    assert_eq!(origin["args"]["steps"], 300);
    // The prior mean holds the reference's trained R0 (finite, not the zero init).
    let r0 = imported.model.prior_mean.val().into_data().convert::<f32>().try_into_vec::<f32>().unwrap();
    assert_eq!(r0.len(), 32 * 100);
    assert!(r0.iter().all(|v| v.is_finite()) && r0.iter().any(|v| *v != 0.0));
}

#[test]
fn a_truncated_or_foreign_file_is_refused_in_one_line_without_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = std::fs::read(FIXTURE).unwrap();
    let truncated = dir.path().join("truncated.pt");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    let text = dir.path().join("notes.pt");
    std::fs::write(&text, "these are not weights").unwrap();
    let ours = Path::new("assets/dkm_mnist.ckpt");
    for (path, says) in [(truncated.as_path(), "not a PyTorch checkpoint"), (text.as_path(), "not a PyTorch checkpoint"), (ours, "not a PyTorch checkpoint")] {
        let Err(error) = import_torch_dkm(path, &inference_device()) else { panic!("{} imported", path.display()) };
        let message = error.to_string();
        assert!(message.contains(says) && !message.contains('\n'), "{}: {message}", path.display());
    }
    let missing = import_torch_dkm(&dir.path().join("absent.pt"), &inference_device()).err().unwrap().to_string();
    assert!(missing.contains("absent.pt"), "{missing}");
}

/// The reference's `eval.py --episodes 312 --episode 32` on this file: test −ELBO/T with w = μ
/// 174.64 nats/image (nll_read 115.08); ours must agree (the same episodes: both shuffle the
/// test set with seed 0).
#[test]
#[ignore = "needs ../shared/datasets/binarized_mnist_test.img1"]
fn the_imported_model_scores_the_references_plug_in_bound() {
    let device = inference_device();
    let imported = import_torch_dkm(Path::new(FIXTURE), &device).unwrap();
    let set = kanerva::data::to_model_size(kanerva::data::load_named("../shared/datasets/binarized_mnist_test.img1").unwrap());
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("imported.ckpt");
    kanerva::train::save_checkpoint(&out, &imported.card, &imported.model, None).unwrap();
    let loaded = kanerva::catalog::load_checkpoint(&out, &device).unwrap();
    let report = kanerva::eval::evaluate_bound(loaded.model.as_ref(), &set, &kanerva::train::standard_test_episodes(&set, 32, 312), false, kanerva::eval::Scoring::ModelTerms, &device).unwrap();
    assert!((report.headline() - 174.64).abs() < 0.02, "ours {} against the reference's 174.64", report.headline());
}

/// Files made from the fixture by the reference's torch (tests/fixtures/README.md): weights cut
/// to the memory's three tensors; R0 of the wrong shape; a classifier's state dict.
#[test]
fn a_missing_tensor_a_wrong_shape_and_another_model_are_named_in_one_line() {
    let cases = [
        ("tests/fixtures/torch_missing_tensors.pt", "lacks: encoder.0.weight"),
        ("tests/fixtures/torch_wrong_shape.pt", "tensor R0 is [32], the simple DKM's is [32, 100]"),
        ("tests/fixtures/torch_other_model.pt", "another model?): fc.bias, fc.weight"),
    ];
    for (file, says) in cases {
        let Err(error) = import_torch_dkm(Path::new(file), &inference_device()) else { panic!("{file} imported") };
        let message = error.to_string();
        assert!(message.contains(says) && !message.contains('\n'), "{file}: {message}");
    }
}
