//! Samples from a generative memory, cleaned up by a few read steps: the one recipe the
//! explorer's "Sample" button and `kanerva sample` share, so the same seed gives the same
//! images in both.

use crate::data::Image;
use crate::memory::{AttractorMemory, MemoryError, ReadPlan};

/// Draws `count` samples from `memory` (for the DKM: w ~ N(0, I), read, decode) and takes each
/// through `plan.iterations` read steps with `plan.update`. Sample `i` is drawn with seed
/// `plan.seed + 7919 i`, its clean-up step `n` with that seed + n + 1.
pub fn sample_and_clean_up(memory: &dyn AttractorMemory, count: usize, plan: &ReadPlan) -> Result<Vec<Image>, MemoryError> {
    let mut samples = Vec::with_capacity(count);
    for i in 0..count as u64 {
        let seed = plan.seed.wrapping_add(i.wrapping_mul(7919));
        let generator = memory.generator().ok_or_else(|| MemoryError::Model(format!("{} is not generative: it has no samples", memory.about().name)))?;
        let mut x = generator.sample(seed)?;
        for n in 0..plan.iterations as u64 {
            x = memory.step(&x, plan.update, seed.wrapping_add(n + 1))?;
        }
        samples.push(x);
    }
    Ok(samples)
}
