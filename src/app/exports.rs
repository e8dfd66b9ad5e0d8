//! Exports of the current read: the filmstrip as a PNG strip or a GIF, the energies as CSV.

use std::path::Path;

use crate::memory::Iterate;

/// What the export buttons write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportKind {
    FilmstripPng,
    FilmstripGif,
    EnergyCsv,
}

impl ExportKind {
    pub const ALL: [ExportKind; 3] = [ExportKind::FilmstripPng, ExportKind::FilmstripGif, ExportKind::EnergyCsv];

    /// The button's label.
    pub fn label(self) -> &'static str {
        match self {
            ExportKind::FilmstripPng => "PNG strip",
            ExportKind::FilmstripGif => "GIF",
            ExportKind::EnergyCsv => "energy CSV",
        }
    }

    /// The file name a save dialog proposes, and its extension.
    pub fn file_name(self) -> (&'static str, &'static str) {
        match self {
            ExportKind::FilmstripPng => ("filmstrip.png", "png"),
            ExportKind::FilmstripGif => ("filmstrip.gif", "gif"),
            ExportKind::EnergyCsv => ("energy.csv", "csv"),
        }
    }
}

/// Writes `kind` of a read (its iterates and distances) to `path`; a GIF shows each frame for
/// `frame_ms`.
pub fn write_export(kind: ExportKind, iterates: &[Iterate], distances: &[Vec<f32>], frame_ms: u32, path: &Path) -> Result<(), crate::export::ExportError> {
    match kind {
        ExportKind::FilmstripPng => crate::export::write_filmstrip_png(iterates, path),
        ExportKind::FilmstripGif => crate::export::write_filmstrip_gif(iterates, path, frame_ms),
        ExportKind::EnergyCsv => crate::export::write_energy_csv(iterates, distances, path),
    }
}
