//! Making a scene (run the read a person set up, and record it) and replaying one (recompute
//! the read and compare it with the recording).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;

use crate::backend::inference_device;
use crate::catalog::shipped::{checkpoint_bytes, find_shipped, is_embedded};
use crate::catalog::{MemorySpec, ModelKind, load_file};
use crate::data::{Corruption, Image, ImageSet, load_named, to_model_size};
use crate::memory::{AttractorMemory, ReadPlan, read_iterations};
use crate::train::CheckpointFile;

use super::format::{RecordedStep, Scene, SceneError, SceneImage, SceneMemory, SCENE_FORMAT, SCENE_VERSION, sha256_hex};

/// Relative difference of energies above which a replay does not match.
pub const ENERGY_TOLERANCE: f64 = 1e-6;

/// What to put in a new scene.
#[derive(Debug, Clone)]
pub struct SceneRequest {
    pub memory: MemorySpec,
    pub episode: Vec<SceneImage>,
    pub query: SceneImage,
    pub corruption: Option<Corruption>,
    pub corruption_seed: u64,
    /// The clean item a hand-edited query was made from (pixel errors are against it).
    pub target: Option<SceneImage>,
    pub read: ReadPlan,
}

/// A replay compared with its recording.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReplayReport {
    pub matches: bool,
    /// Why not, when it does not.
    pub problems: Vec<String>,
    pub max_energy_diff: f64,
    pub max_pixel_error_diff: f64,
    pub steps: Vec<RecordedStep>,
}

/// Data sets by source name, each loaded once (at model size).
#[derive(Default)]
struct DataCache(HashMap<String, Arc<ImageSet>>);

impl DataCache {
    fn load(&mut self, source: &str) -> Result<Arc<ImageSet>, String> {
        if let Some(set) = self.0.get(source) {
            return Ok(set.clone());
        }
        let set = Arc::new(to_model_size(load_named(source).map_err(|e| e.to_string())?));
        self.0.insert(source.to_string(), set.clone());
        Ok(set)
    }
}

/// The memory of a scene, built: a checkpoint is found (as written, beside the scene, among the
/// shipped weights by its file name) and its SHA-256 compared with the scene's.
fn build_memory(memory: &SceneMemory, scene_dir: &Path) -> Result<(Box<dyn AttractorMemory>, Option<String>), SceneError> {
    match memory {
        SceneMemory::Classical(spec) => Ok((spec.build().map_err(|e| SceneError::Invalid(e.to_string()))?, None)),
        SceneMemory::Trained { checkpoint, sha256, .. } => {
            let path = locate_checkpoint(checkpoint, scene_dir)?;
            let (memory, _, found) = load_trained(&path)?;
            let problem = (found != *sha256).then(|| format!("{}: its SHA-256 is {found}, the scene was recorded with {sha256}", path.display()));
            Ok((memory, problem))
        }
    }
}

/// A checkpoint's explorable memory, its kind and the SHA-256 of its bytes, from one read.
fn load_trained(path: &Path) -> Result<(Box<dyn AttractorMemory>, ModelKind, String), SceneError> {
    let invalid = |e: crate::train::CheckpointError| SceneError::Invalid(e.to_string());
    let bytes = checkpoint_bytes(path).map_err(invalid)?;
    let device = inference_device();
    let file = CheckpointFile::parse(path, &bytes).map_err(invalid)?;
    let loaded = load_file(&file, &device).map_err(invalid)?;
    let (kind, name) = (loaded.card.model_kind, loaded.display_name());
    Ok((loaded.model.into_attractor(&name, device), kind, sha256_hex(&bytes)))
}

/// Where the scene's checkpoint is now.
pub fn locate_checkpoint(recorded: &Path, scene_dir: &Path) -> Result<PathBuf, SceneError> {
    if is_embedded(recorded) || recorded.is_file() {
        return Ok(recorded.to_path_buf());
    }
    let beside = scene_dir.join(recorded);
    if recorded.is_relative() && beside.is_file() {
        return Ok(beside);
    }
    // Among the shipped weights by file name; the MNIST DKM is also built into the binary
    // (its hash is checked like any file's).
    if let Some(shipped) = recorded.file_name().and_then(|name| find_shipped(Path::new(name))) {
        return Ok(shipped);
    }
    Err(SceneError::Invalid(format!("the scene's checkpoint {} is not there, nor beside the scene, nor among the shipped weights", recorded.display())))
}

/// A scene's episode, the clean item its pixel errors are against, and the query corrupted
/// as recorded.
pub fn scene_images(scene: &Scene) -> Result<(Vec<Image>, Image, Image), SceneError> {
    let corruption = scene.corruption.as_deref().map(str::parse::<Corruption>).transpose().map_err(|e| SceneError::Invalid(format!("the scene's corruption: {e}")))?;
    images(&scene.episode, &scene.query, scene.target.as_ref(), corruption, scene.corruption_seed)
}

/// The episode, the clean item (`target`, else the query) and the corrupted query.
fn images(scene_episode: &[SceneImage], query: &SceneImage, target: Option<&SceneImage>, corruption: Option<Corruption>, seed: u64) -> Result<(Vec<Image>, Image, Image), SceneError> {
    let mut cache = DataCache::default();
    let mut load = |s: &str| cache.load(s);
    let episode = scene_episode.iter().map(|i| i.image(&mut load)).collect::<Result<Vec<_>, _>>().map_err(SceneError::Invalid)?;
    let uncorrupted = query.image(&mut load).map_err(SceneError::Invalid)?;
    let corrupted = corruption.map_or_else(|| uncorrupted.clone(), |c| c.apply(&uncorrupted, seed));
    let clean = target.map(|t| t.image(&mut load)).transpose().map_err(SceneError::Invalid)?.unwrap_or(uncorrupted);
    if (clean.rows, clean.cols) != (corrupted.rows, corrupted.cols) {
        return Err(SceneError::Invalid(format!("the scene's target is {}x{}, its query {}x{}", clean.rows, clean.cols, corrupted.rows, corrupted.cols)));
    }
    Ok((episode, clean, corrupted))
}

/// Writes the episode, reads the query, and records each iterate.
fn run(memory: &mut dyn AttractorMemory, episode: &[Image], clean: &Image, query: &Image, plan: &ReadPlan) -> Result<Vec<RecordedStep>, SceneError> {
    let invalid = |e: crate::memory::MemoryError| SceneError::Invalid(e.to_string());
    memory.write(episode).map_err(invalid)?;
    let iterates = read_iterations(memory, query, plan).map_err(invalid)?;
    Ok(iterates
        .iter()
        .enumerate()
        .map(|(iteration, it)| RecordedStep { iteration, energy: it.evaluation.energy, pixel_error: it.image.pixel_error(clean) as f64 })
        .collect())
}

/// Runs the read `request` describes and returns it as a scene.
pub fn record(request: &SceneRequest) -> Result<Scene, SceneError> {
    let (mut built, memory) = match &request.memory {
        MemorySpec::Trained { checkpoint, kind } => {
            let (built, card_kind, sha256) = load_trained(checkpoint)?;
            if let Some(kind) = kind.filter(|k| *k != card_kind) {
                return Err(SceneError::Invalid(format!("{}: holds a \"{card_kind}\" model, but --model {kind} was asked for", checkpoint.display())));
            }
            (built, SceneMemory::Trained { kind: card_kind, checkpoint: checkpoint.clone(), sha256 })
        }
        classical => (classical.build().map_err(|e| SceneError::Invalid(e.to_string()))?, SceneMemory::Classical(classical.clone())),
    };
    let (episode, clean, query) = images(&request.episode, &request.query, request.target.as_ref(), request.corruption, request.corruption_seed)?;
    let recorded = run(built.as_mut(), &episode, &clean, &query, &request.read)?;
    Ok(Scene {
        format: SCENE_FORMAT.into(),
        version: SCENE_VERSION,
        memory,
        episode: request.episode.clone(),
        query: request.query.clone(),
        corruption: request.corruption.map(|c| c.to_string()),
        corruption_seed: request.corruption_seed,
        target: request.target.clone(),
        read: request.read,
        recorded,
    })
}

/// Recomputes the read of `scene` (read from `scene_path`, whose folder is searched for its
/// files) and compares it with the recording.
pub fn replay(scene: &Scene, scene_path: &Path) -> Result<ReplayReport, SceneError> {
    let scene_dir = scene_path.parent().unwrap_or(Path::new("."));
    let (mut memory, hash_problem) = build_memory(&scene.memory, scene_dir)?;
    let (episode, clean, query) = scene_images(scene)?;
    let steps = run(memory.as_mut(), &episode, &clean, &query, &scene.read)?;
    let mut problems: Vec<String> = hash_problem.into_iter().collect();
    if steps.len() != scene.recorded.len() {
        problems.push(format!("{} iterates recomputed, {} recorded", steps.len(), scene.recorded.len()));
    }
    let (mut max_energy_diff, mut max_pixel_error_diff) = (0f64, 0f64);
    for (now, then) in steps.iter().zip(&scene.recorded) {
        match (now.energy, then.energy) {
            (Some(a), Some(b)) => {
                let diff = (a - b).abs();
                max_energy_diff = max_energy_diff.max(diff);
                if !(diff <= ENERGY_TOLERANCE * a.abs().max(b.abs()).max(1.0)) {
                    problems.push(format!("iteration {}: energy {a} recomputed, {b} recorded", now.iteration));
                }
            }
            (None, None) => {}
            _ => problems.push(format!("iteration {}: an energy on one side only", now.iteration)),
        }
        max_pixel_error_diff = max_pixel_error_diff.max((now.pixel_error - then.pixel_error).abs());
    }
    Ok(ReplayReport { matches: problems.is_empty(), problems, max_energy_diff, max_pixel_error_diff, steps })
}
