//! Classical memories (spec §15, §16 items 14-16): Hopfield energy descent and fixed points,
//! dense Hopfield retrieval and energy descent, SDM exact recall and graceful degradation.

use kanerva::data::{Corruption, Image};
use kanerva::memory::AttractorMemory;
use kanerva::memory::attractor::{ReadPlan, ReadUpdate, to_spins};
use kanerva::memory::hopfield::{Hopfield, HopfieldConfig, LearningRule, UpdateOrder};
use kanerva::memory::modern_hopfield::ModernHopfield;
use kanerva::memory::sdm::{Sdm, SdmConfig, radius_for_activation};
use kanerva::rng::SplitMix64;
use proptest::prelude::*;

fn random_image(rows: usize, cols: usize, rng: &mut SplitMix64) -> Image {
    Image::new(rows, cols, (0..rows * cols).map(|_| if rng.bernoulli(0.5) { 1.0 } else { 0.0 }).collect())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, .. ProptestConfig::default() })]

    #[test]
    fn hopfield_energy_never_increases_under_asynchronous_updates(seed in 0u64..1_000_000, patterns in 1usize..40, rule in 0usize..3) {
        let mut rng = SplitMix64::new(seed);
        let rule = [LearningRule::Hebbian, LearningRule::Storkey, LearningRule::PseudoInverse][rule];
        let mut net = Hopfield::with_size(HopfieldConfig { rule, order: UpdateOrder::Asynchronous }, 10, 10);
        let stored: Vec<Image> = (0..patterns).map(|_| random_image(10, 10, &mut rng)).collect();
        net.write(&stored).unwrap();
        // Single-unit steps: check E after every flip, not only after every sweep.
        let mut spins = to_spins(&random_image(10, 10, &mut rng));
        let mut energy = net.energy_of_spins(&spins);
        for sweep in 0..5 {
            let mut order: Vec<usize> = (0..100).collect();
            SplitMix64::new(seed + sweep).shuffle(&mut order);
            for i in order {
                let h: f32 = (0..100).map(|j| net.weight(i, j) * spins[j]).sum();
                if h != 0.0 {
                    spins[i] = h.signum();
                }
                let e = net.energy_of_spins(&spins);
                prop_assert!(e <= energy + 1e-6, "E rose from {energy} to {e}");
                energy = e;
            }
        }
        // And through the public step: a sweep never raises E either.
        let mut image = random_image(10, 10, &mut rng);
        let mut e0 = net.evaluate(&image).unwrap().energy.unwrap();
        for s in 0..4 {
            image = net.step(&image, ReadUpdate::Mode, s).unwrap();
            let e1 = net.evaluate(&image).unwrap().energy.unwrap();
            prop_assert!(e1 <= e0 + 1e-6);
            e0 = e1;
        }
    }
}

#[test]
fn hopfield_weights_are_symmetric_with_zero_diagonal() {
    let mut rng = SplitMix64::new(2);
    for rule in [LearningRule::Hebbian, LearningRule::Storkey, LearningRule::PseudoInverse] {
        let mut net = Hopfield::with_size(HopfieldConfig { rule, ..Default::default() }, 8, 8);
        net.write(&(0..6).map(|_| random_image(8, 8, &mut rng)).collect::<Vec<_>>()).unwrap();
        for i in 0..64 {
            assert_eq!(net.weight(i, i), 0.0);
            for j in 0..64 {
                assert!((net.weight(i, j) - net.weight(j, i)).abs() < 1e-5, "{rule:?}");
            }
        }
    }
}

#[test]
fn hopfield_random_patterns_below_capacity_are_fixed_points() {
    // P = 0.05 N with N = 784: every stored pattern is a fixed point (w.h.p.).
    let mut rng = SplitMix64::new(7);
    let stored: Vec<Image> = (0..39).map(|_| random_image(28, 28, &mut rng)).collect();
    let mut net = Hopfield::new(HopfieldConfig::default());
    net.write(&stored).unwrap();
    for (i, p) in stored.iter().enumerate() {
        let next = net.step(p, ReadUpdate::Mode, i as u64).unwrap();
        assert!(next.pixel_error(p) < 0.005, "pattern {i} moved {}", next.pixel_error(p));
    }
}

#[test]
fn hopfield_recall_degrades_above_0_14_n() {
    // N = 100: at P = 5 recall from 10% flips is near perfect; at P = 30 (0.3 N) it is not.
    let recall_error = |p: usize| {
        let mut rng = SplitMix64::new(p as u64);
        let stored: Vec<Image> = (0..p).map(|_| random_image(10, 10, &mut rng)).collect();
        let mut net = Hopfield::with_size(HopfieldConfig::default(), 10, 10);
        net.write(&stored).unwrap();
        let mut err = 0.0;
        for (i, pat) in stored.iter().enumerate() {
            let mut x = Corruption::BitFlip { p: 0.1 }.apply(pat, i as u64);
            for s in 0..10 {
                x = net.step(&x, ReadUpdate::Mode, s).unwrap();
            }
            err += x.pixel_error(pat);
        }
        err / p as f32
    };
    let (low, high) = (recall_error(5), recall_error(30));
    assert!(low < 0.02, "P = 0.05 N: {low}");
    assert!(high > 0.1, "P = 0.3 N: {high}");
}

#[test]
fn modern_hopfield_retrieves_in_one_step_at_high_beta_and_energy_descends() {
    let mut rng = SplitMix64::new(3);
    let stored: Vec<Image> = (0..20).map(|_| random_image(28, 28, &mut rng)).collect();
    let mut net = ModernHopfield::new(50.0);
    net.write(&stored).unwrap();
    for (i, p) in stored.iter().enumerate() {
        let noisy = Corruption::BitFlip { p: 0.15 }.apply(p, i as u64);
        let once = net.step(&noisy, ReadUpdate::Mode, 0).unwrap();
        assert!(once.pixel_error(p) == 0.0, "pattern {i}: {}", once.pixel_error(p));
    }
    // Energy is non-increasing along the iteration, at any β (CCCP), from any start.
    for beta in [0.5, 2.0, 8.0, 50.0] {
        net.beta = beta;
        let mut state = net.encode_image(&random_image(28, 28, &mut rng));
        let mut e = net.energy_of_state(&state);
        for _ in 0..10 {
            state = net.update_state(&state);
            let e2 = net.energy_of_state(&state);
            assert!(e2 <= e + 1e-9, "β = {beta}: {e} -> {e2}");
            e = e2;
        }
    }
    // At low β the fixed point is a metastable mixture, far from every pattern.
    net.beta = 0.5;
    let mix = net.step(&stored[0], ReadUpdate::Mode, 0).unwrap();
    let w = net.evaluate(&stored[0]).unwrap().weights.unwrap();
    assert!(w.iter().cloned().fold(0.0, f32::max) < 0.2, "attention should be spread at low β");
    assert!(mix.pixel_error(&stored[0]) > 0.0);
}

#[test]
fn sdm_returns_a_single_stored_pattern_exactly_and_radius_matches_the_activation() {
    let n = 784;
    let r = radius_for_activation(n, 0.01);
    // Binomial(784, ½): mean 392, sd 14; the 1% quantile is about 2.33 sd below the mean.
    assert!((357..=362).contains(&r), "r = {r}");
    let mut sdm = Sdm::new(SdmConfig { locations: 5000, activation: 0.01, seed: 1 });
    let mut rng = SplitMix64::new(9);
    let pattern = random_image(28, 28, &mut rng);
    sdm.write(std::slice::from_ref(&pattern)).unwrap();
    assert!(!sdm.active(&pattern).is_empty());
    assert_eq!(sdm.step(&pattern, ReadUpdate::Mode, 0).unwrap(), pattern);
}

#[test]
fn sdm_recall_degrades_gracefully_with_noise() {
    let mut sdm = Sdm::new(SdmConfig { locations: 10_000, activation: 0.01, seed: 2 });
    let mut rng = SplitMix64::new(4);
    let stored: Vec<Image> = (0..10).map(|_| random_image(28, 28, &mut rng)).collect();
    sdm.write(&stored).unwrap();
    let mut errors = Vec::new();
    for p in [0.0, 0.05, 0.15, 0.3] {
        let mut total = 0.0;
        for (i, pat) in stored.iter().enumerate() {
            for seed in 0..3u64 {
                let mut x = Corruption::BitFlip { p }.apply(pat, seed * 100 + i as u64);
                for _ in 0..5 {
                    x = sdm.step(&x, ReadUpdate::Mode, 0).unwrap();
                }
                total += x.pixel_error(pat);
            }
        }
        errors.push(total / 30.0);
    }
    assert!(errors[0] < 0.01 && errors[1] < 0.01, "{errors:?}");
    assert!(errors.windows(2).all(|w| w[1] >= w[0] - 1e-6), "not monotone: {errors:?}");
    assert!(errors[3] > errors[1], "{errors:?}");
}

#[test]
fn hopfield_capacity_sweep_on_random_patterns_breaks_down_near_0_14_n() {
    use kanerva::eval::{PatternSource, capacity_sweep};
    // N = 784: below the knee (0.10 N = 78 patterns) recall from 10% flips is almost perfect;
    // above it (0.20 N = 157) it fails. Tolerance: the knee lies somewhere in (0.10 N, 0.20 N).
    let mut net = Hopfield::new(HopfieldConfig::default());
    let points = capacity_sweep(&mut net, &PatternSource::Random { seed: 1 }, &[78, 157], Corruption::BitFlip { p: 0.1 }, &ReadPlan { iterations: 3, ..ReadPlan::default() }, &mut |_, _, _| true).unwrap();
    assert!(points[0].recall_error < 0.01, "{points:?}");
    assert!(points[1].recall_error > 0.1, "{points:?}");
    assert!(points.iter().all(|p| (p.query_error - 0.1).abs() < 0.01));
}

#[test]
fn correlated_digits_break_hebbian_hopfield_far_earlier_than_random_patterns() {
    use kanerva::data::Embedded;
    use kanerva::eval::{PatternSource, capacity_sweep};
    let mut net = Hopfield::new(HopfieldConfig::default());
    let digits = PatternSource::Data(Embedded::MnistTest.load().unwrap());
    let random = PatternSource::Random { seed: 2 };
    let at = |net: &mut Hopfield, src: &PatternSource| capacity_sweep(net, src, &[20], Corruption::BitFlip { p: 0.1 }, &ReadPlan { iterations: 3, ..ReadPlan::default() }, &mut |_, _, _| true).unwrap()[0].recall_error;
    let (d, r) = (at(&mut net, &digits), at(&mut net, &random));
    assert!(r < 0.001 && d > 0.05, "20 patterns (0.026 N): random {r}, digits {d}");
}

#[test]
fn basin_map_sends_each_end_of_the_line_to_its_own_pattern() {
    use kanerva::eval::{Projection, basin_map};
    let mut rng = SplitMix64::new(5);
    let stored: Vec<Image> = (0..4).map(|_| random_image(28, 28, &mut rng)).collect();
    let mut net = Hopfield::new(HopfieldConfig::default());
    net.write(&stored).unwrap();
    let alphas = [0.0, 0.1, 0.9, 1.0];
    let cells = basin_map(&net, 0, 1, &alphas, &[0.0, 0.1], &ReadPlan { iterations: 5, ..ReadPlan::default() }).unwrap();
    assert_eq!(cells.len(), 8);
    for c in &cells {
        let expected = if c.alpha < 0.5 { 0 } else { 1 };
        assert_eq!(c.attractor, expected, "{c:?}");
        assert!(c.distance < 0.01, "{c:?}");
    }
    // The projection separates the stored items (distinct points).
    let p = Projection::fit(&stored).unwrap();
    let pts: Vec<[f64; 2]> = stored.iter().map(|s| p.project(s)).collect();
    for i in 0..4 {
        for j in i + 1..4 {
            let d = ((pts[i][0] - pts[j][0]).powi(2) + (pts[i][1] - pts[j][1]).powi(2)).sqrt();
            assert!(d > 1.0, "items {i} and {j} project onto one point: {pts:?}");
        }
    }
}
