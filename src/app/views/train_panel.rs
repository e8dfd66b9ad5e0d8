//! Training from the explorer: settings, start/cancel, progress with ETA, live loss curves,
//! and loading the result (or any checkpoint) as the current memory.

use std::path::PathBuf;
use std::sync::Arc;

use eframe::egui;
use egui_plot::{Legend, Line, Plot, PlotPoints};

use crate::app::job::JobState;
use crate::app::worker::{AppError, Command};
use crate::catalog::{MemorySpec, ModelKind, model_spec};
use crate::data::ImageSet;
use crate::model::{Arch, ModelOptions};
use crate::train::{StepMetrics, TrainConfig, TrainEvent, TrainJob, TrainOutcome, TrainStart};

pub struct TrainPanel {
    pub kind: ModelKind,
    pub steps: u64,
    pub lr: f64,
    pub batch: usize,
    pub episode_size: usize,
    /// The model's shape and loss options (the panel edits the architecture).
    pub options: ModelOptions,
    /// Train on the embedded MNIST training split (the default) rather than the data shown.
    pub on_training_split: bool,
    /// The embedded training split, once the worker has loaded it.
    pub training_set: Option<Arc<ImageSet>>,
    pub out: String,
    pub resume: bool,
    pub job: JobState,
    pub history: Vec<(u64, StepMetrics)>,
    pub progress: Option<(u64, u64, f64, f64)>,
    pub message: String,
    /// The checkpoint of the last finished run, ready to load.
    pub finished: Option<PathBuf>,
    /// Results of "Save as..." copies, reported by their helper thread.
    /// "Save as..." was pressed: the app asks for the destination (views/path_prompt.rs).
    pub save_as_requested: bool,
}

impl Default for TrainPanel {
    fn default() -> Self {
        let train = TrainConfig::default();
        Self {
            kind: ModelKind::Dkm,
            steps: 2000,
            lr: train.lr,
            batch: train.batch,
            episode_size: train.episode_size,
            options: ModelOptions::default(),
            on_training_split: true,
            training_set: None,
            out: "runs/explorer.ckpt".into(),
            resume: false,
            job: JobState::default(),
            history: Vec::new(),
            progress: None,
            message: String::new(),
            finished: None,
            save_as_requested: false,
        }
    }
}

impl TrainPanel {
    pub fn on_event(&mut self, event: TrainEvent) {
        match event {
            TrainEvent::Started { start_step, total_steps } => {
                self.message = format!("training from step {start_step} to {total_steps}");
            }
            TrainEvent::Metrics { step, total_steps, metrics, steps_per_s, eta_s } => {
                self.history.push((step, metrics));
                self.progress = Some((step, total_steps, steps_per_s, eta_s));
            }
            TrainEvent::CheckpointSaved { step, path } => self.message = format!("saved step {step} to {path}"),
        }
    }

    pub fn on_finished(&mut self, result: Result<(TrainOutcome, PathBuf), AppError>) {
        self.job.finish();
        match result {
            Ok((outcome, path)) => {
                self.message = match outcome {
                    TrainOutcome::Completed { steps } => format!("completed {steps} steps; saved {}", path.display()),
                    TrainOutcome::Cancelled { steps } => format!("cancelled at step {steps}; saved {}", path.display()),
                    TrainOutcome::TimeLimit { steps } => format!("time limit at step {steps}; saved {}", path.display()),
                };
                self.finished = Some(path);
            }
            Err(e) => {
                self.message = format!("training stopped: {e}");
                self.job.fail(e.to_string());
            }
        }
    }

    /// Copies the last finished run's checkpoint (and card) to `dest`; the panel says so.
    pub fn save_copy(&mut self, dest: &std::path::Path) -> Result<(), String> {
        let source = self.finished.as_ref().ok_or("no finished checkpoint to save")?;
        copy_checkpoint(source, dest).map_err(|e| format!("could not save: {e}"))?;
        self.message = format!("saved a copy to {}", dest.display());
        Ok(())
    }

    /// Starts a run of the current settings on `data`: the command for the worker.
    pub fn start(&mut self, data: Arc<ImageSet>) -> Command {
        self.history.clear();
        self.progress = None;
        self.finished = None;
        let cancel = self.job.start();
        Command::Train { job: self.train_job(data), cancel }
    }

    /// The job for the current settings, training on `data`.
    pub fn train_job(&self, data: Arc<ImageSet>) -> TrainJob {
        let train = TrainConfig::default();
        TrainJob {
            model: model_spec(self.kind, &self.options, train.seed),
            data_name: data.source.clone(),
            data,
            train: TrainConfig {
                steps: self.steps,
                batch: self.batch,
                episode_size: self.episode_size,
                lr: self.lr,
                log_every: 5,
                checkpoint_every: 200,
                ..train
            },
            out: PathBuf::from(&self.out),
            start: if self.resume { TrainStart::Resume } else { TrainStart::Fresh },
        }
    }

    /// Asks for a destination (off the UI thread; cancelling does nothing) and copies the
    /// checkpoint and its card there atomically.
    /// Draws the panel; returns a command for the worker when a button asks for one.
    pub fn ui(&mut self, ui: &mut egui::Ui, data: Option<&Arc<ImageSet>>) -> Option<Command> {
        let mut command = None;
        ui.horizontal(|ui| {
            ui.add_enabled_ui(!self.job.is_running(), |ui| {
                for kind in ModelKind::ALL {
                    ui.selectable_value(&mut self.kind, kind, kind.label()).on_hover_text(kind.title());
                }
            });
            ui.add(egui::DragValue::new(&mut self.steps).range(1..=1_000_000).prefix("steps "));
            ui.add(egui::DragValue::new(&mut self.lr).range(1e-6..=1e-1).speed(1e-5).prefix("lr "));
            ui.add(egui::DragValue::new(&mut self.batch).range(1..=128).prefix("B "));
            ui.add(egui::DragValue::new(&mut self.episode_size).range(1..=128).prefix("T "));
        });
        ui.horizontal(|ui| {
            ui.selectable_value(&mut self.options.arch, Arch::Simple, "simple");
            ui.selectable_value(&mut self.options.arch, Arch::Resnet, "resnet");
            ui.label("checkpoint");
            ui.add(egui::TextEdit::singleline(&mut self.out).desired_width(180.0));
            ui.checkbox(&mut self.resume, "resume");
        });
        ui.horizontal(|ui| {
            ui.checkbox(&mut self.on_training_split, "train on the MNIST training split (60000)").on_hover_text("off: train on the data shown in the data panel");
            if self.on_training_split && self.training_set.is_none() {
                ui.small("(loading...)");
            }
        });
        let source = if self.on_training_split { self.training_set.clone() } else { data.cloned() };
        let source = source.as_ref();
        if !self.on_training_split && data.is_some_and(|d| d.source.contains("test")) {
            ui.colored_label(egui::Color32::from_rgb(255, 190, 90), "the data shown is a test set: a model trained on it cannot be evaluated on it");
        }
        ui.horizontal(|ui| {
            let can_start = !self.job.is_running() && source.is_some_and(|d| d.rows == 28 && d.cols == 28 && d.len() > 0);
            if ui.add_enabled(can_start, egui::Button::new("Start training")).on_hover_text("trains on the training split, or on the data shown").clicked() {
                if let Some(data) = source {
                    command = Some(self.start(data.clone()));
                }
            }
            if ui.add_enabled(self.job.is_running(), egui::Button::new("Cancel training")).clicked() {
                self.job.cancel();
            }
            if let Some(path) = self.finished.clone() {
                if ui.button("Use trained model").clicked() {
                    command = Some(Command::SelectModel(MemorySpec::trained(path.clone())));
                }
                if ui.button("Save as...").on_hover_text("copy the checkpoint and its card elsewhere").clicked() {
                    self.save_as_requested = true;
                }
            }
        });
        if let Some((step, total, rate, eta)) = self.progress {
            let fraction = step as f32 / total.max(1) as f32;
            // The ETA belongs to a running job: after a cancel or a stop it would be a lie.
            let text = if self.job.is_running() { format!("step {step}/{total} · {rate:.2} steps/s · ETA {eta:.0} s") } else { format!("step {step}/{total} · stopped") };
            ui.add(egui::ProgressBar::new(fraction).text(text));
        }
        if !self.message.is_empty() {
            ui.label(&self.message);
        }
        if !self.history.is_empty() {
            // The model names its terms and their unit (nats per image for the DKM and KM).
            let names: Vec<_> = self.history.last().map(|(_, m)| m.terms.0.iter().map(|t| t.name).collect()).unwrap_or_default();
            let unit = names.first().map_or("", |n| n.unit);
            Plot::new("train_curves").height(160.0).legend(Legend::default()).x_axis_label("step").y_axis_label(format!("{unit} / image")).allow_scroll(false).show(ui, |plot| {
                let series = |key: &str| PlotPoints::from(self.history.iter().filter_map(|(s, m)| Some([*s as f64, m.terms.get(key)?])).collect::<Vec<_>>());
                for (i, name) in names.iter().enumerate() {
                    let line = Line::new(name.label, series(name.key));
                    plot.line(if i == 0 { line.width(2.0) } else { line });
                }
            });
        }
        command
    }
}

/// Copies a checkpoint and its readable card, each written atomically; refuses a source that
/// is not a valid checkpoint.
pub fn copy_checkpoint(source: &std::path::Path, dest: &std::path::Path) -> Result<(), crate::train::CheckpointError> {
    use crate::train::checkpoint::{card_path, write_atomically};
    let bytes = crate::train::CheckpointFile::read_bytes(source)?;
    crate::train::CheckpointFile::parse(source, &bytes)?;
    write_atomically(dest, &bytes)?;
    if let Ok(card) = crate::data::read_bounded(&card_path(source), 1 << 20) {
        write_atomically(&card_path(dest), &card)?;
    }
    Ok(())
}
