//! Kanerva++: the block read (identity, translation, gradients by finite differences in f64),
//! the write's determinism and order invariance, the KL terms, learning, checkpoints.

mod common;

use burn::tensor::{Tensor, TensorData};
use common::training::{check_cancel, check_non_finite_stop, check_refusals, check_round_trip, check_training_lowers_the_bound, f32_tensor, to_vec, train_images};
use common::{device, randn, t64, values};
use kanerva::model::block_read::read_block;
use kanerva::model::kpp::Gaussian;
use kanerva::model::{Dkm, Kpp, KppConfig};
use kanerva::rng::SplitMix64;

const S: usize = 6;
const C: usize = 2;

fn scalar(v: f64) -> Tensor<1> {
    t64(vec![v], [1], &device())
}

#[test]
fn the_full_window_at_scale_one_is_the_memory() {
    let memory = randn([1, C, S, S], &mut SplitMix64::new(1), &device());
    let crop = read_block(memory.clone(), scalar(1.0), scalar(0.0), scalar(0.0), S);
    let diff = values(&crop).iter().zip(values(&memory)).fold(0.0f64, |m, (a, b)| m.max((a - b).abs()));
    assert!(diff < 1e-12, "{diff}");
}

#[test]
fn a_shift_of_one_cell_moves_the_block_by_one_cell() {
    let memory = randn([1, C, S, S], &mut SplitMix64::new(2), &device());
    let cell = 2.0 / (S as f64 - 1.0);
    let (k, scale) = (3, 2.0 / (S as f64 - 1.0)); // a 3-cell window at cell spacing
    let base = values(&read_block(memory.clone(), scalar(scale), scalar(0.0), scalar(0.0), k));
    let right = values(&read_block(memory.clone(), scalar(scale), scalar(cell), scalar(0.0), k));
    let down = values(&read_block(memory, scalar(scale), scalar(0.0), scalar(cell), k));
    for c in 0..C {
        for i in 0..k {
            for j in 0..k - 1 {
                // Shifting right by one cell: column j + 1 of the base is column j of the shift.
                assert!((right[(c * k + i) * k + j] - base[(c * k + i) * k + j + 1]).abs() < 1e-12);
            }
        }
        for i in 0..k - 1 {
            for j in 0..k {
                assert!((down[(c * k + i) * k + j] - base[(c * k + i + 1) * k + j]).abs() < 1e-12);
            }
        }
    }
}

/// The write places a block with the read's own weights: ⟨read(M), c⟩ = ⟨M, write(c)⟩.
#[test]
fn the_block_write_is_the_adjoint_of_the_block_read() {
    use kanerva::model::block_read::write_block;
    let mut rng = SplitMix64::new(5);
    let memory = randn([1, C, S, S], &mut rng, &device());
    let block = randn([1, C, 3, 3], &mut rng, &device());
    let (s, x, y) = (scalar(0.61), scalar(-0.2), scalar(0.33));
    let lhs: f64 = values(&read_block(memory.clone(), s.clone(), x.clone(), y.clone(), 3)).iter().zip(values(&block)).map(|(a, b)| a * b).sum();
    let rhs: f64 = values(&memory).iter().zip(values(&write_block(block, s, x, y, S))).map(|(a, b)| a * b).sum();
    assert!((lhs - rhs).abs() < 1e-10, "{lhs} vs {rhs}");
}

/// ∂ crop / ∂ (memory, scale, shifts) by autodiff against central differences, in f64, at a
/// window whose samples fall between cells.
#[test]
fn block_read_gradients_match_finite_differences() {
    let dev = device().autodiff();
    let mut rng = SplitMix64::new(3);
    let memory = values(&randn([1, C, S, S], &mut rng, &device()));
    let weights = values(&randn([1, C, 3, 3], &mut rng, &device()));
    let (s0, x0, y0) = (0.53, 0.117, -0.231);
    let loss = |m: &[f64], s: f64, x: f64, y: f64| -> f64 {
        let crop = read_block(t64(m.to_vec(), [1, C, S, S], &device()), scalar(s), scalar(x), scalar(y), 3);
        values(&crop).iter().zip(&weights).map(|(a, w)| a * w).sum()
    };
    let t = |v: Vec<f64>, shape: [usize; 1]| Tensor::<1>::from_data(TensorData::new(v, shape), (&dev, burn::tensor::DType::F64)).require_grad();
    let m = Tensor::<4>::from_data(TensorData::new(memory.clone(), [1, C, S, S]), (&dev, burn::tensor::DType::F64)).require_grad();
    let (s, x, y) = (t(vec![s0], [1]), t(vec![x0], [1]), t(vec![y0], [1]));
    let w = Tensor::<4>::from_data(TensorData::new(weights.clone(), [1, C, 3, 3]), (&dev, burn::tensor::DType::F64));
    let grads = (read_block(m.clone(), s.clone(), x.clone(), y.clone(), 3) * w).sum().backward();
    let grad = |p: &Tensor<1>| values(&p.grad(&grads).unwrap())[0];
    let h = 1e-6;
    for (name, got, fd) in [
        ("scale", grad(&s), (loss(&memory, s0 + h, x0, y0) - loss(&memory, s0 - h, x0, y0)) / (2.0 * h)),
        ("shift x", grad(&x), (loss(&memory, s0, x0 + h, y0) - loss(&memory, s0, x0 - h, y0)) / (2.0 * h)),
        ("shift y", grad(&y), (loss(&memory, s0, x0, y0 + h) - loss(&memory, s0, x0, y0 - h)) / (2.0 * h)),
    ] {
        assert!((got - fd).abs() < 1e-6 * fd.abs().max(1.0), "{name}: autodiff {got} vs finite differences {fd}");
    }
    let gm = values(&m.grad(&grads).unwrap());
    for i in 0..C * S * S {
        let (mut up, mut down) = (memory.clone(), memory.clone());
        up[i] += h;
        down[i] -= h;
        let fd = (loss(&up, s0, x0, y0) - loss(&down, s0, x0, y0)) / (2.0 * h);
        assert!((gm[i] - fd).abs() < 1e-6 * fd.abs().max(1.0), "memory[{i}]: {} vs {fd}", gm[i]);
    }
}

#[test]
fn gaussian_kls_are_non_negative_and_zero_at_equality() {
    let mut rng = SplitMix64::new(4);
    let g = |rng: &mut SplitMix64| Gaussian { mean: randn([5, 3], rng, &device()), log_std: randn([5, 3], rng, &device()).mul_scalar(0.3) };
    let (p, q) = (g(&mut rng), g(&mut rng));
    assert!(values(&p.kl(&q)).iter().all(|&k| k > 0.0));
    assert!(values(&p.kl(&p)).iter().all(|&k| k.abs() < 1e-12));
    // Against the closed form by hand for the first row.
    let (pm, ps, qm, qs) = (values(&p.mean), values(&p.log_std), values(&q.mean), values(&q.log_std));
    let hand: f64 = (0..3).map(|d| qs[d] - ps[d] + ((2.0 * ps[d]).exp() + (pm[d] - qm[d]).powi(2)) / (2.0 * (2.0 * qs[d]).exp()) - 0.5).sum();
    assert!((values(&p.kl(&q))[0] - hand).abs() < 1e-12);
}

fn small_config() -> KppConfig {
    KppConfig::new().with_feature_size(24).with_code_size(8).with_memory_channels(4).with_memory_side(6).with_window(3).with_seed(2)
}

#[test]
fn the_write_is_deterministic_and_ignores_the_order_of_the_episode() {
    let dev = kanerva::backend::inference_device();
    let config = small_config();
    let model = config.init(&dev);
    let data = train_images(5);
    let pixels: Vec<f64> = data.pixels.iter().map(|&v| if v > 127 { 1.0 } else { 0.0 }).collect();
    let features = |px: &[f64]| model.encoder.forward(f32_tensor(px, [5, 784])).reshape([1, 5, 24]);
    let a = to_vec(model.write(features(&pixels), &config));
    assert_eq!(a, to_vec(model.write(features(&pixels), &config)), "the same episode, the same memory, bit for bit");
    let reversed: Vec<f64> = (0..5).rev().flat_map(|i| pixels[i * 784..(i + 1) * 784].to_vec()).collect();
    let b = to_vec(model.write(features(&reversed), &config));
    let diff = a.iter().zip(&b).fold(0.0f64, |m, (x, y)| m.max((x - y).abs()));
    assert!(diff < 1e-5, "order changed M by {diff}");
}

#[test]
fn the_bound_is_the_sum_of_its_terms_and_each_kl_is_non_negative() {
    let dev = kanerva::backend::inference_device();
    let config = small_config();
    let model = config.init(&dev);
    let set = train_images(12);
    let x: Vec<f32> = set.pixels.iter().map(|&v| if v > 127 { 1.0 } else { 0.0 }).collect();
    for sampled in [false, true] {
        let t = model.episode_terms(Tensor::<3>::from_data(TensorData::new(x.clone(), [2, 6, 784]), &dev), &config, sampled);
        let (total, recon, kl_z, kl_y) = (to_vec(t.nats_per_image)[0], to_vec(t.recon_nats)[0], to_vec(t.kl_code_nats)[0], to_vec(t.kl_key_nats)[0]);
        assert!((total - (recon + kl_z + kl_y)).abs() < 1e-3, "{total} vs {recon} + {kl_z} + {kl_y}");
        assert!(kl_z >= 0.0 && kl_y >= 0.0 && recon > 0.0);
    }
}

#[test]
fn the_explorable_kpp_reads_samples_and_shows_its_windows() {
    use kanerva::data::{Corruption, Image};
    use kanerva::memory::{Panel, ReadPlan, read_iterations};
    use kanerva::model::TrainableModel;
    let dev = kanerva::backend::inference_device();
    let config = small_config();
    let mut memory = config.init(&dev).into_attractor("kpp", config.clone(), dev);
    let data = train_images(8);
    let episode: Vec<Image> = (0..8).map(|i| data.binary_image(i)).collect();
    memory.write(&episode).unwrap();
    let query = Corruption::SaltPepper { p: 0.1 }.apply(&episode[0], 1);
    let iterates = read_iterations(memory.as_ref(), &query, &ReadPlan { iterations: 2, ..ReadPlan::default() }).unwrap();
    let e = &iterates[0].evaluation;
    assert!((e.energy.unwrap() - e.terms.iter().map(|t| t.value).sum::<f64>()).abs() < 1e-6);
    assert_eq!(e.weights.as_ref().unwrap().len(), 3, "the window: scale and shift");
    let Panel::Heatmap { values, rows, .. } = &memory.inspect()[0] else { panic!("the windows first") };
    assert_eq!(*rows, 6);
    assert!(values.iter().sum::<f32>() >= 8.0, "every stored item's window covers a cell at least");
    assert!(memory.generator().expect("K++ is generative").sample(1).is_ok());
}

#[test]
fn a_few_hundred_steps_on_a_small_subset_lower_the_loss() {
    check_training_lowers_the_bound::<Kpp>(&small_config(), 200, 1e-3, 50.0);
}

#[test]
fn checkpoint_round_trip_gives_bit_identical_outputs_and_resume_continues_the_count() {
    let data = train_images(4);
    let x: Vec<f64> = data.pixels.iter().map(|&v| v as f64 / 255.0).collect();
    check_round_trip::<Kpp>(&small_config(), |m| to_vec(m.encoder.forward(f32_tensor(&x, [4, 784]))));
}

#[test]
fn a_checkpoint_of_another_kind_or_config_or_a_damaged_one_is_refused_clearly() {
    check_refusals::<Kpp, Dkm>(&small_config(), &small_config().with_window(2), "window", |config| config["memory_channels"] = 9.into());
}

#[test]
fn degenerate_configs_are_refused() {
    use kanerva::model::TrainableModel;
    for bad in [small_config().with_window(0), small_config().with_memory_side(0), small_config().with_min_scale(0.0), small_config().with_code_size(1 << 30)] {
        assert!(Kpp::check_config(&bad).is_err(), "{bad:?}");
    }
}

#[test]
fn a_non_finite_loss_stops_training_and_keeps_the_last_good_checkpoint() {
    check_non_finite_stop::<Kpp>(&small_config());
}

#[test]
fn cancelling_stops_after_the_current_step_and_saves() {
    check_cancel::<Kpp>(&small_config());
}

/// The importance-weighted bound from proper log weights: with one sample it is the −ELBO (in
/// expectation; here averaged over 64 images), and more samples tighten it.
#[test]
fn the_importance_weighted_bound_starts_at_the_elbo_and_tightens() {
    use kanerva::eval::{evaluate_elbo, evaluate_importance_weighted};
    use kanerva::train::{Trained, standard_test_episodes};
    let dev = kanerva::backend::inference_device();
    let config = small_config();
    let model = Trained::<Kpp> { model: config.init(&dev), config: config.clone() };
    let data = train_images(64);
    dev.seed(1);
    let elbo = evaluate_elbo(&model, &data, 8, 8, true, &dev).headline();
    let iwae_1 = evaluate_importance_weighted(&model, &data, &standard_test_episodes(&data, 8, 8), 1, &dev).unwrap();
    let iwae_20 = evaluate_importance_weighted(&model, &data, &standard_test_episodes(&data, 8, 8), 20, &dev).unwrap();
    assert!((iwae_1 - elbo).abs() < 0.02 * elbo, "IWAE_1 {iwae_1} vs −ELBO {elbo}");
    assert!(iwae_20 < iwae_1, "IWAE_20 {iwae_20} should be below IWAE_1 {iwae_1}");
}
