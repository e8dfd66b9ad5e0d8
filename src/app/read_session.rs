//! One read in progress: the filmstrip of iterates and what the memory said about each.

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
}

impl ReadSession {
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

    /// The seed of the step that makes iterate `index` (1, 2, ...) of a read seeded with
    /// `seed`: the same as `memory::read_iterations` uses, so a scene recorded from the CLI
    /// and the explorer's read of it are the same read.
    pub fn step_seed(seed: u64, index: usize) -> u64 {
        seed.wrapping_add(index.saturating_sub(1) as u64)
    }
}
