//! Files the explorer opens and saves: a native dialog off the UI thread, or the path prompt
//! where none can open (views/path_prompt.rs), and what a chosen path does.

use super::app::ExplorerApp;
use super::views::path_prompt::{DialogOutcome, PathPurpose, remember, spawn_dialog};
use super::views::train_panel::copy_checkpoint;
use super::worker::Command;
use super::settings::plan_for;
use crate::catalog::MemorySpec;
use crate::scene::{SceneImage, SceneRequest};

impl ExplorerApp {
    /// Opens a native dialog for `purpose` (off the UI thread); where none can open, the path
    /// prompt.
    pub fn ask_for_path(&self, purpose: PathPurpose) {
        let dialog = move || {
            let dialog = rfd::FileDialog::new();
            match purpose {
                PathPurpose::OpenData => dialog.set_title("Open images").pick_file(),
                PathPurpose::LoadCheckpoint => dialog.set_title("Load a checkpoint").add_filter("checkpoint", &["ckpt"]).pick_file(),
                PathPurpose::SaveCheckpointCopy => dialog.set_file_name("model.ckpt").add_filter("checkpoint", &["ckpt"]).save_file(),
                PathPurpose::OpenScene => dialog.set_title("Open a scene").add_filter("scene", &["json"]).pick_file(),
                PathPurpose::SaveScene => dialog.set_file_name("scene.json").add_filter("scene", &["json"]).save_file(),
                PathPurpose::Export(kind) => {
                    let (name, ext) = kind.file_name();
                    dialog.set_file_name(name).add_filter(ext, &[ext]).save_file()
                }
            }
        };
        spawn_dialog(self.dialogs, purpose, &self.dialog_outcomes, dialog);
    }

    /// Acts on a path a person chose for `purpose` (from a dialog or the path prompt).
    pub fn use_path(&mut self, purpose: PathPurpose, path: std::path::PathBuf) {
        match purpose {
            PathPurpose::OpenData => self.send(Command::LoadData(path.clone())),
            PathPurpose::LoadCheckpoint => self.send(Command::SelectModel(MemorySpec::trained(path.clone()))),
            PathPurpose::Export(kind) => match self.export_read(kind, &path) {
                Ok(()) => self.status = format!("exported {}", path.display()),
                Err(e) => self.errors.push(e.to_string()),
            },
            PathPurpose::OpenScene => self.send(Command::OpenScene(path.clone())),
            PathPurpose::SaveScene => match self.scene_request() {
                Some(request) => self.send(Command::SaveScene(path.clone(), Box::new(request))),
                None => self.errors.push("nothing to save yet: write an episode and start a read".into()),
            },
            PathPurpose::SaveCheckpointCopy => match &self.train.finished {
                Some(source) => match copy_checkpoint(source, &path) {
                    Ok(()) => self.train.message = format!("saved a copy to {}", path.display()),
                    Err(e) => self.errors.push(format!("could not save: {e}")),
                },
                None => self.errors.push("no finished checkpoint to save".into()),
            },
        }
        remember(&mut self.settings.recent_paths, &path);
    }

    /// The scene of what is on screen: the memory, the written episode and the read's query
    /// (both as binary pixels), and the read plan. None before a write and a read.
    pub fn scene_request(&self) -> Option<SceneRequest> {
        let memory = self.settings.model.clone()?;
        let query = self.read.iterates.first()?.image.clone();
        if self.stored.is_empty() {
            return None;
        }
        Some(SceneRequest {
            memory,
            episode: self.stored.iter().map(SceneImage::pixels).collect(),
            query: SceneImage::pixels(&query),
            corruption: None,
            corruption_seed: 0,
            read: plan_for(self.holds_address, &self.settings.read),
        })
    }

    /// Applies what the dialog threads reported.
    pub(super) fn drain_dialogs(&mut self) {
        let outcomes: Vec<DialogOutcome> = self.dialog_outcomes.lock().expect("dialog outcomes lock").drain(..).collect();
        for outcome in outcomes {
            match outcome {
                DialogOutcome::Chosen(purpose, path) => self.use_path(purpose, path),
                DialogOutcome::NoDialog(purpose) => {
                    let reason = "No file dialog could open here (no desktop portal: a minimal window manager, remote X or WSL). Type the path instead.";
                    self.status = "no file dialog available: type the path".into();
                    self.path_prompt.open(purpose, Some(reason.into()));
                }
            }
        }
    }
}
