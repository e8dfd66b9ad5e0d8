//! The loaded memory as the explorer knows it: what it is and can do (one [`MemoryInfo`] from
//! the worker), what it holds since the last write, what its write reported and its samples.

use eframe::egui;

use crate::catalog::memories::DEFAULT_BETA;
use crate::catalog::{MemoryName, MemorySpec};
use crate::data::Image;
use crate::memory::sdm::SdmConfig;
use crate::memory::{Capabilities, MemoryInfo, Panel, ReadPlan, Term, WriteReport};

use super::settings::plan_for;

#[derive(Default)]
pub struct LoadedMemory {
    /// The memories the pickers offer.
    pub choices: Vec<MemorySpec>,
    /// None until the worker has built the first memory.
    info: Option<MemoryInfo>,
    /// What the memory holds (as last written).
    pub stored: Vec<Image>,
    /// The stored images in the memory's own space (DKM codes), when it has one.
    pub stored_embeddings: Option<Vec<Vec<f32>>>,
    /// What the last write reported.
    pub write_terms: Vec<Term>,
    /// First write term after each write (KL(M) for a DKM).
    pub write_history: Vec<f64>,
    /// Pictures of the memory's inside, and their textures once drawn.
    pub panels: Vec<Panel>,
    pub heatmaps: Vec<egui::TextureHandle>,
    pub samples: Vec<Image>,
    /// A trained memory's objective on the written episode beside its training level.
    pub familiarity: Option<crate::eval::Familiarity>,
}

impl LoadedMemory {
    /// The memories on offer (the shipped and classical ones, and `wanted` when it is a
    /// checkpoint that exists) and the one to start with: `wanted` if on offer, else a shipped
    /// DKM, else the first memory that needs no training.
    pub fn starting_with(wanted: Option<&MemorySpec>) -> (Self, MemorySpec) {
        let mut choices = MemorySpec::available();
        if let Some(spec @ MemorySpec::Trained { checkpoint, .. }) = wanted
            && checkpoint.is_file()
            && !choices.contains(spec)
        {
            choices.push(spec.clone());
        }
        let initial = wanted
            .filter(|m| choices.contains(m))
            .cloned()
            .or_else(|| choices.iter().find(|m| m.is_trained(crate::catalog::ModelKind::Dkm)).cloned())
            .unwrap_or_else(|| choices[0].clone());
        (Self { choices, ..Self::default() }, initial)
    }

    /// True once the worker has built the first memory.
    pub fn is_ready(&self) -> bool {
        self.info.is_some()
    }

    pub fn info(&self) -> Option<&MemoryInfo> {
        self.info.as_ref()
    }

    /// Its name ("loading..." before the first memory is built).
    pub fn name(&self) -> &str {
        self.info.as_ref().map_or("loading...", |i| &i.about.name)
    }

    pub fn energy_unit(&self) -> &'static str {
        self.info.as_ref().map_or("", |i| i.about.energy_unit)
    }

    pub fn capabilities(&self) -> Capabilities {
        self.info.as_ref().map(|i| i.capabilities).unwrap_or_default()
    }

    /// The plan a read of this memory follows: the chosen addressing where it holds an address.
    pub fn plan(&self, chosen: &ReadPlan) -> ReadPlan {
        plan_for(self.capabilities().holds_address, chosen)
    }

    /// The first of `names` that can be built here: a trained kind's shipped weights, or a
    /// classical memory.
    pub fn first_available(&self, names: &[MemoryName]) -> Option<MemorySpec> {
        names.iter().find_map(|&name| match name {
            MemoryName::Trained(kind) => self.choices.iter().find(|m| m.is_trained(kind)).cloned(),
            _ => MemorySpec::from_name(name, None, DEFAULT_BETA, SdmConfig::default().locations).ok(),
        })
    }

    /// A new memory is loaded: it holds nothing yet (its write follows, if any), and the
    /// previous memory's history is gone.
    pub fn on_ready(&mut self, info: MemoryInfo) {
        self.info = Some(info);
        self.stored.clear();
        self.stored_embeddings = None;
        self.panels.clear();
        self.heatmaps.clear();
        self.write_history.clear();
        self.write_terms.clear();
        self.samples.clear();
        self.familiarity = None;
    }

    pub fn on_written(&mut self, report: WriteReport, stored: Vec<Image>, panels: Vec<Panel>, embeddings: Option<Vec<Vec<f32>>>, familiarity: Option<crate::eval::Familiarity>) {
        self.familiarity = familiarity;
        if let Some(first) = report.terms.first() {
            self.write_history.push(first.value);
        }
        self.write_terms = report.terms;
        self.stored = stored;
        self.stored_embeddings = embeddings;
        self.panels = panels;
        self.heatmaps.clear();
    }
}
