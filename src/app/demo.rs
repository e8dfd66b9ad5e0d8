//! The scripted demos (`kanerva gui --demo NAME`): fill and write a random episode, corrupt its
//! first image into the query, play the read, then the demo's extra.

use crate::catalog::{MemorySpec, ModelKind};
use crate::memory::hopfield::{HopfieldConfig, LearningRule};

use super::ExplorerApp;
use super::compare::CompareSession;
use super::worker::Command;

/// Which scripted demo runs at start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Demo {
    /// Write a random episode, corrupt its first image into the query, play the read.
    Denoise,
    /// The denoising demo, then a basin map between the first two stored items.
    Basins,
    /// The denoising demo, then a training run with live curves.
    Train,
    /// The denoising demo with a second memory reading side by side: the shipped Kanerva
    /// Machine, else the pseudo-inverse Hopfield network.
    Compare,
    /// The denoising demo, then the energy landscape through the first three stored items
    /// with the finished read on it.
    Landscape,
    /// The denoising demo, then a capacity sweep on the loaded data and the same sweep with
    /// nothing written (the no-write control), beside the reference lines.
    Sweeps,
}

/// Progress of the scripted demo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DemoStage {
    WaitForModel,
    WaitForWrite,
    WaitForQuery,
    /// The landscape demo waits for the whole read before drawing it.
    WaitForRead,
    /// The sweeps demo waits for its first sweep before running the control.
    WaitForSweep,
    Done,
}

impl ExplorerApp {
    /// Advances the scripted demo by at most one stage per frame.
    pub(super) fn run_demo(&mut self) {
        match self.demo {
            Some(DemoStage::WaitForModel) if self.model_ready() && self.browser.is_some() => {
                if self.demo_kind == Some(Demo::Compare) {
                    // The DKM's predecessor when its weights are shipped, else a classical memory.
                    let partner = self.models.iter().find(|m| m.is_trained(ModelKind::Km)).cloned().unwrap_or_else(|| MemorySpec::Hopfield(HopfieldConfig { rule: LearningRule::PseudoInverse, ..Default::default() }));
                    self.compare = Some(CompareSession::new(&self.ctx, partner, &[]));
                }
                self.fill_random_episode();
                self.write_episode();
                self.demo = Some(DemoStage::WaitForWrite);
            }
            Some(DemoStage::WaitForWrite) if !self.stored.is_empty() => {
                let query = self.current_corruption().apply(&self.stored[0], self.settings.read.seed);
                self.canvas.set_image(query);
                self.reset_read();
                self.demo = Some(DemoStage::WaitForQuery);
            }
            Some(DemoStage::WaitForRead) if self.read.iterates.len() > self.settings.read.iterations && !self.read.pending => {
                self.demo = Some(DemoStage::Done);
                self.open_panel = Some(super::lesson_run::LessonPanel::Basins);
                let command = self.landscape.start(vec![0, 1, 2], &self.read.iterates);
                self.send(command);
            }
            Some(DemoStage::WaitForSweep) if !self.sweep.running && !self.sweep.results.is_empty() => {
                self.demo = Some(DemoStage::Done);
                self.sweep.control = crate::eval::SweepControl::NoWrite;
                self.start_panel_sweep();
            }
            Some(DemoStage::WaitForQuery) if !self.read.iterates.is_empty() => {
                self.playing = true;
                self.demo = Some(if self.demo_kind == Some(Demo::Landscape) { DemoStage::WaitForRead } else { DemoStage::Done });
                match self.demo_kind {
                    Some(Demo::Basins) => {
                        let command = self.basins.start(0, 1, super::settings::plan_for(self.holds_address, &self.settings.read));
                        self.send(command);
                    }
                    Some(Demo::Sweeps) => {
                        self.demo = Some(DemoStage::WaitForSweep);
                        self.open_panel = Some(super::lesson_run::LessonPanel::Sweeps);
                        self.sweep.counts = "2,4,8,16,32".into();
                        self.sweep.use_data = Some(true);
                        self.start_panel_sweep();
                    }
                    Some(Demo::Train) => {
                        if let Some(data) = self.browser.as_ref().map(|b| b.set.clone()) {
                            self.train.out = std::env::temp_dir().join("kanerva-demo-train.ckpt").display().to_string();
                            self.train.running = true;
                            self.send(Command::Train(self.train.job(data)));
                        }
                    }
                    _ => {}
                }
            }
            _ => {}
        }
    }

    /// Starts the sweep panel's sweep on the loaded data with the read panel's addressing.
    pub(super) fn start_panel_sweep(&mut self) {
        let data = self.browser.as_ref().map(|b| b.set.clone());
        let trained = matches!(self.settings.model, Some(MemorySpec::Trained { .. }));
        let addressing = super::settings::plan_for(self.holds_address, &self.settings.read).addressing;
        if let Some(command) = self.sweep.start(data.as_ref(), trained, addressing) {
            self.send(command);
        }
    }
}
