//! The desktop explorer (egui). Only view state lives here; models run on the worker thread
//! ([`worker`]), reached through typed commands and events.

mod app;
pub mod compare;
mod demo;
pub mod exports;
pub mod frame_bench;
pub mod read_session;
pub mod settings;
pub mod texture;
pub mod views;
pub mod worker;

pub use app::ExplorerApp;
pub use demo::{Demo, DemoStage};
pub use exports::ExportKind;
pub use read_session::ReadSession;
pub use settings::{ClickTarget, CorruptionKind, Settings};

/// Opens the explorer window; `demo` plays a scripted demo on start.
pub fn run_native(demo: Option<Demo>) -> eframe::Result<()> {
    let options = eframe::NativeOptions {
        viewport: eframe::egui::ViewportBuilder::default().with_inner_size([1500.0, 940.0]).with_title("Kanerva Explorer"),
        ..Default::default()
    };
    eframe::run_native(
        "Kanerva Explorer",
        options,
        Box::new(|cc| {
            let settings: Settings = cc.storage.and_then(|s| eframe::get_value(s, eframe::APP_KEY)).unwrap_or_default();
            let mut app = ExplorerApp::new(&cc.egui_ctx, settings);
            if demo.is_some() {
                app.demo = Some(DemoStage::WaitForModel);
                app.demo_kind = demo;
            }
            Ok(Box::new(app))
        }),
    )
}
