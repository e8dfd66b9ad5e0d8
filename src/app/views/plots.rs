//! Live plots: energy per iteration with its named terms, distance of each iterate to every
//! stored image, and KL(M) (or other write terms) after each write.

use eframe::egui;
use egui_plot::{ItemId, Line, MarkerShape, Plot, PlotPoints, Points};

use crate::app::texture::TextureCache;
use crate::data::Image;
use crate::eval::ENERGY_TOLERANCE;
use crate::memory::Iterate;

use super::palette::item_colour;

/// The y range that shows the descent after the query: the energy and its terms over
/// iterations 1.. with a margin (None before there are two iterates). The corrupted query's
/// energy (iteration 0) is often ten times the rest and would flatten them into a line.
pub fn descent_range(iterates: &[Iterate]) -> Option<(f64, f64)> {
    let values: Vec<f64> = iterates
        .iter()
        .skip(1)
        .flat_map(|it| it.evaluation.energy.into_iter().chain(it.pixel_step_energy).chain(it.evaluation.terms.iter().map(|t| t.value)))
        .filter(|v| v.is_finite())
        .collect();
    if values.is_empty() {
        return None;
    }
    let (lo, hi) = values.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| (a.min(v), b.max(v)));
    let margin = ((hi - lo) * 0.1).max(hi.abs().max(1.0) * 0.02);
    // The key sits above the plot (see `key_row`), so the data can use its whole height.
    Some((lo - margin, hi + margin))
}

/// The union of two ranges (the comparison's two energy plots share one scale).
pub fn union_range(a: Option<(f64, f64)>, b: Option<(f64, f64)>) -> Option<(f64, f64)> {
    match (a, b) {
        (Some(a), Some(b)) => Some((a.0.min(b.0), a.1.max(b.1))),
        (a, b) => a.or(b),
    }
}

/// Energy (when the model has one) and every named term, one line each, over iterations.
pub fn energy_plot(ui: &mut egui::Ui, iterates: &[Iterate], unit: &str, height: f32) {
    energy_plot_with_id(ui, "energy_plot", iterates, unit, height, descent_range(iterates));
}

/// The energy through both half-steps of every iteration: (n, F(x_n, μ_n)) and, for reads that
/// hold an address, (n − ½, F(x_n, μ_{n−1})) between them.
pub fn energy_path(iterates: &[Iterate]) -> Vec<[f64; 2]> {
    let mut path = Vec::new();
    for (n, it) in iterates.iter().enumerate() {
        if let Some(p) = it.pixel_step_energy.filter(|_| n > 0) {
            path.push([n as f64 - 0.5, p]);
        }
        if let Some(e) = it.evaluation.energy {
            path.push([n as f64, e]);
        }
    }
    path
}

/// Iterations whose energy rose above the previous iterate's (by more than float noise, as
/// `kanerva denoise` counts).
pub fn rises(iterates: &[Iterate]) -> Vec<usize> {
    (1..iterates.len())
        .filter(|&n| matches!((iterates[n - 1].evaluation.energy, iterates[n].evaluation.energy), (Some(a), Some(b)) if b > a + ENERGY_TOLERANCE))
        .collect()
}

/// The points of an energy path (see [`energy_path`]) that lie above the point before them
/// (by more than float noise): every rise, at either half-step.
pub fn path_rises(path: &[[f64; 2]]) -> Vec<[f64; 2]> {
    path.windows(2).filter(|w| w[1][1] > w[0][1] + ENERGY_TOLERANCE).map(|w| w[1]).collect()
}

/// "the energy fell or held in k of m steps", how many half-steps rose, and what the two
/// half-steps did in total; `risen`: [`rises`] of `iterates`.
pub fn monotone_summary(iterates: &[Iterate], risen: &[usize]) -> Option<String> {
    let steps = iterates.windows(2).filter(|w| w[0].evaluation.energy.is_some() && w[1].evaluation.energy.is_some()).count();
    if steps == 0 {
        return None;
    }
    let held = steps - risen.len();
    let mut text = format!("energy fell or held in {held} of {steps} steps ({:.0}%)", 100.0 * held as f64 / steps as f64);
    let halves: Vec<(f64, f64)> = iterates.windows(2).filter_map(|w| w[1].half_steps(&w[0])).collect();
    if !halves.is_empty() {
        let (pixel, address) = halves.iter().fold((0.0, 0.0), |(a, b), h| (a + h.0, b + h.1));
        let half_rises = path_rises(&energy_path(iterates)).len();
        text.push_str(&format!("; half-steps rose {half_rises} of {} times; pixel steps {pixel:+.2}, address steps {address:+.2}", 2 * halves.len()));
    }
    Some(text)
}

/// `y_range`: the y axis to show (see [`descent_range`]); a query whose energy lies above it is
/// marked at the top edge with its value. Reads that hold an address draw the energy through
/// both half-steps (pixel step at n − ½, address step at n); every rise is marked.
pub fn energy_plot_with_id(ui: &mut egui::Ui, id: &str, iterates: &[Iterate], unit: &str, height: f32, y_range: Option<(f64, f64)>) {
    let risen = rises(iterates);
    let marked = path_rises(&energy_path(iterates));
    if let Some(summary) = monotone_summary(iterates, &risen) {
        let color = if marked.is_empty() { ui.visuals().weak_text_color() } else { egui::Color32::from_rgb(255, 140, 120) };
        ui.label(egui::RichText::new(summary).small().color(color));
    }
    // Terms in the energy's unit are its parts and share its axis; the others (a Hopfield
    // overlap, |grad E|, an attention entropy) are diagnostics, shown as numbers instead.
    let mut names: Vec<String> = Vec::new();
    for it in iterates {
        for t in &it.evaluation.terms {
            if !names.contains(&t.name) && is_energy_term(&t.name, unit) {
                names.push(t.name.clone());
            }
        }
    }
    if let Some(last) = iterates.last() {
        let diagnostics: Vec<String> = last.evaluation.terms.iter().filter(|t| !is_energy_term(&t.name, unit)).map(|t| format!("{} {:.3}", t.name, t.value)).collect();
        if !diagnostics.is_empty() {
            ui.label(egui::RichText::new(format!("current iterate: {}", diagnostics.join(" · "))).small());
        }
    }
    // The key above the plot, never over a curve: each series' colour and name, and the
    // query's energy when it lies above the axis.
    let energy_colour = egui::Color32::from_rgb(120, 170, 255);
    let half_colour = egui::Color32::from_rgb(200, 200, 120);
    let rose_colour = egui::Color32::from_rgb(255, 90, 70);
    let has_energy = iterates.iter().any(|it| it.evaluation.energy.is_some());
    let has_halves = iterates.iter().skip(1).any(|it| it.pixel_step_energy.is_some());
    let mut key: Vec<(String, egui::Color32)> = Vec::new();
    if has_energy {
        key.push(("energy".into(), energy_colour));
    }
    if has_halves {
        key.push(("after the pixel step (n − ½)".into(), half_colour));
    }
    if !marked.is_empty() {
        key.push(("energy rose".into(), rose_colour));
    }
    key.extend(names.iter().enumerate().map(|(i, name)| (name.clone(), term_colour(i))));
    let query_off_scale = match (y_range, iterates.first().and_then(|it| it.evaluation.energy)) {
        (Some((_, hi)), Some(query)) if query > hi => Some(query),
        _ => None,
    };
    key_row(ui, &key, query_off_scale);
    let y_label = if unit.is_empty() { "energy".to_string() } else { format!("energy ({unit})") };
    Plot::new(id)
        .height(height)
        .x_axis_label("iteration")
        .y_axis_label(y_label)
        // A read of one iterate still shows an iteration axis, not −10..10.
        .include_x(0.0)
        .include_x(1.0)
        // Marks at 1, 2, 5 x 10^n (base 10 alone often labels a single line on this height).
        .y_grid_spacer(egui_plot::log_grid_spacer(5))
        .allow_scroll(false)
        .show(ui, |plot| {
            let energy: Vec<[f64; 2]> = iterates
                .iter()
                .enumerate()
                .filter_map(|(n, it)| it.evaluation.energy.map(|e| [n as f64, e]))
                .collect();
            if let (Some((lo, hi)), false) = (y_range, energy.is_empty()) {
                plot.set_plot_bounds_x(-0.2..=(iterates.len().max(2) - 1) as f64 + 0.2);
                plot.set_plot_bounds_y(lo..=hi);
            }
            if !energy.is_empty() {
                plot.line(Line::new("energy", PlotPoints::from(energy_path(iterates))).width(2.5).color(energy_colour));
            }
            let halves: Vec<[f64; 2]> = iterates.iter().enumerate().skip(1).filter_map(|(n, it)| it.pixel_step_energy.map(|p| [n as f64 - 0.5, p])).collect();
            if !halves.is_empty() {
                plot.points(Points::new("after the pixel step (n − ½)", PlotPoints::from(halves)).radius(3.0).shape(MarkerShape::Diamond).color(half_colour));
            }
            // Every rise, at either half-step, as a red dot where it ended.
            if !marked.is_empty() {
                plot.points(Points::new("energy rose", PlotPoints::from(marked.clone())).radius(5.0).color(rose_colour));
            }
            for (i, name) in names.iter().enumerate() {
                let points: Vec<[f64; 2]> = iterates
                    .iter()
                    .enumerate()
                    .filter_map(|(n, it)| it.evaluation.terms.iter().find(|t| &t.name == name).map(|t| [n as f64, t.value]))
                    .collect();
                plot.line(Line::new(name.clone(), PlotPoints::from(points)).color(term_colour(i)));
            }
        });
}

/// The colour of the energy plot's `i`-th term line.
fn term_colour(i: usize) -> egui::Color32 {
    const TERMS: [egui::Color32; 5] = [
        egui::Color32::from_rgb(240, 130, 200),
        egui::Color32::from_rgb(150, 220, 110),
        egui::Color32::from_rgb(250, 170, 80),
        egui::Color32::from_rgb(150, 130, 250),
        egui::Color32::from_rgb(100, 210, 210),
    ];
    TERMS[i % TERMS.len()]
}

/// A plot's key as a row above it: a dot of each series' colour and its name (wrapping), then
/// the query's energy when it lies above the axis.
pub fn key_row(ui: &mut egui::Ui, key: &[(String, egui::Color32)], query_off_scale: Option<f64>) {
    ui.horizontal_wrapped(|ui| {
        ui.spacing_mut().item_spacing.x = 4.0;
        for (name, colour) in key {
            let (rect, _) = ui.allocate_exact_size(egui::vec2(9.0, 9.0), egui::Sense::hover());
            ui.painter().circle_filled(rect.center(), 4.0, *colour);
            ui.label(egui::RichText::new(name).small());
            ui.add_space(6.0);
        }
        if let Some(query) = query_off_scale {
            ui.label(egui::RichText::new(format!("query {query:.1}: above the axis")).small().color(egui::Color32::from_rgb(255, 140, 120)));
        }
    });
}

/// Whether a term named `name` is a part of an energy in `unit` ("reconstruction nats" of
/// nats), to be drawn on the energy's axis.
fn is_energy_term(name: &str, unit: &str) -> bool {
    !unit.is_empty() && name.contains(unit)
}

/// Fraction of differing pixels between each iterate and each stored image, one line per
/// stored item in its own colour (the episode strip's); hovering a line shows the item.
pub fn distance_plot_with_id(ui: &mut egui::Ui, id: &str, distances: &[Vec<f32>], stored: &[Image], textures: &mut TextureCache, height: f32) {
    let response = Plot::new(id)
        .height(height)
        .x_axis_label("iteration")
        .y_axis_label("pixel distance to stored item")
        .include_y(0.0)
        .include_x(0.0)
        .include_x(1.0)
        .allow_scroll(false)
        .show(ui, |plot| {
            let items = distances.iter().map(Vec::len).max().unwrap_or(0);
            for s in 0..items {
                let points: Vec<[f64; 2]> = distances
                    .iter()
                    .enumerate()
                    .filter_map(|(n, d)| d.get(s).map(|&v| [n as f64, v as f64]))
                    .collect();
                plot.line(Line::new(format!("item {s}"), PlotPoints::from(points)).id(ItemId::new(("item", s))).color(item_colour(s)).width(1.5));
            }
        });
    let items = distances.iter().map(Vec::len).max().unwrap_or(0);
    if let Some(hovered) = response.hovered_plot_item {
        if let Some(s) = (0..items.min(stored.len())).find(|&s| ItemId::new(("item", s)) == hovered) {
            let distance = distances.last().and_then(|d| d.get(s)).copied().unwrap_or(f32::NAN);
            response.response.on_hover_ui_at_pointer(|ui| {
                ui.horizontal(|ui| {
                    textures.show(ui, &stored[s], 40.0);
                    ui.colored_label(item_colour(s), format!("item {s}\nnow {distance:.3} away"));
                });
            });
        }
    }
}

/// A named number after each write (e.g. KL(M) in nats).
pub fn write_history_plot(ui: &mut egui::Ui, name: &str, history: &[f64], height: f32) {
    Plot::new("write_history")
        .height(height)
        .x_axis_label("write")
        .y_axis_label(name)
        // From 0, so one write is a point on a scale rather than a lone tick.
        .include_x(0.0)
        .include_x(history.len() as f64 + 1.0)
        .include_y(history.iter().copied().fold(0.0, f64::min) * 1.25)
        .include_y(history.iter().copied().fold(0.0, f64::max) * 1.25)
        .allow_scroll(false)
        .show(ui, |plot| {
            let points: Vec<[f64; 2]> = history.iter().enumerate().map(|(n, &v)| [n as f64 + 1.0, v]).collect();
            plot.line(Line::new(name.to_string(), PlotPoints::from(points.clone())).width(2.0));
            // Markers: one write is one point, which a line alone would not show.
            plot.points(Points::new(name.to_string(), points).radius(4.0));
        });
}

#[cfg(test)]
mod tests {
    use super::{energy_path, monotone_summary, path_rises, rises};
    use crate::data::Image;
    use crate::memory::{Evaluation, Iterate};

    fn iterate(energy: f64, after_pixel_step: Option<f64>) -> Iterate {
        let evaluation = Evaluation { energy: Some(energy), ..Evaluation::default() };
        Iterate { pixel_step_energy: after_pixel_step, ..Iterate::new(Image::new(2, 2, vec![0.0; 4]), evaluation) }
    }

    #[test]
    fn a_rise_at_the_address_half_step_is_marked_though_the_whole_step_fell() {
        // 80 -> (pixel step) 70 -> (address step) 75: the step fell, its second half rose.
        // Then 75 -> 77 -> 76: the step rose, and so did its pixel half.
        let read = [iterate(80.0, None), iterate(75.0, Some(70.0)), iterate(76.0, Some(77.0))];
        assert_eq!(rises(&read), vec![2]);
        assert_eq!(path_rises(&energy_path(&read)), vec![[1.0, 75.0], [1.5, 77.0]]);
        let summary = monotone_summary(&read, &rises(&read)).unwrap();
        assert!(summary.contains("1 of 2 steps") && summary.contains("half-steps rose 2 of 4"), "{summary}");
    }
}
