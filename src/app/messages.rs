//! The status line and the errors shown at the bottom of the window.

use eframe::egui;

#[derive(Default)]
pub struct Messages {
    /// What last happened ("wrote 16 images into DKM").
    pub status: String,
    /// Errors not yet dismissed, oldest first (the last three are shown).
    pub errors: Vec<String>,
}

impl Messages {
    /// The status bar: the worker's state, the status line, the newest errors with a dismiss
    /// button each.
    pub fn ui(&mut self, ui: &mut egui::Ui, worker_alive: bool) {
        ui.horizontal(|ui| {
            if !worker_alive {
                ui.colored_label(egui::Color32::RED, "worker stopped");
            }
            ui.label(&self.status);
        });
        let mut dismiss = None;
        for (i, e) in self.errors.iter().enumerate().rev().take(3) {
            ui.horizontal(|ui| {
                ui.colored_label(egui::Color32::from_rgb(255, 120, 100), format!("error: {e}"));
                if ui.small_button("dismiss").clicked() {
                    dismiss = Some(i);
                }
            });
        }
        if let Some(i) = dismiss {
            self.errors.remove(i);
        }
    }
}
