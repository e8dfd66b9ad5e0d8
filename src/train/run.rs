//! The training loop: Adam on random episodes, events for every consumer, clean stops.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
use burn::grad_clipping::GradientClippingConfig;
use burn::tensor::Device;
use serde::Serialize;

use crate::kernels::on_worker_thread;
use crate::model::{Metric, Metrics, TrainableModel};

use super::checkpoint::{CheckpointCard, CheckpointError, CheckpointFile, FORMAT_VERSION, save_checkpoint};
use super::episodes::EpisodeBatcher;
use super::job::{TrainJob, TrainStart};

/// What one logged training step reports: the optimised loss and the model's named terms.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StepMetrics {
    pub loss: f64,
    pub terms: Metrics,
}

impl Serialize for StepMetrics {
    /// `{"loss": ..., "<term key>": ..., ...}`, one flat object.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(self.terms.0.len() + 1))?;
        map.serialize_entry("loss", &self.loss)?;
        for m in &self.terms.0 {
            map.serialize_entry(m.name.key, &m.value)?;
        }
        map.end()
    }
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
    #[error("invalid {what}: {problem}")]
    Invalid { what: &'static str, problem: String },
}

fn scalar(t: burn::tensor::Tensor<1>) -> f64 {
    t.into_data().convert::<f64>().try_into_vec::<f64>().map(|v| v[0]).unwrap_or(f64::NAN)
}

/// Runs `job` for a model of kind `M` with config `model_config` (the job's, typed), saving to
/// `job.out`. Checks `cancel` between steps; a cancelled run saves and returns.
pub fn train_model<M: TrainableModel>(
    model_config: &M::Config,
    job: &TrainJob,
    device: &Device,
    cancel: &AtomicBool,
    on_event: &mut dyn FnMut(TrainEvent),
) -> Result<TrainOutcome, TrainError> {
    let (config, data, data_name, out) = (&job.train, &*job.data, job.data_name.as_str(), job.out.as_path());
    config.check().map_err(|problem| TrainError::Invalid { what: "training settings", problem })?;
    M::check_config(model_config).map_err(|problem| TrainError::Invalid { what: "model config", problem })?;
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
    let source = match &job.start {
        TrainStart::Fresh => None,
        TrainStart::Resume => Some(CheckpointFile::read(out)?),
        TrainStart::FineTune(path) => Some(CheckpointFile::read(path)?),
    };
    let (mut model, mut step, seconds_before, metrics_before) = match &source {
        Some(file) => {
            if job.start == TrainStart::Resume {
                file.expect_config::<M>(model_config)?;
            }
            let model = file.load_as::<M>(model_config, device)?;
            optimizer = file.load_optimizer(optimizer)?;
            (model, file.card.steps, file.card.train_seconds, file.card.metrics.clone())
        }
        None => (M::init(model_config, device), 0, 0.0, None),
    };
    // CPU time counts from the first run that measured it (a fresh run: step 0).
    let (cpu_before, cpu_from_step) = match &source {
        Some(file) => match file.card.cpu_seconds {
            Some(seconds) => (seconds, file.card.cpu_seconds_from_step),
            None => (0.0, file.card.steps),
        },
        None => (0.0, 0),
    };
    let cpu_at_start = super::cpu_time::process_cpu_seconds();
    let mut card = CheckpointCard {
        format_version: FORMAT_VERSION,
        model_kind: M::KIND,
        config: serde_json::to_value(model_config).expect("a model config always serialises"),
        train: Some(config.clone()),
        data: data_name.to_string(),
        steps: step,
        train_seconds: seconds_before,
        cpu_seconds: cpu_at_start.map(|_| cpu_before),
        cpu_seconds_from_step: cpu_from_step,
        // A resumed run keeps the last metrics until it logs its own.
        metrics: metrics_before,
        crate_version: env!("CARGO_PKG_VERSION").into(),
        // Where the weights first came from (an imported model trained on keeps it).
        origin: source.as_ref().and_then(|file| file.card.origin.clone()),
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
        card.cpu_seconds = cpu_at_start.zip(super::cpu_time::process_cpu_seconds()).map(|(at_start, now)| cpu_before + (now - at_start));
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
        // The model goes to the rayon thread and back (it is Send, not Sync).
        let (returned, terms, loss_value, grads) = on_worker_thread(move || {
            let terms = model.training_terms(images, model_config);
            let loss_value = scalar(terms.loss.clone());
            let grads = loss_value.is_finite().then(|| GradientsParams::from_grads(terms.loss.backward(), &model));
            (model, terms, loss_value, grads)
        });
        model = returned;
        let Some(grads) = grads else {
            return Err(TrainError::NonFinite { step: step + 1, value: loss_value, last_saved });
        };
        model = optimizer.step(config.lr, model, grads);
        step += 1;
        if step % config.log_every == 0 || step == config.steps {
            let metrics = StepMetrics {
                loss: loss_value,
                terms: Metrics(terms.terms.into_iter().map(|(name, value)| Metric { name, value: scalar(value) }).collect()),
            };
            card.metrics = serde_json::to_value(&metrics).ok();
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
