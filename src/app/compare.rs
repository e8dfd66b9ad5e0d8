//! Side-by-side comparison: a second memory on its own worker gets the same episode and the
//! same query, and is stepped in lockstep with the main one.

use eframe::egui;

use crate::data::Image;
use crate::memory::ReadPlan;

use super::settings::plan_for;

use crate::catalog::MemorySpec;

use super::read_session::ReadSession;
use super::worker::{Command, Event, Job, Worker};

pub struct CompareSession {
    worker: Worker,
    pub choice: MemorySpec,
    pub name: String,
    pub energy_unit: String,
    pub read: ReadSession,
    pub stored: usize,
    /// Its reads hold an address (the addressing setting applies to it).
    pub holds_address: bool,
    /// Both energy plots on one y scale (off: each fitted to its own descent, so a memory whose
    /// energies sit far from the other's is not drawn flat).
    pub shared_scale: bool,
}

impl CompareSession {
    pub fn new(ctx: &egui::Context, choice: MemorySpec, episode: &[Image]) -> Self {
        let wake = ctx.clone();
        let worker = Worker::spawn(choice.clone(), move || wake.request_repaint());
        if !episode.is_empty() {
            worker.send(Command::Write(episode.to_vec()));
        }
        Self { worker, choice, name: "loading...".into(), energy_unit: String::new(), read: ReadSession::default(), stored: 0, holds_address: false, shared_scale: false }
    }

    pub fn send(&self, command: Command) {
        self.worker.send(command);
    }

    /// Applies the comparison worker's events; errors go to `errors`, tagged with the model.
    pub fn drain(&mut self, errors: &mut Vec<String>) {
        for _ in 0..256 {
            let Ok(event) = self.worker.events.try_recv() else { break };
            match event {
                Event::ModelReady { info, .. } => {
                    self.holds_address = info.capabilities.holds_address;
                    self.name = info.about.name;
                    self.energy_unit = info.about.energy_unit.to_string();
                }
                Event::Written { stored, .. } => self.stored = stored.len(),
                Event::Iterate { read_id, index, iterate, distances, embedding } => {
                    self.read.accept(read_id, index, iterate, distances, embedding);
                }
                Event::Failed { job, error } => {
                    if let Job::Read(id) = job {
                        self.read.on_failed(id);
                    }
                    errors.push(format!("{} (comparison): {error}", self.name));
                }
                _ => {}
            }
        }
    }

    /// Starts the comparison read `id` from `query`.
    pub fn reset(&mut self, id: u64, query: &Image, plan: &ReadPlan) {
        self.read = ReadSession { id, ..Default::default() };
        if self.stored > 0 {
            self.read.pending = true;
            self.send(Command::StartRead { read_id: id, query: query.clone(), plan: plan_for(self.holds_address, plan) });
        }
    }

    /// One step, if the previous one is in.
    pub fn step(&mut self, plan: &ReadPlan, seed: u64) {
        if self.read.pending {
            return;
        }
        let Some(last) = self.read.iterates.last() else { return };
        let index = self.read.iterates.len();
        self.read.pending = true;
        self.send(Command::Step { read_id: self.read.id, index, from: Box::new(last.clone()), plan: plan_for(self.holds_address, plan), seed });
    }
}
