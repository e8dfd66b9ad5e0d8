//! The sections below the read: basins and the energy landscape, the sweeps, training. A
//! section a lesson opens unfolds and scrolls into view.

use std::sync::Arc;

use eframe::egui;

use crate::app::jobs::Jobs;
use crate::app::lesson_run::LessonPanel;
use crate::app::loaded_memory::LoadedMemory;
use crate::app::read_session::ReadSession;
use crate::app::texture::TextureCache;
use crate::app::worker::Command;
use crate::data::ImageSet;
use crate::memory::ReadPlan;

use super::basins::MapSpace;

/// What the sections see of the rest of the explorer.
pub struct SectionContext<'a> {
    pub memory: &'a LoadedMemory,
    pub read: &'a ReadSession,
    /// The data shown (what sweeps and training use).
    pub data: Option<Arc<ImageSet>>,
    /// The memory is a trained one (its sweeps store the data by default).
    pub trained: bool,
    /// How the memory reads now.
    pub plan: ReadPlan,
    /// The section a lesson asked to open this frame.
    pub opened: Option<LessonPanel>,
}

/// Draws the sections; returns the commands their buttons asked for.
pub fn ui(ui: &mut egui::Ui, jobs: &mut Jobs, context: &SectionContext<'_>, textures: &mut TextureCache) -> Vec<Command> {
    let mut commands = Vec::new();
    let (memory, read) = (context.memory, context.read);
    section(ui, "Basins", LessonPanel::Basins, context.opened, |ui| {
        let space = MapSpace::new(&memory.stored, memory.stored_embeddings.as_deref(), read);
        commands.extend(jobs.basins.ui(ui, &memory.stored, &space, context.plan, textures));
        ui.separator();
        commands.extend(jobs.landscape.ui(ui, memory.stored.len(), memory.capabilities().landscape, &read.iterates, textures));
    });
    ui.separator();
    section(ui, "Sweeps: capacity and corruption", LessonPanel::Sweeps, context.opened, |ui| {
        commands.extend(jobs.sweep.ui(ui, context.data.as_ref(), context.trained, context.plan.addressing));
    });
    ui.separator();
    section(ui, "Train a model", LessonPanel::Train, context.opened, |ui| commands.extend(jobs.train.ui(ui, context.data.as_ref())));
    ui.separator();
    section(ui, "Experiments: the papers' results", LessonPanel::Experiments, context.opened, |ui| commands.extend(jobs.experiment.ui(ui)));
    commands
}

/// A collapsing section, forced open and scrolled into view when a lesson opens it.
fn section(ui: &mut egui::Ui, title: &str, panel: LessonPanel, opened: Option<LessonPanel>, add: impl FnOnce(&mut egui::Ui)) {
    let open = opened == Some(panel);
    let header = egui::CollapsingHeader::new(title).open(open.then_some(true)).show(ui, add);
    if open {
        header.header_response.scroll_to_me(Some(egui::Align::TOP));
    }
}
