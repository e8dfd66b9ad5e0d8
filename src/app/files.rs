//! Files the explorer opens and saves: a native dialog off the UI thread, or the path prompt
//! where none can open (views/path_prompt.rs). This owner asks and collects the chosen paths;
//! the app decides what a chosen path does.

use std::path::PathBuf;

use eframe::egui;

use crate::catalog::MemorySpec;
use crate::data::Image;
use crate::memory::ReadPlan;
use crate::scene::{SceneImage, SceneRequest};

use super::recent_paths::RecentPaths;
use super::read_session::ReadSession;
use super::views::path_prompt::{DialogOutcome, DialogOutcomes, Dialogs, PathPrompt, PathPurpose, spawn_dialog};

#[derive(Default)]
pub struct Files {
    /// Native dialogs, or straight to the path prompt (tests; people without a portal).
    pub dialogs: Dialogs,
    outcomes: DialogOutcomes,
    pub prompt: PathPrompt,
    /// Paths handed to the worker, waiting for it to say they worked (then they join the
    /// recent paths) or failed.
    pending: Vec<(PathPurpose, PathBuf)>,
}

impl Files {
    /// Opens a native dialog for `purpose` (off the UI thread); where none can open, the path
    /// prompt.
    pub fn ask(&self, purpose: PathPurpose) {
        let dialog = move || {
            let dialog = rfd::FileDialog::new();
            match purpose {
                PathPurpose::OpenData => dialog.set_title("Open images").pick_file(),
                PathPurpose::LoadCheckpoint => dialog.set_title("Load a checkpoint").add_filter("checkpoint", &["ckpt"]).pick_file(),
                PathPurpose::SaveCheckpointCopy => dialog.set_file_name("model.ckpt").add_filter("checkpoint", &["ckpt"]).save_file(),
                PathPurpose::OpenScene => dialog.set_title("Open a scene").add_filter("scene", &["json"]).pick_file(),
                PathPurpose::SaveScene => dialog.set_file_name("scene.json").add_filter("scene", &["json"]).save_file(),
                PathPurpose::SaveExperiment => dialog.set_title(purpose.title()).pick_folder(),
                PathPurpose::Export(kind) => {
                    let (name, ext) = kind.file_name();
                    dialog.set_title(purpose.title()).set_file_name(name).add_filter(ext, &[ext]).save_file()
                }
            }
        };
        spawn_dialog(self.dialogs, purpose, &self.outcomes, dialog);
    }

    /// A native folder picker for data.
    pub fn ask_for_folder(&self) {
        let dialog = || rfd::FileDialog::new().set_title("Open a folder of pictures").pick_folder();
        spawn_dialog(self.dialogs, PathPurpose::OpenData, &self.outcomes, dialog);
    }

    /// `path` for `purpose` went to the worker: it joins the recent paths once it worked.
    pub fn wait_for(&mut self, purpose: PathPurpose, path: PathBuf) {
        self.pending.retain(|(p, _)| *p != purpose);
        self.pending.push((purpose, path));
    }

    /// The worker did what `purpose`'s path asked: that path, to remember.
    pub fn worked(&mut self, purpose: PathPurpose) -> Option<PathBuf> {
        let at = self.pending.iter().position(|(p, _)| *p == purpose)?;
        Some(self.pending.remove(at).1)
    }

    /// The worker could not: the path is forgotten.
    pub fn failed(&mut self, purpose: PathPurpose) {
        self.pending.retain(|(p, _)| *p != purpose);
    }

    /// The paths chosen since the last call, in dialogs or the prompt (`recent`: the paths the
    /// prompt offers). A dialog that could not open opens the prompt; the status line says so.
    pub fn chosen(&mut self, ctx: &egui::Context, recent: &RecentPaths, status: &mut String) -> Vec<(PathPurpose, PathBuf)> {
        let outcomes: Vec<DialogOutcome> = self.outcomes.lock().expect("dialog outcomes lock").drain(..).collect();
        let mut chosen = Vec::new();
        for outcome in outcomes {
            match outcome {
                DialogOutcome::Chosen(purpose, path) => chosen.push((purpose, path)),
                DialogOutcome::NoDialog(purpose) => {
                    let reason = "No file dialog could open here (no desktop portal: a minimal window manager, remote X or WSL). Type the path instead.";
                    *status = "no file dialog available: type the path".into();
                    self.prompt.open(purpose, Some(reason.into()));
                }
            }
        }
        chosen.extend(self.prompt.ui(ctx, recent.of(self.prompt.purpose.unwrap_or(PathPurpose::OpenData))));
        chosen
    }
}

/// The scene of what is on screen: the memory `model`, the written episode and the read's
/// query (exactly: grey pixels stay grey), the clean item the query was made from (`clean`,
/// when it differs), and the read `plan`. None before a write and a read.
pub fn scene_request(model: Option<&MemorySpec>, stored: &[Image], read: &ReadSession, clean: Option<&Image>, plan: ReadPlan) -> Option<SceneRequest> {
    let query = read.iterates.first()?.image.clone();
    if stored.is_empty() {
        return None;
    }
    Some(SceneRequest {
        memory: model?.clone(),
        episode: stored.iter().map(SceneImage::exact).collect(),
        query: SceneImage::exact(&query),
        corruption: None,
        corruption_seed: 0,
        target: clean.filter(|c| **c != query).map(SceneImage::exact),
        read: plan,
    })
}

