//! The controls every recall figure needs: the trivial answers (return the query; return the
//! blank page) beside each sweep point, the no-write and other-episode controls, and a classical
//! baseline made for sparse patterns (the covariance rule) that does not answer with the blank
//! page where the ±1 Hebbian rule does. Random sparse patterns made here: nothing beside the
//! repository is needed.

use kanerva::catalog::{MemoryName, MemorySpec};
use kanerva::data::{Corruption, Image, ImageSet, SIDE};
use kanerva::eval::{PatternSource, SweepAxis, SweepControl, SweepPoint, sweep, sweep_settings};
use kanerva::memory::ReadPlan;
use kanerva::memory::hopfield::{Hopfield, HopfieldConfig, LearningRule};
use kanerva::rng::SplitMix64;

/// `count` random binary 28 x 28 patterns with each pixel on with probability `activity`.
fn sparse_patterns(count: usize, activity: f64, seed: u64) -> PatternSource {
    let mut rng = SplitMix64::new(seed);
    let images: Vec<Image> = (0..count).map(|_| Image::new(SIDE, SIDE, (0..SIDE * SIDE).map(|_| if rng.bernoulli(activity) { 1.0 } else { 0.0 }).collect())).collect();
    PatternSource::Data(ImageSet::from_images(&images, None, "sparse random patterns"))
}

fn run(memory: &mut dyn kanerva::memory::AttractorMemory, source: &PatternSource, stored: usize, noise: Corruption, control: SweepControl) -> SweepPoint {
    let settings = sweep_settings(SweepAxis::Stored, &[stored], noise, &[]);
    sweep(memory, source, &settings, &ReadPlan { iterations: 5, ..ReadPlan::default() }, control, &mut |_, _, _| true).unwrap()[0]
}

fn hopfield(rule: LearningRule) -> Hopfield {
    Hopfield::new(HopfieldConfig { rule, ..HopfieldConfig::default() })
}

/// Activity 0.1, 20 patterns (well within the covariance rule's capacity at N = 784), 5% of
/// the pixels flipped: the covariance rule recalls them; the ±1 Hebbian rule's answer is no
/// better than the blank page (its fields are dominated by the shared background).
#[test]
fn the_covariance_rule_recalls_sparse_patterns_where_the_hebbian_rule_gives_the_blank_page() {
    let source = sparse_patterns(40, 0.1, 3);
    let noise = Corruption::BitFlip { p: 0.05 };
    let covariance = run(&mut hopfield(LearningRule::Covariance), &source, 20, noise, SweepControl::None);
    let hebbian = run(&mut hopfield(LearningRule::Hebbian), &source, 20, noise, SweepControl::None);
    assert!((covariance.blank_error - 0.1).abs() < 0.02, "blank-page error is the ink: {}", covariance.blank_error);
    assert!(covariance.recall_error < 0.01, "covariance rule: {covariance:?}");
    assert!(covariance.recall_error < 0.2 * covariance.blank_error && covariance.recall_error < 0.2 * covariance.query_error, "{covariance:?}");
    assert!(hebbian.recall_error > 0.8 * hebbian.blank_error, "the Hebbian rule was expected to collapse here: {hebbian:?}");
}

/// With nothing written, a Hopfield network's fields are zero and it answers with the query;
/// with another episode written, its answer is far from the queried pattern.
#[test]
fn the_no_write_and_other_episode_controls_take_away_what_was_written() {
    let source = sparse_patterns(40, 0.1, 5);
    let noise = Corruption::BitFlip { p: 0.05 };
    let measured = run(&mut hopfield(LearningRule::Covariance), &source, 10, noise, SweepControl::None);
    let no_write = run(&mut hopfield(LearningRule::Covariance), &source, 10, noise, SweepControl::NoWrite);
    let other = run(&mut hopfield(LearningRule::Covariance), &source, 10, noise, SweepControl::OtherEpisode);
    assert!((no_write.recall_error - no_write.query_error).abs() < 1e-9, "{no_write:?}");
    assert!(other.recall_error > 5.0 * measured.recall_error.max(0.01), "other episode {other:?} vs own {measured:?}");
    assert_eq!(measured.memory_floats, 784 * 784 + 784);
}

/// Every memory takes every control; the modern network with nothing written answers with the
/// query; each point carries its trivial answers and the memory's size.
#[test]
fn every_classical_memory_takes_every_control() {
    let source = sparse_patterns(16, 0.1, 7);
    for name in [MemoryName::Hopfield(LearningRule::Hebbian), MemoryName::Hopfield(LearningRule::Covariance), MemoryName::ModernHopfield, MemoryName::Sdm] {
        for control in SweepControl::ALL {
            let mut memory = MemorySpec::from_name(name, None, 100.0, 2000).unwrap().build().unwrap();
            let point = run(memory.as_mut(), &source, 8, Corruption::BitFlip { p: 0.05 }, control);
            // An unwritten modern network holds no patterns: zero floats, and it answers with the query.
            let empty = name == MemoryName::ModernHopfield && control == SweepControl::NoWrite;
            assert!(point.recall_error.is_finite() && point.blank_error > 0.0 && (point.memory_floats > 0) != empty, "{name} {control:?}: {point:?}");
            if empty {
                assert_eq!(point.recall_error, point.query_error);
            }
        }
    }
    let not_enough = sweep(
        &mut hopfield(LearningRule::Hebbian),
        &source,
        &sweep_settings(SweepAxis::Stored, &[10], Corruption::BitFlip { p: 0.05 }, &[]),
        &ReadPlan::default(),
        SweepControl::OtherEpisode,
        &mut |_, _, _| true,
    );
    assert!(not_enough.unwrap_err().to_string().contains("20 needed"));
}

#[test]
fn an_unknown_control_is_a_one_line_error() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_kanerva")).args(["sweep", "--model", "hopfield", "--stored", "4", "--control", "sometimes"]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("--control: unknown control \"sometimes\"") && err.trim().lines().count() == 1, "{err}");
}

/// 16 held-out Omniglot characters, 10 x 10 occlusion: the covariance rule with fitted
/// thresholds recalls them, well below the blank page and below the query, and the ±1 Hebbian
/// rule answers with the blank page (within 5% of its error).
#[test]
#[ignore = "reads ../shared/datasets/omniglot28_background.img1.gz; .ci/run runs it where the data is laid beside the clone"]
fn on_held_out_characters_the_covariance_rule_recalls_and_the_hebbian_rule_gives_the_blank_page() {
    let set = kanerva::data::to_model_size(kanerva::data::load_named("../shared/datasets/omniglot28_background.img1.gz#labels=864..964").unwrap());
    let source = PatternSource::Data(set);
    let noise: Corruption = "occlude:10".parse().unwrap();
    let plan = ReadPlan { iterations: 10, ..ReadPlan::default() };
    let at = |rule| {
        let settings = sweep_settings(SweepAxis::Stored, &[16], noise, &[]);
        sweep(&mut hopfield(rule), &source, &settings, &plan, SweepControl::None, &mut |_, _, _| true).unwrap()[0]
    };
    let covariance = at(LearningRule::Covariance);
    assert!(covariance.recall_error < 0.25 * covariance.blank_error, "{covariance:?}");
    let hebbian = at(LearningRule::Hebbian);
    assert!((hebbian.recall_error - hebbian.blank_error).abs() < 0.05 * hebbian.blank_error, "{hebbian:?}");
}
