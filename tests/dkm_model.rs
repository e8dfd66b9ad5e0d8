//! The DKM model: loss terms against a hand computation, learning, checkpoints, NaN stops.

mod common;

use burn::tensor::{Tensor, TensorData};
use common::dense::{Mat, gaussian_kl};
use common::training::{bce, binary_episodes, check_cancel, check_non_finite_stop, check_refusals, check_round_trip, check_training_lowers_the_bound, f32_tensor, to_vec, train_images, vec_cols};
use kanerva::backend::inference_device;
use kanerva::memory::dkm::WriteMode;
use kanerva::model::{Dkm, DkmConfig, Km, bernoulli_log_likelihood};
use kanerva::train::checkpoint::write_atomically_with;

fn small_config() -> DkmConfig {
    let mut c = DkmConfig::new().with_seed(3).with_sample_w_in_training(false);
    c.memory.slots = 8;
    c.memory.code_size = 12;
    c.memory.write_mode = WriteMode::StaticBatched;
    c
}

#[test]
fn episode_terms_match_a_hand_computation_in_f64() {
    let dev = inference_device();
    let config = small_config();
    let model = config.init(&dev);
    let (b, t, k, c) = (2, 5, 8, 12);
    let set = train_images(b * t);
    let x: Vec<f32> = set.pixels.iter().map(|&v| if v > 127 { 1.0 } else { 0.0 }).collect();
    let images = Tensor::<3>::from_data(TensorData::new(x.clone(), [b, t, 784]), &dev);
    let terms = model.episode_terms(images.clone(), &config, false);

    // By hand: the networks through the model, all memory maths in dense f64.
    let z = to_vec(model.encoder.forward(images.clone().reshape([b * t, 784])));
    let r0 = Mat::new(k, c, to_vec(model.prior_mean.val()));
    let u0 = to_vec(model.prior_log_var.val())[0].exp() + 1e-6;
    let sigma_w = to_vec(model.log_w_std.val())[0].exp();
    let ridge = |r: &Mat, zs: &Mat| r.mul(&r.t()).add(&Mat::eye(k)).inv().mul(r).mul(&zs.t()).t(); // λ = 1
    let (mut recon, mut klw, mut klm, mut ae) = (0.0, 0.0, 0.0, 0.0);
    for e in 0..b {
        let ze = Mat::new(t, c, z[e * t * c..(e + 1) * t * c].to_vec());
        let w = ridge(&r0, &ze); // static write: addressed against the prior mean
        let u_post = Mat::eye(k).scale(1.0 / u0).add(&w.t().mul(&w)).inv();
        let r_post = u_post.mul(&r0.scale(1.0 / u0).add(&w.t().mul(&ze)));
        let mu = ridge(&r_post, &ze);
        let zhat = mu.mul(&r_post);
        let logits = to_vec(model.decoder.forward(f32_tensor(&zhat.v, [t, c])));
        let ae_logits = to_vec(model.decoder.forward(f32_tensor(&ze.v, [t, c])));
        for i in 0..t {
            let target = &x[(e * t + i) * 784..(e * t + i + 1) * 784];
            recon += bce(&logits[i * 784..(i + 1) * 784], target);
            ae += bce(&ae_logits[i * 784..(i + 1) * 784], target);
            klw += (0..k).map(|j| (1.0 / sigma_w).ln() + (sigma_w.powi(2) + mu.at(i, j).powi(2)) / 2.0 - 0.5).sum::<f64>();
        }
        klm += gaussian_kl(&vec_cols(&r_post), &Mat::eye(c).kron(&u_post), &vec_cols(&r0), &Mat::eye(k * c).scale(u0));
    }
    let n = (b * t) as f64;
    let check = |name: &str, got: Tensor<1>, want: f64| {
        let got = to_vec(got)[0];
        assert!((got - want).abs() <= 2e-3 * want.abs().max(1.0), "{name}: model {got} vs hand {want}");
    };
    check("recon", terms.recon_nats.clone(), recon / n);
    check("KL(w)", terms.kl_addressing_nats.clone(), klw / n);
    check("KL(M)", terms.kl_memory_nats.clone(), klm / n);
    check("AE", terms.ae_nats.clone(), ae / n);
    check("-ELBO", terms.nats_per_image.clone(), (recon + klw + klm) / n);
    check("loss", terms.loss, (recon + klw + klm + ae) / n);
    // The experiment's weights change the loss only: β·KL(w) and λ·AE, the bound unchanged.
    let weighted = config.clone().with_kl_addressing_weight(Some(3.0)).with_ae_weight(0.5);
    let terms = model.episode_terms(images.clone(), &weighted, false);
    check("-ELBO, weighted loss", terms.nats_per_image.clone(), (recon + klw + klm) / n);
    check("weighted loss", terms.loss, (recon + 3.0 * klw + klm + 0.5 * ae) / n);
    // And the likelihood helper agrees with the hand BCE on the first image.
    let ll = bernoulli_log_likelihood(Tensor::from_data(TensorData::new(x[..784].to_vec(), [1, 784]), &dev), Tensor::zeros([1, 784], &dev));
    assert!((to_vec(ll)[0] + 784.0 * std::f64::consts::LN_2).abs() < 1e-3, "logit 0 means p = 1/2 per pixel");
}

#[test]
fn a_few_hundred_steps_on_a_small_subset_lower_the_loss() {
    check_training_lowers_the_bound::<Dkm>(&small_config(), 300, 1e-3, 100.0);
}

#[test]
fn checkpoint_round_trip_gives_bit_identical_outputs_and_resume_continues_the_count() {
    let data = train_images(4);
    let x: Vec<f64> = data.pixels.iter().map(|&v| v as f64 / 255.0).collect();
    check_round_trip::<Dkm>(&small_config(), |m| {
        let mut out = to_vec(m.encoder.forward(f32_tensor(&x, [4, 784])));
        out.extend(to_vec(m.prior_mean.val()));
        out
    });
}

#[test]
fn a_checkpoint_of_another_kind_or_config_or_a_damaged_one_is_refused_clearly() {
    let mut other = small_config();
    other.memory.slots = 16;
    check_refusals::<Dkm, Km>(&small_config(), &other, "slots", |config| config["memory"]["code_size"] = 99.into());
}

#[test]
fn an_interrupted_save_leaves_the_previous_checkpoint_intact() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.ckpt");
    std::fs::write(&path, b"the previous checkpoint").unwrap();
    // The process dies after writing the temp file but before the rename.
    let err = write_atomically_with(&path, b"a new checkpoint that never lands", || Err(std::io::Error::other("killed"))).unwrap_err();
    assert!(err.to_string().contains("killed"));
    assert_eq!(std::fs::read(&path).unwrap(), b"the previous checkpoint");
    let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(leftovers.len(), 1, "temp file left behind: {leftovers:?}");
    write_atomically_with(&path, b"new", || Ok(())).unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), b"new");
}

#[test]
fn a_non_finite_loss_stops_training_and_keeps_the_last_good_checkpoint() {
    check_non_finite_stop::<Dkm>(&small_config());
}

#[test]
fn cancelling_stops_after_the_current_step_and_saves() {
    check_cancel::<Dkm>(&small_config());
}

/// Spec §8.3 made exact: the pixel step of a mode read never raises F(·, μ_n), so every rise
/// comes from re-addressing, and the guarded reading (keep μ_n when μ(x_{n+1}) is worse) is
/// monotone. Checked on an untrained model, where re-addressing is often worse.
#[test]
fn mode_reading_rises_come_only_from_readdressing_and_the_guarded_reading_is_monotone() {
    use kanerva::data::Corruption;
    use kanerva::eval::amortization_gap;
    use kanerva::model::DkmAttractor;
    let dev = inference_device();
    let config = small_config();
    let mut memory = DkmAttractor::explorable("dkm", config.init(&dev), config, dev);
    let data = train_images(64);
    let report = amortization_gap(&mut memory, &data, Corruption::SaltPepper { p: 0.15 }, 4, 2, 8, 0).unwrap();
    assert_eq!((report.queries, report.transitions), (16, 64));
    assert!(report.increase_fraction > 0.0, "the untrained plain reading does rise somewhere: {report:?}");
    assert_eq!(report.pixel_step_increase_fraction, 0.0, "{report:?}");
    assert!(report.mean_pixel_step_nats <= 0.0);
    assert_eq!(report.rises_from_readdressing_fraction, 1.0, "{report:?}");
    assert_eq!(report.guarded_monotone_fraction, 1.0, "{report:?}");
    assert!(report.guarded_energy_nats.windows(2).all(|w| w[1] <= w[0] + 1e-3), "{:?}", report.guarded_energy_nats);
    assert_eq!(report.plain_pixel_error.len(), 5);
}

/// The card counts the training process's CPU time from the first run, and a resume adds to it
/// (Linux; elsewhere the platform does not say and the field stays out).
#[test]
fn the_card_sums_cpu_time_over_resumed_runs() {
    use common::training::{small_train, train};
    use kanerva::train::CheckpointFile;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("m.ckpt");
    let data = train_images(32);
    train::<Dkm>(&small_config(), &small_train(2, 1e-3), &data, false, &out).unwrap();
    let first = CheckpointFile::read(&out).unwrap().card;
    train::<Dkm>(&small_config(), &small_train(4, 1e-3), &data, true, &out).unwrap();
    let resumed = CheckpointFile::read(&out).unwrap().card;
    assert_eq!((first.cpu_seconds_from_step, resumed.cpu_seconds_from_step, resumed.steps), (0, 0, 4));
    if cfg!(target_os = "linux") {
        let (a, b) = (first.cpu_seconds.expect("measured on Linux"), resumed.cpu_seconds.expect("measured on Linux"));
        // Ticks are 10 ms: a two-step run may count none, but the sum never shrinks.
        assert!(a >= 0.0 && b >= a, "CPU seconds {a} then {b}");
    }
}

/// Training with query noise addresses each item from a corrupted copy: the memory (KL(M)) and
/// the autoencoder term stay the clean images', the read's terms change; evaluation's terms
/// ignore the setting; a share outside [0, 1] is refused.
#[test]
fn query_noise_corrupts_only_the_training_address() {
    use kanerva::model::TrainableModel;
    let dev = inference_device();
    let config = small_config();
    let model = config.init(&dev);
    let images = binary_episodes(2, 5);
    let values = |t: kanerva::model::LossTerms| t.terms.into_iter().map(|(_, v)| to_vec(v)[0]).collect::<Vec<f64>>();
    let clean = values(model.loss_terms(images.clone(), &config, false));
    assert_eq!(values(model.training_terms(images.clone(), &config)), clean, "no query noise: the plain loss");
    let noisy_config = config.clone().with_query_noise(Some(0.3));
    let noisy = values(model.training_terms(images.clone(), &noisy_config));
    // Terms: -ELBO, recon, KL(w), KL(M)/T, AE.
    assert_eq!((noisy[3], noisy[4]), (clean[3], clean[4]), "the memory and the AE term are the clean episode's");
    assert!((noisy[1] - clean[1]).abs() > 1e-3 && (noisy[2] - clean[2]).abs() > 1e-6, "the read is addressed from the corrupted copy: {noisy:?} against {clean:?}");
    assert_eq!(values(model.loss_terms(images, &noisy_config, false)), clean, "evaluation never corrupts");
    assert!(Dkm::check_config(&config.clone().with_query_noise(Some(1.5))).is_err());
    assert!(Dkm::check_config(&noisy_config).is_ok());
}

/// Training that reads from a draw M ~ q(M) changes only the reconstruction: KL(w), KL(M) and
/// the autoencoder term are the mean read's; evaluation's terms ignore the setting; `eval
/// --sample-memory`'s terms are the same read.
#[test]
fn a_sampled_memory_read_changes_only_the_reconstruction() {
    use kanerva::model::TrainableModel;
    let dev = inference_device();
    let config = small_config();
    let model = config.init(&dev);
    let images = binary_episodes(2, 5);
    let values = |t: kanerva::model::LossTerms| t.terms.into_iter().map(|(_, v)| to_vec(v)[0]).collect::<Vec<f64>>();
    let mean_read = values(model.loss_terms(images.clone(), &config, false));
    let sampled_config = config.clone().with_sample_memory_in_training(Some(true));
    let sampled = values(model.training_terms(images.clone(), &sampled_config));
    // Terms: -ELBO, recon, KL(w), KL(M)/T, AE.
    assert_eq!((sampled[2], sampled[3], sampled[4]), (mean_read[2], mean_read[3], mean_read[4]), "{sampled:?} against {mean_read:?}");
    assert!((sampled[1] - mean_read[1]).abs() > 1e-3, "the read comes from a draw of M: {sampled:?} against {mean_read:?}");
    assert_eq!(values(model.loss_terms(images.clone(), &sampled_config, false)), mean_read, "evaluation reads the mean");
    let strict = values(model.sampled_memory_terms(images, &config).expect("the DKM has a sampled-memory read"));
    // Terms: -ELBO, recon, KL(w), KL(M)/T; the bound is their sum.
    assert!((strict[0] - strict[1] - strict[2] - strict[3]).abs() < 1e-3 * strict[0].abs(), "{strict:?}");
    assert!((strict[1] - mean_read[1]).abs() > 1e-3, "{strict:?} against {mean_read:?}");
}
