//! The Product Kanerva Machine: its product memory against the single-machine maths and a dense
//! reference (f64), the model against the DKM it reduces to, learning, checkpoints, refusals.

mod common;

use burn::module::Param;
use burn::nn::{Linear, LinearConfig};
use burn::tensor::{Tensor, TensorData};
use common::dense::Mat;
use common::training::{binary_episodes, check_cancel, check_non_finite_stop, check_refusals, check_round_trip, check_training_lowers_the_bound, f32_tensor, to_vec, train_images};
use common::{batch_item, device, max_abs_diff, randn, t64, values};
use kanerva::backend::inference_device;
use kanerva::memory::dkm::{self, MemoryConfig, MemoryState, WriteMode};
use kanerva::memory::product::{kl_machines, per_machine, product_precision, product_prior, product_read, write_gated};
use kanerva::model::{Dkm, DkmConfig, Pkm, PkmConfig};
use kanerva::rng::SplitMix64;

const B: usize = 2;
const N: usize = 3;
const K: usize = 6;
const C: usize = 5;
const T: usize = 7;

fn config(noise_std: f64) -> MemoryConfig {
    MemoryConfig { slots: K, code_size: C, obs_noise_std: noise_std, ..MemoryConfig::default() }
}

/// Positive gates [B, T, n], each row summing to n.
fn gates(rng: &mut SplitMix64, n: usize) -> Tensor<3> {
    let mut v = Vec::new();
    for _ in 0..B * T {
        let raw: Vec<f64> = (0..n).map(|_| rng.normal().exp()).collect();
        let total: f64 = raw.iter().sum();
        v.extend(raw.iter().map(|g| g * n as f64 / total));
    }
    t64(v, [B, T, n], &device())
}

#[test]
fn one_machine_with_unit_gates_is_the_single_machine_memory() {
    let mut rng = SplitMix64::new(1);
    let dev = device();
    let cfg = config(0.7);
    let r0 = randn([K, C], &mut rng, &dev);
    let s = t64(vec![0.3], [1], &dev);
    let single = MemoryState::prior(r0.clone(), s.clone(), B);
    let product = product_prior(r0.clone().unsqueeze_dim::<3>(0), s.clone(), B);
    for (a, b) in [(&single.mean, &product.mean), (&single.cov, &product.cov)] {
        assert!(max_abs_diff(&values(a), &values(b)) < 1e-12);
    }
    let z = randn([B, T, C], &mut rng, &dev);
    let w = randn([B, T, K], &mut rng, &dev);
    let ones = t64(vec![1.0; B * T], [B, T, 1], &dev);
    let a = dkm::write_batched(single, z.clone(), w.clone(), &cfg);
    let b = write_gated(product, z, w.clone(), ones.clone(), &cfg);
    assert!(max_abs_diff(&values(&a.mean), &values(&b.mean)) < 1e-10);
    assert!(max_abs_diff(&values(&a.cov), &values(&b.cov)) < 1e-10);
    assert!(max_abs_diff(&values(&a.logdet_cov), &values(&b.logdet_cov)) < 1e-10);
    let read = dkm::read(w.clone(), a.mean.clone());
    assert!(max_abs_diff(&values(&read), &values(&product_read(dkm::read(w, b.mean.clone()), ones))) < 1e-10);
    let kl_single = dkm::kl_memory(&a, r0.clone(), s.clone());
    let kl_product = kl_machines(&b, r0.unsqueeze_dim::<3>(0), s);
    assert!(max_abs_diff(&values(&kl_single), &values(&kl_product)) < 1e-9);
}

/// Each machine's posterior is the Bayesian update at noise σ²/γ, computed here in the
/// information form: U' = (U⁻¹ + Σ_t γ_t w_t w_tᵀ / σ²)⁻¹, R' = U'(U⁻¹R + Σ_t γ_t w_t z_tᵀ / σ²).
#[test]
fn each_machine_is_the_bayesian_write_at_noise_sigma2_over_its_gate() {
    for seed in 0..5 {
        let mut rng = SplitMix64::new(seed);
        let dev = device();
        let noise = 0.5 + 0.3 * seed as f64;
        let cfg = config(noise);
        let prior = product_prior(randn([N, K, C], &mut rng, &dev), randn([N], &mut rng, &dev).mul_scalar(0.3), B);
        let z = randn([B, T, C], &mut rng, &dev);
        let w = randn([B * N, T, K], &mut rng, &dev);
        let g = gates(&mut rng, N);
        let post = write_gated(prior.clone(), z.clone(), w.clone(), g.clone(), &cfg);
        let gv = values(&g);
        for b in 0..B {
            let zb = batch_item(&z, b);
            for k in 0..N {
                let i = b * N + k;
                let (u, r, wk) = (batch_item(&prior.cov, i), batch_item(&prior.mean, i), batch_item(&w, i));
                let scale: Vec<f64> = (0..T).map(|t| gv[(b * T + t) * N + k] / (noise * noise)).collect();
                let weighted_w = Mat::new(T, K, (0..T * K).map(|j| wk.v[j] * scale[j / K]).collect());
                let u_post = u.inv().add(&wk.t().mul(&weighted_w)).inv();
                let r_post = u_post.mul(&u.inv().mul(&r).add(&weighted_w.t().mul(&zb)));
                assert!(max_abs_diff(&batch_item(&post.cov, i).v, &u_post.v) < 1e-9, "seed {seed}, machine {k}: U");
                assert!(max_abs_diff(&batch_item(&post.mean, i).v, &r_post.v) < 1e-9, "seed {seed}, machine {k}: R");
                let u_sym = batch_item(&post.cov, i);
                assert!(max_abs_diff(&u_sym.v, &u_sym.t().v) < 1e-12, "U stays symmetric");
                assert!(u_sym.sym_eigenvalues().into_iter().all(|e| e > -1e-10), "U stays PSD");
                assert!(u_sym.trace() <= u.trace() + 1e-12, "the trace never increases");
            }
        }
        assert!(values(&kl_machines(&post, randn([N, K, C], &mut SplitMix64::new(seed), &dev), t64(vec![0.0; N], [N], &dev))).iter().all(|&kl| kl >= -1e-9));
    }
}

#[test]
fn a_zero_gate_leaves_its_machine_unchanged() {
    let mut rng = SplitMix64::new(7);
    let dev = device();
    let cfg = config(1.0);
    let prior = product_prior(randn([N, K, C], &mut rng, &dev), t64(vec![0.1, -0.2, 0.0], [N], &dev), B);
    let mut gv = values(&gates(&mut rng, N));
    for row in gv.chunks_mut(N) {
        row[1] = 0.0;
    }
    let g = t64(gv, [B, T, N], &dev);
    let post = write_gated(prior.clone(), randn([B, T, C], &mut rng, &dev), randn([B * N, T, K], &mut rng, &dev), g, &cfg);
    for b in 0..B {
        let i = b * N + 1;
        assert_eq!(batch_item(&post.mean, i).v, batch_item(&prior.mean, i).v);
        assert_eq!(batch_item(&post.cov, i).v, batch_item(&prior.cov, i).v);
        assert!((values(&post.logdet_cov)[i] - values(&prior.logdet_cov)[i]).abs() < 1e-12);
    }
}

#[test]
fn the_product_read_is_the_gate_weighted_mean_with_summed_precision_and_ignores_machine_order() {
    let mut rng = SplitMix64::new(11);
    let dev = device();
    let cfg = config(0.8);
    let reads = randn([B * N, T, C], &mut rng, &dev);
    let g = gates(&mut rng, N);
    let (rv, gv) = (values(&reads), values(&g));
    let got = values(&product_read(reads.clone(), g.clone()));
    for b in 0..B {
        for t in 0..T {
            let total: f64 = (0..N).map(|k| gv[(b * T + t) * N + k]).sum();
            for c in 0..C {
                let want: f64 = (0..N).map(|k| gv[(b * T + t) * N + k] * rv[((b * N + k) * T + t) * C + c]).sum::<f64>() / total;
                assert!((got[(b * T + t) * C + c] - want).abs() < 1e-12);
            }
            assert!((values(&product_precision(g.clone(), &cfg))[b * T + t] - total / 0.64).abs() < 1e-9);
        }
    }
    // Permute the machines (reads and gates together): the same read.
    let perm = [2usize, 0, 1];
    let pr: Vec<f64> = (0..B).flat_map(|b| perm.iter().flat_map(move |&k| (0..T * C).map(move |j| (b, k, j)))).map(|(b, k, j)| rv[(b * N + k) * T * C + j]).collect();
    let pg: Vec<f64> = (0..B * T).flat_map(|bt| perm.iter().map(move |&k| (bt, k))).map(|(bt, k)| gv[bt * N + k]).collect();
    let permuted = values(&product_read(t64(pr, [B * N, T, C], &dev), t64(pg, [B, T, N], &dev)));
    assert!(max_abs_diff(&got, &permuted) < 1e-12);
    // Equal machines and equal gates: the single read.
    let same = per_machine(randn([B, T, C], &mut rng, &dev), N);
    let equal = t64(vec![1.0; B * T * N], [B, T, N], &dev);
    let one = values(&same.clone().reshape([B, N, T, C]).slice([0..B, 0..1, 0..T, 0..C]).reshape([B, T, C]));
    assert!(max_abs_diff(&values(&product_read(same, equal)), &one) < 1e-12);
}

fn small_config() -> PkmConfig {
    let mut c = PkmConfig::new().with_seed(3).with_sample_w_in_training(false).with_machines(3);
    c.memory.slots = 4;
    c.memory.code_size = 12;
    c
}

/// A small DKM (static write) and its config, and two episodes of 6 binary digits.
fn small_dkm_and_episodes() -> (DkmConfig, Dkm, Tensor<3>) {
    let dev = inference_device();
    let mut dkm_config = DkmConfig::new().with_seed(5).with_sample_w_in_training(false);
    dkm_config.memory.slots = 8;
    dkm_config.memory.code_size = 12;
    dkm_config.memory.write_mode = WriteMode::StaticBatched;
    let dkm: Dkm = dkm_config.init(&dev);
    let set = train_images(2 * 6);
    let x: Vec<f32> = set.pixels.iter().map(|&v| if v > 127 { 1.0 } else { 0.0 }).collect();
    (dkm_config, dkm, Tensor::<3>::from_data(TensorData::new(x, [2, 6, 784]), &dev))
}

/// A PKM of `machines` copies of the DKM's memory prior, its networks and `gate`.
fn pkm_around(dkm: &Dkm, machines: usize, gate: Linear) -> Pkm {
    Pkm {
        encoder: dkm.encoder.clone(),
        decoder: dkm.decoder.clone(),
        gate,
        prior_mean: Param::from_tensor(dkm.prior_mean.val().unsqueeze_dim::<3>(0).repeat_dim(0, machines)),
        prior_log_var: Param::from_tensor(dkm.prior_log_var.val().repeat_dim(0, machines)),
        log_w_std: Param::from_tensor(dkm.log_w_std.val()),
    }
}

fn close(name: &str, x: f64, y: f64) {
    assert!((x - y).abs() <= 1e-4 * x.abs().max(1.0), "{name}: DKM {x} vs PKM {y}");
}

/// With one machine the gate is 1, KL(c) and the balance term are 0, and the PKM is the DKM
/// (static write) with the same networks and prior.
#[test]
fn a_one_machine_pkm_is_the_dkm() {
    let (dkm_config, dkm, images) = small_dkm_and_episodes();
    let pkm_config = PkmConfig::new().with_machines(1).with_memory(dkm_config.memory.clone()).with_sample_w_in_training(false);
    let pkm = pkm_around(&dkm, 1, LinearConfig::new(12, 1).init(&inference_device()));
    let a = dkm.episode_terms(images.clone(), &dkm_config, false);
    let b = pkm.episode_terms(images, &pkm_config, false);
    let v = |t: Tensor<1>| to_vec(t)[0];
    close("-ELBO", v(a.nats_per_image), v(b.nats_per_image.clone()));
    close("recon", v(a.recon_nats), v(b.recon_nats.clone()));
    close("KL(w)", v(a.kl_addressing_nats), v(b.kl_addressing_nats.clone()));
    close("KL(M)", v(a.kl_memory_nats), v(b.kl_memory_nats.clone()));
    close("AE", v(a.ae_nats), v(b.ae_nats));
    assert!(v(b.kl_gate_nats.clone()).abs() < 1e-6 && v(b.usage_kl_nats).abs() < 1e-6);
    // The bound is the sum of its terms.
    let sum: f64 = [b.recon_nats, b.kl_addressing_nats, b.kl_gate_nats, b.kl_memory_nats].into_iter().map(v).sum();
    assert!((sum - v(b.nats_per_image)).abs() < 1e-3);
}

/// With gates that sum to 1 and are one-hot (machine 0 takes every item), the PKM is the
/// single-machine DKM plus KL(c) = ln N: the chosen machine is written at the DKM's noise, the
/// other is left at its prior (KL 0), and the enumerated bound reads the chosen machine alone.
#[test]
fn a_one_hot_gate_gives_the_single_machine_dkms_terms_plus_ln_n() {
    let dev = inference_device();
    let (dkm_config, dkm, images) = small_dkm_and_episodes();
    let pkm_config = PkmConfig::new().with_machines(2).with_memory(dkm_config.memory.clone()).with_sample_w_in_training(false).with_gates_sum_to_one(Some(true));
    let mut gate = LinearConfig::new(12, 2).init(&dev);
    gate.weight = Param::from_tensor(Tensor::zeros([12, 2], &dev));
    gate.bias = Some(Param::from_tensor(Tensor::from_data(TensorData::new(vec![60.0f32, -60.0], [2]), &dev)));
    let pkm = pkm_around(&dkm, 2, gate);
    let a = dkm.episode_terms(images.clone(), &dkm_config, false);
    let b = pkm.episode_terms(images, &pkm_config, false);
    let v = |t: Tensor<1>| to_vec(t)[0];
    close("recon", v(a.recon_nats), v(b.recon_nats));
    close("KL(w)", v(a.kl_addressing_nats), v(b.kl_addressing_nats));
    close("KL(M)", v(a.kl_memory_nats), v(b.kl_memory_nats));
    close("AE", v(a.ae_nats), v(b.ae_nats));
    close("KL(c) = ln 2", 2f64.ln(), v(b.kl_gate_nats));
    close("-ELBO + ln 2", v(a.nats_per_image) + 2f64.ln(), v(b.nats_per_image));
}

#[test]
fn usage_shares_sum_to_one_and_the_terms_add_up() {
    let dev = inference_device();
    let config = small_config();
    let model = config.init(&dev);
    let terms = model.episode_terms(binary_episodes(2, 8), &config, false);
    let usage = to_vec(terms.machine_usage);
    assert_eq!(usage.len(), 3);
    assert!((usage.iter().sum::<f64>() - 1.0).abs() < 1e-5, "{usage:?}");
    let parts: f64 = [terms.recon_nats, terms.kl_addressing_nats, terms.kl_gate_nats.clone(), terms.kl_memory_nats].into_iter().map(|t| to_vec(t)[0]).sum();
    assert!((parts - to_vec(terms.nats_per_image.clone())[0]).abs() < 1e-3);
    let kl_c = to_vec(terms.kl_gate_nats)[0];
    assert!((0.0..=3f64.ln() + 1e-6).contains(&kl_c), "KL(c) in [0, ln N]: {kl_c}");
    let loss = to_vec(terms.loss)[0];
    let want = to_vec(terms.nats_per_image)[0] + config.ae_weight * to_vec(terms.ae_nats)[0] + config.balance_weight * to_vec(terms.usage_kl_nats)[0];
    assert!((loss - want).abs() <= 1e-4 * want.abs(), "loss {loss} vs {want}");
}

#[test]
fn a_few_hundred_steps_on_a_small_subset_lower_the_loss() {
    check_training_lowers_the_bound::<Pkm>(&small_config(), 300, 1e-3, 100.0);
}

#[test]
fn checkpoint_round_trip_gives_bit_identical_outputs_and_resume_continues_the_count() {
    let data = train_images(4);
    let x: Vec<f64> = data.pixels.iter().map(|&v| v as f64 / 255.0).collect();
    check_round_trip::<Pkm>(&small_config(), |m| {
        let mut out = to_vec(m.encoder.forward(f32_tensor(&x, [4, 784])));
        out.extend(to_vec(m.prior_mean.val()));
        out
    });
}

#[test]
fn a_checkpoint_of_another_kind_or_config_or_a_damaged_one_is_refused_clearly() {
    let other = small_config().with_machines(5);
    check_refusals::<Pkm, Dkm>(&small_config(), &other, "machines", |config| config["memory"]["code_size"] = 99.into());
}

#[test]
fn degenerate_configs_are_refused_before_anything_is_built() {
    use kanerva::model::TrainableModel;
    for bad in [small_config().with_machines(0), small_config().with_gate_temperature(0.0), small_config().with_balance_weight(-1.0), small_config().with_machines(1 << 20), small_config().with_scored_machines(Some(0)), small_config().with_scored_machines(Some(4))] {
        assert!(Pkm::check_config(&bad).is_err(), "{bad:?}");
    }
    assert!(Pkm::check_config(&small_config()).is_ok() && Pkm::check_config(&small_config().with_scored_machines(Some(2))).is_ok());
}

#[test]
fn a_non_finite_loss_stops_training_and_keeps_the_last_good_checkpoint() {
    check_non_finite_stop::<Pkm>(&small_config());
}

#[test]
fn cancelling_stops_after_the_current_step_and_saves() {
    check_cancel::<Pkm>(&small_config());
}

/// The explorable form reads, reports its gates and usage, and samples.
#[test]
fn the_explorable_pkm_writes_reads_inspects_and_samples() {
    use kanerva::data::{Corruption, Image};
    use kanerva::memory::{Panel, ReadPlan, read_iterations};
    use kanerva::model::TrainableModel;
    let dev = inference_device();
    let config = small_config();
    let mut memory = config.init(&dev).into_attractor("pkm", config.clone(), dev);
    let data = train_images(8);
    let episode: Vec<Image> = (0..8).map(|i| data.binary_image(i)).collect();
    let report = memory.write(&episode).unwrap();
    assert!(report.terms[0].value > 0.0, "KL(M) of a write is positive");
    let query = Corruption::SaltPepper { p: 0.1 }.apply(&episode[0], 1);
    let iterates = read_iterations(memory.as_ref(), &query, &ReadPlan { iterations: 3, ..ReadPlan::default() }).unwrap();
    assert_eq!(iterates.len(), 4);
    let e = &iterates[0].evaluation;
    let parts: f64 = e.terms.iter().map(|t| t.value).sum();
    assert!((e.energy.unwrap() - parts).abs() < 1e-6, "the energy is the sum of its terms");
    assert_eq!(e.weights.as_ref().unwrap().len(), 3 * 4, "every machine's address");
    assert_eq!(e.parts.len(), 3, "each machine's own read");
    let panels = memory.inspect();
    // First, which machine each stored item went to: every item in exactly one machine's panel.
    let mut assigned = Vec::new();
    for (m, panel) in panels[..3].iter().enumerate() {
        let Panel::Images { title, images } = panel else { panic!("machine {m}'s items first") };
        assert!(title.starts_with(&format!("machine {m}")), "{title}");
        assigned.extend(images.iter().cloned());
    }
    assert_eq!(assigned.len(), 8);
    assert!(episode.iter().all(|item| assigned.contains(item)), "every stored item is shown under its machine");
    let Panel::Heatmap { rows, cols, values, .. } = &panels[3] else { panic!("then the gate matrix") };
    assert_eq!((*rows, *cols), (8, 3));
    for row in values.chunks(3) {
        assert!((row.iter().sum::<f32>() - 3.0).abs() < 1e-4, "each item's gates sum to N");
    }
    let Panel::Heatmap { values: usage, .. } = &panels[4] else { panic!("then usage") };
    assert!((usage.iter().sum::<f32>() - 1.0).abs() < 1e-4);
    let sample = memory.generator().expect("the PKM is generative").sample(3).unwrap();
    assert_eq!((sample.rows, sample.cols), (28, 28));
}
