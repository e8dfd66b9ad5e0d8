//! Runs an experiment's protocol and records every point. Each point is reported as it lands
//! (`progress`), so the CLI shows progress and the explorer can draw the curves filling in;
//! `progress` returning false cancels the run.

use std::path::PathBuf;

use crate::backend::inference_device;
use crate::catalog::memories::DEFAULT_BETA;
use crate::catalog::shipped::{checkpoint_bytes, find_shipped};
use crate::catalog::{MemoryName, MemorySpec, load_checkpoint};
use crate::data::{Corruption, ImageSet, PIXELS, load_named, to_model_size};
use crate::eval::{PatternSource, Scoring, SweepAxis, SweepControl, allocation_clustering, denoise, evaluate_bound, evaluate_importance_weighted, sweep, sweep_settings};
use crate::memory::sdm::SdmConfig;
use crate::memory::{Addressing, ReadPlan, ReadUpdate};
use crate::model::HeadlineBound;
use crate::train::standard_test_episodes;

use super::point_scene::{EpisodeChoice, PointOrigin};
use super::record::{ExperimentRecord, PlotSpec};
use super::spec::{BoundKind, BoundProtocol, ExperimentSpec, MemoryRef, Protocol, ReadingProtocol, RecallAxis, RecallProtocol};

/// A point that just landed.
#[derive(Debug, Clone, PartialEq)]
pub struct Progress {
    pub done: usize,
    pub total: usize,
    /// The plot the point belongs to (its axes and title: a live view draws it at once).
    pub plot: PlotSpec,
    pub series: String,
    pub point: [f64; 2],
    /// Where the point came from and its episode's size (a live view opens it as a scene).
    pub origin: Option<PointOrigin>,
    pub size: Option<usize>,
    /// The point's corruption level, where it varies along the series.
    pub level: Option<f64>,
}

/// Runs `spec` (its quick protocol when `quick`); `command` is recorded as the way to
/// reproduce it.
pub fn run(spec: &ExperimentSpec, quick: bool, command: &str, progress: &mut dyn FnMut(&Progress) -> bool) -> Result<ExperimentRecord, String> {
    let started = std::time::Instant::now();
    let protocol = spec.protocol_for(quick)?;
    let mut record = ExperimentRecord::empty(spec, quick);
    record.program = format!("{} {}", env!("CARGO_PKG_NAME"), env!("CARGO_PKG_VERSION"));
    record.command = command.into();
    let mut recorder = Recorder { record: &mut record, done: 0, total: total_points(&protocol), progress };
    match &protocol {
        Protocol::Reading(p) => reading(p, &mut recorder)?,
        Protocol::Recall(p) => recall(p, &mut recorder)?,
        Protocol::Bound(p) => bound(p, &mut recorder)?,
    }
    record.seconds = started.elapsed().as_secs_f64();
    Ok(record)
}

/// Adds points to the record and reports them.
struct Recorder<'a> {
    record: &'a mut ExperimentRecord,
    done: usize,
    total: usize,
    progress: &'a mut dyn FnMut(&Progress) -> bool,
}

impl Recorder<'_> {
    fn plot(&mut self, id: &str, title: &str, x_label: &str, y_label: &str, log_x: bool) {
        if !self.record.plots.iter().any(|p| p.id == id) {
            self.record.plots.push(PlotSpec { id: id.into(), title: title.into(), x_label: x_label.into(), y_label: y_label.into(), log_x });
        }
    }

    /// Adds `point` to `series` of `plot`; Err when the person cancelled.
    fn point(&mut self, plot: &str, series: &str, point: [f64; 2]) -> Result<(), String> {
        self.point_from(plot, series, point, None, None)
    }

    /// Adds `point`, made from `origin` with an episode of `size` items and its corruption
    /// at `level` (where the level varies along the series).
    fn point_from(&mut self, plot: &str, series: &str, point: [f64; 2], from: Option<(&PointOrigin, usize)>, level: Option<f64>) -> Result<(), String> {
        let (origin, size) = (from.map(|f| f.0), from.map(|f| f.1));
        self.record.add_point(plot, series, point, origin, size, level);
        self.done += 1;
        let spec = self.record.plots.iter().find(|p| p.id == plot).cloned().expect("a point's plot is declared first");
        let report = Progress { done: self.done, total: self.total, plot: spec, series: series.into(), point, origin: origin.cloned(), size, level };
        if (self.progress)(&report) { Ok(()) } else { Err("cancelled".into()) }
    }

    /// Records the SHA-256 of a checkpoint used.
    fn checkpoint(&mut self, path: &std::path::Path) -> Result<(), String> {
        let bytes = checkpoint_bytes(path).map_err(|e| e.to_string())?;
        let name = path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned());
        self.record.checkpoints.insert(name, crate::scene::sha256_hex(&bytes));
        Ok(())
    }
}

/// The points a protocol will record (for progress).
fn total_points(protocol: &Protocol) -> usize {
    match protocol {
        Protocol::Reading(p) => p.memories.len() * p.noises.len() * 2 * (p.iterations + 1),
        Protocol::Recall(p) => {
            p.patterns.len() * p.noises.len() * (p.memories.len() * (1 + p.controls.len()) + 2) * if p.x == RecallAxis::NoiseLevel { p.levels.len() } else { p.stored.len() }
                + if p.x == RecallAxis::Floats { p.patterns.len() * p.noises.len() * p.stored.len() * 2 } else { 0 }
        }
        Protocol::Bound(p) => p.memories.len() * (p.bounds.len() * p.episode_sizes.len() + if p.clustering.is_some() { 2 } else { 0 }),
    }
}

/// A shipped checkpoint by its name under the assets folder.
fn shipped(file: &str) -> Result<PathBuf, String> {
    find_shipped(std::path::Path::new(file)).ok_or_else(|| format!("the shipped weights {file} are not here (put the shipped assets/ beside the binary)"))
}

/// The memory a reference names, and its checkpoint if trained.
pub(super) fn memory_spec(r: &MemoryRef) -> Result<(MemorySpec, Option<PathBuf>), String> {
    let name: MemoryName = r.memory.parse()?;
    if let MemoryName::Trained(kind) = name {
        let file = r.checkpoint.clone().unwrap_or_else(|| format!("{}_mnist.ckpt", kind.name()));
        let path = shipped(&file)?;
        return Ok((MemorySpec::Trained { kind: Some(kind), checkpoint: path.clone() }, Some(path)));
    }
    let spec = MemorySpec::from_name(name, None, r.beta.unwrap_or(DEFAULT_BETA), SdmConfig::default().locations).map_err(|e| e.to_string())?;
    Ok((spec, None))
}

/// How a memory is named in the series: `dkm`, `dkm optimised`, `modern-hopfield β=20`.
fn label(r: &MemoryRef) -> String {
    if let Some(label) = &r.label {
        return label.clone();
    }
    let mut label = r.memory.clone();
    if let Some(a) = &r.addressing {
        label.push_str(&format!(" {a}"));
    }
    if let Some(b) = r.beta {
        label.push_str(&format!(" β={b}"));
    }
    if let Some(c) = &r.checkpoint {
        label.push_str(&format!(" ({c})"));
    }
    label
}

pub(super) fn data(name: &str) -> Result<ImageSet, String> {
    Ok(to_model_size(load_named(name).map_err(|e| e.to_string())?))
}

pub(super) fn corruption(text: &str) -> Result<Corruption, String> {
    text.parse::<Corruption>().map_err(|e| format!("noise {text:?}: {e}"))
}

fn reading(p: &ReadingProtocol, rec: &mut Recorder<'_>) -> Result<(), String> {
    let set = data(&p.data)?;
    // A plot a noise, a curve a memory (20 curves on one plot could not be told apart).
    let id = |what: &str, noise: &str| format!("{what}-{}", noise.replace([':', ','], "-"));
    for noise in &p.noises {
        rec.plot(&id("pixel-error", noise), &format!("Pixel error per iteration, {noise}"), "iteration", "pixel error against the clean item", false);
        rec.plot(&id("energy", noise), &format!("Energy per iteration, {noise}"), "iteration", "energy (nats)", false);
    }
    for r in &p.memories {
        let (spec, checkpoint) = memory_spec(r)?;
        if let Some(path) = &checkpoint {
            rec.checkpoint(path)?;
        }
        let mut memory = spec.build().map_err(|e| e.to_string())?;
        let addressing = r.addressing.as_deref().map(str::parse::<Addressing>).transpose()?.unwrap_or_default();
        let plan = ReadPlan { iterations: p.iterations, update: ReadUpdate::Mode, seed: p.seed, addressing, ..ReadPlan::default() };
        for noise in &p.noises {
            let report = denoise(memory.as_mut(), &set, corruption(noise)?, &plan, p.episodes, p.episode_size).map_err(|e| e.to_string())?;
            let name = label(r);
            let origin = PointOrigin { memory: r.clone(), data: p.data.clone(), episode: EpisodeChoice::FirstTestEpisode, noise: Some(noise.clone()), read: plan, control: None };
            let from = Some((&origin, p.episode_size));
            for step in &report.steps {
                rec.point_from(&id("pixel-error", noise), &name, [step.iteration as f64, step.pixel_error], from, None)?;
            }
            for step in &report.steps {
                rec.point_from(&id("energy", noise), &name, [step.iteration as f64, step.energy_nats], from, None)?;
            }
            if let Some(held) = report.monotone_fraction {
                rec.record.scalars.insert(format!("{name} · {noise} · share of steps whose energy did not rise"), held);
            }
        }
    }
    Ok(())
}

fn recall(p: &RecallProtocol, rec: &mut Recorder<'_>) -> Result<(), String> {
    let x_label = match p.x {
        RecallAxis::Stored => "stored patterns",
        RecallAxis::Load => "load (stored / N, N = 784)",
        RecallAxis::Floats => "numbers the memory holds",
        RecallAxis::NoiseLevel => "corruption level (the share of pixels, or the occluder's side)",
    };
    for patterns in &p.patterns {
        let source = if patterns == "random" { PatternSource::Random { seed: p.seed } } else { PatternSource::Data(data(patterns)?) };
        for noise in &p.noises {
            let id = format!("{}-{}", if patterns == "random" { "random" } else { "data" }, noise.replace([':', ','], "-"));
            // Against the floats, a plot a stored count (each memory one point: most hold the
            // same numbers whatever they store); otherwise one plot, a curve a memory.
            let plot_of = |stored: usize| {
                if p.x == RecallAxis::Floats { format!("{id}-{stored}") } else { id.clone() }
            };
            for &stored in if p.x == RecallAxis::Floats { &p.stored[..] } else { &p.stored[..1] } {
                let title = match p.x {
                    RecallAxis::Floats => format!("Recall error: {patterns}, {noise}, {stored} stored"),
                    RecallAxis::NoiseLevel => format!("Recall error against the corruption: {patterns}, {}, {stored} stored", noise.split(':').next().unwrap_or(noise)),
                    _ => format!("Recall error: {patterns}, {noise}"),
                };
                rec.plot(&plot_of(stored), &title, x_label, "recall error (fraction of pixels)", p.x == RecallAxis::Floats);
            }
            let plan = ReadPlan { iterations: p.iterations, update: ReadUpdate::Mode, seed: p.seed, ..ReadPlan::default() };
            let mut references_done = false;
            let mut references: Vec<(usize, f64, f64)> = Vec::new();
            for r in &p.memories {
                let (spec, checkpoint) = memory_spec(r)?;
                if let Some(path) = &checkpoint {
                    rec.checkpoint(path)?;
                }
                let mut memory = spec.build().map_err(|e| e.to_string())?;
                // The corruption holds its level as f32: the protocol's own level (0.1, not
                // 0.10000000149) is the point's x and is what its scene is corrupted with.
                let protocol_level = |level: f64| p.levels.iter().copied().min_by(|a, b| (a - level).abs().total_cmp(&(b - level).abs())).unwrap_or(level);
                let level = |point: &crate::eval::SweepPoint| (p.x == RecallAxis::NoiseLevel).then(|| protocol_level(point.noise_level));
                let x = |point: &crate::eval::SweepPoint| match p.x {
                    RecallAxis::Stored => point.stored as f64,
                    RecallAxis::Load => point.stored as f64 / PIXELS as f64,
                    RecallAxis::Floats => point.memory_floats as f64,
                    RecallAxis::NoiseLevel => protocol_level(point.noise_level),
                };
                let axis = if p.x == RecallAxis::NoiseLevel { SweepAxis::NoiseLevel } else { SweepAxis::Stored };
                let settings = sweep_settings(axis, &p.stored, corruption(noise)?, &p.levels);
                let mut points = Vec::new();
                // The measurement, then its controls: the same queries with nothing written,
                // or with another episode written (an answer that does not come from what was
                // written shows there).
                for control in std::iter::once(SweepControl::None).chain(p.controls.iter().copied().filter(|&c| c != SweepControl::None)) {
                    let measured = sweep(memory.as_mut(), &source, &settings, &plan, control, &mut |_, _, _| true).map_err(|e| e.to_string())?;
                    let name = if control == SweepControl::None { label(r) } else { format!("{} ({} control)", label(r), control.name()) };
                    let origin = PointOrigin {
                        memory: r.clone(),
                        data: patterns.clone(),
                        episode: EpisodeChoice::SweepPatterns { seed: p.seed },
                        noise: Some(noise.clone()),
                        read: plan,
                        control: (control != SweepControl::None).then_some(control),
                    };
                    for (i, point) in measured.iter().enumerate() {
                        // A control sits where its measurement does (a no-write memory holds
                        // nothing, but it is the same memory).
                        let at = points.get(i).map_or_else(|| x(point), x);
                        rec.point_from(&plot_of(point.stored), &name, [at, point.recall_error], Some((&origin, point.stored)), level(point))?;
                    }
                    if control == SweepControl::None {
                        points = measured;
                    }
                }
                // The trivial answers, once a plot (the same patterns and corruptions for every
                // memory); on a floats axis they have no x of their own, so they go by stored.
                if !references_done && p.x != RecallAxis::Floats {
                    for point in &points {
                        rec.point(&id, "return the query (reference)", [x(point), point.query_error])?;
                    }
                    for point in &points {
                        rec.point(&id, "return the blank page (reference)", [x(point), point.blank_error])?;
                    }
                    references_done = true;
                } else if !references_done {
                    references = points.iter().map(|p| (p.stored, p.query_error, p.blank_error)).collect();
                    references_done = true;
                }
            }
            // Against the floats the trivial answers hold no numbers: level lines across
            // the plot, from its smallest memory to its largest.
            for &(stored, query, blank) in &references {
                let plot = plot_of(stored);
                let xs: Vec<f64> = rec.record.series_of(&plot).flat_map(|s| s.points.iter().map(|p| p[0])).collect();
                let (lo, hi) = xs.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| (a.min(x), b.max(x)));
                for (name, level) in [("return the query (reference)", query), ("return the blank page (reference)", blank)] {
                    rec.point(&plot, name, [lo, level])?;
                    rec.point(&plot, name, [hi, level])?;
                }
            }
        }
    }
    Ok(())
}

fn bound(p: &BoundProtocol, rec: &mut Recorder<'_>) -> Result<(), String> {
    let set = data(&p.data)?;
    let device = inference_device();
    for kind in &p.bounds {
        let (id, title) = match kind {
            BoundKind::Joint => (kind.plot_id(), "Joint bound per image (KL(M)/T included)".to_string()),
            BoundKind::Conditional => (kind.plot_id(), "Memory-conditional bound per image".to_string()),
            BoundKind::ImportanceWeighted => (kind.plot_id(), format!("Memory-conditional importance-weighted bound ({} samples)", p.samples)),
        };
        rec.plot(id, &title, "episode size T", "nats per image", false);
    }
    for r in &p.memories {
        let (_, checkpoint) = memory_spec(r)?;
        let path = checkpoint.ok_or_else(|| format!("{}: a bound needs a trained memory", r.memory))?;
        rec.checkpoint(&path)?;
        let loaded = load_checkpoint(&path, &device).map_err(|e| e.to_string())?;
        let model = loaded.model.as_ref();
        for kind in &p.bounds {
            for &t in &p.episode_sizes {
                let episodes = standard_test_episodes(&set, t, p.episodes);
                // Latents sampled (a bound, not a plug-in value), from a seed per point: the
                // same numbers whatever ran before.
                device.seed(p.seed);
                let value = match kind {
                    // K++ has no memory prior, so no joint bound: its points are left out.
                    BoundKind::Joint if model.headline_bound() != HeadlineBound::Joint => None,
                    BoundKind::Joint => evaluate_bound(model, &set, &episodes, true, Scoring::ModelTerms, &device).map(|r| r.headline()),
                    BoundKind::Conditional => evaluate_bound(model, &set, &episodes, true, Scoring::Conditional, &device).map(|r| r.headline()),
                    BoundKind::ImportanceWeighted => evaluate_importance_weighted(model, &set, &episodes, p.samples, &device),
                };
                let id = kind.plot_id();
                let origin = PointOrigin {
                    memory: r.clone(),
                    data: p.data.clone(),
                    episode: EpisodeChoice::FirstTestEpisode,
                    noise: None,
                    read: ReadPlan { seed: p.seed, ..ReadPlan::default() },
                    control: None,
                };
                match value {
                    Some(v) => rec.point_from(id, &label(r), [t as f64, v], Some((&origin, t)), None)?,
                    None => rec.done += 1,
                }
            }
        }
        if let Some(images) = p.clustering {
            clustering(model, &set, images, r, rec)?;
        }
    }
    Ok(())
}

/// How a memory that allocates spreads the data's items over its parts, against their
/// classes: one point a memory at x = its parts, and the same with the labels shuffled.
fn clustering(model: &dyn crate::train::TrainedModel, set: &ImageSet, images: usize, r: &MemoryRef, rec: &mut Recorder<'_>) -> Result<(), String> {
    let Some(report) = allocation_clustering(model, set, images, &inference_device()) else {
        rec.done += 2;
        return Ok(());
    };
    rec.plot("clustering", &format!("Items to machines against their classes ({} images)", report.images), "machines", "normalized mutual information", false);
    let name = r.family.clone().unwrap_or_else(|| label(r));
    rec.point("clustering", &name, [report.parts as f64, report.nmi])?;
    rec.point("clustering", &format!("{name}, classes shuffled (chance)"), [report.parts as f64, report.nmi_shuffled_labels])?;
    rec.record.scalars.insert(format!("{} · machines some item goes to (of {})", label(r), report.parts), report.used_parts as f64);
    Ok(())
}
