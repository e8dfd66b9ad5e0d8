//! The explorer's state and its wiring: views draw themselves and say what the person asked
//! for; this file turns that into worker commands and applies the worker's events.

use std::sync::Arc;

use eframe::egui::{self, Key, Modifiers};

use crate::catalog::{MemorySpec, ModelKind};
use crate::data::{Corruption, Embedded, Image, ImageSet};
use crate::memory::{Panel, ReadPlan, ReadUpdate, Term};
use crate::rng::SplitMix64;

use super::compare::CompareSession;
use super::lesson_run::{Answers, LessonPanel, LessonSession};
use super::demo::{Demo, DemoStage};
use super::exports::{ExportKind, write_export};
use super::read_session::ReadSession;
use super::settings::{ClickTarget, Settings, plan_for};
use super::texture::TextureCache;
use super::views::basins::BasinView;
use super::views::canvas::Canvas;
use super::views::dataset::{BrowserAction, DatasetBrowser};
use super::views::read_panel::{self, ReadAction};
use super::views::sweep_panel::SweepPanel;
use super::views::top_bar::{self, TopBarAction};
use super::views::train_panel::TrainPanel;
use super::views::path_prompt::{DialogOutcomes, Dialogs, PathPrompt, PathPurpose, remember, spawn_dialog};
use super::views::landscape_view::LandscapeView;
use super::views::lesson_panel::{self, LessonNav};
use super::views::{help, palette, query_panel};
use super::worker::{Command, Event, Worker};

pub struct ExplorerApp {
    pub settings: Settings,
    worker: Worker,
    pub(super) textures: TextureCache,
    pub models: Vec<MemorySpec>,
    pub model_name: String,
    pub energy_unit: String,
    /// What the evaluation's weights are: the plot's title and x axis.
    pub weights_label: (String, String),
    pub generative: bool,
    /// The loaded memory's reads hold an address (the addressing choice applies).
    pub holds_address: bool,
    pub browser: Option<DatasetBrowser>,
    pub episode: Vec<Image>,
    /// What memory holds now (as last written).
    pub stored: Vec<Image>,
    /// The stored images in the memory's own space (DKM codes), when it has one.
    pub stored_embeddings: Option<Vec<Vec<f32>>>,
    pub write_terms: Vec<Term>,
    /// First write term after each write (KL(M) for a DKM).
    pub write_history: Vec<f64>,
    pub panels: Vec<Panel>,
    pub(super) heatmaps: Vec<egui::TextureHandle>,
    pub canvas: Canvas,
    pub read: ReadSession,
    pub playing: bool,
    last_step_time: f64,
    pub samples: Vec<Image>,
    pub errors: Vec<String>,
    pub status: String,
    next_read_id: u64,
    /// Canvas version the current read started from.
    pub(super) read_query_version: u64,
    pub demo: Option<DemoStage>,
    pub demo_kind: Option<Demo>,
    model_ready: bool,
    pub train: TrainPanel,
    pub basins: BasinView,
    pub sweep: SweepPanel,
    /// A second memory read side by side with the first.
    pub compare: Option<CompareSession>,
    pub(super) ctx: egui::Context,
    /// Native dialogs, or straight to the path prompt (tests; people without a portal).
    pub dialogs: Dialogs,
    pub(super) dialog_outcomes: DialogOutcomes,
    pub path_prompt: PathPrompt,
    /// The memory can draw an energy landscape.
    pub has_landscape: bool,
    pub landscape: LandscapeView,
    /// The guided lesson being played, if any.
    pub lesson: Option<LessonSession>,
    /// The worker's answers so far, by kind (lessons wait on them).
    pub answers: Answers,
    /// A panel a lesson asked to open (applied once).
    pub open_panel: Option<LessonPanel>,
}

impl ExplorerApp {
    /// Starts the worker with the saved (or first available) model and the embedded data.
    pub fn new(ctx: &egui::Context, settings: Settings) -> Self {
        let mut models = MemorySpec::available();
        // A checkpoint asked for (`gui --checkpoint`, or loaded last time) joins the list.
        if let Some(spec @ MemorySpec::Trained { checkpoint, .. }) = &settings.model
            && checkpoint.is_file()
            && !models.contains(spec)
        {
            models.push(spec.clone());
        }
        // Prefer a shipped DKM; fall back to a memory that needs no training.
        let initial = settings
            .model
            .clone()
            .filter(|m| models.contains(m))
            .or_else(|| models.iter().find(|m| m.is_trained(ModelKind::Dkm)).cloned())
            .unwrap_or_else(|| models[0].clone());
        let wake_ctx = ctx.clone();
        let worker = Worker::spawn(initial, move || wake_ctx.request_repaint());
        let mut app = Self {
            settings: settings.within_limits(),
            worker,
            textures: TextureCache::default(),
            models,
            model_name: "loading...".into(),
            energy_unit: String::new(),
            weights_label: Default::default(),
            generative: false,
            holds_address: false,
            browser: None,
            episode: Vec::new(),
            stored: Vec::new(),
            stored_embeddings: None,
            write_terms: Vec::new(),
            write_history: Vec::new(),
            panels: Vec::new(),
            heatmaps: Vec::new(),
            canvas: Canvas::default(),
            read: ReadSession::default(),
            playing: false,
            last_step_time: 0.0,
            samples: Vec::new(),
            errors: Vec::new(),
            status: String::new(),
            next_read_id: 1,
            read_query_version: 0,
            demo: None,
            demo_kind: None,
            model_ready: false,
            train: TrainPanel::default(),
            basins: BasinView::default(),
            sweep: SweepPanel::default(),
            compare: None,
            ctx: ctx.clone(),
            dialogs: Dialogs::default(),
            dialog_outcomes: Default::default(),
            path_prompt: PathPrompt::default(),
            has_landscape: false,
            landscape: LandscapeView::default(),
            lesson: None,
            answers: Answers::default(),
            open_panel: None,
        };
        // The train panel trains on the training split by default; it loads on the worker.
        app.send(Command::LoadTrainingSet);
        match Embedded::MnistTest.load() {
            Ok(set) => app.set_data(Arc::new(set)),
            Err(e) => app.errors.push(format!("embedded data: {e}")),
        }
        app
    }

    pub fn send(&self, command: Command) {
        self.worker.send(command);
    }

    fn set_data(&mut self, set: Arc<ImageSet>) {
        self.status = format!("loaded {} ({} images)", set.source, set.len());
        self.browser = Some(DatasetBrowser::new(set));
    }

    /// True once the worker has loaded the first model.
    pub fn model_ready(&self) -> bool {
        self.model_ready
    }

    /// Writes the current read to `path` (used by the export buttons and tests).
    pub fn export_read(&self, kind: ExportKind, path: &std::path::Path) -> Result<(), crate::export::ExportError> {
        write_export(kind, &self.read.iterates, &self.read.distances, self.frame_ms(), path)
    }

    /// GIF frame duration: the play speed.
    fn frame_ms(&self) -> u32 {
        (self.settings.play_interval_s * 1000.0) as u32
    }


    /// Starts (or stops, with None) the side-by-side comparison memory.
    pub fn set_compare(&mut self, ctx: &egui::Context, choice: Option<MemorySpec>) {
        self.compare = choice.map(|c| CompareSession::new(ctx, c, &self.stored));
    }

    /// Applies every event the worker has sent (bounded per frame).
    pub fn drain_events(&mut self) {
        if let Some(compare) = &mut self.compare {
            let had_nothing = compare.stored == 0;
            compare.drain(&mut self.errors);
            // Its first write just landed: start its read from the current query.
            if had_nothing && compare.stored > 0 && !self.read.iterates.is_empty() {
                compare.reset(self.read.id, &self.read.iterates[0].image, &self.settings.read);
            }
        }
        for _ in 0..256 {
            let Ok(event) = self.worker.events.try_recv() else { break };
            match event {
                Event::ModelReady { name, energy_unit, weights_label, generative, holds_address, has_landscape, choice } => {
                    self.answers.models += 1;
                    self.has_landscape = has_landscape;
                    self.landscape.reset();
                    self.model_ready = true;
                    self.holds_address = holds_address;
                    self.status = match &choice {
                        MemorySpec::Trained { checkpoint, .. } => format!("model ready: {name}, from {}", crate::catalog::shipped::origin(checkpoint)),
                        _ => format!("model ready: {name}"),
                    };
                    self.model_name = name;
                    self.energy_unit = energy_unit;
                    self.weights_label = weights_label;
                    self.generative = generative;
                    self.settings.model = Some(choice);
                    self.stored.clear();
                    self.panels.clear();
                    self.heatmaps.clear();
                    // The write history is the previous model's: a new plot starts with it.
                    self.write_history.clear();
                    self.write_terms.clear();
                    self.samples.clear();
                    self.reset_read();
                }
                Event::DataLoaded(set) => self.set_data(set),
                Event::TrainingSetLoaded(set) => self.train.training_set = Some(set),
                Event::Written { report, stored, panels, embeddings } => {
                    self.answers.writes += 1;
                    self.landscape.reset();
                    self.stored_embeddings = embeddings;
                    self.status = format!("wrote {} images into {}", report.stored, self.model_name);
                    if let Some(first) = report.terms.first() {
                        self.write_history.push(first.value);
                    }
                    self.write_terms = report.terms;
                    self.stored = stored;
                    self.basins.reset();
                    self.panels = panels;
                    self.heatmaps.clear();
                    self.reset_read();
                }
                Event::Iterate { read_id, index, iterate, distances, embedding } => {
                    self.read.accept(read_id, index, iterate, distances, embedding);
                }
                Event::Sampled(images) => self.samples = images,
                Event::BasinMap { a, b, alphas, noises, cells } => {
                    self.basins.pending = false;
                    self.basins.result = Some((a, b, alphas, noises, cells));
                }
                Event::SweepProgress { done, total, .. } => self.sweep.on_progress(done, total),
                Event::SweepFinished { model, points, cancelled } => {
                    self.status = format!("sweep of {model} {}", if cancelled { "cancelled" } else { "done" });
                    self.sweep.on_finished(model, points, cancelled);
                }
                Event::Training(e) => self.train.on_event(e),
                Event::TrainingFinished(result) => {
                    if let Err(e) = &result {
                        self.errors.push(e.to_string());
                    }
                    self.train.on_finished(result);
                }
                Event::LandscapeProgress { done, total } => self.landscape.progress = Some((done, total)),
                Event::Landscape(result) => self.landscape.on_finished(result.map(|l| *l)),
                Event::SceneOpened { path, query, plan } => {
                    self.answers.scenes += 1;
                    // The scene's episode is what the memory holds: show it as the episode.
                    self.episode = self.stored.clone();
                    self.settings.read = plan;
                    self.canvas.set_image(query);
                    self.status = format!("opened scene {}", path.display());
                    remember(&mut self.settings.recent_paths, &path);
                }
                Event::SceneSaved { path, iterates } => {
                    self.status = format!("saved scene {} ({iterates} iterates recorded)", path.display());
                    remember(&mut self.settings.recent_paths, &path);
                }
                Event::Error(message) => {
                    self.answers.errors += 1;
                    self.landscape.running = false;
                    self.read.pending = false;
                    self.basins.pending = false;
                    self.sweep.on_error();
                    self.playing = false;
                    self.errors.push(message.to_string());
                }
            }
        }
    }

    /// Starts a new read from the canvas image (iterate 0 is evaluated on the worker).
    pub fn reset_read(&mut self) {
        self.playing = false;
        self.read_query_version = self.canvas.version;
        self.read = ReadSession { id: self.next_read_id, ..Default::default() };
        self.next_read_id += 1;
        if !self.stored.is_empty() {
            self.read.pending = true;
            let plan = plan_for(self.holds_address, &self.settings.read);
            self.send(Command::StartRead { read_id: self.read.id, query: self.canvas.image.clone(), plan });
        }
        if let Some(compare) = &mut self.compare {
            compare.reset(self.read.id, &self.canvas.image, &self.settings.read);
        }
    }

    /// Asks for the next iterate, if the last one is in and the limit not reached.
    pub fn step(&mut self) -> bool {
        if self.read.pending || self.stored.is_empty() {
            return false;
        }
        let Some(last) = self.read.iterates.last() else {
            self.reset_read();
            return false;
        };
        let index = self.read.iterates.len();
        self.read.pending = true;
        let seed = ReadSession::step_seed(self.settings.read.seed, index);
        let plan = plan_for(self.holds_address, &self.settings.read);
        self.send(Command::Step { read_id: self.read.id, index, from: Box::new(last.clone()), plan, seed });
        if let Some(compare) = &mut self.compare {
            compare.step(&self.settings.read, seed);
        }
        true
    }

    /// Sends the episode to the worker (and the compared memory); false, with the reason in
    /// the error list, when there was nothing to send.
    pub fn write_episode(&mut self) -> bool {
        if self.episode.is_empty() {
            self.errors.push("the episode is empty: add images first".into());
            return false;
        }
        self.send(Command::Write(self.episode.clone()));
        if let Some(compare) = &mut self.compare {
            compare.stored = 0;
            compare.send(Command::Write(self.episode.clone()));
        }
        true
    }

    pub fn fill_random_episode(&mut self) {
        let Some(browser) = &self.browser else { return };
        let pool = browser.visible();
        if pool.is_empty() {
            return;
        }
        let mut rng = SplitMix64::new(self.settings.read.seed.wrapping_add(self.write_history.len() as u64 * 31 + self.episode.len() as u64));
        self.episode = (0..self.settings.episode_size).map(|_| browser.set.image(pool[rng.below(pool.len())])).collect();
    }

    /// Replaces the episode with `episode_size` random binary images (each pixel on with
    /// probability ½), as `kanerva sweep --patterns random` stores.
    pub fn fill_random_patterns(&mut self) {
        let mut rng = SplitMix64::new(self.settings.read.seed.wrapping_add(0x9A77_E125 + self.write_history.len() as u64));
        self.episode = (0..self.settings.episode_size)
            .map(|_| Image::new(crate::data::SIDE, crate::data::SIDE, (0..crate::data::PIXELS).map(|_| if rng.next_f32() < 0.5 { 1.0 } else { 0.0 }).collect()))
            .collect();
    }

    /// Whether the episode on screen differs from what the memory holds (it was edited after
    /// the last write).
    pub fn memory_is_stale(&self) -> bool {
        !self.stored.is_empty() && self.episode != self.stored
    }

    pub fn current_corruption(&self) -> Corruption {
        self.settings.corruption()
    }

    fn handle_keys(&mut self, ctx: &egui::Context) {
        if ctx.egui_wants_keyboard_input() {
            return;
        }
        if ctx.input_mut(|i| i.consume_key(Modifiers::COMMAND, Key::Z)) {
            self.canvas.undo();
        }
        if ctx.input_mut(|i| i.consume_key(Modifiers::NONE, Key::S)) {
            self.step();
        }
        if ctx.input_mut(|i| i.consume_key(Modifiers::NONE, Key::P)) {
            self.playing = !self.playing;
        }
        if ctx.input_mut(|i| i.consume_key(Modifiers::NONE, Key::R)) {
            self.reset_read();
        }
        if ctx.input_mut(|i| i.consume_key(Modifiers::NONE, Key::C)) {
            self.canvas.clear();
        }
    }

    fn handle_dropped_files(&mut self, ctx: &egui::Context) {
        let dropped = ctx.input(|i| i.raw.dropped_files.clone());
        for file in dropped {
            let path = file.path();
            if !path.as_os_str().is_empty() {
                self.send(Command::LoadData(path.to_path_buf()));
            }
        }
    }

    fn play(&mut self, ctx: &egui::Context) {
        if !self.playing {
            return;
        }
        let now = ctx.input(|i| i.time);
        if self.read.iterates.len() > self.settings.read.iterations {
            self.playing = false;
            return;
        }
        if now - self.last_step_time >= self.settings.play_interval_s as f64 && self.step() {
            self.last_step_time = now;
        }
        ctx.request_repaint_after(std::time::Duration::from_secs_f32(self.settings.play_interval_s.min(0.1)));
    }

    /// The whole UI; used by `eframe::App::ui` and by the UI tests.
    pub fn show(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        // The sideways strips (episode, filmstrips) scroll with the plain mouse wheel.
        ui.style_mut().always_scroll_the_only_direction = true;
        self.drain_events();
        self.drain_dialogs();
        self.run_demo();
        self.run_lesson();
        self.handle_keys(&ctx);
        self.handle_dropped_files(&ctx);
        self.play(&ctx);
        egui::Panel::top("top_bar").show(ui, |ui| self.top_bar(ui));
        egui::Panel::bottom("status_bar").show(ui, |ui| self.status_bar(ui));
        // Side panels fill their width, so content never shrinks or grows them frame by frame.
        egui::Panel::left("dataset_panel").default_size(340.0).show(ui, |ui| {
            ui.set_min_width(ui.available_width());
            self.dataset_panel(ui);
        });
        egui::Panel::right("plots_panel").default_size(420.0).show(ui, |ui| {
            ui.set_min_width(ui.available_width());
            egui::ScrollArea::vertical().show(ui, |ui| self.plots_panel(ui));
        });
        egui::CentralPanel::default().show(ui, |ui| {
            // The training and basin demos show what is at the bottom of the page.
            let follow = matches!(self.demo_kind, Some(Demo::Train | Demo::Basins | Demo::Landscape));
            egui::ScrollArea::vertical().stick_to_bottom(follow).show(ui, |ui| self.central_panel(ui));
        });
        if let Some((purpose, path)) = self.path_prompt.ui(&ctx, &self.settings.recent_paths) {
            self.use_path(purpose, path);
        }
        if let Some(lesson) = &self.lesson {
            let step = lesson.step;
            match lesson_panel::ui(&ctx, lesson, !self.lesson_idle()) {
                Some(LessonNav::Back) => self.enter_lesson_step(step.saturating_sub(1)),
                Some(LessonNav::Next) => self.enter_lesson_step(step + 1),
                Some(LessonNav::Close) => self.lesson = None,
                None => {}
            }
        }
        self.restart_read_if_query_changed(&ctx);
    }

    fn top_bar(&mut self, ui: &mut egui::Ui) {
        let compare = self.compare.as_ref().map(|c| c.choice.clone());
        match top_bar::ui(ui, &self.models, &mut self.settings.model, compare.as_ref(), &mut self.settings.show_help) {
            Some(TopBarAction::Select(m)) => self.send(Command::SelectModel(m)),
            Some(TopBarAction::Compare(choice)) => {
                let ctx = ui.ctx().clone();
                self.set_compare(&ctx, choice);
            }
            Some(TopBarAction::OpenData) => self.ask_for_path(PathPurpose::OpenData),
            Some(TopBarAction::OpenFolder) => {
                let dialog = || rfd::FileDialog::new().set_title("Open a folder of pictures").pick_folder();
                spawn_dialog(self.dialogs, PathPurpose::OpenData, &self.dialog_outcomes, dialog);
            }
            Some(TopBarAction::LoadCheckpoint) => self.ask_for_path(PathPurpose::LoadCheckpoint),
            Some(TopBarAction::TypePath) => self.path_prompt.open(PathPurpose::OpenData, None),
            Some(TopBarAction::OpenScene) => self.ask_for_path(PathPurpose::OpenScene),
            None => {}
        }
    }

    fn status_bar(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            if !self.worker.is_alive() {
                ui.colored_label(egui::Color32::RED, "worker stopped");
            }
            ui.label(&self.status);
        });
        let mut dismiss = None;
        for (i, e) in self.errors.iter().enumerate().rev().take(3) {
            ui.horizontal(|ui| {
                ui.colored_label(egui::Color32::from_rgb(255, 120, 100), format!("error: {e}"));
                if ui.small_button("dismiss").clicked() {
                    dismiss = Some(i);
                }
            });
        }
        if let Some(i) = dismiss {
            self.errors.remove(i);
        }
    }

    fn dataset_panel(&mut self, ui: &mut egui::Ui) {
        ui.heading("Data");
        ui.horizontal(|ui| {
            ui.label("click puts image into:");
            ui.selectable_value(&mut self.settings.click_target, ClickTarget::Episode, "episode");
            ui.selectable_value(&mut self.settings.click_target, ClickTarget::Query, "query");
        });
        let action = match &mut self.browser {
            Some(browser) => egui::ScrollArea::vertical().show(ui, |ui| browser.ui(ui, &self.episode, &mut self.textures)).inner,
            None => {
                ui.label("no data loaded");
                None
            }
        };
        if let Some(BrowserAction::Clicked { image, .. }) = action {
            match self.settings.click_target {
                ClickTarget::Episode => self.episode.push(image),
                ClickTarget::Query => self.canvas.set_image(image),
            }
        }
    }

    fn central_panel(&mut self, ui: &mut egui::Ui) {
        if self.settings.show_help {
            egui::CollapsingHeader::new("How to use").default_open(self.demo_kind.is_none() || self.demo_kind == Some(Demo::Denoise)).show(ui, help::ui);
        }
        ui.heading(format!("Episode ({} images)", self.episode.len()));
        ui.horizontal(|ui| {
            ui.add(egui::DragValue::new(&mut self.settings.episode_size).range(1..=crate::memory::limits::MAX_EXPLORER_EPISODE).prefix("T = "));
            if ui.button("Fill random").on_hover_text("T random items of the data shown (its label filter applies)").clicked() {
                self.fill_random_episode();
            }
            if ui.button("Random patterns").on_hover_text("T unbiased random binary images, the classical capacity theory's patterns (a trained memory can only store what its decoder draws)").clicked() {
                self.fill_random_patterns();
            }
            if ui.button("Add drawing").on_hover_text("add the query canvas's image to the episode").clicked() {
                self.episode.push(self.canvas.image.clone());
            }
            if ui.button("Clear").clicked() {
                self.episode.clear();
            }
            if ui.add_enabled(!self.episode.is_empty(), egui::Button::new("Write to memory")).clicked() {
                self.write_episode();
            }
        });
        if self.memory_is_stale() {
            ui.colored_label(egui::Color32::from_rgb(255, 190, 90), "The episode changed since the last write: the memory (and the plots of distances and basins) still hold the older one. Press \"Write to memory\".");
        }
        let mut clicked = None;
        let (hint, to_query) = match self.settings.click_target {
            ClickTarget::Query => ("click to make it the query", true),
            ClickTarget::Episode => ("click to remove it from the episode", false),
        };
        // Strips scroll sideways instead of wrapping, so the layout below never jumps.
        // Each item keeps its colour in every plot (views/palette.rs); the strip's height
        // leaves room for the scroll bar so no thumbnail is clipped.
        // Thumbnails shrink (to 24 points) before the strip has to scroll.
        let side = ((ui.available_width() - 8.0) / self.episode.len().max(1) as f32 - ui.spacing().item_spacing.x).clamp(24.0, 40.0);
        egui::ScrollArea::horizontal().id_salt("episode_strip").min_scrolled_height(side + 22.0).show(ui, |ui| {
            ui.horizontal(|ui| {
                ui.set_min_height(side + 16.0);
                for (i, image) in self.episode.iter().enumerate() {
                    ui.vertical(|ui| {
                        if self.textures.show(ui, image, side).on_hover_text(format!("item {i}: {hint}")).clicked() {
                            clicked = Some(i);
                        }
                        ui.label(egui::RichText::new(format!("{i}")).small().strong().color(palette::item_colour(i)));
                    });
                }
            });
        });
        match clicked {
            // A stored item becomes the query, to read it back (corrupt it first, or not).
            Some(i) if to_query => self.canvas.set_image(self.episode[i].clone()),
            Some(i) => {
                self.episode.remove(i);
            }
            None => {}
        }
        ui.separator();
        let action = ui.columns(2, |cols| {
            query_panel::ui(&mut cols[0], &mut self.canvas, &mut self.settings, &mut self.textures);
            read_panel::ui(&mut cols[1], &self.read, self.compare.as_ref(), self.stored.is_empty(), self.holds_address, self.playing, &mut self.settings, &mut self.textures)
        });
        self.apply_read_action(action);
        ui.separator();
        let opened = self.open_panel.take();
        let force = |panel| (opened == Some(panel)).then_some(true);
        egui::CollapsingHeader::new("Basins").default_open(self.demo_kind == Some(Demo::Basins)).open(force(LessonPanel::Basins)).show(ui, |ui| {
            let space = super::views::basins::MapSpace::new(&self.stored, self.stored_embeddings.as_deref(), &self.read);
            if let Some(command) = self.basins.ui(ui, &self.stored, &space, plan_for(self.holds_address, &self.settings.read), &mut self.textures) {
                self.send(command);
            }
            ui.separator();
            if let Some(command) = self.landscape.ui(ui, self.stored.len(), self.has_landscape, &self.read.iterates, &mut self.textures) {
                self.send(command);
            }
        });
        if self.generative {
            ui.separator();
            let action = read_panel::samples_ui(ui, &self.samples, &mut self.textures);
            self.apply_read_action(action);
        }
        ui.separator();
        egui::CollapsingHeader::new("Sweeps: capacity and corruption").default_open(false).open(force(LessonPanel::Sweeps)).show(ui, |ui| {
            let data = self.browser.as_ref().map(|b| b.set.clone());
            let trained = matches!(self.settings.model, Some(MemorySpec::Trained { .. }));
            let plan = plan_for(self.holds_address, &self.settings.read);
            if let Some(command) = self.sweep.ui(ui, data.as_ref(), trained, plan.addressing) {
                self.send(command);
            }
        });
        ui.separator();
        egui::CollapsingHeader::new("Train a model").default_open(self.train.running || self.demo_kind == Some(Demo::Train)).open(force(LessonPanel::Train)).show(ui, |ui| {
            let data = self.browser.as_ref().map(|b| b.set.clone());
            if let Some(command) = self.train.ui(ui, data.as_ref()) {
                self.send(command);
            }
            if std::mem::take(&mut self.train.save_as_requested) {
                self.ask_for_path(PathPurpose::SaveCheckpointCopy);
            }
        });
    }

    /// A changed query restarts the read, once the person has let go of the mouse.
    fn restart_read_if_query_changed(&mut self, ctx: &egui::Context) {
        if self.canvas.version != self.read_query_version && !ctx.input(|i| i.pointer.any_down()) {
            self.reset_read();
        }
    }

    fn apply_read_action(&mut self, action: Option<ReadAction>) {
        match action {
            Some(ReadAction::Step) => {
                self.step();
            }
            Some(ReadAction::TogglePlay) => self.playing = !self.playing,
            Some(ReadAction::Reset) => self.reset_read(),
            Some(ReadAction::Export(kind)) => self.ask_for_path(PathPurpose::Export(kind)),
            Some(ReadAction::SaveScene) => self.ask_for_path(PathPurpose::SaveScene),
            Some(ReadAction::Sample) => {
                let cleanup = ReadPlan { iterations: 3, update: ReadUpdate::Mean, seed: self.settings.read.seed + self.samples.len() as u64, ..ReadPlan::default() };
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
