//! The Kanerva Machine: loss terms against a hand computation, learning, checkpoints,
//! refusals, NaN stops, and its explorable form agreeing with the bound.

mod common;

use burn::tensor::Tensor;
use common::dense::{Mat, gaussian_kl};
use common::training::{bce, check_cancel, check_non_finite_stop, check_refusals, check_round_trip, check_training_lowers_the_bound, f32_tensor, to_vec, train_images, vec_cols};
use kanerva::backend::inference_device;
use kanerva::data::Image;
use kanerva::memory::{AttractorMemory, ReadUpdate};
use kanerva::model::{Dkm, Km, KmConfig, KmAttractor};

fn small_config() -> KmConfig {
    let mut c = KmConfig::new().with_seed(5).with_address_size(6).with_hidden_size(16);
    c.memory.slots = 8;
    c.memory.code_size = 12;
    c
}

fn binary_episode(b: usize, t: usize) -> Vec<f32> {
    train_images(b * t).pixels.iter().map(|&v| if v > 127 { 1.0 } else { 0.0 }).collect()
}

fn diag(values: &[f64]) -> Mat {
    let mut m = Mat::eye(values.len());
    for (i, v) in values.iter().enumerate() {
        m.set(i, i, *v);
    }
    m
}

#[test]
fn episode_terms_match_a_hand_computation_in_f64() {
    let dev = inference_device();
    let config = small_config();
    let model = config.init(&dev);
    let (b, t, k, c, s) = (2, 5, 8, 12, 6);
    let x = binary_episode(b, t);
    let images = Tensor::<3>::from_data(burn::tensor::TensorData::new(x.clone(), [b, t, 784]), &dev);
    let terms = model.episode_terms(images.clone(), &config, false);

    // Networks through the model; addressing, write, read and every KL in dense f64.
    let features = model.encoder.forward(images.reshape([b * t, 784]));
    let q_y = model.addressing_posterior(features.clone());
    let (mu_y, log_sy) = (to_vec(q_y.mean), to_vec(q_y.log_std));
    let keys = Mat::new(s, k, to_vec(model.keys.val()));
    let r0 = Mat::new(k, c, to_vec(model.prior_mean.val()));
    let u0 = to_vec(model.prior_log_var.val())[0].exp() + 1e-6;
    let (mut recon, mut kl_z, mut kl_y, mut kl_m) = (0.0, 0.0, 0.0, 0.0);
    for e in 0..b {
        let rows = e * t..(e + 1) * t;
        let h = features.clone().slice([rows.clone(), 0..c]);
        let w = Mat::new(t, s, mu_y[e * t * s..(e + 1) * t * s].to_vec()).mul(&keys).scale(1.0 / (s as f64).sqrt());
        let prior_read = w.mul(&r0);
        let z = Mat::new(t, c, to_vec(model.code_posterior(h.clone(), f32_tensor(&prior_read.v, [t, c])).mean));
        // σξ = 1: U = (U0⁻¹ + WᵀW)⁻¹, R = U (U0⁻¹ R0 + WᵀZ).
        let u_post = Mat::eye(k).scale(1.0 / u0).add(&w.t().mul(&w)).inv();
        let r_post = u_post.mul(&r0.scale(1.0 / u0).add(&w.t().mul(&z)));
        let read = w.mul(&r_post);
        let q_z = model.code_posterior(h, f32_tensor(&read.v, [t, c]));
        let (mu_z, log_sz) = (to_vec(q_z.mean.clone()), to_vec(q_z.log_std));
        let logits = to_vec(model.decoder.forward(q_z.mean));
        for i in 0..t {
            let item = e * t + i;
            recon += bce(&logits[i * 784..(i + 1) * 784], &x[item * 784..(item + 1) * 784]);
            let code = |v: &[f64]| v[i * c..(i + 1) * c].to_vec();
            let wi = Mat::new(1, k, w.v[i * k..(i + 1) * k].to_vec());
            let read_var = wi.mul(&u_post).mul(&wi.t()).at(0, 0);
            let var_z: Vec<f64> = code(&log_sz).iter().map(|l| (2.0 * l).exp()).collect();
            // E over M of the Gaussian KL = the KL against the mean read + C·wᵀUw/(2σξ²).
            kl_z += gaussian_kl(&code(&mu_z), &diag(&var_z), &read.v[i * c..(i + 1) * c], &Mat::eye(c)) + c as f64 * read_var / 2.0;
            let var_y: Vec<f64> = log_sy[item * s..(item + 1) * s].iter().map(|l| (2.0 * l).exp()).collect();
            kl_y += gaussian_kl(&mu_y[item * s..(item + 1) * s], &diag(&var_y), &vec![0.0; s], &Mat::eye(s));
        }
        kl_m += gaussian_kl(&vec_cols(&r_post), &Mat::eye(c).kron(&u_post), &vec_cols(&r0), &Mat::eye(k * c).scale(u0));
    }
    let n = (b * t) as f64;
    let check = |name: &str, got: Tensor<1>, want: f64| {
        let got = to_vec(got)[0];
        assert!((got - want).abs() <= 2e-3 * want.abs().max(1.0), "{name}: model {got} vs hand {want}");
    };
    check("recon", terms.recon_nats.clone(), recon / n);
    check("KL(z)", terms.kl_code_nats.clone(), kl_z / n);
    check("KL(y)", terms.kl_addressing_nats.clone(), kl_y / n);
    check("KL(M)", terms.kl_memory_nats.clone(), kl_m / n);
    check("-ELBO", terms.nats_per_image.clone(), (recon + kl_z + kl_y + kl_m) / n);
    check("loss (no autoencoder term)", terms.loss, (recon + kl_z + kl_y + kl_m) / n);
}

#[test]
fn a_few_hundred_steps_on_a_small_subset_lower_the_loss() {
    check_training_lowers_the_bound::<Km>(&small_config(), 300, 1e-3, 100.0);
}

#[test]
fn checkpoint_round_trip_gives_bit_identical_outputs_and_resume_continues_the_count() {
    let data = train_images(4);
    let x: Vec<f64> = data.pixels.iter().map(|&v| v as f64 / 255.0).collect();
    check_round_trip::<Km>(&small_config(), |m| {
        let (features, q_y) = m.encode_and_address(f32_tensor(&x, [4, 784]));
        let mut out = to_vec(features);
        out.extend(to_vec(m.weights(q_y.mean)));
        out.extend(to_vec(m.prior_mean.val()));
        out
    });
}

#[test]
fn a_checkpoint_of_another_kind_or_config_or_a_damaged_one_is_refused_clearly() {
    let other = small_config().with_address_size(7);
    check_refusals::<Km, Dkm>(&small_config(), &other, "address_size", |config| config["hidden_size"] = 17.into());
}

#[test]
fn a_non_finite_loss_stops_training_and_keeps_the_last_good_checkpoint() {
    check_non_finite_stop::<Km>(&small_config());
}

#[test]
fn cancelling_stops_after_the_current_step_and_saves() {
    check_cancel::<Km>(&small_config());
}

/// The explorer's energies are the per-item terms of the bound: summed over a written episode
/// with KL(M), they give the model's −ELBO (latents at their means).
#[test]
fn the_explorable_km_agrees_with_the_bound_and_reads_generate_and_inspect() {
    let dev = inference_device();
    let config = small_config();
    let model = config.init(&dev);
    let t = 6;
    let x = binary_episode(1, t);
    let episode: Vec<Image> = x.chunks(784).map(|p| Image::new(28, 28, p.to_vec())).collect();
    let images = Tensor::<3>::from_data(burn::tensor::TensorData::new(x, [1, t, 784]), &dev);
    let bound = to_vec(model.episode_terms(images, &config, false).nats_per_image)[0];
    let mut memory = KmAttractor::explorable("km", model, config, dev);
    assert!(memory.evaluate(&episode[0]).is_err(), "reading an empty memory is an error");
    let report = memory.write(&episode).unwrap();
    let kl_m = report.terms[0].value;
    let energies: f64 = episode.iter().map(|im| memory.evaluate(im).unwrap().energy.unwrap()).sum();
    assert!(((energies + kl_m) / t as f64 - bound).abs() < 1e-3 * bound, "{} vs {bound}", (energies + kl_m) / t as f64);
    let eval = memory.evaluate(&episode[1]).unwrap();
    let parts: f64 = eval.terms.iter().map(|term| term.value).sum();
    assert!((parts - eval.energy.unwrap()).abs() < 1e-6, "the terms add up to the energy");
    assert_eq!(eval.weights.unwrap().len(), 8);
    let next = memory.step(&episode[1], ReadUpdate::Mode, 0).unwrap();
    assert!(next.pixels.iter().all(|&v| v == 0.0 || v == 1.0));
    let sample = memory.generator().expect("the KM is generative").sample(1).unwrap();
    assert!(sample.pixels.iter().all(|v| (0.0..=1.0).contains(v)));
    assert_eq!(memory.inspect().len(), 4, "R, U, decoded rows and the keys");
    assert!(memory.write(&[Image::new(14, 14, vec![0.0; 196])]).is_err(), "wrong size refused");
}
