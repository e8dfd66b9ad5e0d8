//! The worker thread: owns the memory and the data, does every piece of model work, and talks
//! to the UI through channels. A panic while handling a command becomes an error event; the
//! worker rebuilds its memory and carries on.

use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;

use anyhow::Context;
use crossbeam_channel::{Receiver, Sender, unbounded};

use crate::backend::training_device;
use crate::catalog::MemorySpec;
use crate::data::{Image, ImageSet, InkPolarity, load_model_images};
use crate::scene::{Scene, SceneMemory, SceneRequest, locate_checkpoint, scene_images};
use crate::eval::{BasinCell, Familiarity, Landscape, LandscapeRequest, PatternSource, SweepControl, landscape, SweepPoint, SweepSetting, basin_map, sample_and_clean_up, sweep};
use crate::memory::{AttractorMemory, Iterate, MemoryInfo, Panel, ReadPlan, WriteReport, read_step, start_read};
use crate::train::{TrainEvent, TrainJob, TrainOutcome};

/// What the UI asks for.
#[derive(Debug, Clone)]
pub enum Command {
    SelectModel(MemorySpec),
    LoadData(PathBuf),
    /// Load the embedded MNIST training split for the train panel (60000 images).
    LoadTrainingSet,
    Write(Vec<Image>),
    /// Start read `read_id` from `query`: its iterate 0 (with the address `addressing` holds).
    StartRead { read_id: u64, query: Image, plan: ReadPlan },
    /// One read step from `from` (iterate `index − 1`), producing iterate `index`.
    Step { read_id: u64, index: usize, from: Box<Iterate>, plan: ReadPlan, seed: u64 },
    /// `count` samples, each cleaned up by `cleanup`'s read steps (eval::sample_and_clean_up).
    Sample { count: usize, cleanup: ReadPlan },
    /// Read a grid of start points between stored items `a` and `b` (see eval::basin_map).
    BasinMap { a: usize, b: usize, alphas: Vec<f32>, noises: Vec<f32>, plan: ReadPlan },
    /// A sweep (capacity or corruption level) of the current memory (its contents are
    /// restored afterwards).
    Sweep { patterns: Option<Arc<ImageSet>>, settings: Vec<SweepSetting>, plan: ReadPlan, control: SweepControl, cancel: Arc<AtomicBool> },
    /// Run an experiment on its own thread (reads stay responsive); its points come as
    /// events; `cancel` stops it.
    RunExperiment { spec: Box<crate::experiment::ExperimentSpec>, quick: bool, cancel: Arc<AtomicBool> },
    /// Train a model on its own thread (reads stay responsive); progress comes as events;
    /// `cancel` stops it (its last checkpoint is kept).
    Train { job: TrainJob, cancel: Arc<AtomicBool> },
    /// The energy landscape through two or three stored items, with `read` projected on it.
    Landscape { request: LandscapeRequest, read: Vec<Iterate>, cancel: Arc<AtomicBool> },
    /// Open a scene: its memory, its episode written, then `SceneOpened` with its query.
    OpenScene(PathBuf),
    /// Open a scene already read (a lesson's); `path` names it and locates its files.
    UseScene { scene: Box<Scene>, path: PathBuf },
    /// Open a point of an experiment as a scene (its first episode, query and read); `name`
    /// says which point in the status line.
    OpenExperimentPoint { origin: Box<crate::experiment::PointOrigin>, size: usize, level: Option<f64>, name: String },
    /// Record the read `request` describes and save it as a scene at the path.
    SaveScene(PathBuf, Box<SceneRequest>),
    /// Fault injection for tests: panic inside the worker.
    Crash,
    Shutdown,
}

/// Which of the explorer's jobs a command belongs to: its answers and its errors go back to
/// that job alone, so one failure ends only its own job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Job {
    /// Choosing or building a memory.
    Memory,
    /// Opening images.
    Data,
    Write,
    /// Read `id` (its start and its steps).
    Read(u64),
    Sample,
    Basins,
    Sweep,
    Train,
    Landscape,
    Experiment,
    /// Opening or saving a scene.
    Scene,
    /// The worker itself (a crash while handling a command).
    Worker,
}

impl Command {
    /// The job this command serves.
    pub fn job(&self) -> Job {
        match self {
            Command::SelectModel(_) => Job::Memory,
            Command::LoadData(_) | Command::LoadTrainingSet => Job::Data,
            Command::Write(_) => Job::Write,
            Command::StartRead { read_id, .. } | Command::Step { read_id, .. } => Job::Read(*read_id),
            Command::Sample { .. } => Job::Sample,
            Command::BasinMap { .. } => Job::Basins,
            Command::Sweep { .. } => Job::Sweep,
            Command::Train { .. } => Job::Train,
            Command::RunExperiment { .. } => Job::Experiment,
            Command::Landscape { .. } => Job::Landscape,
            Command::OpenScene(_) | Command::UseScene { .. } | Command::OpenExperimentPoint { .. } | Command::SaveScene(..) => Job::Scene,
            Command::Crash | Command::Shutdown => Job::Worker,
        }
    }
}

/// What the worker reports.
#[derive(Debug, Clone)]
pub enum Event {
    /// A memory is loaded: what it is and can do, and the choice that made it.
    ModelReady { info: MemoryInfo, choice: MemorySpec },
    DataLoaded(Arc<ImageSet>),
    TrainingSetLoaded(Arc<ImageSet>),
    /// `embeddings`: the stored images in the memory's own space (DKM codes), if it has one.
    /// `familiarity`: a trained memory's objective on the episode beside its training level.
    Written { report: WriteReport, stored: Vec<Image>, panels: Vec<Panel>, embeddings: Option<Vec<Vec<f32>>>, familiarity: Option<Familiarity> },
    Iterate { read_id: u64, index: usize, iterate: Iterate, distances: Vec<f32>, embedding: Option<Vec<f32>> },
    Sampled(Vec<Image>),
    BasinMap { a: usize, b: usize, alphas: Vec<f32>, noises: Vec<f32>, cells: Vec<BasinCell> },
    SweepProgress { done: usize, total: usize, point: SweepPoint },
    SweepFinished { model: String, points: Vec<SweepPoint>, cancelled: bool },
    Training(TrainEvent),
    TrainingFinished(Result<(TrainOutcome, PathBuf), AppError>),
    LandscapeProgress { done: usize, total: usize },
    /// A finished landscape (None: cancelled).
    Landscape(Option<Box<Landscape>>),
    /// A point of the running experiment.
    ExperimentProgress(Box<crate::experiment::Progress>),
    /// The experiment's record, or why there is none ("cancelled" when cancelled).
    ExperimentFinished(Result<Box<crate::experiment::ExperimentRecord>, String>),
    /// A scene's memory and episode are in place: read `query` with `plan`.
    /// `clean`: the item its pixel errors are measured against.
    SceneOpened { path: PathBuf, query: Image, clean: Image, plan: ReadPlan },
    /// A scene was saved (with this many iterates recorded).
    SceneSaved { path: PathBuf, iterates: usize },
    /// A command of `job` failed.
    Failed { job: Job, error: AppError },
}

/// An error on its way to the status bar, with its chain of causes (shown as "what: why").
#[derive(Debug, Clone)]
pub struct AppError(Arc<anyhow::Error>);

impl AppError {
    pub fn msg(message: impl std::fmt::Display + std::fmt::Debug + Send + Sync + 'static) -> Self {
        Self(Arc::new(anyhow::Error::msg(message)))
    }
}

impl From<anyhow::Error> for AppError {
    fn from(e: anyhow::Error) -> Self {
        Self(Arc::new(e))
    }
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:#}", self.0)
    }
}

/// Handle the UI keeps: send commands, drain events.
pub struct Worker {
    commands: Sender<Command>,
    pub events: Receiver<Event>,
    thread: Option<JoinHandle<()>>,
}

impl Worker {
    /// Starts the worker; `wake` is called after every event (the UI's request_repaint).
    pub fn spawn(initial: MemorySpec, wake: impl Fn() + Send + Sync + 'static) -> Self {
        let (commands, command_rx) = unbounded();
        let (event_tx, events) = unbounded();
        let thread = std::thread::Builder::new()
            .name("kanerva-worker".into())
            .spawn(move || WorkerState::new(event_tx, Box::new(wake)).run(initial, command_rx))
            .expect("spawning the worker thread");
        Self { commands, events, thread: Some(thread) }
    }

    pub fn send(&self, command: Command) {
        // A send only fails when the worker is gone; the UI shows that via `is_alive`.
        let _ = self.commands.send(command);
    }

    pub fn is_alive(&self) -> bool {
        self.thread.as_ref().is_some_and(|t| !t.is_finished())
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.commands.send(Command::Shutdown);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

struct WorkerState {
    events: Sender<Event>,
    wake: Arc<dyn Fn() + Send + Sync>,
    choice: Option<MemorySpec>,
    memory: Option<Box<dyn AttractorMemory>>,
    /// The last written episode, rewritten after a model switch so comparisons need no retyping.
    episode: Vec<Image>,
    training: Option<(JoinHandle<()>, Arc<AtomicBool>)>,
    /// A trained memory's model and card, to tell how far a written episode is from its
    /// training data (a second copy of the weights: the memory consumed the first).
    trained: Option<crate::train::LoadedCheckpoint>,
}

impl WorkerState {
    fn new(events: Sender<Event>, wake: Box<dyn Fn() + Send + Sync>) -> Self {
        Self { events, wake: Arc::from(wake), choice: None, memory: None, episode: Vec::new(), training: None, trained: None }
    }

    /// How far `episode` is from the trained memory's training data (None for the others).
    fn familiarity(&self, episode: &[Image]) -> Option<Familiarity> {
        let trained = self.trained.as_ref()?;
        crate::eval::familiarity(trained.model.as_ref(), &trained.card, episode, &crate::backend::inference_device())
    }

    fn emit(&self, event: Event) {
        let _ = self.events.send(event);
        (self.wake)();
    }

    fn run(mut self, initial: MemorySpec, commands: Receiver<Command>) {
        self.guarded(Command::SelectModel(initial));
        while let Ok(command) = commands.recv() {
            if matches!(command, Command::Shutdown) {
                if let Some((thread, cancel)) = self.training.take() {
                    cancel.store(true, Ordering::Relaxed);
                    let _ = thread.join();
                }
                break;
            }
            self.guarded(command);
        }
    }

    /// Handles one command; a panic inside is reported and the memory rebuilt.
    fn guarded(&mut self, command: Command) {
        let job = command.job();
        let result = std::panic::catch_unwind(AssertUnwindSafe(|| self.handle(command)));
        match result {
            Ok(Ok(())) => {}
            Ok(Err(error)) => self.emit(Event::Failed { job, error: error.into() }),
            Err(panic) => {
                let what = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_else(|| "unknown panic".into());
                // The memory is rebuilt empty: the job that crashed and every read of the old
                // memory are over.
                self.emit(Event::Failed { job, error: AppError::msg(format!("the worker crashed ({what}); the memory was reset, please write the episode again")) });
                self.memory = self.choice.as_ref().and_then(|c| c.build().ok());
                self.episode.clear();
                // The explorer learns that its memory is empty again.
                if let (Some(memory), Some(choice)) = (&self.memory, &self.choice) {
                    self.emit(Event::ModelReady { info: MemoryInfo::of(memory.as_ref()), choice: choice.clone() });
                }
            }
        }
    }

    fn memory(&self) -> anyhow::Result<&dyn AttractorMemory> {
        self.memory.as_deref().context("no model is loaded")
    }

    fn embedding(&self, image: &Image) -> Option<Vec<f32>> {
        self.memory.as_ref()?.embedding()?.embed(std::slice::from_ref(image))?.pop()
    }

    fn distances(&self, image: &Image) -> Vec<f32> {
        self.memory.as_ref().map_or_else(Vec::new, |m| m.stored().iter().map(|s| image.pixel_error(s)).collect())
    }

    /// Sends iterate `index` of read `read_id` with its distances to the stored items.
    fn emit_iterate(&self, read_id: u64, index: usize, iterate: Iterate) {
        let (distances, embedding) = (self.distances(&iterate.image), self.embedding(&iterate.image));
        self.emit(Event::Iterate { read_id, index, iterate, distances, embedding });
    }

    fn start_training(&mut self, job: TrainJob, cancel: Arc<AtomicBool>) -> anyhow::Result<()> {
        anyhow::ensure!(!self.training.as_ref().is_some_and(|(t, _)| !t.is_finished()), "a training run is already going: cancel it first");
        let (events, wake, flag) = (self.events.clone(), self.wake.clone(), cancel.clone());
        let thread = std::thread::Builder::new()
            .name("kanerva-train".into())
            .spawn(move || {
                let send = |e: Event| {
                    let _ = events.send(e);
                    wake();
                };
                let result = std::panic::catch_unwind(AssertUnwindSafe(|| crate::catalog::train(&job, &training_device(), &flag, &mut |e| send(Event::Training(e)))));
                send(Event::TrainingFinished(match result {
                    Ok(Ok(outcome)) => Ok((outcome, job.out.clone())),
                    Ok(Err(e)) => Err(anyhow::Error::new(e).into()),
                    Err(_) => Err(AppError::msg("the training thread crashed; the last saved checkpoint is kept")),
                }));
            })
            .context("starting the training thread")?;
        self.training = Some((thread, cancel));
        Ok(())
    }

    /// Builds a scene's memory, writes its episode, and says which query to read.
    fn use_scene(&mut self, scene: Scene, path: PathBuf) -> anyhow::Result<()> {
        let spec = match &scene.memory {
            SceneMemory::Classical(spec) => spec.clone(),
            // Refused, as `kanerva scene replay` refuses it: another checkpoint (its SHA-256) or
            // another kind would read another read than the one recorded.
            SceneMemory::Trained { kind, checkpoint, sha256 } => {
                let found = locate_checkpoint(checkpoint, path.parent().unwrap_or(Path::new(".")))?;
                let actual = crate::scene::sha256_hex(&crate::catalog::shipped::checkpoint_bytes(&found)?);
                anyhow::ensure!(
                    actual == *sha256,
                    "{}: {} is not the checkpoint the scene was recorded with (its SHA-256 is {actual}, the scene's {sha256}); its read would differ",
                    path.display(),
                    found.display()
                );
                MemorySpec::Trained { kind: Some(*kind), checkpoint: found }
            }
        };
        let (episode, clean, query) = scene_images(&scene).with_context(|| path.display().to_string())?;
        // The new memory writes the scene's episode; a memory that cannot be built leaves the
        // one in use with its own episode.
        let previous = std::mem::replace(&mut self.episode, episode);
        if let Err(e) = self.handle(Command::SelectModel(spec)) {
            self.episode = previous;
            return Err(e);
        }
        self.emit(Event::SceneOpened { path, query, clean, plan: scene.read });
        Ok(())
    }

    fn handle(&mut self, command: Command) -> anyhow::Result<()> {
        match command {
            Command::SelectModel(choice) => {
                let mut memory = choice.build()?;
                let report = if self.episode.is_empty() { None } else { Some(memory.write(&self.episode).context("writing the episode into the new memory")?) };
                self.trained = match &choice {
                    MemorySpec::Trained { checkpoint, .. } => crate::catalog::load_checkpoint(checkpoint, &crate::backend::inference_device()).ok(),
                    _ => None,
                };
                self.emit(Event::ModelReady { info: MemoryInfo::of(memory.as_ref()), choice: choice.clone() });
                if let Some(report) = report {
                    self.emit(Event::Written {
                        report,
                        stored: self.episode.clone(),
                        panels: memory.inspect(),
                        embeddings: memory.embedding().and_then(|e| e.embed(&self.episode)),
                        familiarity: self.familiarity(&self.episode),
                    });
                }
                self.memory = Some(memory);
                self.choice = Some(choice);
            }
            Command::LoadTrainingSet => {
                let set = crate::data::Embedded::MnistTrain.load()?;
                self.emit(Event::TrainingSetLoaded(Arc::new(set)));
            }
            Command::LoadData(path) => {
                let set = load_model_images(&path, InkPolarity::Auto)?;
                self.emit(Event::DataLoaded(Arc::new(set)));
            }
            Command::Write(episode) => {
                let memory = self.memory.as_mut().context("no model is loaded")?;
                let report = memory.write(&episode)?;
                let panels = memory.inspect();
                let embeddings = memory.embedding().and_then(|e| e.embed(&episode));
                self.episode = episode.clone();
                let familiarity = self.familiarity(&episode);
                self.emit(Event::Written { report, stored: episode, panels, embeddings, familiarity });
            }
            Command::StartRead { read_id, query, plan } => {
                let iterate = start_read(self.memory()?, &query, &plan)?;
                self.emit_iterate(read_id, 0, iterate);
            }
            Command::Step { read_id, index, from, plan, seed } => {
                let iterate = read_step(self.memory()?, &from, &plan, seed)?;
                self.emit_iterate(read_id, index, iterate);
            }
            Command::Sample { count, cleanup } => {
                let samples = sample_and_clean_up(self.memory()?, count, &cleanup)?;
                self.emit(Event::Sampled(samples));
            }
            Command::BasinMap { a, b, alphas, noises, plan } => {
                let cells = basin_map(self.memory()?, a, b, &alphas, &noises, &plan)?;
                self.emit(Event::BasinMap { a, b, alphas, noises, cells });
            }
            Command::Sweep { patterns, settings, plan, control, cancel } => {
                let source = match patterns {
                    Some(set) => PatternSource::Data((*set).clone()),
                    None => PatternSource::Random { seed: 0 },
                };
                let (events, wake) = (self.events.clone(), self.wake.clone());
                let memory = self.memory.as_mut().context("no model is loaded")?;
                let result = sweep(memory.as_mut(), &source, &settings, &plan, control, &mut |done, total, point| {
                    let _ = events.send(Event::SweepProgress { done, total, point: *point });
                    wake();
                    !cancel.load(Ordering::Relaxed)
                });
                // The sweep overwrote the memory: put the person's episode back.
                let restored = if self.episode.is_empty() { Ok(()) } else { memory.write(&self.episode).map(|_| ()) };
                let name = memory.about().name;
                let points = result?;
                restored.context("writing the episode back after the sweep")?;
                self.emit(Event::SweepFinished { model: name, cancelled: points.len() < settings.len(), points });
            }
            Command::Landscape { request, read, cancel } => {
                let (events, wake) = (self.events.clone(), self.wake.clone());
                let result = landscape(self.memory()?, &request, &read, &mut |done, total| {
                    let _ = events.send(Event::LandscapeProgress { done, total });
                    wake();
                    !cancel.load(Ordering::Relaxed)
                })?;
                self.emit(Event::Landscape(result.map(Box::new)));
            }
            Command::OpenScene(path) => {
                let scene = Scene::read(&path)?;
                self.use_scene(scene, path)?;
            }
            Command::UseScene { scene, path } => self.use_scene(*scene, path)?,
            Command::OpenExperimentPoint { origin, size, level, name } => {
                let request = crate::experiment::scene_request(&origin, size, level).map_err(anyhow::Error::msg)?;
                let scene = crate::scene::record(&request)?;
                self.use_scene(scene, PathBuf::from(name))?;
            }
            Command::SaveScene(path, request) => {
                let scene = crate::scene::record(&request)?;
                scene.write(&path)?;
                self.emit(Event::SceneSaved { path, iterates: scene.recorded.len() });
            }
            Command::Train { job, cancel } => self.start_training(job, cancel)?,
            Command::RunExperiment { spec, quick, cancel } => {
                let events = self.events.clone();
                let wake = self.wake.clone();
                super::experiment_job::spawn(*spec, quick, cancel, move |event| {
                    let _ = events.send(event);
                    wake();
                })?;
            }
            Command::Crash => panic!("fault injected by Command::Crash"),
            Command::Shutdown => {}
        }
        Ok(())
    }
}
