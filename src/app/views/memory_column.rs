//! The right-hand column: the memory's write terms, the energy and distance plots (and the
//! comparison memory's), the addressing weights, the write history and inside the memory.

use eframe::egui;

use crate::app::compare::CompareSession;
use crate::app::loaded_memory::LoadedMemory;
use crate::app::read_session::ReadSession;
use crate::app::texture::TextureCache;
use crate::catalog::cards::MemoryCard;

use super::{memory_panel, plots};

/// `card`: what the memory is and does badly (None for a checkpoint of unknown kind).
pub fn ui(ui: &mut egui::Ui, memory: &mut LoadedMemory, card: Option<MemoryCard>, read: &ReadSession, compare: Option<&mut CompareSession>, textures: &mut TextureCache) {
    ui.heading(format!("Memory: {}", memory.name()));
    if let Some(card) = card {
        ui.label(egui::RichText::new(card.what).small());
        egui::CollapsingHeader::new("About this memory: what to look for, what it does badly").id_salt("memory_card").show(ui, |ui| {
            ui.label(egui::RichText::new(format!("From: {}", card.source)).small());
            ui.label(egui::RichText::new(format!("Look for: {}", card.look_for)).small());
            ui.label(egui::RichText::new(format!("Does badly: {}", card.weak)).small());
        });
    }
    if let Some(familiarity) = &memory.familiarity {
        // Data unlike the training data: the reads below may not mean much.
        if familiarity.is_far() {
            ui.colored_label(egui::Color32::from_rgb(255, 190, 90), format!("Far from its training data: {}. Its reads may not mean much here.", familiarity.summary()));
        } else {
            ui.label(egui::RichText::new(format!("Near its training data: {}.", familiarity.summary())).small().weak());
        }
    }
    for t in &memory.write_terms {
        ui.label(format!("{}: {:.3}", t.name, t.value));
    }
    ui.label("Energy per iteration");
    // Each plot fitted to its own descent, or both to their union.
    let own = plots::descent_range(&read.iterates);
    let theirs = compare.as_ref().and_then(|c| plots::descent_range(&c.read.iterates));
    let (own, theirs) = match &compare {
        Some(compare) if compare.shared_scale => {
            let both = plots::union_range(own, theirs);
            (both, both)
        }
        _ => (own, theirs),
    };
    plots::energy_plot_with_id(ui, "energy_plot", &read.iterates, memory.energy_unit(), 180.0, own);
    ui.add_space(6.0);
    ui.label("Which attractor? Distance to each stored image");
    plots::distance_plot_with_id(ui, "distance_plot", &read.distances, &memory.stored, textures, 150.0);
    if let Some(compare) = compare {
        ui.add_space(6.0);
        ui.horizontal(|ui| {
            ui.label(format!("Comparison: {}", compare.name));
            ui.checkbox(&mut compare.shared_scale, "same energy scale").on_hover_text("Draw both energy plots on one y scale; off, each is fitted to its own descent");
        });
        plots::energy_plot_with_id(ui, "compare_energy", &compare.read.iterates, &compare.energy_unit, 150.0, theirs);
        plots::distance_plot_with_id(ui, "compare_distance", &compare.read.distances, &memory.stored, textures, 120.0);
    }
    if let (Some(weights), Some(info)) = (read.iterates.last().and_then(|it| it.evaluation.weights.as_ref()), memory.info()) {
        ui.add_space(6.0);
        let (title, axis) = info.about.weights_label;
        ui.label(format!("{} of the current iterate", capitalised(title)));
        memory_panel::weights_plot(ui, weights, axis, 120.0);
    }
    if !memory.write_history.is_empty() {
        let name = memory.write_terms.first().map_or("write term".to_string(), |t| t.name.clone());
        plots::write_history_plot(ui, &name, &memory.write_history, 100.0);
    }
    egui::CollapsingHeader::new("Inside the memory").default_open(true).show(ui, |ui| {
        memory_panel::panels_ui(ui, &memory.panels, textures, &mut memory.heatmaps);
    });
}

/// `text` with its first letter in upper case.
fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or(String::new(), |first| first.to_uppercase().chain(chars).collect())
}
