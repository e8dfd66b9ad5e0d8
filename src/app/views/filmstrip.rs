//! A read's iterates in a row, each with its index, energy and (for reads that hold an
//! address) how its address was chosen. The query stays pinned on the left while the rest
//! scrolls sideways (wheel or drag) and follows the newest iterate.

use eframe::egui;

use crate::app::texture::TextureCache;
use crate::eval::ENERGY_TOLERANCE;
use crate::memory::{AddressStep, Iterate};

/// Side of one frame, in points: large enough to read a digit.
const FRAME: f32 = 56.0;

pub fn ui(ui: &mut egui::Ui, id: &str, iterates: &[Iterate], textures: &mut TextureCache) {
    let Some((query, rest)) = iterates.split_first() else {
        ui.allocate_space(egui::vec2(FRAME, FRAME + 52.0));
        return;
    };
    // A fixed-height row: the frames, their two labels and the scroll bar all fit, so what
    // follows is never drawn over them.
    let height = FRAME + 52.0;
    ui.allocate_ui_with_layout(egui::vec2(ui.available_width(), height), egui::Layout::left_to_right(egui::Align::TOP), |ui| {
        ui.set_min_height(height);
        frame(ui, 0, query, None, textures);
        ui.separator();
        egui::ScrollArea::horizontal().id_salt(id).stick_to_right(true).show(ui, |ui| {
            ui.horizontal(|ui| {
                for (n, it) in rest.iter().enumerate() {
                    frame(ui, n + 1, it, Some(&iterates[n]), textures);
                }
            });
        });
    });
}

/// One iterate: its image, "n: energy" and a line on its address step, with the half-steps
/// on hover.
fn frame(ui: &mut egui::Ui, n: usize, it: &Iterate, previous: Option<&Iterate>, textures: &mut TextureCache) {
    ui.vertical(|ui| {
        let response = textures.show(ui, &it.image, FRAME);
        let e = it.evaluation.energy.map_or("-".to_string(), |e| format!("{e:.2}"));
        let rose = previous.and_then(|p| Some(it.evaluation.energy? > p.evaluation.energy? + ENERGY_TOLERANCE)).unwrap_or(false);
        let text = egui::RichText::new(format!("{n}: {e}")).small();
        ui.label(if rose { text.color(egui::Color32::from_rgb(255, 110, 90)) } else { text });
        if let Some(step) = it.address_step {
            ui.small(address_label(step));
        }
        if let Some(halves) = previous.and_then(|p| it.half_steps(p)) {
            response.on_hover_text(format!("pixel step {:+.3}, address step {:+.3}{}", halves.0, halves.1, if rose { "\nthe energy rose" } else { "" }));
        }
    });
}

/// Short label of how an address was chosen.
pub fn address_label(step: AddressStep) -> String {
    match step {
        AddressStep::Amortised => "μ(x)".to_string(),
        AddressStep::Kept => "kept μ".to_string(),
        AddressStep::Optimised { steps } => format!("opt ×{steps}"),
    }
}
