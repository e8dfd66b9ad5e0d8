//! One read in progress: the filmstrip of iterates and what the memory said about each, whether
//! it plays, and which query it started from.

use crate::memory::Iterate;

#[derive(Default)]
pub struct ReadSession {
    pub id: u64,
    pub iterates: Vec<Iterate>,
    pub distances: Vec<Vec<f32>>,
    /// Each iterate in the memory's own space (DKM codes), when it has one.
    pub embeddings: Vec<Option<Vec<f32>>>,
    /// A step has been asked for and not answered yet.
    pub pending: bool,
    /// Steps follow one another at the play speed.
    pub playing: bool,
    /// When the last played step was asked for (seconds of the UI clock).
    pub last_step_time: f64,
    /// The canvas version the read started from (a changed query restarts it).
    pub query_version: u64,
}

impl ReadSession {
    /// A new read after `previous` (its id the next one), from the query of `query_version`.
    pub fn after(previous: &ReadSession, query_version: u64) -> Self {
        Self { id: previous.id + 1, query_version, ..Self::default() }
    }

    /// Appends iterate `index` of read `read_id` when it is the next one of this read (answers
    /// to an older read, or out of order, are dropped).
    pub fn accept(&mut self, read_id: u64, index: usize, iterate: Iterate, distances: Vec<f32>, embedding: Option<Vec<f32>>) {
        if read_id == self.id && index == self.iterates.len() {
            self.iterates.push(iterate);
            self.distances.push(distances);
            self.embeddings.push(embedding);
            self.pending = false;
        }
    }

    /// A command of this read failed: it stops where it is.
    pub fn on_failed(&mut self, read_id: u64) {
        if read_id == self.id {
            self.pending = false;
            self.playing = false;
        }
    }

    /// Whether the read of the query of `query_version` has its query evaluated and no step
    /// is outstanding.
    pub fn is_current(&self, query_version: u64) -> bool {
        !self.iterates.is_empty() && !self.pending && self.query_version == query_version
    }

    /// Whether the read has played all `iterations` steps (or stopped) and waits for nothing.
    pub fn is_settled(&self, iterations: usize) -> bool {
        !self.pending && (!self.playing || self.iterates.len() > iterations)
    }

    /// While playing, at UI time `now`: whether the next step is due (`interval` seconds after
    /// the last one). Playing stops once the read has `iterations` steps.
    pub fn play_tick(&mut self, now: f64, interval: f64, iterations: usize) -> bool {
        if self.iterates.len() > iterations {
            self.playing = false;
        }
        self.playing && now - self.last_step_time >= interval
    }

    /// The seed of the step that makes iterate `index` (1, 2, ...) of a read seeded with
    /// `seed`: the same as `memory::read_iterations` uses, so a scene recorded from the CLI
    /// and the explorer's read of it are the same read.
    pub fn step_seed(seed: u64, index: usize) -> u64 {
        seed.wrapping_add(index.saturating_sub(1) as u64)
    }
}
