//! Training from the explorer: settings, start/cancel, progress with ETA, live loss curves,
//! and loading the result (or any checkpoint) as the current memory.

use std::path::PathBuf;
use std::sync::Arc;

use eframe::egui;
use egui_plot::{Legend, Line, Plot, PlotPoints};

use crate::data::ImageSet;
use crate::memory::dkm::WriteMode;
use crate::model::{Arch, DkmConfig, KmConfig};
use crate::train::{AnyModelConfig, StepMetrics, TrainConfig, TrainEvent, TrainOutcome};

use crate::app::worker::{Command, TrainRequest};

/// Which model the panel trains.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrainKind {
    Dkm,
    Km,
}

pub struct TrainPanel {
    pub kind: TrainKind,
    pub steps: u64,
    pub lr: f64,
    pub batch: usize,
    pub episode_size: usize,
    pub arch: Arch,
    pub out: String,
    pub resume: bool,
    pub running: bool,
    pub history: Vec<(u64, StepMetrics)>,
    pub progress: Option<(u64, u64, f64, f64)>,
    pub message: String,
    /// The checkpoint of the last finished run, ready to load.
    pub finished: Option<PathBuf>,
    /// Results of "Save as..." copies, reported by their helper thread.
    save_notices: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl Default for TrainPanel {
    fn default() -> Self {
        Self {
            kind: TrainKind::Dkm,
            steps: 2000,
            lr: 3e-4,
            batch: 16,
            episode_size: 32,
            arch: Arch::Simple,
            out: "runs/explorer.ckpt".into(),
            resume: false,
            running: false,
            history: Vec::new(),
            progress: None,
            message: String::new(),
            finished: None,
            save_notices: Default::default(),
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

    pub fn on_finished(&mut self, result: Result<(TrainOutcome, PathBuf), String>) {
        self.running = false;
        match result {
            Ok((outcome, path)) => {
                self.message = match outcome {
                    TrainOutcome::Completed { steps } => format!("completed {steps} steps; saved {}", path.display()),
                    TrainOutcome::Cancelled { steps } => format!("cancelled at step {steps}; saved {}", path.display()),
                    TrainOutcome::TimeLimit { steps } => format!("time limit at step {steps}; saved {}", path.display()),
                };
                self.finished = Some(path);
            }
            Err(e) => self.message = format!("training stopped: {e}"),
        }
    }

    /// The request for the current settings, training on `data`.
    pub fn request(&self, data: Arc<ImageSet>) -> TrainRequest {
        let model = match self.kind {
            TrainKind::Dkm => {
                let mut config = DkmConfig::new().with_arch(self.arch);
                config.memory.write_mode = WriteMode::StaticBatched;
                AnyModelConfig::Dkm(config)
            }
            TrainKind::Km => AnyModelConfig::Km(KmConfig::new().with_arch(self.arch)),
        };
        TrainRequest {
            data_name: data.source.clone(),
            data,
            model,
            train: TrainConfig {
                steps: self.steps,
                batch: self.batch,
                episode_size: self.episode_size,
                lr: self.lr,
                log_every: 5,
                checkpoint_every: 200,
                ..TrainConfig::default()
            },
            out: PathBuf::from(&self.out),
            resume: self.resume,
        }
    }

    /// Asks for a destination (off the UI thread; cancelling does nothing) and copies the
    /// checkpoint and its card there atomically.
    fn save_as_dialog(&self, source: PathBuf) {
        let notices = self.save_notices.clone();
        std::thread::spawn(move || {
            let Some(dest) = rfd::FileDialog::new().set_file_name("model.ckpt").add_filter("checkpoint", &["ckpt"]).save_file() else { return };
            let notice = match copy_checkpoint(&source, &dest) {
                Ok(()) => format!("saved a copy to {}", dest.display()),
                Err(e) => format!("could not save: {e}"),
            };
            notices.lock().expect("notices lock").push(notice);
        });
    }

    /// Draws the panel; returns a command for the worker when a button asks for one.
    pub fn ui(&mut self, ui: &mut egui::Ui, data: Option<&Arc<ImageSet>>) -> Option<Command> {
        let mut command = None;
        ui.horizontal(|ui| {
            ui.add_enabled_ui(!self.running, |ui| {
                ui.selectable_value(&mut self.kind, TrainKind::Dkm, "DKM").on_hover_text("Dynamic Kanerva Machine");
                ui.selectable_value(&mut self.kind, TrainKind::Km, "KM").on_hover_text("Kanerva Machine (learned addressing, stochastic code)");
            });
            ui.add(egui::DragValue::new(&mut self.steps).range(1..=1_000_000).prefix("steps "));
            ui.add(egui::DragValue::new(&mut self.lr).range(1e-6..=1e-1).speed(1e-5).prefix("lr "));
            ui.add(egui::DragValue::new(&mut self.batch).range(1..=128).prefix("B "));
            ui.add(egui::DragValue::new(&mut self.episode_size).range(1..=128).prefix("T "));
        });
        ui.horizontal(|ui| {
            ui.selectable_value(&mut self.arch, Arch::Simple, "simple");
            ui.selectable_value(&mut self.arch, Arch::Resnet, "resnet");
            ui.label("checkpoint");
            ui.add(egui::TextEdit::singleline(&mut self.out).desired_width(180.0));
            ui.checkbox(&mut self.resume, "resume");
        });
        ui.horizontal(|ui| {
            let can_start = !self.running && data.is_some_and(|d| d.rows == 28 && d.cols == 28 && d.len() > 0);
            if ui.add_enabled(can_start, egui::Button::new("Start training")).on_hover_text("trains on the data shown in the data panel").clicked() {
                if let Some(data) = data {
                    self.running = true;
                    self.history.clear();
                    self.progress = None;
                    self.finished = None;
                    command = Some(Command::Train(self.request(data.clone())));
                }
            }
            if ui.add_enabled(self.running, egui::Button::new("Cancel training")).clicked() {
                command = Some(Command::CancelTraining);
            }
            if let Some(path) = self.finished.clone() {
                if ui.button("Use trained model").clicked() {
                    command = Some(Command::SelectModel(crate::app::models::ModelChoice::trained(path.clone())));
                }
                if ui.button("Save as...").on_hover_text("copy the checkpoint and its card elsewhere").clicked() {
                    self.save_as_dialog(path);
                }
            }
        });
        if let Some(notice) = self.save_notices.lock().expect("notices lock").pop() {
            self.message = notice;
        }
        if let Some((step, total, rate, eta)) = self.progress {
            let fraction = step as f32 / total.max(1) as f32;
            ui.add(egui::ProgressBar::new(fraction).text(format!("step {step}/{total} · {rate:.2} steps/s · ETA {:.0} s", eta)));
        }
        if !self.message.is_empty() {
            ui.label(&self.message);
        }
        if !self.history.is_empty() {
            Plot::new("train_curves").height(160.0).legend(Legend::default()).x_axis_label("step").y_axis_label("nats / image").allow_scroll(false).show(ui, |plot| {
                let series = |f: fn(&StepMetrics) -> f64| PlotPoints::from(self.history.iter().map(|(s, m)| [*s as f64, f(m)]).collect::<Vec<_>>());
                plot.line(Line::new("-ELBO", series(|m| m.nats_per_image)).width(2.0));
                plot.line(Line::new("reconstruction", series(|m| m.recon_nats)));
                plot.line(Line::new("KL(w) or KL(y)", series(|m| m.kl_addressing_nats)));
                if self.history.iter().any(|(_, m)| m.kl_code_nats != 0.0) {
                    plot.line(Line::new("KL(z)", series(|m| m.kl_code_nats)));
                }
                plot.line(Line::new("KL(M)/T", series(|m| m.kl_memory_nats)));
                plot.line(Line::new("AE", series(|m| m.ae_nats)));
            });
        }
        command
    }
}

/// Copies a checkpoint and its readable card, each written atomically.
pub fn copy_checkpoint(source: &std::path::Path, dest: &std::path::Path) -> Result<(), String> {
    use crate::train::checkpoint::{card_path, write_atomically};
    let bytes = std::fs::read(source).map_err(|e| format!("{}: {e}", source.display()))?;
    // Refuse to copy something that is not a valid checkpoint.
    crate::train::CheckpointFile::parse(source, &bytes).map_err(|e| e.to_string())?;
    write_atomically(dest, &bytes).map_err(|e| e.to_string())?;
    if let Ok(card) = std::fs::read(card_path(source)) {
        write_atomically(&card_path(dest), &card).map_err(|e| e.to_string())?;
    }
    Ok(())
}
