//! The query panel: the drawing canvas with its tools, and the corruption controls.

use eframe::egui;

use crate::app::settings::{CorruptionKind, Settings};
use crate::app::texture::TextureCache;

use super::canvas::{Canvas, Tool};

/// Draws the panel; edits the canvas (drawing, clearing, corrupting) and the corruption
/// settings.
pub fn ui(ui: &mut egui::Ui, canvas: &mut Canvas, settings: &mut Settings, textures: &mut TextureCache) {
    ui.heading("Query");
    ui.horizontal(|ui| {
        ui.selectable_value(&mut canvas.tool, Tool::Brush, "brush");
        ui.selectable_value(&mut canvas.tool, Tool::Erase, "erase");
        ui.selectable_value(&mut canvas.tool, Tool::Occlude, "occlude [ ]");
    });
    ui.add(egui::Slider::new(&mut canvas.brush_radius, 0.6..=4.0).text("brush"));
    let side = ui.available_width().clamp(140.0, 300.0);
    canvas.ui(ui, side);
    ui.horizontal(|ui| {
        if ui.button("Clear").clicked() {
            canvas.clear();
        }
        if ui.button("Invert").clicked() {
            canvas.invert();
        }
        if ui.add_enabled(canvas.can_undo(), egui::Button::new("Undo")).clicked() {
            canvas.undo();
        }
        ui.label("model input:");
        textures.show(ui, &canvas.image, 28.0);
    });
    ui.label("Corrupt");
    ui.horizontal_wrapped(|ui| {
        for (kind, label) in [
            (CorruptionKind::SaltPepper, "salt & pepper"),
            (CorruptionKind::BitFlip, "bit flips"),
            (CorruptionKind::Gaussian, "gaussian"),
            (CorruptionKind::OccludeSquare, "occlude"),
            (CorruptionKind::EraseSquare, "erase"),
        ] {
            ui.selectable_value(&mut settings.corruption, kind, label);
        }
    });
    ui.horizontal(|ui| {
        match settings.corruption {
            CorruptionKind::SaltPepper | CorruptionKind::BitFlip => {
                ui.add(egui::Slider::new(&mut settings.probability, 0.0..=0.5).text("p"));
            }
            CorruptionKind::Gaussian => {
                ui.add(egui::Slider::new(&mut settings.sigma, 0.0..=1.0).text("σ"));
            }
            CorruptionKind::OccludeSquare | CorruptionKind::EraseSquare => {
                ui.add(egui::Slider::new(&mut settings.square, 1..=28).text("side"));
            }
        }
        ui.add(egui::DragValue::new(&mut settings.read.seed).prefix("seed "));
    });
    if ui.button("Apply corruption").clicked() {
        canvas.apply(&settings.corruption(), settings.read.seed);
    }
}
