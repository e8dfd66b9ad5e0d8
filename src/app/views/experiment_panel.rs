//! The Experiments section: pick one of the papers' experiments, run it (quick or full) on
//! its own thread with progress and cancel, watch its curves fill in point by point, and save
//! its JSON record, CSV and PNG plots. The same runs as `kanerva experiment run`.

use eframe::egui;
use egui_plot::{Line, Plot, PlotPoints, Points};

use crate::app::job::JobState;
use crate::app::worker::Command;
use crate::experiment::{ExperimentRecord, ExperimentSpec, Progress, built_in};

use super::plots::key_row;
use crate::experiment::style::{Marker, series_styles};

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
    /// The point clicked on a plot (it opens as a scene).
    pub selected: Option<SelectedPoint>,
}

/// A point of the live record: its plot, its series (by name) and its index along it.
#[derive(Debug, Clone, PartialEq)]
pub struct SelectedPoint {
    pub plot: String,
    pub series: String,
    pub index: usize,
}

impl Default for ExperimentPanel {
    fn default() -> Self {
        Self { experiments: built_in(), choice: 0, quick: true, live: None, job: JobState::default(), save_requested: false, scroll_to_plots: false, selected: None }
    }
}

impl ExperimentPanel {
    /// Starts the picked experiment.
    pub fn start(&mut self) -> Option<Command> {
        let spec = self.experiments.get(self.choice)?.clone();
        let cancel = self.job.start();
        self.scroll_to_plots = true;
        self.selected = None;
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
            live.add_point(&progress.plot.id, &progress.series, progress.point, progress.origin.as_ref(), progress.size, progress.level);
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
            ui.label(egui::RichText::new("Click a point to open the read behind it as a scene (its first episode and query).").small().weak());
            for (i, plot) in live.plots.iter().enumerate() {
                let (shown, clicked) = plot_ui(ui, live, &plot.id, self.selected.as_ref());
                if let Some(point) = clicked {
                    self.selected = Some(point);
                }
                if self.selected.as_ref().is_some_and(|s| s.plot == plot.id) {
                    command = command.or(self.selected_ui(ui, live));
                }
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

impl ExperimentPanel {
    /// The selected point's line: what it is, and the button that opens it as a scene.
    fn selected_ui(&self, ui: &mut egui::Ui, live: &ExperimentRecord) -> Option<Command> {
        let selected = self.selected.as_ref()?;
        let series = live.series.iter().find(|s| s.plot == selected.plot && s.name == selected.series)?;
        let [x, y] = *series.points.get(selected.index)?;
        let mut command = None;
        ui.horizontal_wrapped(|ui| {
            ui.label(format!("selected: {} at x = {}, y = {:.4}", series.name, number(x), y));
            match (&series.origin, series.sizes.get(selected.index)) {
                (Some(origin), Some(&size)) => {
                    let opens = origin.control != Some(crate::eval::SweepControl::NoWrite);
                    let button = ui
                        .add_enabled(opens, egui::Button::new("Open as scene"))
                        .on_hover_text("write the point's first episode, read its first query as the experiment did, and show it in the explorer");
                    if button.clicked() {
                        let name = format!("{} · {} · point {} ({size} stored)", live.experiment, series.name, selected.index);
                        command = Some(Command::OpenExperimentPoint { origin: Box::new(origin.clone()), size, level: series.levels.get(selected.index).copied(), name });
                    }
                    if !opens {
                        ui.label(egui::RichText::new("a no-write control writes nothing: there is no episode to open").small().weak());
                    }
                }
                _ => {
                    ui.label(egui::RichText::new("a trivial answer, not a read: nothing to open").small().weak());
                }
            }
        });
        command
    }
}

/// A coordinate for the selected point's line.
fn number(v: f64) -> String {
    if v == v.round() && v.abs() < 1e9 { format!("{}", v as i64) } else { format!("{v:.4}") }
}

/// The point of `series` nearest `pointer` on screen, within `reach` pixels: (series, index).
pub fn nearest_point(series: &[Vec<egui::Pos2>], pointer: egui::Pos2, reach: f32) -> Option<(usize, usize)> {
    let mut best: Option<(usize, usize, f32)> = None;
    for (s, points) in series.iter().enumerate() {
        for (i, p) in points.iter().enumerate() {
            let d = p.distance(pointer);
            if d <= reach && best.is_none_or(|b| d < b.2) {
                best = Some((s, i, d));
            }
        }
    }
    best.map(|(s, i, _)| (s, i))
}

/// One plot of the record, live: its series styled as the PNG's, its key above, the selected
/// point ringed. Returns its title's response and the point a click picked.
fn plot_ui(ui: &mut egui::Ui, record: &ExperimentRecord, id: &str, selected: Option<&SelectedPoint>) -> (egui::Response, Option<SelectedPoint>) {
    let spec = record.plots.iter().find(|p| p.id == id).expect("the plot is the record's");
    let title = ui.label(egui::RichText::new(&spec.title).strong());
    let series: Vec<_> = record.series_of(id).collect();
    // The PNG's styles: a control in its memory's colour, dashed; references grey, dashed.
    let names: Vec<&str> = series.iter().map(|s| s.name.as_str()).collect();
    let styles = series_styles(&names);
    let colours: Vec<egui::Color32> = styles.iter().map(|s| egui::Color32::from_rgb(s.rgb[0], s.rgb[1], s.rgb[2])).collect();
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
    let mut clicked = None;
    let ring = ui.visuals().strong_text_color();
    Plot::new(("experiment_plot", id))
        .set_margin_fraction(egui::vec2(0.06, 0.1))
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
            for ((s, colour), style) in series.iter().zip(&colours).zip(&styles) {
                let points: Vec<[f64; 2]> = s.points.iter().filter(|p| p[1].is_finite()).map(|p| [x(p[0]), p[1]]).collect();
                let line = Line::new(s.name.clone(), PlotPoints::from(points.clone())).color(*colour);
                plot.line(if style.dashed() { line.style(egui_plot::LineStyle::dashed_loose()) } else { line });
                let marks = Points::new(s.name.clone(), points).color(*colour);
                match style.marker {
                    Marker::Filled => plot.points(marks.radius(3.0)),
                    Marker::Hollow => plot.points(marks.radius(4.0).filled(false)),
                    Marker::Cross => plot.points(marks.radius(4.0).shape(egui_plot::MarkerShape::Cross)),
                    Marker::None => {}
                }
            }
            if let Some(sel) = selected.filter(|sel| sel.plot == id) {
                if let Some(p) = series.iter().find(|s| s.name == sel.series).and_then(|s| s.points.get(sel.index)) {
                    plot.points(Points::new("selected", vec![[x(p[0]), p[1]]]).radius(7.0).filled(false).color(ring));
                }
            }
            // A click picks the nearest point of a read (not of a trivial answer).
            if plot.response().clicked() {
                if let Some(pointer) = plot.response().interact_pointer_pos() {
                    let on_screen: Vec<Vec<egui::Pos2>> = series
                        .iter()
                        .map(|s| if s.origin.is_none() { Vec::new() } else { s.points.iter().map(|p| plot.screen_from_plot(egui_plot::PlotPoint::new(x(p[0]), p[1]))).collect() })
                        .collect();
                    if let Some((s, index)) = nearest_point(&on_screen, pointer, 12.0) {
                        clicked = Some(SelectedPoint { plot: id.to_string(), series: series[s].name.clone(), index });
                    }
                }
            }
        });
    (title, clicked)
}

#[cfg(test)]
mod tests {
    use super::nearest_point;
    use eframe::egui::pos2;

    #[test]
    fn a_click_picks_the_nearest_point_within_reach_only() {
        let series = vec![vec![pos2(10.0, 10.0), pos2(50.0, 10.0)], vec![], vec![pos2(52.0, 14.0)]];
        assert_eq!(nearest_point(&series, pos2(49.0, 11.0), 12.0), Some((0, 1)));
        assert_eq!(nearest_point(&series, pos2(53.0, 15.0), 12.0), Some((2, 0)));
        assert_eq!(nearest_point(&series, pos2(200.0, 200.0), 12.0), None);
    }
}
