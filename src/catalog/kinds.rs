//! Each trainable kind's type behind its [`ModelKind`]: the only `match` over kinds that names
//! the model types.

use std::marker::PhantomData;
use std::path::Path;
use std::sync::atomic::AtomicBool;

use burn::tensor::Device;

use crate::model::{Dkm, Ebmm, Km, Kpp, ModelKind, ModelOptions, Pkm, TrainableModel};
use crate::train::{
    CheckpointError, CheckpointFile, LoadedCheckpoint, ModelSpec, TrainError, TrainEvent, TrainJob, TrainOutcome, Trained, TrainedModel, train_model,
};

/// What the catalog does with a kind without naming its type.
trait KindEntry: Sync {
    fn train(&self, job: &TrainJob, device: &Device, cancel: &AtomicBool, on_event: &mut dyn FnMut(TrainEvent)) -> Result<TrainOutcome, TrainError>;
    fn load(&self, file: &CheckpointFile, device: &Device) -> Result<Box<dyn TrainedModel>, CheckpointError>;
    fn spec(&self, options: &ModelOptions, seed: u64) -> ModelSpec;
    fn fine_tune_spec(&self, source: &CheckpointFile, options: &ModelOptions) -> Result<ModelSpec, CheckpointError>;
}

struct Entry<M>(PhantomData<fn() -> M>);

impl<M: TrainableModel> KindEntry for Entry<M> {
    fn train(&self, job: &TrainJob, device: &Device, cancel: &AtomicBool, on_event: &mut dyn FnMut(TrainEvent)) -> Result<TrainOutcome, TrainError> {
        let config: M::Config = serde_json::from_value(job.model.config.clone())
            .map_err(|e| TrainError::Invalid { what: "model config", problem: format!("not a {} config: {e}", M::KIND) })?;
        train_model::<M>(&config, job, device, cancel, on_event)
    }

    fn load(&self, file: &CheckpointFile, device: &Device) -> Result<Box<dyn TrainedModel>, CheckpointError> {
        let (config, model) = file.load::<M>(device)?;
        Ok(Box::new(Trained::<M> { model, config }))
    }

    fn spec(&self, options: &ModelOptions, seed: u64) -> ModelSpec {
        ModelSpec::from_options::<M>(options, seed)
    }

    fn fine_tune_spec(&self, source: &CheckpointFile, options: &ModelOptions) -> Result<ModelSpec, CheckpointError> {
        source.expect_kind(M::KIND)?;
        Ok(ModelSpec::of::<M>(&M::fine_tune_config(source.config::<M>()?, options)))
    }
}

/// The registry: one line per kind.
fn entry(kind: ModelKind) -> &'static dyn KindEntry {
    match kind {
        ModelKind::Dkm => &Entry::<Dkm>(PhantomData),
        ModelKind::Km => &Entry::<Km>(PhantomData),
        ModelKind::Pkm => &Entry::<Pkm>(PhantomData),
        ModelKind::Ebmm => &Entry::<Ebmm>(PhantomData),
        ModelKind::Kpp => &Entry::<Kpp>(PhantomData),
    }
}

/// Runs a training job for its model's kind.
pub fn train(job: &TrainJob, device: &Device, cancel: &AtomicBool, on_event: &mut dyn FnMut(TrainEvent)) -> Result<TrainOutcome, TrainError> {
    entry(job.model.kind).train(job, device, cancel, on_event)
}

/// The model `options` describe, for `kind`.
pub fn model_spec(kind: ModelKind, options: &ModelOptions, seed: u64) -> ModelSpec {
    entry(kind).spec(options, seed)
}

/// The model of a run that fine-tunes `source` (a checkpoint of `kind`): the source's config
/// with the loss weights `options` give (see [`TrainableModel::fine_tune_config`]).
pub fn fine_tune_spec(kind: ModelKind, source: &CheckpointFile, options: &ModelOptions) -> Result<ModelSpec, CheckpointError> {
    entry(kind).fine_tune_spec(source, options)
}

/// Reads a checkpoint of any kind onto `device`.
pub fn load_checkpoint(path: &Path, device: &Device) -> Result<LoadedCheckpoint, CheckpointError> {
    let file = super::shipped::read_checkpoint(path)?;
    load_file(&file, device)
}

/// The model of a checkpoint already read.
pub fn load_file(file: &CheckpointFile, device: &Device) -> Result<LoadedCheckpoint, CheckpointError> {
    let model = entry(file.card.model_kind).load(file, device)?;
    Ok(LoadedCheckpoint { card: file.card.clone(), model })
}
