//! The desktop explorer (egui). Only view state lives here; models run on the worker thread
//! ([`worker`]), reached through typed commands and events.

mod app;
pub mod compare;
mod demo;
pub mod episode;
pub mod exports;
pub mod experiment_job;
pub mod files;
pub mod job;
pub mod jobs;
pub mod lesson_checks;
pub mod lesson_orders;
pub mod lesson_run;
pub mod loaded_memory;
pub mod messages;
pub mod frame_bench;
pub mod path_actions;
pub mod read_session;
pub mod recent_paths;
pub mod settings;
pub mod texture;
pub mod ui_scale;
pub mod views;
pub mod worker;

pub use app::ExplorerApp;
pub use demo::Demo;
pub use exports::ExportKind;
pub use read_session::ReadSession;
pub use settings::{ClickTarget, CorruptionKind, Settings};

/// What the explorer starts on, besides the settings saved from the last run.
#[derive(Debug, Clone, Default)]
pub struct StartOptions {
    /// Play a scripted demo on start.
    pub demo: Option<Demo>,
    /// Start with this checkpoint as the memory.
    pub checkpoint: Option<std::path::PathBuf>,
    /// Start on this data (a file or a folder) instead of the embedded MNIST test set.
    pub data: Option<std::path::PathBuf>,
    /// Start with this addressing for reads that hold an address.
    pub addressing: Option<crate::memory::Addressing>,
    /// Open this scene on start.
    pub scene: Option<std::path::PathBuf>,
    /// Play this lesson from its first step.
    pub lesson: Option<crate::scene::lesson::FoundLesson>,
    /// The UI scale (else the saved one).
    pub scale: Option<f32>,
    /// Start full screen.
    pub full_screen: bool,
}

/// Opens the explorer window.
pub fn run_native(start: StartOptions) -> eframe::Result<()> {
    let options = eframe::NativeOptions {
        viewport: eframe::egui::ViewportBuilder::default().with_inner_size([1500.0, 940.0]).with_title("Kanerva Explorer").with_fullscreen(start.full_screen),
        ..Default::default()
    };
    eframe::run_native(
        "Kanerva Explorer",
        options,
        Box::new(|cc| {
            let mut settings: Settings = cc.storage.and_then(|s| eframe::get_value(s, eframe::APP_KEY)).unwrap_or_default();
            if let Some(checkpoint) = start.checkpoint {
                settings.model = Some(crate::catalog::MemorySpec::trained(checkpoint));
            }
            if let Some(addressing) = start.addressing {
                settings.read.addressing = addressing;
            }
            self::ui_scale::set_scale(&cc.egui_ctx, start.scale.unwrap_or(settings.ui_scale));
            let mut app = ExplorerApp::new(&cc.egui_ctx, settings);
            if let Some(data) = start.data {
                app.send(worker::Command::LoadData(data));
            }
            if let Some(scene) = start.scene {
                app.send(worker::Command::OpenScene(scene));
            }
            if let Some(lesson) = start.lesson {
                app.lessons.start(lesson, false);
            } else if let Some(demo) = start.demo {
                app.lessons.start(demo.lesson(), true);
            }
            Ok(Box::new(app))
        }),
    )
}
