//! Files without a file dialog. Every open and save first tries the native dialog (rfd, off
//! the UI thread); where none can open (no desktop portal: minimal window managers, remote X,
//! WSL) rfd answers "nothing chosen" at once, which we tell from a person's cancel by the
//! time it took, and open this prompt instead: a path field with the recent paths.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use eframe::egui;

use crate::app::exports::ExportKind;

/// What a chosen path is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathPurpose {
    OpenData,
    LoadCheckpoint,
    Export(ExportKind),
    /// Save a copy of the train panel's finished checkpoint.
    SaveCheckpointCopy,
    OpenScene,
    /// Save the current memory, episode, query and read as a scene.
    SaveScene,
    /// Save the experiment's record, CSV and plots into a folder.
    SaveExperiment,
}

impl PathPurpose {
    pub fn title(self) -> String {
        match self {
            PathPurpose::OpenData => "Open data (a file or a folder of pictures)".into(),
            PathPurpose::LoadCheckpoint => "Load a checkpoint (.ckpt)".into(),
            PathPurpose::Export(kind) => format!("Export the read as {}", kind.label()),
            PathPurpose::SaveCheckpointCopy => "Save a copy of the checkpoint as".into(),
            PathPurpose::OpenScene => "Open a scene (.json)".into(),
            PathPurpose::SaveScene => "Save the scene as (.json)".into(),
            PathPurpose::SaveExperiment => "Save the experiment's record and plots into the folder".into(),
        }
    }

    fn opens(self) -> bool {
        matches!(self, PathPurpose::OpenData | PathPurpose::LoadCheckpoint | PathPurpose::OpenScene)
    }

    /// Why `path` cannot serve this purpose, found before anything is done with it: a file to
    /// open must exist, a file to save needs its folder.
    pub fn check(self, path: &std::path::Path) -> Result<(), String> {
        if self.opens() {
            return if path.exists() { Ok(()) } else { Err(format!("{}: no such file or folder", path.display())) };
        }
        match path.parent().filter(|p| !p.as_os_str().is_empty()) {
            Some(folder) if !folder.is_dir() => Err(format!("{}: no such folder to save into", folder.display())),
            // An experiment saves into a folder (made if new); the others into a file.
            _ if path.is_dir() && self != PathPurpose::SaveExperiment => Err(format!("{}: a folder; give a file name", path.display())),
            _ => Ok(()),
        }
    }

    /// The button that confirms.
    fn verb(self) -> &'static str {
        match self {
            PathPurpose::OpenData | PathPurpose::LoadCheckpoint | PathPurpose::OpenScene => "Open",
            PathPurpose::Export(_) | PathPurpose::SaveCheckpointCopy | PathPurpose::SaveScene | PathPurpose::SaveExperiment => "Save",
        }
    }
}

/// Whether the explorer may try native dialogs (tests and people without a portal say no).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Dialogs {
    #[default]
    Native,
    /// Go straight to the path prompt.
    Unavailable,
}

/// What a dialog thread reports to the UI thread.
#[derive(Debug, Clone, PartialEq)]
pub enum DialogOutcome {
    Chosen(PathPurpose, PathBuf),
    /// No dialog could open: prompt for a path.
    NoDialog(PathPurpose),
}

/// Outcomes of dialogs, for the UI thread to act on (it alone touches the app's state).
pub type DialogOutcomes = Arc<Mutex<Vec<DialogOutcome>>>;

/// A dialog that answered "nothing chosen" faster than this never showed.
const NO_DIALOG: Duration = Duration::from_millis(400);

/// Runs `dialog` on its own thread and reports what came of it to `outcomes` (a cancel
/// reports nothing).
pub fn spawn_dialog(dialogs: Dialogs, purpose: PathPurpose, outcomes: &DialogOutcomes, dialog: impl FnOnce() -> Option<PathBuf> + Send + 'static) {
    let outcomes = outcomes.clone();
    let report = move |outcome| outcomes.lock().expect("dialog outcomes lock").push(outcome);
    if dialogs == Dialogs::Unavailable {
        report(DialogOutcome::NoDialog(purpose));
        return;
    }
    std::thread::spawn(move || {
        let started = Instant::now();
        match dialog() {
            Some(path) => report(DialogOutcome::Chosen(purpose, path)),
            None if started.elapsed() < NO_DIALOG => report(DialogOutcome::NoDialog(purpose)),
            None => {}
        }
    });
}

/// The path field window.
#[derive(Debug, Default)]
pub struct PathPrompt {
    pub purpose: Option<PathPurpose>,
    pub text: String,
    /// Why the prompt opened (no dialog), shown above the field.
    pub reason: Option<String>,
    /// Why the path typed cannot be used (the prompt stays open to mend it).
    pub problem: Option<String>,
}

impl PathPrompt {
    pub fn open(&mut self, purpose: PathPurpose, reason: Option<String>) {
        self.purpose = Some(purpose);
        self.reason = reason;
        self.problem = None;
    }

    /// Draws the window while open; returns the purpose and the path when confirmed.
    pub fn ui(&mut self, ctx: &egui::Context, recent: &[String]) -> Option<(PathPurpose, PathBuf)> {
        let purpose = self.purpose?;
        let mut chosen = None;
        let mut close = false;
        egui::Window::new(purpose.title()).id(egui::Id::unique("path_prompt")).collapsible(false).resizable(false).show(ctx, |ui| {
            if let Some(reason) = &self.reason {
                ui.colored_label(egui::Color32::from_rgb(255, 190, 90), reason);
            }
            ui.horizontal(|ui| {
                ui.label("path:");
                let field = ui.add(egui::TextEdit::singleline(&mut self.text).desired_width(380.0).hint_text("/home/me/data/digits.idx.gz"));
                let entered = field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
                let path = self.text.trim();
                if (ui.add_enabled(!path.is_empty(), egui::Button::new(purpose.verb())).clicked() || (entered && !path.is_empty())) && !path.is_empty() {
                    let path = expand_home(path);
                    match purpose.check(&path) {
                        Ok(()) => chosen = Some((purpose, path)),
                        Err(problem) => self.problem = Some(problem),
                    }
                }
                if ui.button("Cancel").clicked() {
                    close = true;
                }
            });
            if let Some(problem) = &self.problem {
                ui.colored_label(egui::Color32::from_rgb(255, 120, 100), problem);
            }
            if !recent.is_empty() {
                ui.label("recent:");
                for path in recent {
                    if ui.selectable_label(self.text == *path, path).clicked() {
                        self.text = path.clone();
                    }
                }
            }
        });
        if chosen.is_some() || close {
            self.purpose = None;
            self.reason = None;
            self.problem = None;
        }
        chosen
    }
}

/// `~/x` -> `$HOME/x`.
fn expand_home(path: &str) -> PathBuf {
    match (path.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => PathBuf::from(home).join(rest),
        _ => PathBuf::from(path),
    }
}
