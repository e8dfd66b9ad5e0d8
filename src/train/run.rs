//! The training loop: Adam on random episodes, events for every consumer, clean stops.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
use burn::grad_clipping::GradientClippingConfig;
use burn::tensor::Device;
use serde::{Deserialize, Serialize};

use crate::data::ImageSet;
use crate::model::TrainableModel;

use super::checkpoint::{CheckpointCard, CheckpointError, CheckpointFile, FORMAT_VERSION, save_checkpoint};
use super::episodes::EpisodeBatcher;
use super::TrainConfig;

/// Per-image numbers of one training step, in nats.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
pub struct StepMetrics {
    pub loss: f64,
    pub nats_per_image: f64,
    pub recon_nats: f64,
    pub kl_addressing_nats: f64,
    pub kl_memory_nats: f64,
    /// The Kanerva Machine's KL(q(z)‖p(z|y,M)) (0 for the DKM).
    #[serde(default)]
    pub kl_code_nats: f64,
    pub ae_nats: f64,
}

/// What the loop reports while it runs.
#[derive(Debug, Clone, PartialEq)]
pub enum TrainEvent {
    Started { start_step: u64, total_steps: u64 },
    Metrics { step: u64, total_steps: u64, metrics: StepMetrics, steps_per_s: f64, eta_s: f64 },
    CheckpointSaved { step: u64, path: String },
}

/// How a run ended without an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrainOutcome {
    Completed { steps: u64 },
    Cancelled { steps: u64 },
    TimeLimit { steps: u64 },
}

#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
    #[error("loss became {value} at step {step}; training stopped and the last good checkpoint (step {last_saved}) was left untouched. Try a lower --lr")]
    NonFinite { step: u64, value: f64, last_saved: u64 },
    #[error("{0}")]
    Data(String),
}

fn scalar(t: burn::tensor::Tensor<1>) -> f64 {
    t.into_data().convert::<f64>().try_into_vec::<f64>().map(|v| v[0]).unwrap_or(f64::NAN)
}

/// Trains a model of kind `M`, saving to `out`. `resume`: continue from this checkpoint (model,
/// optimizer state and step count). Checks `cancel` between steps; a cancelled run saves and
/// returns.
#[allow(clippy::too_many_arguments)]
pub fn train_model<M: TrainableModel>(
    model_config: &M::Config,
    config: &TrainConfig,
    data: &ImageSet,
    data_name: &str,
    resume: Option<&CheckpointFile>,
    out: &Path,
    device: &Device,
    cancel: &AtomicBool,
    on_event: &mut dyn FnMut(TrainEvent),
) -> Result<TrainOutcome, TrainError> {
    if data.pixels_per_image() != crate::data::PIXELS {
        return Err(TrainError::Data(format!("{data_name}: images are {}x{}, the model needs 28x28", data.rows, data.cols)));
    }
    if data.is_empty() {
        return Err(TrainError::Data(format!("{data_name}: no images")));
    }
    let mut optimizer: ModuleOptimizer = AdamConfig::new()
        .with_epsilon(1e-8)
        .with_grad_clipping(Some(GradientClippingConfig::Norm(config.grad_clip_norm)))
        .init();
    let (mut model, mut step, seconds_before) = match resume {
        Some(file) => {
            file.expect_config::<M>(model_config)?;
            let (_, model) = file.load::<M>(device)?;
            optimizer = file.load_optimizer(optimizer)?;
            (model, file.card.steps, file.card.train_seconds)
        }
        None => (M::init(model_config, device), 0, 0.0),
    };
    let mut card = CheckpointCard {
        format_version: FORMAT_VERSION,
        model_kind: M::KIND.into(),
        config: serde_json::to_value(model_config).expect("a model config always serialises"),
        train: Some(config.clone()),
        data: data_name.to_string(),
        steps: step,
        train_seconds: seconds_before,
        metrics: None,
        crate_version: env!("CARGO_PKG_VERSION").into(),
    };
    // Each resumed run draws different episodes: the seed moves with the step count.
    let mut batcher = EpisodeBatcher::new(data, config.seed.wrapping_add(step.wrapping_mul(0x9E37_79B9)));
    device.seed(config.seed.wrapping_add(step));
    on_event(TrainEvent::Started { start_step: step, total_steps: config.steps });
    let start = Instant::now();
    let start_step = step;
    let mut last_saved = step;
    let save = |model: &M, optimizer: &ModuleOptimizer, card: &mut CheckpointCard, step: u64, on_event: &mut dyn FnMut(TrainEvent)| -> Result<(), TrainError> {
        card.steps = step;
        card.train_seconds = seconds_before + start.elapsed().as_secs_f64();
        save_checkpoint(out, card, model, Some(optimizer))?;
        on_event(TrainEvent::CheckpointSaved { step, path: out.display().to_string() });
        Ok(())
    };
    let outcome = loop {
        if step >= config.steps {
            break TrainOutcome::Completed { steps: step };
        }
        if cancel.load(Ordering::Relaxed) {
            break TrainOutcome::Cancelled { steps: step };
        }
        if config.max_minutes > 0.0 && start.elapsed().as_secs_f64() > config.max_minutes * 60.0 {
            break TrainOutcome::TimeLimit { steps: step };
        }
        let images = batcher.next_batch(config.batch, config.episode_size, device);
        let terms = model.episode_terms(images, model_config, M::sampled_in_training(model_config));
        let loss_value = scalar(terms.loss.clone());
        if !loss_value.is_finite() {
            return Err(TrainError::NonFinite { step: step + 1, value: loss_value, last_saved });
        }
        let grads = GradientsParams::from_grads(terms.loss.backward(), &model);
        model = optimizer.step(config.lr, model, grads);
        step += 1;
        if step % config.log_every == 0 || step == config.steps {
            let metrics = StepMetrics {
                loss: loss_value,
                nats_per_image: scalar(terms.nats_per_image),
                recon_nats: scalar(terms.recon_nats),
                kl_addressing_nats: scalar(terms.kl_addressing_nats),
                kl_memory_nats: scalar(terms.kl_memory_nats),
                kl_code_nats: scalar(terms.kl_code_nats),
                ae_nats: scalar(terms.ae_nats),
            };
            card.metrics = serde_json::to_value(metrics).ok();
            let done = (step - start_step) as f64;
            let rate = done / start.elapsed().as_secs_f64().max(1e-9);
            on_event(TrainEvent::Metrics {
                step,
                total_steps: config.steps,
                metrics,
                steps_per_s: rate,
                eta_s: (config.steps - step) as f64 / rate.max(1e-9),
            });
        }
        if step % config.checkpoint_every == 0 {
            save(&model, &optimizer, &mut card, step, on_event)?;
            last_saved = step;
        }
    };
    if last_saved != step || step == start_step {
        save(&model, &optimizer, &mut card, step, on_event)?;
    }
    Ok(outcome)
}
