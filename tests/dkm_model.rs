//! The DKM model: loss terms against a hand computation, learning, checkpoints, NaN stops.

mod common;

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use burn::tensor::{Tensor, TensorData};
use common::dense::{Mat, gaussian_kl};
use kanerva::backend::inference_device;
use kanerva::data::{ImageSet, read_img1};
use kanerva::eval::evaluate_elbo;
use kanerva::memory::dkm::WriteMode;
use kanerva::model::{DkmConfig, bernoulli_log_likelihood};
use kanerva::train::checkpoint::{CheckpointFile, card_path, write_atomically_with};
use kanerva::train::{CheckpointError, TrainConfig, TrainError, TrainOutcome, load_dkm, train_dkm};

fn shared(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/datasets").join(name)
}

fn small_config() -> DkmConfig {
    let mut c = DkmConfig::new().with_seed(3).with_sample_w_in_training(false);
    c.memory.slots = 8;
    c.memory.code_size = 12;
    c.memory.write_mode = WriteMode::StaticBatched;
    c
}

fn small_train(steps: u64, lr: f64) -> TrainConfig {
    TrainConfig { steps, batch: 4, episode_size: 8, lr, log_every: 10, checkpoint_every: 1000, ..TrainConfig::default() }
}

fn train_images(n: usize) -> ImageSet {
    let set = read_img1(&shared("binarized_mnist_train.img1")).unwrap();
    set.subset(&(0..n).collect::<Vec<_>>())
}

fn to_vec<const D: usize>(t: Tensor<D>) -> Vec<f64> {
    t.into_data().convert::<f64>().try_into_vec::<f64>().unwrap()
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
    let bce = |logits: &[f64], target: &[f32]| -> f64 {
        logits.iter().zip(target).map(|(&l, &x)| -(x as f64 * l - (l.max(0.0) + (-l.abs()).exp().ln_1p()))).sum()
    };
    for e in 0..b {
        let ze = Mat::new(t, c, z[e * t * c..(e + 1) * t * c].to_vec());
        let w = ridge(&r0, &ze); // static write: addressed against the prior mean
        let u_post = Mat::eye(k).scale(1.0 / u0).add(&w.t().mul(&w)).inv();
        let r_post = u_post.mul(&r0.scale(1.0 / u0).add(&w.t().mul(&ze)));
        let mu = ridge(&r_post, &ze);
        let zhat = mu.mul(&r_post);
        let zhat_t = Tensor::<2>::from_data(TensorData::new(zhat.v.iter().map(|&v| v as f32).collect::<Vec<_>>(), [t, c]), &dev);
        let logits = to_vec(model.decoder.forward(zhat_t));
        let ae_logits = to_vec(model.decoder.forward(Tensor::from_data(TensorData::new(ze.v.iter().map(|&v| v as f32).collect::<Vec<_>>(), [t, c]), &dev)));
        for i in 0..t {
            let target = &x[(e * t + i) * 784..(e * t + i + 1) * 784];
            recon += bce(&logits[i * 784..(i + 1) * 784], target);
            ae += bce(&ae_logits[i * 784..(i + 1) * 784], target);
            klw += (0..k).map(|j| (1.0 / sigma_w).ln() + (sigma_w.powi(2) + mu.at(i, j).powi(2)) / 2.0 - 0.5).sum::<f64>();
        }
        let vec_cols = |m: &Mat| (0..c).flat_map(|cc| (0..k).map(move |kk| (kk, cc))).map(|(kk, cc)| m.at(kk, cc)).collect::<Vec<_>>();
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
    // And the likelihood helper agrees with the hand BCE on the first image.
    let ll = bernoulli_log_likelihood(Tensor::from_data(TensorData::new(x[..784].to_vec(), [1, 784]), &dev), Tensor::zeros([1, 784], &dev));
    assert!((to_vec(ll)[0] + 784.0 * std::f64::consts::LN_2).abs() < 1e-3, "logit 0 means p = 1/2 per pixel");
}

#[test]
fn a_few_hundred_steps_on_a_small_subset_lower_the_loss() {
    let dir = tempfile::tempdir().unwrap();
    let data = train_images(256);
    let config = small_config();
    let eval_dev = inference_device();
    let before = evaluate_elbo(&config.init(&eval_dev), &config, &data, 8, 8, false, &eval_dev);
    let out = dir.path().join("m.ckpt");
    let outcome = train_dkm(&config, &small_train(300, 1e-3), &data, "subset", None, &out, &kanerva::backend::training_device(), &AtomicBool::new(false), &mut |_| {}).unwrap();
    assert_eq!(outcome, TrainOutcome::Completed { steps: 300 });
    let (card, model) = load_dkm(&out, &eval_dev).unwrap();
    assert_eq!(card.steps, 300);
    let after = evaluate_elbo(&model, &config, &data, 8, 8, false, &eval_dev);
    assert!(after.nats_per_image < before.nats_per_image - 100.0, "-ELBO {} -> {}", before.nats_per_image, after.nats_per_image);
    assert!(after.recon_nats < before.recon_nats, "reconstruction {} -> {}", before.recon_nats, after.recon_nats);
}

#[test]
fn checkpoint_round_trip_gives_bit_identical_outputs_and_resume_continues_the_count() {
    let dir = tempfile::tempdir().unwrap();
    let data = train_images(64);
    let config = small_config();
    let out = dir.path().join("m.ckpt");
    let train_dev = kanerva::backend::training_device();
    train_dkm(&config, &small_train(3, 1e-3), &data, "subset", None, &out, &train_dev, &AtomicBool::new(false), &mut |_| {}).unwrap();
    let dev = inference_device();
    let (_, a) = load_dkm(&out, &dev).unwrap();
    let (_, b) = load_dkm(&out, &dev).unwrap();
    let x = Tensor::<2>::from_data(TensorData::new(data.pixels[..4 * 784].iter().map(|&v| v as f32 / 255.0).collect::<Vec<_>>(), [4, 784]), &dev);
    let (za, zb) = (to_vec(a.encoder.forward(x.clone())), to_vec(b.encoder.forward(x)));
    assert!(za.iter().zip(&zb).all(|(p, q)| p.to_bits() == q.to_bits()));
    // Saving a loaded model and loading it again is bit-identical too.
    let card = CheckpointFile::read(&out).unwrap().card;
    let again = dir.path().join("again.ckpt");
    kanerva::train::save_checkpoint(&again, &card, &a, None).unwrap();
    let (_, c) = load_dkm(&again, &dev).unwrap();
    assert_eq!(to_vec(a.prior_mean.val()), to_vec(c.prior_mean.val()));
    assert!(card_path(&again).is_file(), "the readable card is written beside the checkpoint");
    // Resume: 3 more steps from the saved state.
    let file = CheckpointFile::read(&out).unwrap();
    let outcome = train_dkm(&config, &small_train(6, 1e-3), &data, "subset", Some(&file), &out, &train_dev, &AtomicBool::new(false), &mut |_| {}).unwrap();
    assert_eq!(outcome, TrainOutcome::Completed { steps: 6 });
    assert_eq!(CheckpointFile::read(&out).unwrap().card.steps, 6);
}

#[test]
fn a_checkpoint_of_another_kind_or_config_or_a_damaged_one_is_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let data = train_images(64);
    let config = small_config();
    let out = dir.path().join("m.ckpt");
    let train_dev = kanerva::backend::training_device();
    train_dkm(&config, &small_train(1, 1e-3), &data, "subset", None, &out, &train_dev, &AtomicBool::new(false), &mut |_| {}).unwrap();
    let file = CheckpointFile::read(&out).unwrap();
    // Resuming with another memory size names the difference.
    let mut other = config.clone();
    other.memory.slots = 16;
    let err = train_dkm(&other, &small_train(2, 1e-3), &data, "subset", Some(&file), &out, &train_dev, &AtomicBool::new(false), &mut |_| {}).unwrap_err();
    assert!(matches!(err, TrainError::Checkpoint(CheckpointError::ConfigMismatch { .. })), "{err}");
    assert!(err.to_string().contains("slots"), "{err}");
    assert!(file.expect_kind("km").unwrap_err().to_string().contains("expected \"km\""));
    // A flipped byte fails the checksum; a truncated file too; a random file is not a checkpoint.
    let mut bytes = std::fs::read(&out).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xFF;
    let msg = CheckpointFile::parse(&out, &bytes).err().unwrap().to_string();
    assert!(msg.contains("damaged") && msg.contains("checksum"), "{msg}");
    let good = std::fs::read(&out).unwrap();
    assert!(CheckpointFile::parse(&out, &good[..good.len() - 100]).err().unwrap().to_string().contains("damaged"));
    assert!(matches!(CheckpointFile::parse(&out, b"PK\x03\x04 a zip"), Err(CheckpointError::NotACheckpoint { .. })));
    // A record whose tensors do not fit the card's config: a clear error, not a panic.
    let mut card = file.card.clone();
    card.config.memory.code_size = 99;
    let (_, model) = load_dkm(&out, &inference_device()).unwrap();
    let lying = dir.path().join("lying.ckpt");
    let bytes = kanerva::train::checkpoint::encode_checkpoint(&card, &model, None).unwrap();
    std::fs::write(&lying, bytes).unwrap();
    let err = load_dkm(&lying, &inference_device()).err().unwrap().to_string();
    assert!(err.contains("does not fit"), "{err}");
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
    let dir = tempfile::tempdir().unwrap();
    let data = train_images(64);
    let config = small_config();
    let out = dir.path().join("m.ckpt");
    let train_dev = kanerva::backend::training_device();
    train_dkm(&config, &small_train(2, 1e-3), &data, "subset", None, &out, &train_dev, &AtomicBool::new(false), &mut |_| {}).unwrap();
    let good = std::fs::read(&out).unwrap();
    // An absurd learning rate overflows the parameters within a few steps.
    let file = CheckpointFile::read(&out).unwrap();
    let mut blowup = small_train(50, 1e30);
    blowup.checkpoint_every = 1000;
    let err = train_dkm(&config, &blowup, &data, "subset", Some(&file), &out, &train_dev, &AtomicBool::new(false), &mut |_| {}).unwrap_err();
    match &err {
        TrainError::NonFinite { last_saved, .. } => assert_eq!(*last_saved, 2),
        other => panic!("expected a non-finite stop, got {other}"),
    }
    assert!(err.to_string().contains("last good checkpoint"), "{err}");
    assert_eq!(std::fs::read(&out).unwrap(), good, "the last good checkpoint must be untouched");
}

#[test]
fn cancelling_stops_after_the_current_step_and_saves() {
    let dir = tempfile::tempdir().unwrap();
    let data = train_images(64);
    let out = dir.path().join("m.ckpt");
    let cancel = AtomicBool::new(false);
    let mut steps_seen = 0;
    let outcome = train_dkm(&small_config(), &TrainConfig { log_every: 1, ..small_train(1000, 1e-3) }, &data, "subset", None, &out, &kanerva::backend::training_device(), &cancel, &mut |e| {
        if let kanerva::train::TrainEvent::Metrics { step, .. } = e {
            steps_seen = step;
            if step == 3 {
                cancel.store(true, std::sync::atomic::Ordering::Relaxed);
            }
        }
    })
    .unwrap();
    assert_eq!(outcome, TrainOutcome::Cancelled { steps: 3 });
    assert_eq!(steps_seen, 3);
    assert_eq!(CheckpointFile::read(&out).unwrap().card.steps, 3);
}
