//! The read panel: step / play / reset, the read settings, the filmstrip (and the comparison
//! memory's), the exports; and the samples section of a generative memory.

use eframe::egui;

use crate::app::compare::CompareSession;
use crate::app::exports::ExportKind;
use crate::app::read_session::ReadSession;
use crate::app::settings::Settings;
use crate::app::texture::TextureCache;
use crate::data::Image;
use crate::memory::{Addressing, ReadPlan, ReadUpdate};

use super::filmstrip;

/// What the person asked for in the read panel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadAction {
    Step,
    TogglePlay,
    Reset,
    Export(ExportKind),
    /// Save the memory, episode, query and read settings as a scene file.
    SaveScene,
    Sample,
}

/// Draws the read controls and the filmstrips; edits the read settings.
/// `stale`: the episode on screen changed since the memory was written.
#[allow(clippy::too_many_arguments)]
pub fn ui(ui: &mut egui::Ui, read: &ReadSession, compare: Option<&CompareSession>, memory_empty: bool, stale: bool, holds_address: bool, settings: &mut Settings, textures: &mut TextureCache) -> Option<ReadAction> {
    let mut action = None;
    ui.heading("Read");
    ui.label(match (memory_empty, stale) {
        (true, _) => "Write an episode first: the memory is empty.",
        (false, true) => "Memory holds the episode written last (not the one shown); read from the query.",
        (false, false) => "Memory holds the episode; read from the query.",
    });
    ui.horizontal(|ui| {
        if ui.button("Step").on_hover_text("one attractor iteration (S)").clicked() {
            action = Some(ReadAction::Step);
        }
        if ui.button(if read.playing { "Pause" } else { "Play" }).on_hover_text("P").clicked() {
            action = Some(ReadAction::TogglePlay);
        }
        if ui.button("Reset").on_hover_text("restart from the query (R)").clicked() {
            action = Some(ReadAction::Reset);
        }
    });
    ui.horizontal(|ui| {
        ui.add(egui::DragValue::new(&mut settings.read.iterations).range(1..=200).prefix("iterations "));
        ui.add(egui::Slider::new(&mut settings.play_interval_s, 0.02..=1.5).text("s/step"));
    });
    ui.horizontal(|ui| {
        ui.label("update:");
        for u in ReadUpdate::ALL {
            ui.selectable_value(&mut settings.read.update, u, u.name());
        }
    });
    if addressing_ui(ui, &mut settings.read, holds_address) {
        action = Some(ReadAction::Reset);
    }
    let n = read.iterates.len();
    ui.label(format!("filmstrip ({n} iterate{})", if n == 1 { "" } else { "s" }));
    filmstrip::ui(ui, "filmstrip", &read.iterates, textures);
    // Models that combine several partial reads (the PKM's machines) show each one for the
    // current iterate, beside what the combined read gives (the next iterate).
    if let Some(last) = read.iterates.last().filter(|it| !it.evaluation.parts.is_empty()) {
        ui.label("each part's own read of the current iterate:");
        ui.horizontal_wrapped(|ui| {
            for (name, image) in &last.evaluation.parts {
                ui.vertical(|ui| {
                    textures.show(ui, image, 44.0).on_hover_text(name);
                    ui.small(name.split(' ').take(2).collect::<Vec<_>>().join(" "));
                });
            }
        });
    }
    ui.horizontal(|ui| {
        ui.label("export:");
        let enabled = !read.iterates.is_empty();
        for kind in ExportKind::ALL {
            if ui.add_enabled(enabled, egui::Button::new(kind.label())).clicked() {
                action = Some(ReadAction::Export(kind));
            }
        }
        if ui.add_enabled(enabled, egui::Button::new("Save scene...")).on_hover_text("a JSON file with the memory, the episode, the query and the read settings, which `kanerva scene replay` recomputes").clicked() {
            action = Some(ReadAction::SaveScene);
        }
    });
    if let Some(compare) = compare {
        ui.label(format!("{} ({} iterates)", compare.name, compare.read.iterates.len()));
        filmstrip::ui(ui, "compare_filmstrip", &compare.read.iterates, textures);
    }
    action
}

/// The addressing choice (and the optimised search's settings); true when it changed (the
/// read restarts under the new rule).
fn addressing_ui(ui: &mut egui::Ui, plan: &mut ReadPlan, holds_address: bool) -> bool {
    let before = *plan;
    ui.horizontal(|ui| {
        ui.label("addressing:").on_hover_text("how each iteration's address step chooses the address held with the new image");
        ui.add_enabled_ui(holds_address, |ui| {
            for a in Addressing::ALL {
                ui.selectable_value(&mut plan.addressing, a, a.name()).on_hover_text(a.description()).on_disabled_hover_text("this memory reads without holding an address: only its own (amortised) read exists");
            }
        });
    });
    if holds_address && plan.addressing == Addressing::Optimised {
        ui.horizontal(|ui| {
            ui.add(egui::DragValue::new(&mut plan.search_steps).range(1..=50).prefix("gradient steps "))
                .on_hover_text("at most this many gradient steps per address step, each with a line search that only accepts a lower energy");
            ui.checkbox(&mut plan.optimise_query, "optimise the query's address")
                .on_hover_text("on: stored items stay where they are, but a corrupted query's noise is partly fitted; off: the query keeps the encoder's address");
        });
    }
    *plan != before
}

/// The samples section of a generative memory.
pub fn samples_ui(ui: &mut egui::Ui, samples: &[Image], textures: &mut TextureCache) -> Option<ReadAction> {
    let mut action = None;
    ui.heading("Samples from memory");
    ui.horizontal(|ui| {
        if ui.button("Sample 16").clicked() {
            action = Some(ReadAction::Sample);
        }
        ui.label("(w ~ N(0, I), read, decode, then 3 clean-up iterations)");
    });
    ui.horizontal_wrapped(|ui| {
        for s in samples {
            textures.show(ui, s, 48.0);
        }
    });
    action
}
