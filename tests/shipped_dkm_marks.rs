//! The second shipped DKMs (`assets/dkm_*_v2.ckpt`) against the quality marks they were
//! shipped for, on the shared data sets: a retrained or re-exported file that loses them fails
//! here. The figures in the comments are docs/results.md's, measured with the CLI.

use std::path::Path;

use kanerva::backend::inference_device;
use kanerva::catalog::load_checkpoint;
use kanerva::data::{Corruption, ImageSet, load_named, to_model_size};
use kanerva::eval::{Scoring, denoise, evaluate_bound};
use kanerva::memory::ReadPlan;
use kanerva::model::refined_address::Refinement;
use kanerva::train::{every_image_test_episodes, standard_test_episodes};

const HELD_OUT_OMNIGLOT: &str = "../shared/datasets/omniglot28_background.img1.gz#labels=864..964";
const MNIST_TEST: &str = "../shared/datasets/binarized_mnist_test.img1";

fn data(name: &str) -> ImageSet {
    to_model_size(load_named(name).unwrap())
}

/// Held-out Omniglot characters: the joint bound at least 5 nats below the first shipped
/// Omniglot DKM's 106.15 (measured 96.30 on all 2000 images), and 10 mode reads of 15% salt
/// and pepper queries ending at most half as far from their items as the queries (0.462x).
#[test]
#[ignore = "reads ../shared/datasets/omniglot28_background.img1.gz; .ci/run runs it where the data is laid beside the clone"]
fn the_second_omniglot_dkm_keeps_its_marks_on_held_out_characters() {
    let device = inference_device();
    let set = data(HELD_OUT_OMNIGLOT);
    let loaded = load_checkpoint(Path::new("assets/dkm_omniglot_v2.ckpt"), &device).unwrap();
    device.seed(0);
    let joint = evaluate_bound(loaded.model.as_ref(), &set, &every_image_test_episodes(&set, 32), true, Scoring::ModelTerms, &device).unwrap();
    assert!(joint.headline() <= 106.15 - 5.0, "{joint:?}");
    let mut memory = loaded.model.into_attractor("dkm", device);
    let plan = ReadPlan { iterations: 10, ..ReadPlan::default() };
    let report = denoise(memory.as_mut(), &set, "salt-pepper:0.15".parse::<Corruption>().unwrap(), &plan, 62, 32).unwrap();
    let (query, last) = (report.steps[0].pixel_error, report.steps[10].pixel_error);
    assert!(last <= 0.5 * query, "query {query}, after 10 reads {last}");
}

/// Binarized MNIST test: the joint bound at most 95 nats (measured 93.00 on all 10,000
/// images); the memory-conditional bound with refined addressing posteriors at most 82 on 20
/// episodes (79.25 on all images; the amortised one misses it: 84.58).
#[test]
#[ignore = "reads ../shared/datasets/binarized_mnist_test.img1; .ci/run runs it where the data is laid beside the clone"]
fn the_second_mnist_dkm_keeps_its_marks_on_the_test_set() {
    let device = inference_device();
    let set = data(MNIST_TEST);
    let loaded = load_checkpoint(Path::new("assets/dkm_mnist_v2.ckpt"), &device).unwrap();
    let model = loaded.model.as_ref();
    device.seed(0);
    let joint = evaluate_bound(model, &set, &every_image_test_episodes(&set, 32), true, Scoring::ModelTerms, &device).unwrap();
    assert!(joint.headline() <= 95.0, "{joint:?}");
    device.seed(0);
    let refined = evaluate_bound(model, &set, &standard_test_episodes(&set, 32, 20), true, Scoring::RefinedAddresses(Refinement::with_steps(100)), &device).unwrap();
    let conditional = refined.terms.get("conditional_nats_per_image").unwrap();
    assert!(conditional <= 82.0, "{refined:?}");
    assert!(refined.headline() <= 95.0, "{refined:?}");
}
