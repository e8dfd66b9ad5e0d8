//! The Experiments section: pick one of the papers' experiments, run it (quick or full) on
//! its own thread with progress and cancel, watch its curves fill in point by point, and save
//! its JSON record, CSV and PNG plots. The same runs as `kanerva experiment run`.


use eframe::egui;
use egui_plot::{Line, Plot, PlotPoints, Points};

use crate::app::job::JobState;
use crate::app::worker::Command;
use crate::experiment::{ExperimentRecord, ExperimentSpec, Progress, built_in};

use super::plots::key_row;
use super::palette::series_colour;

pub struct ExperimentPanel {
    pub experiments: Vec<ExperimentSpec>,
    /// The one picked.
    pub choice: usize,
    pub quick: bool,
    /// The run's record as its points land (complete once the run is done).
    pub live: Option<ExperimentRecord>,
    pub job: JobState,
    /// The person asked to save the record (the app asks where).
    pub save_requested: bool,
    /// Scroll the first plot into view once it appears (a run just started).
    scroll_to_plots: bool,
}

impl Default for ExperimentPanel {
    fn default() -> Self {
        Self { experiments: built_in(), choice: 0, quick: true, live: None, job: JobState::default(), save_requested: false, scroll_to_plots: false }
    }
}

impl ExperimentPanel {
    /// Starts the picked experiment.
    pub fn start(&mut self) -> Option<Command> {
        let spec = self.experiments.get(self.choice)?.clone();
        let cancel = self.job.start();
        self.scroll_to_plots = true;
        self.live = Some(ExperimentRecord::empty(&spec, self.quick));
        Some(Command::RunExperiment { spec: Box::new(spec), quick: self.quick, cancel })
    }

    /// A point landed: it joins the live curves.
    pub fn on_progress(&mut self, progress: Progress) {
        self.job.on_progress(progress.done, progress.total);
        if let Some(live) = &mut self.live {
            if !live.plots.iter().any(|p| p.id == progress.plot.id) {
                live.plots.push(progress.plot.clone());
            }
            live.series_mut(&progress.plot.id, &progress.series).points.push(progress.point);
        }
    }

    /// The run ended: its full record (or why not; a cancelled run keeps the points it had).
    pub fn on_finished(&mut self, result: Result<Box<ExperimentRecord>, String>) {
        match result {
            Ok(record) => {
                self.live = Some(*record);
                self.job.finish();
            }
            Err(e) if e == "cancelled" => self.job.finish(),
            Err(e) => self.job.fail(e),
        }
    }

    /// Draws the section; returns the command to send.
    pub fn ui(&mut self, ui: &mut egui::Ui) -> Option<Command> {
        let mut command = None;
        ui.horizontal_wrapped(|ui| {
            let title = self.experiments.get(self.choice).map_or(String::new(), |e| e.title.clone());
            egui::ComboBox::new("experiment_picker", "experiment").width(320.0).selected_text(title).show_ui(ui, |ui| {
                for (i, e) in self.experiments.iter().enumerate() {
                    ui.selectable_value(&mut self.choice, i, &e.title).on_hover_text(format!("kanerva experiment run {}", e.name));
                }
            });
            ui.checkbox(&mut self.quick, "quick").on_hover_text("the reduced protocol (seconds to a minute); off: the full protocol docs/ quote (minutes)");
            if ui.add_enabled(!self.job.is_running(), egui::Button::new("Run experiment")).clicked() {
                command = self.start();
            }
            if ui.add_enabled(self.job.is_running(), egui::Button::new("Cancel experiment")).clicked() {
                self.job.cancel();
            }
            let done = self.live.as_ref().is_some_and(|l| !l.program.is_empty());
            if ui.add_enabled(done && !self.job.is_running(), egui::Button::new("Save record and plots...")).on_hover_text("NAME.json, NAME.csv and one PNG a plot, into a folder").clicked() {
                self.save_requested = true;
            }
        });
        if let Some(spec) = self.experiments.get(self.choice) {
            ui.label(egui::RichText::new(format!("{}. Claim: {}", spec.paper, spec.claim)).small());
            egui::CollapsingHeader::new("Protocol: the paper's and ours").id_salt("experiment_protocol").show(ui, |ui| {
                ui.label(egui::RichText::new(format!("Paper: {}", spec.protocol_paper)).small());
                ui.label(egui::RichText::new(format!("Ours: {}", spec.protocol_ours)).small());
            });
        }
        self.job.status_ui(ui, "points");
        if let Some(live) = &self.live {
            for (i, plot) in live.plots.iter().enumerate() {
                let shown = plot_ui(ui, live, &plot.id);
                // The curves a run fills in are below the section's controls: bring the first
                // into view when it appears.
                if i == 0 && std::mem::take(&mut self.scroll_to_plots) {
                    shown.scroll_to_me(Some(egui::Align::TOP));
                }
            }
            for (name, value) in &live.scalars {
                ui.label(egui::RichText::new(format!("{name}: {value:.4}")).small());
            }
        }
        command
    }
}

/// One plot of the record, live: its series in colour (the references grey), its key above.
/// Returns its title's response.
fn plot_ui(ui: &mut egui::Ui, record: &ExperimentRecord, id: &str) -> egui::Response {
    let spec = record.plots.iter().find(|p| p.id == id).expect("the plot is the record's");
    let title = ui.label(egui::RichText::new(&spec.title).strong());
    let series: Vec<_> = record.series_of(id).collect();
    let mut memories = 0;
    let colours: Vec<egui::Color32> = series
        .iter()
        .map(|s| {
            if s.name.ends_with("(reference)") {
                egui::Color32::from_gray(if s.name.contains("blank") { 90 } else { 150 })
            } else {
                memories += 1;
                series_colour(memories - 1)
            }
        })
        .collect();
    let key: Vec<(String, egui::Color32)> = series.iter().zip(&colours).map(|(s, c)| (s.name.clone(), *c)).collect();
    key_row(ui, &key, None);
    let x = |v: f64| if spec.log_x { v.max(1e-300).log10() } else { v };
    let log_x = spec.log_x;
    // The same axis as the PNG: a towering first point (the query's energy) is left above it.
    let all: Vec<(f64, f64)> = series.iter().flat_map(|s| s.points.iter().filter(|p| p[0].is_finite() && p[1].is_finite()).map(|p| (x(p[0]), p[1]))).collect();
    let (y0, y1, clipped) = crate::experiment::plot::fitted_y_range(&all);
    if clipped {
        ui.label(egui::RichText::new("the first points lie above the axis (the corrupted queries)").small().weak());
    }
    Plot::new(("experiment_plot", id))
        .height(200.0)
        .x_axis_label(if log_x { format!("{} (log scale)", spec.x_label) } else { spec.x_label.clone() })
        .y_axis_label(spec.y_label.clone())
        .x_axis_formatter(move |mark, _| if log_x { if mark.value.fract() == 0.0 { format!("10^{}", mark.value) } else { String::new() } } else { format!("{}", mark.value) })
        .allow_scroll(false)
        .show(ui, |plot| {
            if clipped {
                let (x0, x1) = all.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| (a.min(p.0), b.max(p.0)));
                plot.set_plot_bounds_x(x0 - 0.5..=x1 + 0.5);
                plot.set_plot_bounds_y(y0..=y1);
            }
            for (s, colour) in series.iter().zip(&colours) {
                let points: Vec<[f64; 2]> = s.points.iter().filter(|p| p[1].is_finite()).map(|p| [x(p[0]), p[1]]).collect();
                plot.line(Line::new(s.name.clone(), PlotPoints::from(points.clone())).color(*colour));
                plot.points(Points::new(s.name.clone(), points).radius(2.5).color(*colour));
            }
        });
    title
}
