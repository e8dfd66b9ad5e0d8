//! The EBMM: its closed-form gradients against finite differences (f64), the read's descent,
//! what a write does to the stored patterns, permutation invariance, learning, checkpoints.

mod common;

use burn::tensor::Tensor;
use common::training::{check_cancel, check_non_finite_stop, check_refusals, check_round_trip, f32_tensor, to_vec, train_images};
use common::{device, randn, t64, values};
use kanerva::model::ebmm::{Fast, Slow, energy, energy_gradient, responsibilities, writing_gradient, writing_loss};
use kanerva::model::{Dkm, Ebmm, EbmmConfig};
use kanerva::rng::SplitMix64;

const B: usize = 2;
const N: usize = 3;
const H: usize = 4;
const D: usize = 6;

fn slow(rng: &mut SplitMix64, lambda: f64, beta: f64, rho: f64) -> Slow {
    let dev = device();
    Slow { center: randn([D], rng, &dev), lambda: t64(vec![lambda], [1], &dev), beta: t64(vec![beta], [1], &dev), rho: t64(vec![rho], [1], &dev), kappa: t64(vec![2.0], [1], &dev) }
}

fn fast(w: Tensor<3>, rng: &mut SplitMix64) -> Fast {
    let [b, h, _] = w.dims();
    let bias = randn([b, h, 1], rng, &device()).reshape([b, h]);
    Fast { w, bias }
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
    let s = slow(&mut rng, 0.7, 1.3, 0.2);
    let x = unit([B, N, D], &mut rng);
    let f = fast(randn([B, H, D], &mut rng, &device()), &mut rng);
    let w_bar = randn([B, H, D], &mut rng, &device());
    let h = 1e-6;
    // ∇_x E.
    let (g, _) = energy_gradient(x.clone(), &f, &s);
    let g = values(&g);
    for i in 0..B * N * D {
        let e = |x: Tensor<3>| values(&energy(x, &f, &s)).iter().sum::<f64>();
        let fd = (e(perturbed(&x, i, h)) - e(perturbed(&x, i, -h))) / (2.0 * h);
        assert!((fd - g[i]).abs() < 1e-6 * fd.abs().max(1.0), "∇x E[{i}]: {fd} vs {}", g[i]);
    }
    // ∇_W of the writing loss (the items' energies and the pull towards W̄ together).
    let (grad, mass) = writing_gradient(x.clone(), &f, w_bar.clone(), &s, None);
    let grad = values(&grad);
    for i in 0..B * H * D {
        let loss = |w: Tensor<3>| values(&writing_loss(x.clone(), &Fast { w, bias: f.bias.clone() }, w_bar.clone(), &s)).iter().sum::<f64>();
        let fd = (loss(perturbed(&f.w, i, h)) - loss(perturbed(&f.w, i, -h))) / (2.0 * h);
        assert!((fd - grad[i]).abs() < 1e-6 * fd.abs().max(1.0), "∇W 𝒲[{i}]: {fd} vs {}", grad[i]);
    }
    // Each row's mass: the sum of its responsibilities over the items.
    let p = values(&responsibilities(x, &f, &s));
    let mass = values(&mass);
    for e in 0..B {
        for j in 0..H {
            let sum: f64 = (0..N).map(|i| p[(e * N + i) * H + j]).sum();
            assert!((mass[e * H + j] - sum).abs() < 1e-12);
        }
    }
}

/// Projected steps with γ ≤ 1/(1 + λ) never raise the energy, however sharp the responsibilities
/// (β up to 50) and however large the weights: the step minimises a majoriser of E (the energy
/// is a convex quadratic plus a concave part), so this is certain, not estimated.
#[test]
fn reads_with_a_step_under_the_convex_parts_inverse_curvature_descend_the_energy() {
    for seed in 0..20 {
        let mut rng = SplitMix64::new(seed);
        let lambda = 0.01 + rng.next_f64();
        let beta = 0.1 + 50.0 * rng.next_f64();
        let s = slow(&mut rng, lambda, beta, 0.1);
        let w = fast(randn([1, H, D], &mut rng, &device()).mul_scalar(1.0 + 5.0 * rng.next_f64()), &mut rng);
        let gamma = (0.2 + 0.8 * rng.next_f64()) / (1.0 + lambda);
        let mut x = unit([1, 8, D], &mut rng);
        for _ in 0..30 {
            let before = values(&energy(x.clone(), &w, &s));
            let (g, _) = energy_gradient(x.clone(), &w, &s);
            x = (x - g.mul_scalar(gamma)).clamp(0.0, 1.0);
            let after = values(&energy(x.clone(), &w, &s));
            for (a, b) in after.iter().zip(&before) {
                assert!(a <= &(b + 1e-9 * b.abs().max(1.0)), "seed {seed}: energy rose {b} -> {a}");
            }
        }
    }
}

fn small_config() -> EbmmConfig {
    EbmmConfig::new().with_hidden(16).with_write_steps(3).with_read_steps(4).with_seed(2)
}

fn binary_items(n: usize) -> (Vec<f64>, Tensor<3>) {
    let data = train_images(n);
    let pixels: Vec<f64> = data.pixels.iter().map(|&v| if v > 127 { 1.0 } else { 0.0 }).collect();
    let x = f32_tensor(&pixels, [1, n, 784]);
    (pixels, x)
}

/// An untrained EBMM (W̄ near the mean image, β = 1, step η = 1): a write lowers the stored
/// items' energy and the writing loss at every step; one stored item becomes a fixed point of
/// the read (the read returns it exactly, thresholded); the write ignores the items' order;
/// zero step sizes leave W̄ bit for bit.
#[test]
fn writing_moves_rows_onto_the_stored_items_and_ignores_their_order() {
    let dev = kanerva::backend::inference_device();
    let model = small_config().init(&dev);
    let (pixels, x) = binary_items(6);
    let ws = model.write_steps(x.clone());
    let slow = model.slow();
    let w_bar = ws[0].w.clone();
    let mean = |v: Vec<f64>| v.iter().sum::<f64>() / v.len() as f64;
    let energies: Vec<f64> = ws.iter().map(|f| mean(to_vec(energy(x.clone(), f, &slow)))).collect();
    let losses: Vec<f64> = ws.iter().map(|f| to_vec(writing_loss(x.clone(), f, w_bar.clone(), &slow))[0]).collect();
    for pair in losses.windows(2) {
        assert!(pair[1] < pair[0], "the writing loss falls at every step: {losses:?}");
    }
    assert!(energies.last() < energies.first(), "stored energy {energies:?}");
    let written = ws.last().unwrap().clone();
    // Reversed order: the same fast weights.
    let reversed: Vec<f64> = (0..6).rev().flat_map(|i| pixels[i * 784..(i + 1) * 784].to_vec()).collect();
    let w_rev = model.write(f32_tensor(&reversed, [1, 6, 784]));
    let diff = to_vec(written.w.clone() - w_rev.w).iter().chain(&to_vec(written.bias.clone() - w_rev.bias)).fold(0.0f64, |m, v| m.max(v.abs()));
    assert!(diff < 1e-4, "order changed the fast weights by {diff} (f32 sums in another order)");
    // A partial write (the first two items weighted 1, the rest 0) is the write of those two.
    let mask = f32_tensor(&[1.0, 1.0, 0.0, 0.0, 0.0, 0.0], [1, 6, 1]);
    let part = model.write_part(x.clone(), Some(mask)).pop().unwrap();
    let two = model.write(x.clone().slice([0..1, 0..2, 0..784]));
    let diff = to_vec(part.w - two.w).iter().chain(&to_vec(part.bias - two.bias)).fold(0.0f64, |m, v| m.max(v.abs()));
    assert!(diff < 1e-4, "the masked write differs from the write of the prefix by {diff}");
    // One item: the read from the item itself stays on it.
    let one = x.clone().slice([0..1, 0..1, 0..784]);
    let w_one = model.write(one.clone());
    let read = to_vec(model.read(one.clone(), &w_one, 10));
    let wrong = read.iter().zip(&pixels[..784]).filter(|(r, p)| (**r >= 0.5) != (**p >= 0.5)).count();
    assert_eq!(wrong, 0, "one stored item is a fixed point of the read");
    // Step sizes of exactly zero: W_T = W̄ bit for bit (the offsets still mark the claimed rows).
    let mut frozen = small_config().init(&dev);
    frozen.write_rates = burn::module::Param::from_tensor(Tensor::full([3], -1e4, &dev));
    assert_eq!(to_vec(frozen.write(x).w), to_vec(frozen.w_init.val().unsqueeze_dim::<3>(0)));
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
    assert!(memory.generator().is_none(), "the EBMM is not generative");
    let panels = memory.inspect();
    assert!(matches!(&panels[0], kanerva::memory::Panel::Curves { lines, .. } if lines.len() == 8 && lines.iter().all(|(_, e)| e.len() == 4)), "the write's curves: one per item, W̄ and three steps");
}

/// Meta-training did something: the shipped Omniglot EBMM's loss (the read's BCE) on Omniglot-free
/// episodes (embedded MNIST test digits) lies well below that of the same configuration
/// untrained, with the same corruptions and loads (the device's random stream seeded alike).
/// (Short runs of a small configuration are no test: the loss of one batch is dominated by the
/// rare item that falls into the wrong valley, and 400 steps move it less than that noise.)
#[test]
fn meta_training_lowered_the_shipped_models_loss() {
    use kanerva::model::TrainableModel;
    let dev = kanerva::backend::inference_device();
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/ebmm_omniglot.ckpt");
    let file = kanerva::train::CheckpointFile::read(&path).unwrap();
    let (config, trained) = file.load::<Ebmm>(&dev).unwrap();
    let set = kanerva::data::Embedded::MnistTest.load().unwrap();
    let x: Vec<f64> = set.pixels[..16 * 32 * 784].iter().map(|&v| if v > 127 { 1.0 } else { 0.0 }).collect();
    let episodes = f32_tensor(&x, [16, 32, 784]);
    let loss = |model: &Ebmm| {
        dev.seed(7);
        to_vec(model.meta_terms(episodes.clone(), &config).read_bce_nats)[0]
    };
    let (untrained, shipped) = (loss(&Ebmm::init(&config, &dev)), loss(&trained));
    eprintln!("read BCE: untrained {untrained:.3}, shipped {shipped:.3} nats per image");
    assert!(shipped < untrained - 2.0, "untrained {untrained}, shipped {shipped}");
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
