//! A read's iterates in a row, each with its index and energy; scrolls sideways and follows the
//! newest iterate.

use eframe::egui;

use crate::app::texture::TextureCache;
use crate::memory::Iterate;

pub fn ui(ui: &mut egui::Ui, id: &str, iterates: &[Iterate], textures: &mut TextureCache) {
    egui::ScrollArea::horizontal().id_salt(id).stick_to_right(true).show(ui, |ui| {
        ui.horizontal(|ui| {
            ui.set_min_height(60.0);
            for (n, it) in iterates.iter().enumerate() {
                ui.vertical(|ui| {
                    textures.show(ui, &it.image, 40.0);
                    let e = it.evaluation.energy.map_or("-".to_string(), |e| format!("{e:.1}"));
                    ui.small(format!("{n}: {e}"));
                });
            }
        });
    });
}
