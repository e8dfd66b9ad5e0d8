//! Sweeps from the explorer: recall error of the current memory against the number of stored
//! patterns (capacity) or against the corruption's level, on random patterns or the loaded
//! data, with a control (nothing written, another episode written) when asked; results of
//! several memories share one plot per axis, beside the two trivial answers (return the query,
//! return the blank page), and a second plot puts the error against the memory's size.

use std::sync::Arc;

use eframe::egui;
use egui_plot::{Line, Plot, PlotPoints, Points};

use super::palette::series_colour;

use crate::app::job::JobState;
use crate::app::worker::Command;
use crate::memory::{Addressing, ReadPlan};
use crate::data::{Corruption, ImageSet, Region};
use crate::eval::{SweepAxis, SweepControl, SweepPoint, sweep_settings};

/// A finished sweep: the memory and pattern source, what varied, the points.
#[derive(Debug, Clone)]
pub struct SweepResult {
    pub name: String,
    pub axis: SweepAxis,
    pub points: Vec<SweepPoint>,
}

/// The corruptions a sweep can vary, at their default level.
const NOISE_KINDS: [Corruption; 4] = [
    Corruption::BitFlip { p: 0.1 },
    Corruption::SaltPepper { p: 0.15 },
    Corruption::Occlude { region: Region::RandomSquare(10) },
    Corruption::Gaussian { sigma: 0.3 },
];

pub struct SweepPanel {
    pub axis: SweepAxis,
    /// Stored counts (capacity axis; the first one for the noise axis).
    pub counts: String,
    /// Levels of the corruption (noise axis).
    pub levels: String,
    /// The corruption: its kind, and its level on the capacity axis.
    pub noise: Corruption,
    /// Patterns from the loaded data (true) or random (false); None: automatic, the loaded
    /// data for trained memories (random patterns are not what they can store) and random
    /// patterns for the classical ones.
    pub use_data: Option<bool>,
    /// What is written before the reads (the measurement or a control).
    pub control: SweepControl,
    /// Show the distortion/rate plot: recall error against the floats the memory holds.
    pub show_rate: bool,
    pub job: JobState,
    pub results: Vec<SweepResult>,
    pending: Option<(String, SweepAxis)>,
}

impl Default for SweepPanel {
    fn default() -> Self {
        Self {
            axis: SweepAxis::Stored,
            counts: "10,20,40,80,160".into(),
            levels: "0,0.05,0.1,0.2,0.3,0.4".into(),
            noise: NOISE_KINDS[0],
            use_data: None,
            control: SweepControl::None,
            show_rate: true,
            job: JobState::default(),
            results: Vec::new(),
            pending: None,
        }
    }
}

fn parse_list<T: std::str::FromStr>(text: &str) -> Result<Vec<T>, String> {
    let values: Vec<T> = text
        .split(',')
        .filter(|c| !c.trim().is_empty())
        .map(|c| c.trim().parse::<T>().map_err(|_| format!("{:?} is not a number", c.trim())))
        .collect::<Result<_, _>>()?;
    if values.is_empty() { Err("give at least one value".into()) } else { Ok(values) }
}

impl SweepPanel {
    pub fn on_finished(&mut self, model: String, points: Vec<SweepPoint>, cancelled: bool) {
        self.job.finish();
        if let (false, false, Some((source, axis))) = (cancelled, points.is_empty(), self.pending.take()) {
            // The memory's short name ("DKM", "Hopfield"): the legend sits over the plot.
            let short = model.split(" (").next().unwrap_or(&model);
            self.results.push(SweepResult { name: format!("{short} · {source}"), axis, points });
        }
    }

    pub fn on_error(&mut self, error: String) {
        self.job.fail(error);
        self.pending = None;
    }

    /// Sets the fields to a capacity sweep at `stored` counts, on the data shown (`data`) or
    /// random patterns, with `noise` and `control`.
    pub fn set_capacity_sweep(&mut self, stored: &[usize], data: bool, noise: Corruption, control: SweepControl) {
        self.axis = SweepAxis::Stored;
        self.counts = stored.iter().map(usize::to_string).collect::<Vec<_>>().join(",");
        (self.noise, self.use_data, self.control) = (noise, Some(data), control);
    }

    /// The sweep the current fields describe, or why they don't.
    fn settings(&self) -> Result<Vec<crate::eval::SweepSetting>, String> {
        let counts: Vec<usize> = parse_list(&self.counts)?;
        if counts.contains(&0) {
            return Err("stored counts must be positive".into());
        }
        let levels: Vec<f64> = if self.axis == SweepAxis::NoiseLevel { parse_list(&self.levels)? } else { Vec::new() };
        Ok(sweep_settings(self.axis, &counts, self.noise, &levels))
    }

    /// The sweep the fields describe, as a command for the worker (None when they are invalid).
    pub fn start(&mut self, data: Option<&Arc<ImageSet>>, trained: bool, addressing: Addressing) -> Option<Command> {
        let settings = self.settings().ok()?;
        let use_data = self.uses_data(trained);
        let cancel = self.job.start();
        let source = if use_data { data.map_or("data".into(), |d| d.source.clone()) } else { "random".into() };
        let mut source = match self.axis {
            SweepAxis::Stored => format!("{source} · {}", self.noise),
            SweepAxis::NoiseLevel => format!("{source} · {} stored", settings.first().map_or(0, |s| s.stored)),
        };
        if self.control != SweepControl::None {
            source = format!("{source} · control: {}", self.control.name());
        }
        self.pending = Some((source, self.axis));
        Some(Command::Sweep {
            patterns: if use_data { data.cloned() } else { None },
            settings,
            // Mode updates, seed 0: what `kanerva sweep` does by default; the read panel's
            // addressing.
            plan: ReadPlan { addressing, ..ReadPlan::default() },
            control: self.control,
            cancel,
        })
    }

    /// Whether the sweep stores the loaded data, for a memory that is trained or not.
    pub fn uses_data(&self, trained: bool) -> bool {
        self.use_data.unwrap_or(trained)
    }

    /// `addressing`: the read panel's, for memories that hold an address (else amortised).
    pub fn ui(&mut self, ui: &mut egui::Ui, data: Option<&Arc<ImageSet>>, trained: bool, addressing: Addressing) -> Option<Command> {
        let mut command = None;
        let use_data = self.uses_data(trained);
        ui.horizontal(|ui| {
            ui.label("vary");
            ui.selectable_value(&mut self.axis, SweepAxis::Stored, "stored patterns");
            ui.selectable_value(&mut self.axis, SweepAxis::NoiseLevel, "corruption level");
            ui.checkbox(&mut self.show_rate, "error against memory size").on_hover_text("distortion/rate: each memory's recall error against the numbers it holds for the episode");
        });
        ui.horizontal(|ui| {
            egui::ComboBox::from_id_salt("sweep_noise_kind").selected_text(self.noise.kind()).show_ui(ui, |ui| {
                for kind in NOISE_KINDS {
                    if ui.selectable_label(self.noise.kind() == kind.kind(), kind.kind()).clicked() {
                        self.noise = kind;
                    }
                }
            });
            match self.axis {
                SweepAxis::Stored => {
                    let mut level = self.noise.level();
                    let range = if matches!(self.noise, Corruption::Occlude { .. }) { 0.0..=28.0 } else { 0.0..=0.5 };
                    if ui.add(egui::Slider::new(&mut level, range).text("level")).changed() {
                        self.noise = self.noise.with_level(level);
                    }
                    ui.label("stored");
                    ui.add(egui::TextEdit::singleline(&mut self.counts).desired_width(120.0));
                }
                SweepAxis::NoiseLevel => {
                    ui.label("levels");
                    ui.add(egui::TextEdit::singleline(&mut self.levels).desired_width(120.0));
                    ui.label("stored");
                    ui.add(egui::TextEdit::singleline(&mut self.counts).desired_width(40.0));
                }
            }
        });
        ui.horizontal(|ui| {
            if ui.selectable_label(!use_data, "random patterns").on_hover_text("unbiased random binary images (what the classical capacity theory is about)").clicked() {
                self.use_data = Some(false);
            }
            if ui.selectable_label(use_data, "loaded data").on_hover_text("items of the loaded data set: a trained memory can only store what its decoder can draw").clicked() {
                self.use_data = Some(true);
            }
            ui.label("control");
            egui::ComboBox::from_id_salt("sweep_control").selected_text(self.control.name()).show_ui(ui, |ui| {
                for (control, hint) in [
                    (SweepControl::None, "write the patterns, then read them: the measurement"),
                    (SweepControl::NoWrite, "write nothing (the prior memory, zero couplings, the initial fast weights): what the memory answers without the episode"),
                    (SweepControl::OtherEpisode, "write other patterns, then read these: a memory whose error does not change is answering from its prior"),
                ] {
                    ui.selectable_value(&mut self.control, control, control.name()).on_hover_text(hint);
                }
            });
            let settings = self.settings();
            if let Err(e) = &settings {
                ui.colored_label(egui::Color32::from_rgb(255, 120, 100), e);
            }
            if ui.add_enabled(!self.job.is_running() && settings.is_ok(), egui::Button::new("Run sweep")).clicked() {
                command = self.start(data, trained, addressing);
            }
            if ui.add_enabled(self.job.is_running(), egui::Button::new("Cancel sweep")).clicked() {
                self.job.cancel();
            }
            if ui.add_enabled(!self.results.is_empty(), egui::Button::new("Clear plot")).clicked() {
                self.results.clear();
            }
        });
        self.job.status_ui(ui, "points");
        let shown: Vec<&SweepResult> = self.results.iter().filter(|r| r.axis == self.axis).collect();
        if !shown.is_empty() {
            let x_label = match self.axis {
                SweepAxis::Stored => "stored patterns".to_string(),
                SweepAxis::NoiseLevel => format!("{} level", self.noise.kind()),
            };
            // The key above the plot, never over a line.
            let mut key: Vec<(String, egui::Color32)> = shown.iter().enumerate().map(|(i, r)| (r.name.clone(), series_colour(i))).collect();
            key.push((format!("{REFERENCE_QUERY}, dashed"), egui::Color32::from_gray(150)));
            key.push((format!("{REFERENCE_BLANK}, dotted"), egui::Color32::from_gray(90)));
            super::plots::key_row(ui, &key, None);
            let mut plot = Plot::new("sweep_plot")
                .height(220.0)
                .x_axis_label(x_label)
                .y_axis_label("recall error (pixels)")
                .include_x(0.0)
                .include_y(0.0)
                .include_y(0.1)
                .allow_scroll(false);
            if self.axis == SweepAxis::Stored {
                // Stored counts are whole numbers.
                plot = plot.x_axis_formatter(|mark, _| if mark.value.fract() == 0.0 { format!("{}", mark.value) } else { String::new() });
            }
            plot.show(ui, |plot| {
                // The trivial answers, per point: a memory below neither has recalled nothing.
                for result in &shown {
                    let reference = |value: fn(&SweepPoint) -> f64| PlotPoints::from(result.points.iter().map(|p| [p.x(result.axis), value(p)]).collect::<Vec<_>>());
                    plot.line(Line::new(REFERENCE_QUERY, reference(|p| p.query_error)).color(egui::Color32::from_gray(150)).style(egui_plot::LineStyle::dashed_loose()));
                    plot.line(Line::new(REFERENCE_BLANK, reference(|p| p.blank_error)).color(egui::Color32::from_gray(90)).style(egui_plot::LineStyle::dotted_dense()));
                }
                for (i, result) in shown.iter().enumerate() {
                    series(plot, &result.name, result.points.iter().map(|p| [p.x(result.axis), p.recall_error]).collect(), i);
                }
            });
            if self.show_rate {
                rate_plot(ui, &shown);
            }
        }
        command
    }
}

/// Legend names of the reference lines.
pub const REFERENCE_QUERY: &str = "return the query (reference)";
pub const REFERENCE_BLANK: &str = "return the blank page (reference)";

/// Distortion/rate: each result's recall error against log10 of the floats its memory held,
/// several memories on one plot (sizes span 10² to 10⁶, hence the log axis).
fn rate_plot(ui: &mut egui::Ui, shown: &[&SweepResult]) {
    let key: Vec<(String, egui::Color32)> = shown.iter().enumerate().map(|(i, r)| (r.name.clone(), series_colour(i))).collect();
    super::plots::key_row(ui, &key, None);
    Plot::new("sweep_rate_plot")
        .height(180.0)
        .x_axis_label("numbers the memory holds (log scale)")
        .y_axis_label("recall error (pixels)")
        .x_axis_formatter(|mark, _| if mark.value.fract() == 0.0 { format!("10^{}", mark.value) } else { String::new() })
        // 10² to 10⁷: an SDM's counters to a Hopfield network's couplings, whole powers marked.
        .include_x(2.0)
        .include_x(7.0)
        .include_y(0.0)
        .allow_scroll(false)
        .show(ui, |plot| {
            for (i, result) in shown.iter().enumerate() {
                series(plot, &result.name, result.points.iter().filter(|p| p.memory_floats > 0).map(|p| [(p.memory_floats as f64).log10(), p.recall_error]).collect(), i);
            }
        });
}

/// One result's series: line and markers share the `i`-th colour and one legend entry.
fn series(plot: &mut egui_plot::PlotUi, name: &str, xy: Vec<[f64; 2]>, i: usize) {
    let colour = series_colour(i);
    plot.line(Line::new(name, PlotPoints::from(xy.clone())).color(colour));
    plot.points(Points::new(name, xy).radius(3.0).color(colour));
}
