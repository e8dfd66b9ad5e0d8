//! The EBMM: its closed-form gradients against finite differences (f64), the read's descent,
//! what a write does to the stored patterns, permutation invariance, learning, checkpoints.

mod common;

use burn::tensor::Tensor;
use common::training::{check_cancel, check_non_finite_stop, check_refusals, check_round_trip, check_training_lowers_the_bound, f32_tensor, to_vec, train_images};
use common::{device, randn, t64, values};
use kanerva::model::ebmm::{Slow, energy, energy_gradient, lipschitz_bound, writing_gradient, writing_loss};
use kanerva::model::{Dkm, Ebmm, EbmmConfig};
use kanerva::rng::SplitMix64;

const B: usize = 2;
const N: usize = 3;
const H: usize = 4;
const D: usize = 6;

fn slow(rng: &mut SplitMix64, lambda: f64, alpha: f64, beta: f64) -> Slow {
    let dev = device();
    Slow { bias: randn([H], rng, &dev), center: randn([D], rng, &dev), lambda: t64(vec![lambda], [1], &dev), alpha: t64(vec![alpha], [1], &dev), beta: t64(vec![beta], [1], &dev) }
}

/// Values in [0, 1].
fn unit(shape: [usize; 3], rng: &mut SplitMix64) -> Tensor<3> {
    let n = shape.iter().product();
    t64((0..n).map(|_| rng.next_f64()).collect(), shape, &device())
}

fn perturbed(t: &Tensor<3>, index: usize, h: f64) -> Tensor<3> {
    let mut v = values(t);
    v[index] += h;
    t64(v, t.dims(), &device())
}

#[test]
fn closed_form_gradients_match_finite_differences() {
    let mut rng = SplitMix64::new(3);
    let s = slow(&mut rng, 0.7, 0.3, 0.2);
    let x = unit([B, N, D], &mut rng);
    let w = randn([B, H, D], &mut rng, &device());
    let w_bar = randn([B, H, D], &mut rng, &device());
    let h = 1e-6;
    // ∇_x E.
    let (g, _) = energy_gradient(x.clone(), w.clone(), &s);
    let g = values(&g);
    for i in 0..B * N * D {
        let e = |x: Tensor<3>| values(&energy(x, w.clone(), &s)).iter().sum::<f64>();
        let fd = (e(perturbed(&x, i, h)) - e(perturbed(&x, i, -h))) / (2.0 * h);
        assert!((fd - g[i]).abs() < 1e-6 * fd.abs().max(1.0), "∇x E[{i}]: {fd} vs {}", g[i]);
    }
    // ∇_W of the writing loss (energy, gradient norm and the deviation term together).
    let grad = values(&writing_gradient(x.clone(), w.clone(), w_bar.clone(), &s));
    for i in 0..B * H * D {
        let loss = |w: Tensor<3>| values(&writing_loss(x.clone(), w, w_bar.clone(), &s)).iter().sum::<f64>();
        let fd = (loss(perturbed(&w, i, h)) - loss(perturbed(&w, i, -h))) / (2.0 * h);
        assert!((fd - grad[i]).abs() < 1e-6 * fd.abs().max(1.0), "∇W 𝒲[{i}]: {fd} vs {}", grad[i]);
    }
}

/// Projected gradient steps with γ ≤ 1/L never raise the energy, L = max(λ, σ²/4 − λ) with σ
/// the largest singular value (exact here, from the dense eigenvalues of WᵀW), and the bound
/// the read uses is at least that L.
#[test]
fn reads_with_a_step_under_one_over_l_descend_the_energy() {
    for seed in 0..20 {
        let mut rng = SplitMix64::new(seed);
        let lambda = 0.2 + rng.next_f64();
        let s = slow(&mut rng, lambda, 0.0, 0.0);
        let w = randn([1, H, D], &mut rng, &device()).mul_scalar(1.0 + 2.0 * rng.next_f64());
        let wm = common::batch_item(&w, 0);
        let sigma_sq = wm.t().mul(&wm).sym_eigenvalues().into_iter().fold(0.0, f64::max);
        let l_true = lambda.max(sigma_sq / 4.0 - lambda);
        let bound = values(&lipschitz_bound(w.clone(), s.lambda.clone()))[0];
        assert!(bound >= l_true - 1e-9, "seed {seed}: bound {bound} under L {l_true}");
        let gamma = 1.0 / bound;
        let mut x = unit([1, 8, D], &mut rng);
        for _ in 0..30 {
            let before = values(&energy(x.clone(), w.clone(), &s));
            let (g, _) = energy_gradient(x.clone(), w.clone(), &s);
            x = (x - g.mul_scalar(gamma)).clamp(0.0, 1.0);
            let after = values(&energy(x.clone(), w.clone(), &s));
            for (a, b) in after.iter().zip(&before) {
                assert!(a <= &(b + 1e-12), "seed {seed}: energy rose {b} -> {a}");
            }
        }
    }
}

fn small_config() -> EbmmConfig {
    EbmmConfig::new().with_hidden(16).with_write_steps(3).with_read_steps(4).with_seed(2)
}

/// A write lowers the stored patterns' energy and gradient norm; with zero step sizes it leaves
/// W̄ exactly; it does not depend on the order of the patterns.
#[test]
fn writing_makes_stored_patterns_low_energy_stationary_points_and_ignores_their_order() {
    let dev = kanerva::backend::inference_device();
    // Untrained: a small fixed step and α = e^-1, so the gradient-norm term counts as much as
    // the energy (with α = 1 the energy rises, with α = e^-1.5 the gradient norm).
    let mut model = small_config().init(&dev);
    model.log_alpha = burn::module::Param::from_tensor(Tensor::full([1], -1.0, &dev));
    model.write_rates = burn::module::Param::from_tensor(Tensor::full([3], -6.0, &dev));
    let data = train_images(6);
    let pixels: Vec<f64> = data.pixels.iter().map(|&v| if v > 127 { 1.0 } else { 0.0 }).collect();
    let x = f32_tensor(&pixels, [1, 6, 784]);
    let (w, losses) = model.write(x.clone(), true);
    let slow = model.slow();
    let w_bar = model.w_init.val().unsqueeze_dim::<3>(0);
    let (e0, e1) = (to_vec(energy(x.clone(), w_bar.clone(), &slow)), to_vec(energy(x.clone(), w.clone(), &slow)));
    let norm = |w: Tensor<3>| to_vec(energy_gradient(x.clone(), w, &slow).0.square().sum_dim(2).sqrt());
    let (g0, g1) = (norm(w_bar.clone()), norm(w.clone()));
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    assert!(mean(&e1) < mean(&e0), "energy {} -> {}", mean(&e0), mean(&e1));
    assert!(mean(&g1) < mean(&g0), "‖∇E‖ {} -> {}", mean(&g0), mean(&g1));
    let l: Vec<f64> = losses.into_iter().map(|t| to_vec(t)[0]).collect();
    assert!(l.last() < l.first(), "the writing loss falls: {l:?}");
    // Reversed order: the same fast weights (the write averages over the patterns).
    let reversed: Vec<f64> = (0..6).rev().flat_map(|i| pixels[i * 784..(i + 1) * 784].to_vec()).collect();
    let (w_rev, _) = model.write(f32_tensor(&reversed, [1, 6, 784]), true);
    let diff = to_vec(w.clone() - w_rev).iter().fold(0.0f64, |m, v| m.max(v.abs()));
    assert!(diff < 1e-5, "order changed W by {diff}");
    // Step sizes of exactly zero: W_T = W̄ bit for bit.
    let mut frozen = small_config().init(&dev);
    frozen.write_rates = burn::module::Param::from_tensor(Tensor::full([3], -1e4, &dev));
    let (w_frozen, _) = frozen.write(x, true);
    assert_eq!(to_vec(w_frozen), to_vec(frozen.w_init.val().unsqueeze_dim::<3>(0)));
}

/// The explorable form: a read never raises the energy, reports it, and the write reports its
/// losses.
#[test]
fn the_explorable_ebmm_reads_downhill() {
    use kanerva::data::{Corruption, Image};
    use kanerva::memory::{ReadPlan, read_iterations};
    use kanerva::model::TrainableModel;
    let dev = kanerva::backend::inference_device();
    let config = small_config();
    let mut memory = config.init(&dev).into_attractor("ebmm", config.clone(), dev);
    let data = train_images(8);
    let episode: Vec<Image> = (0..8).map(|i| data.binary_image(i)).collect();
    let report = memory.write(&episode).unwrap();
    assert!(report.terms.iter().any(|t| t.name.starts_with("writing loss")));
    for (i, item) in episode.iter().enumerate() {
        let query = Corruption::SaltPepper { p: 0.2 }.apply(item, i as u64);
        let iterates = read_iterations(memory.as_ref(), &query, &ReadPlan { iterations: 8, ..ReadPlan::default() }).unwrap();
        for pair in iterates.windows(2) {
            let (a, b) = (pair[0].evaluation.energy.unwrap(), pair[1].evaluation.energy.unwrap());
            assert!(b <= a + 1e-3 * a.abs().max(1.0), "energy rose {a} -> {b}");
        }
    }
    assert!(memory.sample(0).is_none(), "the EBMM is not generative");
    assert_eq!(memory.inspect().len(), 2);
}

#[test]
fn a_few_hundred_steps_lower_the_meta_training_loss() {
    check_training_lowers_the_bound::<Ebmm>(&small_config(), 150, 3e-3, 1.0);
}

#[test]
fn checkpoint_round_trip_gives_bit_identical_outputs_and_resume_continues_the_count() {
    check_round_trip::<Ebmm>(&small_config(), |m| {
        let mut out = to_vec(m.w_init.val());
        out.extend(to_vec(m.write_rates.val()));
        out
    });
}

#[test]
fn a_checkpoint_of_another_kind_or_config_or_a_damaged_one_is_refused_clearly() {
    check_refusals::<Ebmm, Dkm>(&small_config(), &small_config().with_hidden(32), "hidden", |config| config["hidden"] = 99.into());
}

#[test]
fn degenerate_configs_are_refused() {
    use kanerva::model::TrainableModel;
    for bad in [small_config().with_hidden(0), small_config().with_write_steps(0), small_config().with_read_steps(0), small_config().with_block_side(40), small_config().with_salt_pepper(1.5)] {
        assert!(Ebmm::check_config(&bad).is_err(), "{bad:?}");
    }
}

#[test]
fn a_non_finite_loss_stops_training_and_keeps_the_last_good_checkpoint() {
    check_non_finite_stop::<Ebmm>(&small_config());
}

#[test]
fn cancelling_stops_after_the_current_step_and_saves() {
    check_cancel::<Ebmm>(&small_config());
}
