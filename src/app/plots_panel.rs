//! The right-hand panel: the memory's write terms, the energy and distance plots (and the
//! comparison memory's), the addressing weights, the write history and inside the memory.

use eframe::egui;

use super::app::ExplorerApp;
use super::views::{memory_panel, plots};

impl ExplorerApp {
    pub(super) fn plots_panel(&mut self, ui: &mut egui::Ui) {
        ui.heading(format!("Memory: {}", self.model_name));
        for t in &self.write_terms {
            ui.label(format!("{}: {:.3}", t.name, t.value));
        }
        ui.label("Energy per iteration");
        // Each plot fitted to its own descent, or both to their union.
        let own = plots::descent_range(&self.read.iterates);
        let theirs = self.compare.as_ref().and_then(|c| plots::descent_range(&c.read.iterates));
        let (own, theirs) = match &self.compare {
            Some(compare) if compare.shared_scale => {
                let both = plots::union_range(own, theirs);
                (both, both)
            }
            _ => (own, theirs),
        };
        plots::energy_plot_with_id(ui, "energy_plot", &self.read.iterates, &self.energy_unit, 180.0, own);
        ui.add_space(6.0);
        ui.label("Which attractor? Distance to each stored image");
        plots::distance_plot_with_id(ui, "distance_plot", &self.read.distances, &self.stored, &mut self.textures, 150.0);
        if let Some(compare) = &mut self.compare {
            ui.add_space(6.0);
            ui.horizontal(|ui| {
                ui.label(format!("Comparison: {}", compare.name));
                ui.checkbox(&mut compare.shared_scale, "same energy scale").on_hover_text("Draw both energy plots on one y scale; off, each is fitted to its own descent");
            });
            plots::energy_plot_with_id(ui, "compare_energy", &compare.read.iterates, &compare.energy_unit, 150.0, theirs);
            plots::distance_plot_with_id(ui, "compare_distance", &compare.read.distances, &self.stored, &mut self.textures, 120.0);
        }
        if let Some(weights) = self.read.iterates.last().and_then(|it| it.evaluation.weights.clone()) {
            ui.add_space(6.0);
            let (title, axis) = &self.weights_label;
            ui.label(format!("{} of the current iterate", capitalised(title)));
            memory_panel::weights_plot(ui, &weights, axis, 120.0);
        }
        if !self.write_history.is_empty() {
            let name = self.write_terms.first().map_or("write term".to_string(), |t| t.name.clone());
            plots::write_history_plot(ui, &name, &self.write_history, 100.0);
        }
        egui::CollapsingHeader::new("Inside the memory").default_open(true).show(ui, |ui| {
            memory_panel::panels_ui(ui, &self.panels, &mut self.textures, &mut self.heatmaps);
        });
    }
}

/// `text` with its first letter in upper case.
fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or(String::new(), |first| first.to_uppercase().chain(chars).collect())
}
