//! Live plots: energy per iteration with its named terms, distance of each iterate to every
//! stored image, and KL(M) (or other write terms) after each write.

use eframe::egui;
use egui_plot::{Legend, Line, Plot, PlotPoints};

use crate::memory::Iterate;

/// Energy (when the model has one) and every named term, one line each, over iterations.
pub fn energy_plot(ui: &mut egui::Ui, iterates: &[Iterate], unit: &str, height: f32) {
    energy_plot_with_id(ui, "energy_plot", iterates, unit, height);
}

pub fn energy_plot_with_id(ui: &mut egui::Ui, id: &str, iterates: &[Iterate], unit: &str, height: f32) {
    let mut names: Vec<String> = Vec::new();
    for it in iterates {
        for t in &it.evaluation.terms {
            if !names.contains(&t.name) {
                names.push(t.name.clone());
            }
        }
    }
    let y_label = if unit.is_empty() { "energy".to_string() } else { format!("energy ({unit})") };
    Plot::new(id)
        .height(height)
        .legend(Legend::default())
        .x_axis_label("iteration")
        .y_axis_label(y_label)
        .allow_scroll(false)
        .show(ui, |plot| {
            let energy: Vec<[f64; 2]> = iterates
                .iter()
                .enumerate()
                .filter_map(|(n, it)| it.evaluation.energy.map(|e| [n as f64, e]))
                .collect();
            if !energy.is_empty() {
                plot.line(Line::new("energy", PlotPoints::from(energy)).width(2.5));
            }
            for name in &names {
                let points: Vec<[f64; 2]> = iterates
                    .iter()
                    .enumerate()
                    .filter_map(|(n, it)| it.evaluation.terms.iter().find(|t| &t.name == name).map(|t| [n as f64, t.value]))
                    .collect();
                plot.line(Line::new(name.clone(), PlotPoints::from(points)));
            }
        });
}

/// Fraction of differing pixels between each iterate and each stored image.
pub fn distance_plot(ui: &mut egui::Ui, distances: &[Vec<f32>], height: f32) {
    distance_plot_with_id(ui, "distance_plot", distances, height);
}

pub fn distance_plot_with_id(ui: &mut egui::Ui, id: &str, distances: &[Vec<f32>], height: f32) {
    Plot::new(id)
        .height(height)
        .x_axis_label("iteration")
        .y_axis_label("pixel distance to stored item")
        .allow_scroll(false)
        .show(ui, |plot| {
            let stored = distances.iter().map(Vec::len).max().unwrap_or(0);
            for s in 0..stored {
                let points: Vec<[f64; 2]> = distances
                    .iter()
                    .enumerate()
                    .filter_map(|(n, d)| d.get(s).map(|&v| [n as f64, v as f64]))
                    .collect();
                plot.line(Line::new(format!("item {s}"), PlotPoints::from(points)));
            }
        });
}

/// A named number after each write (e.g. KL(M) in nats).
pub fn write_history_plot(ui: &mut egui::Ui, name: &str, history: &[f64], height: f32) {
    Plot::new("write_history")
        .height(height)
        .x_axis_label("write")
        .y_axis_label(name)
        .allow_scroll(false)
        .show(ui, |plot| {
            let points: Vec<[f64; 2]> = history.iter().enumerate().map(|(n, &v)| [n as f64 + 1.0, v]).collect();
            plot.line(Line::new(name.to_string(), PlotPoints::from(points)).width(2.0));
        });
}
