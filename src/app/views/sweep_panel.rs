//! Capacity sweeps from the explorer: recall error against the number of stored patterns for
//! the current memory, on random patterns or the loaded data; results of several memories
//! share one plot.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use eframe::egui;
use egui_plot::{Legend, Line, Plot, PlotPoints, Points};

use crate::app::worker::Command;
use crate::data::{Corruption, ImageSet};
use crate::eval::SweepPoint;

pub struct SweepPanel {
    pub counts: String,
    pub flip_probability: f32,
    pub use_data: bool,
    pub running: bool,
    pub progress: Option<(usize, usize)>,
    /// Finished sweeps: (memory name and pattern source, points).
    pub results: Vec<(String, Vec<SweepPoint>)>,
    cancel: Arc<AtomicBool>,
    source_label: String,
}

impl Default for SweepPanel {
    fn default() -> Self {
        Self {
            counts: "10,20,40,80,160".into(),
            flip_probability: 0.1,
            use_data: false,
            running: false,
            progress: None,
            results: Vec::new(),
            cancel: Arc::new(AtomicBool::new(false)),
            source_label: String::new(),
        }
    }
}

impl SweepPanel {
    pub fn on_progress(&mut self, done: usize, total: usize) {
        self.progress = Some((done, total));
    }

    pub fn on_finished(&mut self, model: String, points: Vec<SweepPoint>, cancelled: bool) {
        self.running = false;
        if !cancelled && !points.is_empty() {
            self.results.push((format!("{model} · {}", self.source_label), points));
        }
    }

    pub fn on_error(&mut self) {
        self.running = false;
    }

    fn parse_counts(&self) -> Result<Vec<usize>, String> {
        self.counts
            .split(',')
            .map(|c| c.trim().parse::<usize>().map_err(|_| format!("{c:?} is not a whole number")))
            .filter(|r| r.as_ref().map_or(true, |&n| n > 0))
            .collect()
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, data: Option<&Arc<ImageSet>>) -> Option<Command> {
        let mut command = None;
        ui.horizontal(|ui| {
            ui.label("stored");
            ui.add(egui::TextEdit::singleline(&mut self.counts).desired_width(120.0));
            ui.add(egui::Slider::new(&mut self.flip_probability, 0.0..=0.4).text("bit flips"));
        });
        ui.horizontal(|ui| {
            ui.selectable_value(&mut self.use_data, false, "random patterns");
            ui.selectable_value(&mut self.use_data, true, "loaded data");
            let counts = self.parse_counts();
            if let Err(e) = &counts {
                ui.colored_label(egui::Color32::from_rgb(255, 120, 100), e);
            }
            if ui.add_enabled(!self.running && counts.is_ok(), egui::Button::new("Run sweep")).clicked() {
                self.cancel = Arc::new(AtomicBool::new(false));
                self.running = true;
                self.progress = None;
                self.source_label = if self.use_data { data.map_or("data".into(), |d| d.source.clone()) } else { "random".into() };
                command = Some(Command::Sweep {
                    patterns: if self.use_data { data.cloned() } else { None },
                    stored: counts.unwrap_or_default(),
                    noise: Corruption::BitFlip { p: self.flip_probability },
                    iterations: 10,
                    cancel: self.cancel.clone(),
                });
            }
            if ui.add_enabled(self.running, egui::Button::new("Cancel sweep")).clicked() {
                self.cancel.store(true, Ordering::Relaxed);
            }
            if ui.add_enabled(!self.results.is_empty(), egui::Button::new("Clear plot")).clicked() {
                self.results.clear();
            }
        });
        if let (true, Some((done, total))) = (self.running, self.progress) {
            ui.add(egui::ProgressBar::new(done as f32 / total.max(1) as f32).text(format!("{done}/{total} loads")));
        }
        if !self.results.is_empty() {
            Plot::new("sweep_plot").height(160.0).legend(Legend::default()).x_axis_label("stored patterns").y_axis_label("recall error").allow_scroll(false).show(ui, |plot| {
                for (name, points) in &self.results {
                    let xy: Vec<[f64; 2]> = points.iter().map(|p| [p.stored as f64, p.recall_error]).collect();
                    plot.line(Line::new(name.clone(), PlotPoints::from(xy.clone())));
                    plot.points(Points::new(name.clone(), xy).radius(3.0));
                }
            });
        }
        command
    }
}
