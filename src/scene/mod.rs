//! Scenes that replay exactly: a read saved as one JSON file (`format.rs`), made and replayed
//! by `play.rs`; guided lessons made of scenes and actions (`lesson.rs`). Above the catalog (a scene names any memory), below the app and the CLI.

pub mod format;
pub mod lesson;
pub mod lesson_check;
pub mod play;

pub use format::{RecordedStep, SCENE_VERSION, Scene, SceneError, SceneImage, SceneMemory, sha256_hex};
pub use play::{ReplayReport, SceneRequest, locate_checkpoint, record, replay, scene_images};
