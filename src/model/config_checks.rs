//! The checks every kind's config passes before a model is built: sizes within bounds, loss
//! weights finite and non-negative, the memory's noise levels positive.

use crate::memory::dkm::MemoryConfig;

/// The largest size any model dimension may have: a card asking for more is refused before
/// anything is allocated (a 2^31 code size would ask for exabytes).
pub const MAX_DIMENSION: usize = 4096;

/// Refuses a dimension of 0 or over [`MAX_DIMENSION`].
pub(crate) fn check_size(name: &str, value: usize) -> Result<(), String> {
    if value == 0 || value > MAX_DIMENSION {
        return Err(format!("{name} = {value} is out of range (1..={MAX_DIMENSION})"));
    }
    Ok(())
}

/// Refuses a loss weight that is negative or not finite.
pub(crate) fn check_finite_weight(name: &str, value: f64) -> Result<(), String> {
    if !value.is_finite() || value < 0.0 {
        return Err(format!("{name} = {value} must be a finite number >= 0"));
    }
    Ok(())
}

/// The memory's sizes and noise levels.
pub(crate) fn check_memory_config(memory: &MemoryConfig) -> Result<(), String> {
    check_size("slots", memory.slots)?;
    check_size("code_size", memory.code_size)?;
    for (name, value) in [("obs_noise_std", memory.obs_noise_std), ("w_prior_std", memory.w_prior_std)] {
        if !value.is_finite() || value <= 0.0 {
            return Err(format!("{name} = {value} must be a finite number > 0"));
        }
    }
    Ok(())
}
