//! The paths a person opened or saved, one list per kind of file, so that the prompt for a
//! checkpoint offers checkpoints and not the PNG exported a minute ago. A path joins its list
//! only once it worked (the data loaded, the scene opened): a typo never does.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::views::path_prompt::PathPurpose;

/// Most paths kept per list.
const KEPT: usize = 8;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RecentPaths {
    pub data: Vec<String>,
    pub checkpoints: Vec<String>,
    pub scenes: Vec<String>,
    pub exports: Vec<String>,
}

impl RecentPaths {
    /// The list a prompt for `purpose` offers, newest first.
    pub fn of(&self, purpose: PathPurpose) -> &[String] {
        match purpose {
            PathPurpose::OpenData => &self.data,
            PathPurpose::LoadCheckpoint | PathPurpose::SaveCheckpointCopy => &self.checkpoints,
            PathPurpose::OpenScene | PathPurpose::SaveScene => &self.scenes,
            PathPurpose::Export(_) | PathPurpose::SaveExperiment => &self.exports,
        }
    }

    /// Puts `path` first in the list of `purpose` (no duplicates, at most 8).
    pub fn remember(&mut self, purpose: PathPurpose, path: &Path) {
        let list = match purpose {
            PathPurpose::OpenData => &mut self.data,
            PathPurpose::LoadCheckpoint | PathPurpose::SaveCheckpointCopy => &mut self.checkpoints,
            PathPurpose::OpenScene | PathPurpose::SaveScene => &mut self.scenes,
            PathPurpose::Export(_) | PathPurpose::SaveExperiment => &mut self.exports,
        };
        let path = path.display().to_string();
        list.retain(|p| *p != path);
        list.insert(0, path);
        list.truncate(KEPT);
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::RecentPaths;
    use crate::app::exports::ExportKind;
    use crate::app::views::path_prompt::PathPurpose;

    #[test]
    fn each_kind_of_file_has_its_own_list_newest_first_without_duplicates() {
        let mut recent = RecentPaths::default();
        recent.remember(PathPurpose::OpenData, Path::new("a.png"));
        recent.remember(PathPurpose::Export(ExportKind::FilmstripPng), Path::new("strip.png"));
        recent.remember(PathPurpose::LoadCheckpoint, Path::new("m.ckpt"));
        recent.remember(PathPurpose::OpenData, Path::new("b.img1"));
        recent.remember(PathPurpose::OpenData, Path::new("a.png"));
        assert_eq!(recent.of(PathPurpose::OpenData), ["a.png", "b.img1"]);
        assert_eq!(recent.of(PathPurpose::LoadCheckpoint), ["m.ckpt"]);
        assert_eq!(recent.of(PathPurpose::SaveCheckpointCopy), ["m.ckpt"], "saving a checkpoint offers checkpoints");
        assert!(recent.of(PathPurpose::OpenScene).is_empty());
        for i in 0..20 {
            recent.remember(PathPurpose::SaveScene, Path::new(&format!("s{i}.json")));
        }
        assert_eq!(recent.of(PathPurpose::OpenScene).len(), 8);
        assert_eq!(recent.of(PathPurpose::OpenScene)[0], "s19.json");
    }
}
