//! Checks every trainable model must pass (DKM and Kanerva Machine alike): learning on a small
//! subset, bit-identical checkpoint round trips, refusals, NaN stops, cancelling.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use burn::tensor::{Tensor, TensorData};
use kanerva::backend::{inference_device, training_device};
use kanerva::data::ImageSet;
use kanerva::eval::evaluate_elbo;
use kanerva::model::TrainableModel;
use kanerva::train::checkpoint::{CheckpointFile, card_path, encode_checkpoint};
use kanerva::train::{CheckpointError, ModelSpec, TrainConfig, TrainError, TrainEvent, TrainJob, TrainOutcome, TrainStart, Trained, save_checkpoint, train_model};

use super::dense::Mat;

pub fn small_train(steps: u64, lr: f64) -> TrainConfig {
    TrainConfig { steps, batch: 4, episode_size: 8, lr, log_every: 10, checkpoint_every: 1000, ..TrainConfig::default() }
}

/// The first `n` MNIST training images embedded in the binary, thresholded at ½ to 0 / 255 (binary
/// like the shared binarized MNIST, so every evaluation sees the same pixels), so the tests need
/// nothing beside the clone.
pub fn train_images(n: usize) -> ImageSet {
    let mut set = kanerva::data::Embedded::MnistTrain.load().unwrap().subset(&(0..n).collect::<Vec<_>>());
    set.pixels.iter_mut().for_each(|p| *p = if *p > 127 { 255 } else { 0 });
    set
}

/// The first b·t training images (binarized) as b episodes of t on the inference device.
///
/// # Shapes
/// - returns: [b, t, 784], values 0/1
#[allow(dead_code)] // not every test binary that shares this module uses it
pub fn binary_episodes(b: usize, t: usize) -> Tensor<3> {
    let x: Vec<f32> = train_images(b * t).pixels.iter().map(|&v| if v > 127 { 1.0 } else { 0.0 }).collect();
    Tensor::from_data(TensorData::new(x, [b, t, 784]), &inference_device())
}

pub fn to_vec<const D: usize>(t: Tensor<D>) -> Vec<f64> {
    t.into_data().convert::<f64>().try_into_vec::<f64>().unwrap()
}

/// f64 values as an f32 tensor on the inference device.
pub fn f32_tensor<const D: usize>(values: &[f64], shape: [usize; D]) -> Tensor<D> {
    Tensor::from_data(TensorData::new(values.iter().map(|&v| v as f32).collect::<Vec<_>>(), shape), &inference_device())
}

/// −ln Bern(target; sigmoid(logits)) summed over pixels, by hand.
pub fn bce(logits: &[f64], target: &[f32]) -> f64 {
    logits.iter().zip(target).map(|(&l, &x)| -(x as f64 * l - (l.max(0.0) + (-l.abs()).exp().ln_1p()))).sum()
}

/// vec(M) stacking columns: the ordering of the Kronecker form I_C ⊗ U.
pub fn vec_cols(m: &Mat) -> Vec<f64> {
    (0..m.cols).flat_map(|c| (0..m.rows).map(move |r| (r, c))).map(|(r, c)| m.at(r, c)).collect()
}

/// The job of training `config` on `data`, written to `out` (`resume`: continue the checkpoint
/// there).
pub fn job<M: TrainableModel>(config: &M::Config, train: &TrainConfig, data: &ImageSet, resume: bool, out: &Path) -> TrainJob {
    TrainJob {
        model: ModelSpec::of::<M>(config),
        train: train.clone(),
        data: std::sync::Arc::new(data.clone()),
        data_name: "subset".into(),
        start: if resume { TrainStart::Resume } else { TrainStart::Fresh },
        out: out.to_path_buf(),
    }
}

/// Trains without listening to events.
pub fn train<M: TrainableModel>(config: &M::Config, train: &TrainConfig, data: &ImageSet, resume: bool, out: &Path) -> Result<TrainOutcome, TrainError> {
    train_model::<M>(config, &job::<M>(config, train, data, resume, out), &training_device(), &AtomicBool::new(false), &mut |_| {})
}

fn elbo<M: TrainableModel>(model: M, config: &M::Config, data: &ImageSet) -> kanerva::eval::ElboReport {
    let dev = inference_device();
    evaluate_elbo(&Trained::<M> { model, config: config.clone() }, data, 8, 8, false, &dev)
}

/// `steps` steps at `lr` on 256 images lower the bound by at least `min_drop` nats per image.
pub fn check_training_lowers_the_bound<M: TrainableModel>(config: &M::Config, steps: u64, lr: f64, min_drop: f64) {
    let dir = tempfile::tempdir().unwrap();
    let data = train_images(256);
    let before = elbo(M::init(config, &inference_device()), config, &data);
    let out = dir.path().join("m.ckpt");
    assert_eq!(train::<M>(config, &small_train(steps, lr), &data, false, &out).unwrap(), TrainOutcome::Completed { steps });
    let file = CheckpointFile::read(&out).unwrap();
    assert_eq!((file.card.steps, file.card.model_kind), (steps, M::KIND));
    let (_, model) = file.load::<M>(&inference_device()).unwrap();
    let after = elbo(model, config, &data);
    assert!(after.headline() < before.headline() - min_drop, "-ELBO {} -> {}", before.headline(), after.headline());
    if let (Some(a), Some(b)) = (after.terms.get("recon_nats"), before.terms.get("recon_nats")) {
        assert!(a < b, "reconstruction {b} -> {a}");
    }
}

/// Two loads give bit-identical outputs (`probe` maps a model to numbers); saving a loaded
/// model and loading it again too; a resume continues the step count.
pub fn check_round_trip<M: TrainableModel>(config: &M::Config, probe: impl Fn(&M) -> Vec<f64>) {
    let dir = tempfile::tempdir().unwrap();
    let data = train_images(64);
    let out = dir.path().join("m.ckpt");
    train::<M>(config, &small_train(3, 1e-3), &data, false, &out).unwrap();
    let dev = inference_device();
    let file = CheckpointFile::read(&out).unwrap();
    let (_, a) = file.load::<M>(&dev).unwrap();
    let (_, b) = file.load::<M>(&dev).unwrap();
    let bits = |v: Vec<f64>| v.into_iter().map(f64::to_bits).collect::<Vec<_>>();
    assert_eq!(bits(probe(&a)), bits(probe(&b)));
    let again = dir.path().join("again.ckpt");
    save_checkpoint(&again, &file.card, &a, None).unwrap();
    let (_, c) = CheckpointFile::read(&again).unwrap().load::<M>(&dev).unwrap();
    assert_eq!(bits(probe(&a)), bits(probe(&c)));
    assert!(card_path(&again).is_file(), "the readable card is written beside the checkpoint");
    let outcome = train::<M>(config, &small_train(6, 1e-3), &data, true, &out).unwrap();
    assert_eq!(outcome, TrainOutcome::Completed { steps: 6 });
    assert_eq!(CheckpointFile::read(&out).unwrap().card.steps, 6);
}

/// A resume with `other` config names `field`; loading as `Wrong` names the kinds; damaged
/// files are refused; a card whose config does not fit the record (`lie` edits the card's
/// config JSON) is a clear error, not a panic.
pub fn check_refusals<M: TrainableModel, Wrong: TrainableModel>(config: &M::Config, other: &M::Config, field: &str, lie: impl Fn(&mut serde_json::Value)) {
    let dir = tempfile::tempdir().unwrap();
    let data = train_images(64);
    let out = dir.path().join("m.ckpt");
    train::<M>(config, &small_train(1, 1e-3), &data, false, &out).unwrap();
    let file = CheckpointFile::read(&out).unwrap();
    let err = train::<M>(other, &small_train(2, 1e-3), &data, true, &out).unwrap_err();
    assert!(matches!(err, TrainError::Checkpoint(CheckpointError::ConfigMismatch { .. })), "{err}");
    assert!(err.to_string().contains(field), "{err}");
    let wrong = file.load::<Wrong>(&inference_device()).err().unwrap().to_string();
    assert!(wrong.contains(&format!("holds a \"{}\" model, expected \"{}\"", M::KIND, Wrong::KIND)), "{wrong}");
    let mut bytes = std::fs::read(&out).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xFF;
    let msg = CheckpointFile::parse(&out, &bytes).err().unwrap().to_string();
    assert!(msg.contains("damaged") && msg.contains("checksum"), "{msg}");
    let good = std::fs::read(&out).unwrap();
    assert!(CheckpointFile::parse(&out, &good[..good.len() - 100]).err().unwrap().to_string().contains("damaged"));
    assert!(matches!(CheckpointFile::parse(&out, b"PK\x03\x04 a zip"), Err(CheckpointError::NotACheckpoint { .. })));
    let mut card = file.card.clone();
    lie(&mut card.config);
    let (_, model) = file.load::<M>(&inference_device()).unwrap();
    let lying = dir.path().join("lying.ckpt");
    std::fs::write(&lying, encode_checkpoint(&card, &model, None).unwrap()).unwrap();
    let err = CheckpointFile::read(&lying).unwrap().load::<M>(&inference_device()).err().unwrap().to_string();
    assert!(err.contains("do not match the model the card describes"), "{err}");
}

/// An absurd learning rate stops training with NonFinite and leaves the checkpoint untouched.
pub fn check_non_finite_stop<M: TrainableModel>(config: &M::Config) {
    let dir = tempfile::tempdir().unwrap();
    let data = train_images(64);
    let out = dir.path().join("m.ckpt");
    train::<M>(config, &small_train(2, 1e-3), &data, false, &out).unwrap();
    let good = std::fs::read(&out).unwrap();
    let err = train::<M>(config, &small_train(50, 1e30), &data, true, &out).unwrap_err();
    match &err {
        TrainError::NonFinite { last_saved, .. } => assert_eq!(*last_saved, 2),
        other => panic!("expected a non-finite stop, got {other}"),
    }
    assert!(err.to_string().contains("last good checkpoint"), "{err}");
    assert_eq!(std::fs::read(&out).unwrap(), good, "the last good checkpoint must be untouched");
}

/// Cancelling at step 3 stops there and saves.
pub fn check_cancel<M: TrainableModel>(config: &M::Config) {
    let dir = tempfile::tempdir().unwrap();
    let data = train_images(64);
    let out = dir.path().join("m.ckpt");
    let cancel = AtomicBool::new(false);
    let mut steps_seen = 0;
    let train_config = TrainConfig { log_every: 1, ..small_train(1000, 1e-3) };
    let outcome = train_model::<M>(config, &job::<M>(config, &train_config, &data, false, &out), &training_device(), &cancel, &mut |e| {
        if let TrainEvent::Metrics { step, .. } = e {
            steps_seen = step;
            if step == 3 {
                cancel.store(true, Ordering::Relaxed);
            }
        }
    })
    .unwrap();
    assert_eq!(outcome, TrainOutcome::Cancelled { steps: 3 });
    assert_eq!(steps_seen, 3);
    assert_eq!(CheckpointFile::read(&out).unwrap().card.steps, 3);
}
