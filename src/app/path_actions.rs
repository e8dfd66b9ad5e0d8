//! What a path a person chose does, by its purpose: open data, a checkpoint or a scene (the
//! worker answers whether it worked), save a scene, an export, a checkpoint copy or an
//! experiment's record; a path that worked joins the recent paths of its kind.

use std::path::PathBuf;

use super::ExplorerApp;
use super::views::path_prompt::PathPurpose;
use super::worker::Command;
use crate::catalog::MemorySpec;

/// Acts on a path a person chose for `purpose` (from a dialog or the path prompt).
pub fn use_path(app: &mut ExplorerApp, purpose: PathPurpose, path: PathBuf) {
    match purpose {
        PathPurpose::OpenData => app.send(Command::LoadData(path.clone())),
        PathPurpose::LoadCheckpoint => app.send(Command::SelectModel(MemorySpec::trained(path.clone()))),
        PathPurpose::OpenScene => app.send(Command::OpenScene(path.clone())),
        PathPurpose::SaveScene => match app.scene_request() {
            Some(request) => app.send(Command::SaveScene(path.clone(), Box::new(request))),
            None => return app.messages.errors.push("nothing to save yet: write an episode and start a read".into()),
        },
        PathPurpose::Export(kind) => match app.export_read(kind, &path) {
            Ok(()) => app.messages.status = format!("exported {}", path.display()),
            Err(e) => return app.messages.errors.push(e.to_string()),
        },
        PathPurpose::SaveCheckpointCopy => {
            if let Err(e) = app.jobs.train.save_copy(&path) {
                return app.messages.errors.push(e);
            }
        }
        PathPurpose::SaveExperiment => match app.jobs.experiment.live.as_ref().map(|r| r.write(&path)) {
            Some(Ok(written)) => app.messages.status = format!("saved {} and {} plots", written.json.display(), written.pngs.len()),
            Some(Err(e)) => return app.messages.errors.push(e),
            None => return app.messages.errors.push("no experiment has run yet".into()),
        },
    }
    app.files.wait_for(purpose, path);
    // Exports and copies are done; the worker's answer says whether the others worked.
    if matches!(purpose, PathPurpose::Export(_) | PathPurpose::SaveCheckpointCopy | PathPurpose::SaveExperiment) {
        path_worked(app, purpose);
    }
}

/// A path the person gave worked: it joins the recent paths of its kind, and the errors of
/// earlier tries go.
pub fn path_worked(app: &mut ExplorerApp, purpose: PathPurpose) {
    if let Some(path) = app.files.worked(purpose) {
        app.settings.recent.remember(purpose, &path);
        app.messages.errors.clear();
    }
}

