//! The explorer's wiring: its state lives with owners (the loaded memory, the episode, the
//! canvas, the read, the long jobs, the files, the lessons, the messages); views draw
//! themselves and say what the person asked for; this file turns that into worker commands and
//! hands the worker's events to the owner each belongs to.

use std::path::PathBuf;
use std::sync::Arc;

use eframe::egui;

use crate::catalog::MemorySpec;
use crate::data::Embedded;
use crate::memory::{ReadPlan, ReadUpdate};
use crate::scene::SceneRequest;

use super::compare::CompareSession;
use super::episode::Episode;
use super::exports::{ExportKind, write_export};
use super::files::{Files, scene_request};
use super::jobs::Jobs;
use super::lesson_run::Lessons;
use super::loaded_memory::LoadedMemory;
use super::messages::Messages;
use super::read_session::ReadSession;
use super::settings::{ClickTarget, Settings};
use super::texture::TextureCache;
use super::ui_scale;
use super::views::canvas::Canvas;
use super::views::episode_strip::{self, EpisodeAction};
use super::views::job_sections::{self, SectionContext};
use super::views::keys::{self, KeyAction};
use super::views::lesson_panel::{self, LessonNav};
use super::views::path_prompt::PathPurpose;
use super::views::read_panel::{self, ReadAction};
use super::views::top_bar::{self, TopBarAction};
use super::views::{dataset, help, memory_column, query_panel};
use super::worker::{Command, Event, Job, Worker};

pub struct ExplorerApp {
    pub settings: Settings,
    worker: Worker,
    textures: TextureCache,
    pub memory: LoadedMemory,
    pub episode: Episode,
    pub canvas: Canvas,
    pub read: ReadSession,
    pub jobs: Jobs,
    /// A second memory read side by side with the first.
    pub compare: Option<CompareSession>,
    pub files: Files,
    pub lessons: Lessons,
    pub messages: Messages,
    ctx: egui::Context,
}

impl ExplorerApp {
    /// Starts the worker with the saved (or first available) model and the embedded data.
    pub fn new(ctx: &egui::Context, settings: Settings) -> Self {
        let (memory, initial) = LoadedMemory::starting_with(settings.model.as_ref());
        let wake_ctx = ctx.clone();
        let worker = Worker::spawn(initial, move || wake_ctx.request_repaint());
        let mut app = Self {
            settings: settings.within_limits(),
            worker,
            textures: TextureCache::default(),
            memory,
            episode: Episode::default(),
            canvas: Canvas::default(),
            read: ReadSession::default(),
            jobs: Jobs::default(),
            compare: None,
            files: Files::default(),
            lessons: Lessons::default(),
            messages: Messages::default(),
            ctx: ctx.clone(),
        };
        app.lessons = Lessons::found(&mut app.messages.errors);
        // The train panel trains on the training split by default; it loads on the worker.
        app.send(Command::LoadTrainingSet);
        match Embedded::MnistTest.load() {
            Ok(set) => app.messages.status = app.episode.set_data(Arc::new(set)),
            Err(e) => app.messages.errors.push(format!("embedded data: {e}")),
        }
        app
    }

    pub fn send(&self, command: Command) {
        self.worker.send(command);
    }

    /// True when the lesson's step is done and answered, the read has played out and no job
    /// is running: what the step claims can be judged (between two steps of a playing read
    /// nothing is pending, yet the read is not over).
    pub fn lesson_idle(&self) -> bool {
        self.lessons.step_done() && !self.jobs.busy() && !self.read.pending && !self.read.playing
    }

    /// Writes the current read to `path` (used by the export buttons and tests).
    pub fn export_read(&self, kind: ExportKind, path: &std::path::Path) -> Result<(), crate::export::ExportError> {
        write_export(kind, &self.read.iterates, &self.read.distances, (self.settings.play_interval_s * 1000.0) as u32, path)
    }

    /// Starts (or stops, with None) the side-by-side comparison memory.
    pub fn set_compare(&mut self, choice: Option<MemorySpec>) {
        self.compare = choice.map(|c| CompareSession::new(&self.ctx, c, &self.memory.stored));
    }

    /// Applies every event the worker has sent (bounded per frame).
    pub fn drain_events(&mut self) {
        if let Some(compare) = &mut self.compare {
            let had_nothing = compare.stored == 0;
            compare.drain(&mut self.messages.errors);
            // Its first write just landed: start its read from the current query.
            if had_nothing && compare.stored > 0 && !self.read.iterates.is_empty() {
                compare.reset(self.read.id, &self.read.iterates[0].image, &self.settings.read);
            }
        }
        for _ in 0..256 {
            let Ok(event) = self.worker.events.try_recv() else { break };
            self.on_event(event);
        }
    }

    fn on_event(&mut self, event: Event) {
        let status = &mut self.messages.status;
        match event {
            Event::ModelReady { info, choice } => {
                self.lessons.answers.models += 1;
                *status = match &choice {
                    MemorySpec::Trained { checkpoint, .. } => format!("model ready: {}, from {}", info.about.name, crate::catalog::shipped::origin(checkpoint)),
                    _ => format!("model ready: {}", info.about.name),
                };
                self.memory.on_ready(info);
                self.jobs.on_memory_changed();
                self.settings.model = Some(choice);
                self.path_worked(PathPurpose::LoadCheckpoint);
                self.reset_read();
            }
            Event::DataLoaded(set) => {
                *status = self.episode.set_data(set);
                self.path_worked(PathPurpose::OpenData);
            }
            Event::TrainingSetLoaded(set) => self.jobs.train.training_set = Some(set),
            Event::Written { report, stored, panels, embeddings, familiarity } => {
                self.lessons.answers.writes += 1;
                *status = format!("wrote {} images into {}", report.stored, self.memory.name());
                self.memory.on_written(report, stored, panels, embeddings, familiarity);
                self.jobs.on_memory_changed();
                self.reset_read();
            }
            Event::Iterate { read_id, index, iterate, distances, embedding } => self.read.accept(read_id, index, iterate, distances, embedding),
            Event::Sampled(images) => self.memory.samples = images,
            Event::BasinMap { a, b, alphas, noises, cells } => self.jobs.basins.on_finished((a, b, alphas, noises, cells)),
            Event::SweepProgress { done, total, .. } => self.jobs.sweep.job.on_progress(done, total),
            Event::SweepFinished { model, points, cancelled } => {
                *status = format!("sweep of {model} {}", if cancelled { "cancelled" } else { "done" });
                self.jobs.sweep.on_finished(model, points, cancelled);
            }
            Event::Training(e) => self.jobs.train.on_event(e),
            Event::TrainingFinished(result) => {
                if let Err(e) = &result {
                    self.messages.errors.push(e.to_string());
                }
                self.jobs.train.on_finished(result);
            }
            Event::LandscapeProgress { done, total } => self.jobs.landscape.job.on_progress(done, total),
            Event::Landscape(result) => self.jobs.landscape.on_finished(result.map(|l| *l)),
            Event::ExperimentProgress(progress) => self.jobs.experiment.on_progress(*progress),
            Event::ExperimentFinished(result) => self.jobs.experiment.on_finished(result),
            Event::SceneOpened { path, query, clean, plan } => {
                self.lessons.answers.scenes += 1;
                // The scene's episode is what the memory holds: show it as the episode.
                self.episode.items = self.memory.stored.clone();
                self.settings.read = plan;
                self.canvas.set_query(query, Some(clean));
                *status = format!("opened scene {}", path.display());
                self.path_worked(PathPurpose::OpenScene);
            }
            Event::SceneSaved { path, iterates } => {
                *status = format!("saved scene {} ({iterates} iterates recorded)", path.display());
                self.path_worked(PathPurpose::SaveScene);
            }
            // A failure ends its own job and no other (a job with a panel says so there too).
            Event::Failed { job, error } => {
                self.lessons.answers.errors += 1;
                if let Job::Read(id) = job {
                    self.read.on_failed(id);
                }
                self.jobs.on_failed(job, &error);
                self.messages.errors.push(error.to_string());
                // A path that did not work does not join the recent paths.
                match job {
                    Job::Data => self.files.failed(PathPurpose::OpenData),
                    Job::Memory => self.files.failed(PathPurpose::LoadCheckpoint),
                    Job::Scene => {
                        self.files.failed(PathPurpose::OpenScene);
                        self.files.failed(PathPurpose::SaveScene);
                    }
                    _ => {}
                }
            }
        }
    }

    /// Starts a new read from the canvas image (iterate 0 is evaluated on the worker).
    pub fn reset_read(&mut self) {
        self.read = ReadSession::after(&self.read, self.canvas.version);
        if !self.memory.stored.is_empty() {
            self.read.pending = true;
            let plan = self.memory.plan(&self.settings.read);
            self.send(Command::StartRead { read_id: self.read.id, query: self.canvas.image.clone(), plan });
        }
        if let Some(compare) = &mut self.compare {
            compare.reset(self.read.id, &self.canvas.image, &self.settings.read);
        }
    }

    /// Asks for the next iterate, if the last one is in and the limit not reached.
    pub fn step(&mut self) -> bool {
        if self.read.pending || self.memory.stored.is_empty() {
            return false;
        }
        let Some(last) = self.read.iterates.last() else {
            self.reset_read();
            return false;
        };
        let index = self.read.iterates.len();
        self.read.pending = true;
        let seed = ReadSession::step_seed(self.settings.read.seed, index);
        let plan = self.memory.plan(&self.settings.read);
        self.send(Command::Step { read_id: self.read.id, index, from: Box::new(last.clone()), plan, seed });
        if let Some(compare) = &mut self.compare {
            compare.step(&self.settings.read, seed);
        }
        true
    }

    /// Sends the episode to the worker (and the compared memory); false, with the reason in
    /// the error list, when there was nothing to send.
    pub fn write_episode(&mut self) -> bool {
        if self.episode.items.is_empty() {
            self.messages.errors.push("the episode is empty: add images first".into());
            return false;
        }
        self.send(Command::Write(self.episode.items.clone()));
        if let Some(compare) = &mut self.compare {
            compare.stored = 0;
            compare.send(Command::Write(self.episode.items.clone()));
        }
        true
    }

    /// Fills the episode with `episode_size` items of the data shown, or random patterns; each
    /// fill draws anew (the seed moves with the writes and the episode).
    pub fn fill_episode(&mut self, patterns: bool) {
        let (count, seed) = (self.settings.episode_size, self.settings.read.seed);
        let turn = self.memory.write_history.len() as u64;
        if patterns {
            self.episode.fill_patterns(count, seed.wrapping_add(0x9A77_E125 + turn));
        } else {
            self.episode.fill_random(count, seed.wrapping_add(turn * 31 + self.episode.items.len() as u64));
        }
    }

    /// Starts the sweep panel's sweep on the loaded data with the read panel's addressing.
    pub(super) fn start_panel_sweep(&mut self) {
        let trained = matches!(self.settings.model, Some(MemorySpec::Trained { .. }));
        let addressing = self.memory.plan(&self.settings.read).addressing;
        if let Some(command) = self.jobs.sweep.start(self.episode.data_set().as_ref(), trained, addressing) {
            self.send(command);
        }
    }

    /// Acts on a path a person chose for `purpose` (from a dialog or the path prompt).
    pub fn use_path(&mut self, purpose: PathPurpose, path: PathBuf) {
        super::path_actions::use_path(self, purpose, path);
    }

    /// A path the person gave worked (see [`super::path_actions::path_worked`]).
    fn path_worked(&mut self, purpose: PathPurpose) {
        super::path_actions::path_worked(self, purpose);
    }

    /// The scene of what is on screen (None before a write and a read).
    pub fn scene_request(&self) -> Option<SceneRequest> {
        // The canvas's clean item belongs to the read only while the read is of the canvas.
        let clean = self.canvas.clean.as_ref().filter(|_| self.read.is_current(self.canvas.version));
        scene_request(self.settings.model.as_ref(), &self.memory.stored, &self.read, clean, self.memory.plan(&self.settings.read))
    }

    fn handle_input(&mut self, ctx: &egui::Context) {
        for file in ctx.input(|i| i.raw.dropped_files.clone()) {
            let path = file.path();
            if !path.as_os_str().is_empty() {
                self.send(Command::LoadData(path.to_path_buf()));
            }
        }
        for key in keys::pressed(ctx) {
            match key {
                KeyAction::Undo => drop(self.canvas.undo()),
                KeyAction::Step => drop(self.step()),
                KeyAction::TogglePlay => self.read.playing = !self.read.playing,
                KeyAction::Reset => self.reset_read(),
                KeyAction::ClearCanvas => self.canvas.clear(),
                KeyAction::NextStep | KeyAction::PreviousStep => self.lessons.page(key == KeyAction::NextStep),
                KeyAction::Projector => ui_scale::toggle_projector(ctx),
                KeyAction::FullScreen => ui_scale::set_full_screen(ctx, !ui_scale::is_full_screen(ctx)),
            }
        }
        // Playing: the next step when it is due.
        let now = ctx.input(|i| i.time);
        let interval = self.settings.play_interval_s;
        if self.read.play_tick(now, interval as f64, self.settings.read.iterations) && self.step() {
            self.read.last_step_time = now;
        }
        if self.read.playing {
            ctx.request_repaint_after(std::time::Duration::from_secs_f32(interval.min(0.1)));
        }
    }

    /// The whole UI; used by `eframe::App::ui` and by the UI tests.
    pub fn show(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        // The sideways strips (episode, filmstrips) scroll with the plain mouse wheel.
        ui.style_mut().always_scroll_the_only_direction = true;
        self.drain_events();
        for (purpose, path) in self.files.chosen(&ctx, &self.settings.recent, &mut self.messages.status) {
            self.use_path(purpose, path);
        }
        super::lesson_orders::run_lesson(self);
        self.handle_input(&ctx);
        egui::Panel::top("top_bar").show(ui, |ui| self.top_bar(ui));
        egui::Panel::bottom("status_bar").show(ui, |ui| self.messages.ui(ui, self.worker.is_alive()));
        // The scale is egui's zoom (the View menu, F10, Ctrl+plus): kept in the settings.
        self.settings.ui_scale = ctx.zoom_factor();
        // Side panels fill their width, so content never shrinks or grows them frame by frame.
        let (data_id, data_width) = ui_scale::side_panel(&ctx, "dataset_panel");
        let (plots_id, plots_width) = ui_scale::side_panel(&ctx, "plots_panel");
        egui::Panel::left(data_id).default_size(data_width).show(ui, |ui| {
            ui.set_min_width(ui.available_width());
            match dataset::panel(ui, self.episode.data.as_mut(), &mut self.settings.click_target, &self.episode.items, &mut self.textures) {
                Some(image) if self.settings.click_target == ClickTarget::Episode => self.episode.items.push(image),
                Some(image) => self.canvas.set_item(image),
                None => {}
            }
        });
        egui::Panel::right(plots_id).default_size(plots_width).show(ui, |ui| {
            ui.set_min_width(ui.available_width());
            let card = self.settings.model.as_ref().and_then(MemorySpec::name).map(crate::catalog::cards::card);
            egui::ScrollArea::vertical().show(ui, |ui| memory_column::ui(ui, &mut self.memory, card, &self.read, self.compare.as_mut(), &mut self.textures));
        });
        egui::CentralPanel::default().show(ui, |ui| {
            egui::ScrollArea::vertical().show(ui, |ui| self.central_panel(ui));
        });
        if let Some(lesson) = self.lessons.session.as_ref().filter(|l| !l.windowless) {
            let step = lesson.step;
            let idle = self.lesson_idle();
            // Once the step has set up, its claims are judged against the screen.
            let outcomes = idle.then(|| super::lesson_checks::judge(&lesson.found.lesson.steps[step].checks, self));
            match lesson_panel::ui(&ctx, lesson, !idle, outcomes.as_deref()) {
                Some(LessonNav::Back) => self.lessons.enter_step(step.saturating_sub(1)),
                Some(LessonNav::Next) => self.lessons.enter_step(step + 1),
                Some(LessonNav::Close) => self.lessons.session = None,
                None => {}
            }
        }
        // A changed query restarts the read, once the person has let go of the mouse.
        if self.canvas.version != self.read.query_version && !ctx.input(|i| i.pointer.any_down()) {
            self.reset_read();
        }
    }

    fn top_bar(&mut self, ui: &mut egui::Ui) {
        let compare = self.compare.as_ref().map(|c| c.choice.clone());
        let lessons = self.lessons.menu();
        match top_bar::ui(ui, &self.memory.choices, &mut self.settings.model, compare.as_ref(), &lessons, &mut self.settings.show_help) {
            Some(TopBarAction::Select(m)) => self.send(Command::SelectModel(m)),
            Some(TopBarAction::Compare(choice)) => self.set_compare(choice),
            Some(TopBarAction::OpenData) => self.files.ask(PathPurpose::OpenData),
            Some(TopBarAction::OpenFolder) => self.files.ask_for_folder(),
            Some(TopBarAction::LoadCheckpoint) => self.files.ask(PathPurpose::LoadCheckpoint),
            Some(TopBarAction::TypePath) => self.files.prompt.open(PathPurpose::OpenData, None),
            Some(TopBarAction::OpenScene) => self.files.ask(PathPurpose::OpenScene),
            Some(TopBarAction::StartLesson(i)) => self.lessons.start_available(i),
            None => {}
        }
    }

    fn central_panel(&mut self, ui: &mut egui::Ui) {
        if self.settings.show_help {
            egui::CollapsingHeader::new("How to use").default_open(self.lessons.session.is_none()).show(ui, help::ui);
        }
        let stale = self.episode.is_stale(&self.memory.stored);
        match episode_strip::ui(ui, &mut self.episode, &mut self.settings, stale, &mut self.textures) {
            Some(EpisodeAction::FillRandom) => self.fill_episode(false),
            Some(EpisodeAction::FillPatterns) => self.fill_episode(true),
            Some(EpisodeAction::AddDrawing) => self.episode.items.push(self.canvas.image.clone()),
            Some(EpisodeAction::Write) => {
                self.write_episode();
            }
            Some(EpisodeAction::ToQuery(i)) => self.canvas.set_item(self.episode.items[i].clone()),
            None => {}
        }
        ui.separator();
        let holds_address = self.memory.capabilities().holds_address;
        // Side by side where they fit; at a large scale the read goes under the query.
        let side_by_side = ui.available_width() >= ui_scale::SIDE_BY_SIDE_WIDTH;
        let action = ui.columns(if side_by_side { 2 } else { 1 }, |cols| {
            query_panel::ui(&mut cols[0], &mut self.canvas, &mut self.settings, &mut self.textures);
            let read = cols.last_mut().expect("one column at least");
            if !side_by_side {
                read.separator();
            }
            read_panel::ui(read, &self.read, self.compare.as_ref(), self.memory.stored.is_empty(), stale, holds_address, &mut self.settings, &mut self.textures)
        });
        self.apply_read_action(action);
        ui.separator();
        if self.memory.capabilities().generative {
            let action = read_panel::samples_ui(ui, &self.memory.samples, &mut self.textures);
            self.apply_read_action(action);
            ui.separator();
        }
        let context = SectionContext {
            memory: &self.memory,
            read: &self.read,
            data: self.episode.data_set(),
            trained: matches!(self.settings.model, Some(MemorySpec::Trained { .. })),
            plan: self.memory.plan(&self.settings.read),
            opened: self.lessons.open_panel.take(),
        };
        let commands = job_sections::ui(ui, &mut self.jobs, &context, &mut self.textures);
        if std::mem::take(&mut self.jobs.train.save_as_requested) {
            self.files.ask(PathPurpose::SaveCheckpointCopy);
        }
        if std::mem::take(&mut self.jobs.experiment.save_requested) {
            self.files.ask(PathPurpose::SaveExperiment);
        }
        for command in commands {
            self.send(command);
        }
    }

    fn apply_read_action(&mut self, action: Option<ReadAction>) {
        match action {
            Some(ReadAction::Step) => {
                self.step();
            }
            Some(ReadAction::TogglePlay) => self.read.playing = !self.read.playing,
            Some(ReadAction::Reset) => self.reset_read(),
            Some(ReadAction::Export(kind)) => self.files.ask(PathPurpose::Export(kind)),
            Some(ReadAction::SaveScene) => self.files.ask(PathPurpose::SaveScene),
            Some(ReadAction::Sample) => {
                let cleanup = ReadPlan { iterations: 3, update: ReadUpdate::Mean, seed: self.settings.read.seed + self.memory.samples.len() as u64, ..ReadPlan::default() };
                self.send(Command::Sample { count: 16, cleanup });
            }
            None => {}
        }
    }
}

impl eframe::App for ExplorerApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.show(ui);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, eframe::APP_KEY, &self.settings);
    }
}
