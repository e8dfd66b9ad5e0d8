//! The desktop explorer (egui). Only view state lives here; models run on the worker thread.

pub fn run_native() -> eframe::Result<()> {
    let options = eframe::NativeOptions::default();
    eframe::run_native("Kanerva Explorer", options, Box::new(|_cc| Ok(Box::new(ExplorerApp::default()))))
}

#[derive(Default)]
pub struct ExplorerApp {}

impl eframe::App for ExplorerApp {
    fn ui(&mut self, ui: &mut eframe::egui::Ui, _frame: &mut eframe::Frame) {
        eframe::egui::CentralPanel::default().show(ui, |ui| {
            ui.heading("Kanerva Explorer");
        });
    }
}
